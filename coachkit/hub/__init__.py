"""A district's coachkit behind a real JupyterHub: each signed-in person sees only their scope.

    hub = coachkit.hub.serve("sample_data/district", port=8000,
                             roles="sample_data/roles-demo.toml")   # the demo
    hub.wait_until_up(); print(hub.url); hub.wait()                 # or: hub.run(...)

Shape: JupyterHub (with configurable-http-proxy, from npm) signs people in; the coachkit
pages run as one Hub-managed *service* (``coachkit.hub.service``, a small tornado app using
``HubOAuthenticated``), not as per-user notebook servers. Why a service: one process holds
the data once for everyone; identity reaches every request from the Hub's OAuth cookie
(never the query string); and nobody gets a kernel, a terminal or the contents API at all,
because none exists (per-user Voila/singleuser servers would each start kernels and expose
those APIs, to be locked down one by one). Users are given no server of their own: the
``user`` role holds only ``access:services!service=coachkit`` and reading one's
own name and groups (USER_SCOPES).

Sign-in: ``authenticator="demo"`` is JupyterHub's SharedPasswordAuthenticator, anyone with
the one password may sign in under any name: DEMO AND TESTS ONLY. A district passes
``extra_config`` (a jupyterhub_config.py fragment) that sets an OAuthenticator for its
Google or Microsoft accounts (docs/deploy.md); ``authenticator="district"`` then adds none.

Everything listens on 127.0.0.1 unless ``ip`` says otherwise; the Hub's own cookie and XSRF
settings are left as JupyterHub sets them.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SERVICE = "coachkit"
SETTINGS = "coachkit-serve.json"         # in the Hub's folder: data, roles, audit file, log URL
DEMO_PASSWORD = "coachkit-demo"          # the demo's shared password (8+ characters)
PROXY_COMMAND = "configurable-http-proxy"
USER_SCOPES = [f"access:services!service={SERVICE}", "read:users:name!user",
               "read:users:groups!user"]
PASS_ENV = ("PYTHONPATH", "COACHKIT_DB", "LANG", "LC_ALL", "TZ")   # what the service inherits


def free_ports(n: int) -> list[int]:
    """N distinct free loopback ports (held open together so none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write_config(data, folder, *, port: int = 8000, ip: str = "127.0.0.1",
                 roles=None, authenticator: str = "demo", password: str = DEMO_PASSWORD,
                 extra_config=None, internal_ports=None, log_url=None,
                 hub_db_url=None) -> Path:
    """Write FOLDER/jupyterhub_config.py for DATA and return its path.

    FOLDER keeps the Hub's state (its sqlite database, cookie secret, pid files); keep it
    between restarts so sign-ins survive. ROLES is the roles file (default DATA/roles.toml).
    LOG_URL is the meeting log's database (default $COACHKIT_DB, else a SQLite file
    FOLDER/meeting_log.db; PostgreSQL: ``postgresql+psycopg://user:pw@host/db``), given
    to the service in its environment, not its command line. HUB_DB_URL is JupyterHub's
    own database (its ``db_url``; default a SQLite file in FOLDER).
    """
    if authenticator not in ("demo", "district"):
        raise ValueError(f"authenticator: expected 'demo' or 'district', got {authenticator!r}")
    if authenticator == "district" and not extra_config:
        raise ValueError("authenticator='district' needs extra_config: a jupyterhub_config.py "
                         "fragment that sets the district's OAuthenticator (see docs/deploy.md)")
    if authenticator == "demo" and len(password) < 8:
        raise ValueError(f"password: expected 8 or more characters, got {len(password)}")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if "://" in str(data):                   # a database URL (load_dataset reads those too)
        if not roles:
            raise ValueError("roles: expected the roles file's path when the data is a "
                             f"database URL, got none (data = {data})")
    else:
        data = Path(data).resolve()
    roles = Path(roles).resolve() if roles else data / "roles.toml"
    hub_port, api_port, service_port = internal_ports or free_ports(3)
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    env["COACHKIT_DB"] = str(log_url or env.get("COACHKIT_DB")
                             or "sqlite:///" + str(folder / "meeting_log.db"))
    lines = [
        "# Written by coachkit.hub.write_config; regenerate rather than edit.",
        "c = get_config()  # noqa",
        # the public address: loopback unless the caller named another (a district's server)
        f"c.JupyterHub.bind_url = {f'http://{ip}:{port}/'!r}",
        # the Hub's API, the proxy's API and the service: loopback always
        f"c.JupyterHub.hub_bind_url = {f'http://127.0.0.1:{hub_port}'!r}",
        f"c.ConfigurableHTTPProxy.api_url = {f'http://127.0.0.1:{api_port}'!r}",
        f"c.ConfigurableHTTPProxy.command = {[PROXY_COMMAND]!r}",
        f"c.ConfigurableHTTPProxy.pid_file = {str(folder / 'proxy.pid')!r}",
        f"c.JupyterHub.pid_file = {str(folder / 'jupyterhub.pid')!r}",
        f"c.JupyterHub.db_url = {str(hub_db_url or 'sqlite:///' + str(folder / 'jupyterhub.sqlite'))!r}",
        f"c.JupyterHub.cookie_secret_file = {str(folder / 'jupyterhub_cookie_secret')!r}",
        "c.JupyterHub.cleanup_servers = True",
        "c.JupyterHub.cleanup_proxy = True",
        f"c.JupyterHub.default_url = {f'/services/{SERVICE}/'!r}",
        # no server of one's own: the user role may reach the coachkit service and read
        # its own name and groups (what the service's OAuth token identifies), nothing else
        f"c.JupyterHub.load_roles = [{{'name': 'user', 'scopes': {USER_SCOPES!r}}}]",
        "c.JupyterHub.implicit_spawn_seconds = 0",
        "c.JupyterHub.allow_named_servers = False",
        "c.JupyterHub.services = [" + repr({
            "name": SERVICE,
            "url": f"http://127.0.0.1:{service_port}",
            "command": [sys.executable, "-m", "coachkit.hub.service", "--data", str(data),
                        "--roles", str(roles), "--audit", str(folder / "audit.jsonl")],
            "environment": env,
            "cwd": str(folder),
            "oauth_no_confirm": True,          # our own service: no "authorize?" page
            "timeout": 120,                    # loading a district's data takes a while
            "display": True,
        }) + "]",
    ]
    if authenticator == "demo":
        lines += ["# DEMO ONLY: one shared password, any sign-in name.",
                  "c.JupyterHub.authenticator_class = 'shared-password'",
                  f"c.SharedPasswordAuthenticator.user_password = {password!r}",
                  "c.Authenticator.allow_all = True"]
    if extra_config:
        lines.append(f"load_subconfig({str(Path(extra_config).resolve())!r})")
    # what `coachkit audit --folder FOLDER` reads: where the audit lines and the log are
    settings = folder / SETTINGS
    settings.write_text(json.dumps({"data": str(data), "roles": str(roles),
                                    "audit": str(folder / "audit.jsonl"),
                                    "log_url": env["COACHKIT_DB"]}, indent=1), encoding="utf-8")
    settings.chmod(0o600)
    path = folder / "jupyterhub_config.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)                    # it may hold database passwords
    return path


@dataclass
class Hub:
    """A running JupyterHub (its proxy and the coachkit service are its children)."""
    process: subprocess.Popen
    url: str
    folder: Path
    log: Path

    def wait_until_up(self, timeout: float = 150) -> None:
        """Return once the coachkit service answers through the proxy (it redirects a
        signed-out visitor towards sign-in); raise RuntimeError with the log's tail if not."""
        probe = self.url + f"services/{SERVICE}/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub stopped (exit {self.process.returncode}):\n{self.tail()}")
            log = self.tail(200_000)
            if f"Service {SERVICE} exited" in log or f"Cannot connect to managed service {SERVICE}" in log:
                raise RuntimeError(f"the coachkit service did not start:\n{self.tail()}")
            try:
                opener = urllib.request.build_opener(NoRedirect)
                opener.open(probe, timeout=5)
            except urllib.error.HTTPError as e:
                if e.code == 302:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"JupyterHub did not serve {probe} within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def wait(self) -> int:
        return self.process.wait()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM the Hub (it stops its proxy and service), then make sure nothing of
        its process group is left; returns the Hub's exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        deadline = time.monotonic() + 10
        while group_alive(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if group_alive(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def serve(data, *, port: int = 8000, ip: str = "127.0.0.1", roles=None, folder=None,
          authenticator: str = "demo", password: str = DEMO_PASSWORD, extra_config=None,
          log_url=None, hub_db_url=None) -> Hub:
    """Start JupyterHub serving DATA's coachkit pages (a subprocess in its own process
    group); returns at once with a Hub: call ``wait_until_up()``, then ``wait()`` or
    ``stop()``. FOLDER holds the Hub's state (default: a new temporary folder)."""
    hub_cmd = shutil.which("jupyterhub", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                               os.environ.get("PATH", "")]))
    if not hub_cmd:
        raise RuntimeError("JupyterHub is not installed: pip install 'coachkit[hub]'")
    if not shutil.which(PROXY_COMMAND):
        raise RuntimeError("configurable-http-proxy is not installed: "
                           "npm install -g configurable-http-proxy (or `make hub-proxy`)")
    folder = Path(folder or tempfile.mkdtemp(prefix="coachkit-hub-"))
    config = write_config(data, folder, port=port, ip=ip, roles=roles,
                          authenticator=authenticator, password=password,
                          extra_config=extra_config, log_url=log_url, hub_db_url=hub_db_url)
    log = folder / "jupyterhub.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([hub_cmd, "-f", str(config)], cwd=folder, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    shown = "127.0.0.1" if ip in ("", "0.0.0.0") else ip
    return Hub(process=proc, url=f"http://{shown}:{port}/", folder=folder, log=log)


def run(data, *, port: int = 8000, echo=print, **options) -> int:
    """Serve DATA until Ctrl-C (what `make hub` and a `coachkit serve` command call):
    start, wait until the pages answer, say where, and stop the Hub cleanly on the way out.
    Options as for serve(); returns the Hub's exit status."""
    hub = serve(data, port=port, **options)
    try:
        hub.wait_until_up()
        echo(f"coachkit is at {hub.url} (sign in there; Ctrl-C stops it)")
        return hub.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        hub.stop()
