"""coachkit.hub's JupyterHub configuration: loopback unless told, no servers of one's own,
the demo password only when asked for, and a district's sign-in through its own fragment."""
from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from coachkit import hub
from store_helpers import clean_pg, pg_db  # noqa: F401  (the PostgreSQL fixture)

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


def test_log_and_hub_databases_are_configurable(tmp_path):
    import json
    c = load(hub.write_config(DATA, tmp_path, log_url="postgresql+psycopg://ck@db/log",
                              hub_db_url="postgresql+psycopg://hub@db/hub"))
    assert c.JupyterHub.db_url == "postgresql+psycopg://hub@db/hub"
    service = c.JupyterHub.services[0]
    # the log's URL (it may hold a password) travels in the environment, not the command line
    assert service["environment"]["COACHKIT_DB"] == "postgresql+psycopg://ck@db/log"
    assert not [a for a in service["command"] if "postgresql" in a]
    assert (tmp_path / "jupyterhub_config.py").stat().st_mode & 0o077 == 0
    settings = json.loads((tmp_path / hub.SETTINGS).read_text())
    assert settings["log_url"] == "postgresql+psycopg://ck@db/log"
    c = load(hub.write_config(DATA, tmp_path / "b"))
    assert c.JupyterHub.services[0]["environment"]["COACHKIT_DB"] == \
        f"sqlite:///{(tmp_path / 'b').resolve() / 'meeting_log.db'}"


# ---- the service's writes, through its real handlers ---------------------------------------
# The Hub is replaced by a fake token check (HubOAuth.user_for_token): the cookie the Hub's
# OAuth callback would set names a token; everything else (tornado's XSRF check as
# JupyterHub patches it, @authenticated, the scope checks) is the service's own code.
PREFIX = "/services/coachkit/"
SECRET = b"s" * 32
ROLES = DATA.parent / "roles-demo.toml"


class Served:
    def __init__(self, site, port):
        self.site, self.port, self.url = site, port, f"http://127.0.0.1:{port}{PREFIX}"

    def session(self, person):
        """A browser signed in as PERSON: the service's OAuth cookie holds a token the fake
        Hub maps to PERSON."""
        import requests
        from tornado.web import create_signed_value
        s = requests.Session()
        cookie = create_signed_value(SECRET, "service-coachkit", f"tok-{person}").decode()
        s.cookies.set("service-coachkit", cookie, domain="127.0.0.1", path=PREFIX)
        s.headers["Sec-Fetch-Mode"] = "navigate"
        return s


def form_token(html, form_class):
    import re
    form = html[html.index(f"class='{form_class}'"):]
    return re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def log_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    return clean_pg(request.getfixturevalue("pg_db"))


@pytest.fixture
def served(tmp_path, monkeypatch, log_url):
    import asyncio
    import threading

    from jupyterhub.services.auth import HubAuth
    from tornado.httpserver import HTTPServer
    from tornado.ioloop import IOLoop

    from coachkit.hub import service
    for k, v in {"JUPYTERHUB_API_TOKEN": "service-token", "JUPYTERHUB_CLIENT_ID": "service-coachkit",
                 "JUPYTERHUB_SERVICE_PREFIX": PREFIX, "JUPYTERHUB_SERVICE_NAME": "coachkit",
                 "JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api",
                 "JUPYTERHUB_BASE_URL": "/", "JUPYTERHUB_HOST": "",
                 "JUPYTERHUB_OAUTH_ACCESS_SCOPES": '["access:services!service=coachkit"]'}.items():
        monkeypatch.setenv(k, v)

    def user_for_token(self, token, use_cache=True, session_id="", *, sync=True):
        model = ({"name": token[4:], "kind": "user", "groups": [],
                  "scopes": ["access:services!service=coachkit"]}
                 if token.startswith("tok-") else None)
        if sync:
            return model

        async def later():
            return model
        return later()
    monkeypatch.setattr(HubAuth, "user_for_token", user_for_token)
    site = service.Site(DATA, ROLES, tmp_path / "audit.jsonl", log_url=log_url)
    application = service.app(site, PREFIX, cookie_secret=SECRET)
    port = hub.free_ports(1)[0]
    ready, box = threading.Event(), {}

    def run():
        asyncio.set_event_loop(asyncio.new_event_loop())
        HTTPServer(application).listen(port, "127.0.0.1")
        box["loop"] = IOLoop.current()
        ready.set()
        box["loop"].start()
    th = threading.Thread(target=run, daemon=True)
    th.start()
    ready.wait(10)
    yield Served(site, port)
    box["loop"].add_callback(box["loop"].stop)
    th.join(10)
    site.log.close()


def audit_lines(tmp_path):
    import json
    return [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]


def test_a_teacher_records_as_themselves_and_a_forged_author_is_ignored(served, tmp_path):
    s = served.session("allen")
    page = s.get(served.url + "classroom/S101-KA")
    assert page.status_code == 200 and "Record a commitment" in page.text
    r = s.post(served.url + "classroom/S101-KA/commitment", allow_redirects=False, data={
        "_xsrf": form_token(page.text, "ck-commit"), "action": "Reteach counting to 20",
        "owner": "Mrs. Allen", "due_cycle": "6", "author": "principal.pena"})
    assert r.status_code == 303 and r.headers["Location"].endswith("classroom/S101-KA?saved=commitment"), r.text[-600:]
    r = s.post(served.url + "classroom/S101-KA/observation", allow_redirects=False, data={
        "_xsrf": form_token(page.text, "ck-observe"), "kind": "wonder",
        "text": "<script>x</script> why teen numbers?", "author": "someone.else"})
    assert r.status_code == 303
    site = served.site
    com = site.log.commitments(classroom_id="S101-KA")
    assert list(com["author"]) == ["allen"] and list(com["action"]) == ["Reteach counting to 20"]
    assert list(com["owner"]) == ["Mrs. Allen"] and list(com["due_cycle"]) == [6]
    obs = site.log.observations(classroom_id="S101-KA")
    assert list(obs["author"]) == ["allen"] and list(obs["kind"]) == ["wonder"]
    shown = s.get(served.url + "classroom/S101-KA?saved=commitment").text
    assert "recorded by Mrs. Allen" in shown and "Saved." in shown
    assert "&lt;script&gt;x&lt;/script&gt;" in shown and "<script>x" not in shown
    lines = audit_lines(tmp_path)
    assert {(x["action"], x["outcome"]) for x in lines if x.get("action")} == \
        {("commitment", "recorded"), ("observation", "recorded")}


def test_writes_need_the_hubs_xsrf_token(served):
    s = served.session("allen")
    page = s.get(served.url + "classroom/S101-KA").text
    for data in ({"action": "x", "owner": "y"},                     # no token
                 {"action": "x", "owner": "y", "_xsrf": "2|forged|token|1"}):
        r = s.post(served.url + "classroom/S101-KA/commitment", data=data, allow_redirects=False)
        assert r.status_code == 403, r.status_code
    # another person's token does not do either: it is bound to the signed-in session
    other = served.session("principal.pena")
    theirs = form_token(other.get(served.url + "classroom/S101-KA").text, "ck-commit")
    assert theirs != form_token(page, "ck-commit")
    r = s.post(served.url + "classroom/S101-KA/commitment", allow_redirects=False,
               data={"_xsrf": theirs, "action": "x", "owner": "y"})
    assert r.status_code == 403
    assert served.site.log.commitments().empty
    # a form's address opened as a page leads to the page, and writes nothing
    r = s.get(served.url + "classroom/S101-KA/commitment", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/classroom/S101-KA")


def test_writes_outside_the_scope_are_refused_and_audited(served, tmp_path):
    s = served.session("allen")
    token = form_token(s.get(served.url + "classroom/S101-KA").text, "ck-commit")
    r = s.post(served.url + "classroom/S101-3A/commitment", allow_redirects=False,
               data={"_xsrf": token, "action": "x", "owner": "y"})
    assert r.status_code == 403 and "Classroom S101-3A is not one of yours" in r.text
    # a teacher may open a student's page but not write the student's own words
    r = s.post(served.url + "student/100001/reflection", allow_redirects=False,
               data={"_xsrf": token, "proud": "I counted to 100"})
    assert r.status_code == 403 and "Only the student" in r.text
    site = served.site
    assert site.log.commitments().empty and site.log.reflections().empty
    refused = {(x["page"], x["id"], x["action"]) for x in audit_lines(tmp_path)
               if x["outcome"] == "refused" and x.get("action")}
    assert refused == {("classroom", "S101-3A", "commitment"), ("student", "100001", "reflection")}


def test_a_student_writes_their_own_goal_and_reflection_only(served, tmp_path):
    s = served.session("100001")
    page = s.get(served.url + "student/100001")
    assert page.status_code == 200 and "Save my goal" in page.text
    r = s.post(served.url + "student/100001/goal", allow_redirects=False, data={
        "_xsrf": form_token(page.text, "ck-goal-form"), "text": "Count to 100 by tens",
        "author": "allen", "set_by": "student and teacher"})
    assert r.status_code == 303
    r = s.post(served.url + "student/100001/reflection", allow_redirects=False, data={
        "_xsrf": form_token(page.text, "ck-reflect-form"), "proud": "I can write my name",
        "hard": ""})
    assert r.status_code == 303
    r = s.post(served.url + "student/100001/reflection", allow_redirects=False, data={
        "_xsrf": form_token(page.text, "ck-reflect-form"), "proud": " ", "hard": ""})
    assert r.status_code == 400 and "Not saved" in r.text
    site = served.site
    g = site.log.goals(student_id="100001")
    assert list(g["author"]) == ["100001"] and list(g["set_by"]) == ["student"]
    assert list(g["text"]) == ["Count to 100 by tens"]
    rf = site.log.reflections(student_id="100001")
    assert list(rf["author"]) == ["100001"] and list(rf["proud"]) == ["I can write my name"]
    shown = s.get(served.url + "student/100001?saved=goal").text
    assert "Count to 100 by tens" in shown and "I can write my name" in shown
    # another student's page: refused, nothing written
    r = s.post(served.url + "student/100013/goal", allow_redirects=False,
               data={"_xsrf": form_token(page.text, "ck-goal-form"), "text": "not mine"})
    assert r.status_code == 403 and site.log.goals(student_id="100013").empty
    # a guardian reads the child's records but has no forms
    parent = served.session("guardian.sanchez").get(served.url + "student/100001").text
    assert "Count to 100 by tens" in parent and "ck-goal-form" not in parent


def test_coachkit_audit_lists_pages_refusals_and_records_by_name(served, tmp_path, log_url):
    import io

    import pandas as pd
    from click.testing import CliRunner

    from coachkit.cli import main
    hub.write_config(DATA, tmp_path, roles=ROLES, log_url=log_url)   # what --folder reads
    t = served.session("allen")
    token = form_token(t.get(served.url + "classroom/S101-KA").text, "ck-commit")
    assert t.get(served.url + "student/100001").status_code == 200
    assert t.get(served.url + "classroom/S101-3A").status_code == 403
    assert t.post(served.url + "classroom/S101-KA/commitment", allow_redirects=False, data={
        "_xsrf": token, "action": "=HYPERLINK(\"x\") reteach", "owner": "Mrs. Allen"}).status_code == 303
    st = served.session("100001")
    page = st.get(served.url + "student/100001").text
    assert st.post(served.url + "student/100001/goal", allow_redirects=False, data={
        "_xsrf": form_token(page, "ck-goal-form"), "text": "Count to 100"}).status_code == 303

    def run(*args):
        r = CliRunner().invoke(main, ["audit", "--folder", str(tmp_path), *args])
        assert r.exit_code == 0, r.output
        return r.output
    mine = run("--person", "allen")
    assert "Mrs. Allen" in mine and "allen " not in mine          # names, not sign-ins
    assert "opened" in mine and "Fernando Sánchez, classroom S101-KA" in mine
    assert "was refused" in mine and "classroom S101-3A" in mine
    assert "recorded" in mine and "commitment" in mine and "Fernando Sánchez" not in run("--person", "principal.pena")
    rows = pd.read_csv(io.StringIO(run("--student", "100001", "--format", "csv")))
    assert set(zip(rows["who"], rows["did"], rows["what"])) == {
        ("Mrs. Allen", "opened", "student page"), ("Fernando Sánchez", "opened", "student page"),
        ("Fernando Sánchez", "wrote", "goal")}
    rows = pd.read_csv(io.StringIO(run("--person", "Mrs. Allen", "--format", "csv")))
    assert (rows["detail"].str.startswith("Mrs. Allen will: =HYPERLINK")).any()   # not a formula cell
    assert "Nothing recorded" in run("--since", "2999-01-01")
    r = CliRunner().invoke(main, ["audit", "--folder", str(tmp_path), "--since", "last week"])
    assert r.exit_code == 2 and "since: expected a date like 2026-11-01" in r.output
    r = CliRunner().invoke(main, ["audit", "--folder", str(tmp_path), "--student", "999999"])
    assert r.exit_code == 2 and "student: expected a student id or name" in r.output


def test_chart_pages_are_the_dashboards_views_in_scope_only(served, tmp_path):
    p = served.session("principal.pena")
    r = p.get(served.url + "principal?school=S101")
    assert r.status_code == 200, r.text[-500:]
    for title in ("Progress on the continuum", "Pace and on-track share", "Equity view"):
        assert title in r.text
    assert r.text.count("class=\"plotly-graph-div\"") >= 3
    assert "static/plotly.min.js" in r.text and "cdn" not in r.text.lower()
    js = p.get(served.url + "static/plotly.min.js")
    assert js.status_code == 200 and "plotly" in js.text[:2000].lower() and len(js.text) > 1_000_000
    assert p.get(served.url + "principal?school=S102").status_code == 403
    assert p.get(served.url + "principal?school=S101&cycle=99").status_code == 400
    assert p.get(served.url + "meeting?classroom=S101-3A").status_code == 200
    assert p.get(served.url + "meeting?classroom=S102-7B").status_code == 403
    t = served.session("allen")
    r = t.get(served.url + "meeting?classroom=S101-KA&subject=math")
    assert r.status_code == 200 and "Data wall: classroom S101-KA, math" in r.text
    assert "plotly-graph-div" in r.text and "Flexible groups" in r.text
    assert "ck-groups-chart" in r.text
    assert "groups hold between" in t.get(served.url + "meeting?classroom=S101-KA&groups=2").text
    assert t.get(served.url + "meeting?classroom=S101-KA&min_size=lots").status_code == 400
    r = t.get(served.url + "meeting?classroom=S101-3A")
    assert r.status_code == 403 and "Classroom S101-3A is not one of yours" in r.text
    assert t.get(served.url + "principal?school=S101").status_code == 403
    assert t.get(served.url + "meeting?classroom=S101-KA&subject=art").status_code == 400
    assert served.session("100001").get(served.url + "meeting?classroom=S101-KA").status_code == 403
    refused = {(x["person"], x["page"], x["id"]) for x in audit_lines(tmp_path)
               if x["outcome"] == "refused"}
    assert {("allen", "classroom", "S101-3A"), ("allen", "school", "S101"),
            ("principal.pena", "school", "S102")} <= refused


def test_the_commitment_form_at_the_last_cycle_offers_only_the_next_school_year(served):
    s = served.session("allen")
    page = s.get(served.url + "classroom/S101-KA")
    form = page.text[page.text.index("ck-commit"):]
    assert "<option value='next school year'>next school year</option>" in form
    assert "cycle 7" not in page.text and "value='7'" not in page.text
    r = s.post(served.url + "classroom/S101-KA/commitment", allow_redirects=False, data={
        "_xsrf": form_token(page.text, "ck-commit"), "action": "Summer reading list",
        "owner": "Mrs. Allen", "due_cycle": "next school year"})
    assert r.status_code == 303
    again = s.get(served.url + "classroom/S101-KA").text
    assert "Summer reading list" in again and "(due next school year)" in again
