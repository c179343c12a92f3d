"""The coachkit pages as a JupyterHub service: server-side HTML, each request in the
signed-in person's scope.

The Hub starts this process (``python -m coachkit.hub.service --data D --roles R``) and
gives it JUPYTERHUB_API_TOKEN, JUPYTERHUB_SERVICE_PREFIX and JUPYTERHUB_SERVICE_URL.
Who is asking comes only from the Hub (HubOAuthenticated: the Hub's OAuth cookie for
this service), never from the URL. Every page checks the classroom, school or student
asked for against that person's scope (coachkit.access) before reading any data; there
is no kernel, no file and no contents API here, only these GET pages.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import secrets
import signal
from pathlib import Path
from urllib.parse import quote, urlparse

import pandas as pd
from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.web import Application, RequestHandler, authenticated

from .. import access, binder, progress
from ..io import load_dataset

STYLE = """<style>
body { font-family: Segoe UI, Helvetica, Arial, sans-serif; margin: 1.5em auto; max-width: 900px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25em .6em; }
th { background: #f2f2f2; text-align: left; } .ck-who { color: #555; }
.ck-refused { border-left: 5px solid #b03a2a; padding: .6em 1em; background: #fcf5f4; }
</style>"""


class Site:
    """The data and the scopes, loaded once; the roles file is re-read when it changes
    (a substitute added this morning can sign in without a restart)."""

    def __init__(self, data, roles, audit=None):
        self.ds = load_dataset(data)
        self.audit_path = Path(audit) if audit else None
        self.roles_path = Path(roles) if roles else Path(data) / "roles.toml"
        self._stamp, self._scopes = None, {}

    def scope(self, person: str) -> access.Scope:
        p = self.roles_path
        stamp = p.stat().st_mtime_ns if p.exists() else None
        if stamp != self._stamp or not self._scopes:
            self._scopes = access.scopes(self.ds, roles=access.load_roles(p))
            self._stamp = stamp
        return access.scope_for(person, self._scopes)

    def audit(self, person: str, asked: dict, allowed: bool) -> None:
        """One line per page opened or refused: who, which page, when (JSON lines)."""
        if self.audit_path is None:
            return
        (kind, item), = asked.items()
        line = json.dumps({"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                           "person": person, "page": kind, "id": str(item),
                           "outcome": "opened" if allowed else "refused"})
        with open(self.audit_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def name_of_school(self, school_id: str) -> str:
        s = self.ds.schools[self.ds.schools["school_id"].astype(str) == school_id]
        return str(s["name"].iloc[0]) if len(s) else school_id

    def latest_cycle(self) -> int:
        """The last cycle that has begun by the newest evidence date."""
        c = self.ds.cycles
        started = c[c["start"] <= self.ds.evidence["date"].max()] if len(self.ds.evidence) else c
        return int((started if len(started) else c)["cycle_id"].astype(int).max())


def esc(v) -> str:
    return html.escape("" if v is None else str(v))


def grade_word(g) -> str:
    return "K" if int(g) == 0 else str(int(g))


class Page(HubOAuthenticated, RequestHandler):
    """A page for the signed-in person; subclasses say what they show."""

    def initialize(self, site: Site, prefix: str):
        self.site, self.prefix = site, prefix

    @property
    def person(self) -> str:
        return self.current_user["name"]

    def link(self, *parts) -> str:
        """A page's address, ready for an href: each part URL-quoted, the whole escaped."""
        return esc(url_path_join(self.prefix, *(quote(str(p), safe="") for p in parts)))

    def page(self, title: str, body: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")             # personal data: never cached
        self.write(f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                   f"<title>{esc(title)} · coachkit</title>{STYLE}</head><body>"
                   f"<p class='ck-who'>Signed in as <b>{esc(self.person)}</b> · "
                   f"<a href='{self.link('')}'>My pages</a> · "
                   f"<a href='{esc(self.hub_auth.hub_prefix)}logout'>Sign out</a></p>"
                   f"<h1>{esc(title)}</h1>{body}</body></html>")

    def write_error(self, status_code: int, **kwargs) -> None:
        # never a traceback on a page: a plain sentence (the service log has the details)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                    f"<title>coachkit</title>{STYLE}</head><body><h1>Sorry</h1>"
                    f"<p>This page could not be shown ({status_code}). Please try again later; "
                    f"if it keeps happening, tell your school's coachkit administrator.</p>"
                    f"</body></html>")

    def refuse(self, message: str) -> None:
        self.page("Not available", f"<p class='ck-refused' data-refused='1'>{esc(message)}</p>",
                  status=403)

    def checked(self, **asked) -> access.Scope | None:
        scope = self.site.scope(self.person)
        try:
            scope.check(self.site.ds, **asked)
        except access.AccessDenied as e:
            self.site.audit(self.person, asked, allowed=False)
            self.refuse(str(e))
            return None
        self.site.audit(self.person, asked, allowed=True)
        return scope


class Home(Page):
    @authenticated
    def get(self):
        scope = self.site.scope(self.person)
        ds = self.site.ds
        if not scope.active():
            return self.refuse(scope.nobody_message())
        items = []
        for school in sorted(scope.whole_schools() if not scope.everything
                             else set(ds.schools["school_id"].astype(str))):
            items.append(f"<li><a class='ck-school' href='{self.link('school', school)}'>"
                         f"{esc(self.site.name_of_school(school))}</a> (school)</li>")
        rooms = ds.classrooms[ds.classrooms["classroom_id"].astype(str).isin(scope.visible_classrooms(ds))]
        for r in rooms.sort_values("classroom_id").itertuples():
            items.append(f"<li><a class='ck-classroom' href='{self.link('classroom', r.classroom_id)}'>"
                         f"Classroom {esc(r.classroom_id)}</a>: grade {grade_word(r.grade)}, "
                         f"{esc(r.teacher)}</li>")
        if scope.role in ("student", "guardian"):
            st = ds.students[ds.students["student_id"].astype(str).isin(scope.visible_students(ds))]
            for s in st.sort_values("student_id").itertuples():
                items.append(f"<li><a class='ck-student' href='{self.link('student', s.student_id)}'>"
                             f"{esc(s.first_name)} {esc(s.last_name)}</a>: learning targets</li>")
        self.page("My pages", f"<ul>{''.join(items)}</ul>")


class SchoolPage(Page):
    @authenticated
    def get(self, school):
        if not self.checked(school=school):
            return
        ds = self.site.ds
        rooms = ds.classrooms[ds.classrooms["school_id"].astype(str) == school]
        counts = ds.students.groupby(ds.students["classroom_id"].astype(str)).size()
        rows = "".join(
            f"<tr data-classroom='{esc(r.classroom_id)}'><td><a href='{self.link('classroom', r.classroom_id)}'>"
            f"{esc(r.classroom_id)}</a></td><td>{grade_word(r.grade)}</td><td>{esc(r.teacher)}</td>"
            f"<td>{int(counts.get(str(r.classroom_id), 0))}</td></tr>"
            for r in rooms.sort_values(["grade", "classroom_id"]).itertuples())
        self.page(self.site.name_of_school(school),
                  "<table class='ck-rooms'><tr><th>Classroom</th><th>Grade</th><th>Teacher</th>"
                  f"<th>Students</th></tr>{rows}</table>")


class ClassroomPage(Page):
    @authenticated
    def get(self, classroom):
        if not self.checked(classroom=classroom):
            return
        ds = self.site.ds
        st = ds.students[ds.students["classroom_id"].astype(str) == classroom]
        ev = ds.evidence[ds.evidence["student_id"].astype(str).isin(st["student_id"].astype(str))]
        m = progress.mastery(ev) if len(ev) else pd.DataFrame(columns=["student_id", "mastered"])
        mastered = m[m["mastered"].astype(bool)].groupby(m["student_id"].astype(str)).size()
        rows = "".join(
            f"<tr data-student='{esc(s.student_id)}'><td><a href='{self.link('student', s.student_id)}'>"
            f"{esc(s.first_name)} {esc(s.last_name)}</a></td>"
            f"<td>{int(mastered.get(str(s.student_id), 0))}</td></tr>"
            for s in st.sort_values(["last_name", "first_name"]).itertuples())
        room = ds.classrooms[ds.classrooms["classroom_id"].astype(str) == classroom].iloc[0]
        self.page(f"Classroom {classroom}",
                  f"<p>Grade {grade_word(room['grade'])} · {esc(room['teacher'])} · "
                  f"{esc(self.site.name_of_school(str(room['school_id'])))}</p>"
                  "<table class='ck-students'><tr><th>Student</th><th>Targets mastered</th></tr>"
                  f"{rows}</table>")


class StudentPage(Page):
    @authenticated
    def get(self, student):
        if not self.checked(student=student):
            return
        summary = binder.student_summary(self.site.ds, student, self.site.latest_cycle())
        s = summary["student"]
        self.page(f"{s['first_name']} {s['last_name']}",
                  f"<div class='ck-profile' data-student='{esc(student)}'>"
                  f"{binder.student_page(summary)}</div>")


class NotHere(Page):
    """Anything else (kernels, contents, files): there is nothing of the kind here."""

    @authenticated
    def get(self, *_):
        self.page("Not found", "<p>There is no such page.</p>", status=404)

    post = put = patch = delete = get


def app(site: Site, prefix: str) -> Application:
    kw = {"site": site, "prefix": prefix}
    return Application([
        (prefix, Home, kw),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
        (url_path_join(prefix, r"school/([^/]+)/?"), SchoolPage, kw),
        (url_path_join(prefix, r"classroom/([^/]+)/?"), ClassroomPage, kw),
        (url_path_join(prefix, r"student/([^/]+)/?"), StudentPage, kw),
        (r"(.*)", NotHere, kw),
    ], cookie_secret=secrets.token_bytes(32), xsrf_cookies=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="coachkit pages as a JupyterHub service")
    ap.add_argument("--data", required=True)
    ap.add_argument("--roles", default=None)
    ap.add_argument("--audit", default=None, help="append who opened which page here (JSON lines)")
    a = ap.parse_args(argv)
    site = Site(a.data, a.roles, a.audit)
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    HTTPServer(app(site, os.environ["JUPYTERHUB_SERVICE_PREFIX"])).listen(url.port, url.hostname)
    print(f"coachkit service ready on {url.hostname}:{url.port}", flush=True)
    loop = IOLoop.current()
    for sig in (signal.SIGINT, signal.SIGTERM):      # the Hub stops its services so: exit quietly
        loop.asyncio_loop.add_signal_handler(sig, loop.stop)
    loop.start()


if __name__ == "__main__":
    main()
