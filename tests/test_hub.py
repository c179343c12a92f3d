"""coachkit.hub's JupyterHub configuration: loopback unless told, no servers of one's own,
the demo password only when asked for, and a district's sign-in through its own fragment."""
from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from coachkit import hub

DATA = Path(__file__).resolve().parents[1] / "sample_data" / "district"


def load(path: Path):
    """The config as JupyterHub reads it (traitlets' own loader; load_subconfig included)."""
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_demo_config_is_loopback_and_gives_no_servers(tmp_path):
    c = load(hub.write_config(DATA, tmp_path, port=8123, roles=tmp_path / "roles.toml"))
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8123/"
    for url in (c.JupyterHub.hub_bind_url, c.ConfigurableHTTPProxy.api_url,
                c.JupyterHub.services[0]["url"]):
        assert url.startswith("http://127.0.0.1:"), url
    (user,) = [r for r in c.JupyterHub.load_roles if r["name"] == "user"]
    assert "access:services!service=coachkit" in user["scopes"]
    assert not [s for s in user["scopes"] if s.startswith(("servers", "self", "access:servers",
                                                            "admin", "tokens"))], user["scopes"]
    service = c.JupyterHub.services[0]
    assert service["command"][-4:-2] == ["--roles", str(tmp_path / "roles.toml")]
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path.resolve() / 'jupyterhub.sqlite'}"


def test_other_address_only_when_named(tmp_path):
    c = load(hub.write_config(DATA, tmp_path, ip="10.0.0.5", port=443))
    assert c.JupyterHub.bind_url == "http://10.0.0.5:443/"
    assert c.JupyterHub.hub_bind_url.startswith("http://127.0.0.1:")   # internals stay local


def test_district_sign_in_comes_from_its_fragment(tmp_path):
    with pytest.raises(ValueError, match="needs extra_config"):
        hub.write_config(DATA, tmp_path, authenticator="district")
    frag = tmp_path / "district_auth.py"
    frag.write_text("c.JupyterHub.authenticator_class = 'google'\n"
                    "c.GoogleOAuthenticator.hosted_domain = ['district.org']\n")
    c = load(hub.write_config(DATA, tmp_path / "state", authenticator="district", extra_config=frag))
    assert c.JupyterHub.authenticator_class == "google"
    assert "SharedPasswordAuthenticator" not in c            # no demo password at all
    with pytest.raises(ValueError, match="authenticator: expected 'demo' or 'district'"):
        hub.write_config(DATA, tmp_path, authenticator="pam")
    with pytest.raises(ValueError, match="roles: expected the roles file's path"):
        hub.write_config("postgresql://db/coachkit", tmp_path)
    c = load(hub.write_config("postgresql://db/coachkit", tmp_path, roles=frag))
    assert c.JupyterHub.services[0]["command"][4] == "postgresql://db/coachkit"
    with pytest.raises(ValueError, match="password: expected 8 or more characters"):
        hub.write_config(DATA, tmp_path, password="short")
