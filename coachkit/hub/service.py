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

from .. import access, binder, progress, talk
from ..charts import figure_html
from ..i18n import N_, t
from ..io import load_dataset
from ..widgets import data as D
from ..widgets.meeting import due_options
from ..store import OBSERVATION_KINDS, MeetingLog, Recorder, StudentRecorder, due_words

STYLE = """<style>
body { font-family: Segoe UI, Helvetica, Arial, sans-serif; margin: 1.5em auto; max-width: 900px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25em .6em; }
th { background: #f2f2f2; text-align: left; } .ck-who { color: #555; }
.ck-refused { border-left: 5px solid #b03a2a; padding: .6em 1em; background: #fcf5f4; }
</style>"""


class Site:
    """The data and the scopes, loaded once; the roles file is re-read when it changes
    (a substitute added this morning can sign in without a restart)."""

    def __init__(self, data, roles, audit=None, log_url=None):
        # loaded once, through the dashboards' own cache, so the chart pages share it
        if "://" in str(data):
            self.path = D.resolve(load_dataset(data))
        else:
            self.path = D.resolve(data)
        self.ds = D.load(self.path)
        self.audit_path = Path(audit) if audit else None
        self.roles_path = Path(roles) if roles else Path(data) / "roles.toml"
        self._stamp, self._scopes = None, {}
        # the meeting log: log_url, else $COACHKIT_DB, else sqlite:///coachkit.db here
        self.log = MeetingLog(log_url, dataset=self.ds)

    def scope(self, person: str) -> access.Scope:
        p = self.roles_path
        stamp = p.stat().st_mtime_ns if p.exists() else None
        if stamp != self._stamp or not self._scopes:
            self._scopes = access.scopes(self.ds, roles=access.load_roles(p))
            self._stamp = stamp
        return access.scope_for(person, self._scopes)

    def name_of(self, person: str) -> str:
        """A person's name for a page (the roles file's, the roster's, else the sign-in)."""
        self.scope(person)
        return access.display_name(self.ds, person, self._scopes)

    def audit(self, person: str, asked: dict, allowed: bool, *, action: str | None = None,
              outcome: str | None = None) -> None:
        """One line per page opened or refused, and per write recorded or refused: who,
        which page, what they wrote (ACTION), when (JSON lines)."""
        if self.audit_path is None:
            return
        (kind, item), = asked.items()
        rec = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "person": person, "page": kind, "id": str(item),
               "outcome": outcome or ("opened" if allowed else "refused")}
        if action:
            rec["action"] = action
        line = json.dumps(rec, ensure_ascii=False)
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

    def page(self, title: str, body: str, status: int = 200, *, charts: bool = False) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")             # personal data: never cached
        # plotly.js from this service, never a CDN
        script = f"<script src='{self.link('static', 'plotly.min.js')}'></script>" if charts else ""
        self.write(f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                   f"<title>{esc(title)} · coachkit</title>{STYLE}{script}</head><body>"
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

    def checked(self, *, action=None, **asked) -> access.Scope | None:
        """The person's scope if ASKED lies in it (audited as opened), else None after a
        refusal page (audited as refused). With ACTION (a write) the opened line is left
        to the write, which says whether it was recorded."""
        scope = self.site.scope(self.person)
        try:
            scope.check(self.site.ds, **asked)
        except access.AccessDenied as e:
            self.site.audit(self.person, asked, allowed=False, action=action)
            self.refuse(str(e))
            return None
        if action is None:
            self.site.audit(self.person, asked, allowed=True)
        return scope

    def saved_note(self) -> str:
        what = self.get_query_argument("saved", None)
        return ("<p class='ck-saved' role='status'>Saved.</p>"
                if what in ("observation", "commitment") else "")


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
                  f"<p><a class='ck-charts' href='{self.link('principal')}?school={quote(school)}'>"
                  "School charts: progress, pace, growth, equity, groups</a></p>"
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
        m = progress.mastery(ev, **talk.mastery_args(ds)) if len(ev) else pd.DataFrame(columns=["student_id", "mastered"])
        mastered = m[m["mastered"].astype(bool)].groupby(m["student_id"].astype(str)).size()
        rows = "".join(
            f"<tr data-student='{esc(s.student_id)}'><td><a href='{self.link('student', s.student_id)}'>"
            f"{esc(s.first_name)} {esc(s.last_name)}</a></td>"
            f"<td>{int(mastered.get(str(s.student_id), 0))}</td></tr>"
            for s in st.sort_values(["last_name", "first_name"]).itertuples())
        room = ds.classrooms[ds.classrooms["classroom_id"].astype(str) == classroom].iloc[0]
        self.page(f"Classroom {classroom}",
                  f"<p>Grade {grade_word(room['grade'])} · {esc(room['teacher'])} · "
                  f"{esc(self.site.name_of_school(str(room['school_id'])))} · "
                  f"<a class='ck-wall' href='{self.link('meeting')}?classroom={quote(classroom)}'>"
                  "Data wall for the grade-level meeting</a></p>"
                  "<table class='ck-students'><tr><th>Student</th><th>Targets mastered</th></tr>"
                  f"{rows}</table>" + self.saved_note() + self.log_section(classroom))

    def log_section(self, classroom: str, message: str = "") -> str:
        """This cycle's observations and commitments for the classroom, who recorded
        each, and the two forms (each with the Hub's XSRF token)."""
        log, cycle = self.site.log, self.site.latest_cycle()
        obs = log.observations(classroom_id=classroom, cycle=cycle)
        com = log.commitments(classroom_id=classroom, cycle=cycle)
        by = lambda a: esc(self.site.name_of(a)) if isinstance(a, str) and a else "someone"  # noqa: E731
        items = [f"<li class='ck-observation'>We {esc(r.kind)}: {esc(r.text)} "
                 f"<span class='ck-author'>(recorded by {by(r.author)})</span></li>"
                 for r in obs.itertuples()]
        items += [f"<li class='ck-commitment'>{esc(r.owner)} will: {esc(r.action)} "
                  f"(due {esc(due_words(r.due_cycle))}) "
                  f"<span class='ck-author'>(recorded by {by(r.author)})</span></li>"
                  for r in com.itertuples()]
        listed = f"<ul class='ck-log'>{''.join(items)}</ul>" if items else \
            "<p>Nothing recorded yet this cycle.</p>"
        kinds = "".join(f"<option value='{k}'>We {k}</option>" for k in OBSERVATION_KINDS)
        error = f"<p class='ck-not-saved' role='alert'>{esc(message)}</p>" if message else ""
        return (f"<h2>Meeting log, cycle {cycle}</h2>{error}{listed}"
                f"<form class='ck-observe' method='post' action='{self.link('classroom', classroom, 'observation')}'>"
                f"{self.xsrf_form_html()}<h3>Record an observation</h3>"
                f"<p><select name='kind'>{kinds}</select></p>"
                "<p><textarea name='text' rows='3' cols='70' required></textarea></p>"
                "<p><button type='submit'>Save the observation</button></p></form>"
                f"<form class='ck-commit' method='post' action='{self.link('classroom', classroom, 'commitment')}'>"
                f"{self.xsrf_form_html()}<h3>Record a commitment</h3>"
                "<p><label>What we will do <textarea name='action' rows='2' cols='70' required>"
                "</textarea></label></p>"
                f"<p><label>Who will do it <input name='owner' value='{esc(self.site.name_of(self.person))}'>"
                "</label></p>"
                f"<p><label>Due <select name='due_cycle'>{self.due_options(cycle)}</select>"
                "</label></p>"
                "<p><button type='submit'>Save the commitment</button></p></form>")


    def due_options(self, cycle: int) -> str:
        """The grade-level dashboard's due choices (the cycles still to come; at the last
        cycle only the next school year) as the form's options."""
        last = int(self.site.ds.cycles["cycle_id"].astype(int).max())
        return "".join(f"<option value='{esc(v)}'>{esc(w)}</option>"
                       for w, v in due_options(last, cycle))


class ClassroomWrite(ClassroomPage):
    """POST classroom/ID/observation or /commitment: recorded by the signed-in person."""

    @authenticated
    def get(self, classroom, what):          # a form's address opened as a page: the page
        self.redirect(url_path_join(self.prefix, "classroom", quote(classroom, safe="")))

    @authenticated
    def post(self, classroom, what):
        if not self.checked(classroom=classroom, action=what):
            return
        ds = self.site.ds
        room = ds.classrooms[ds.classrooms["classroom_id"].astype(str) == classroom].iloc[0]
        name = self.site.name_of(self.person)
        meeting = self.site.log.start_meeting(
            school_id=str(room["school_id"]), grade=int(room["grade"]), classroom_id=classroom,
            cycle=self.site.latest_cycle(), attendees=[name])
        # the author is the Hub's user: a form field named author (or anything else) is never read
        rec = Recorder(self.site.log, meeting, source="hub", user=self.person)
        arg = lambda k: self.get_body_argument(k, "").strip() or None  # noqa: E731
        if what == "observation":
            out = rec.observe(arg("text"), kind=arg("kind") or "notice")
        else:
            due = arg("due_cycle")
            out = rec.commit(action=arg("action"), owner=arg("owner") or name,
                             due_cycle=int(due) if due and due.isdigit() else due)
        self.site.audit(self.person, {"classroom": classroom}, True, action=what,
                        outcome="recorded" if out.ok else "not saved")
        if out.ok:
            return self.redirect(self.link("classroom", classroom).replace("&amp;", "&")
                                 + f"?saved={what}", status=303)
        self.page(f"Classroom {classroom}", self.log_section(classroom, out.message), status=400)


class StudentPage(Page):
    LANGUAGE = "en"

    @authenticated
    def get(self, student):
        scope = self.checked(student=student)
        if not scope:
            return
        self.show(student, scope)

    def show(self, student, scope, message: str = "", status: int = 200):
        summary = binder.student_summary(self.site.ds, student, self.site.latest_cycle())
        s = summary["student"]
        self.page(f"{s['first_name']} {s['last_name']}",
                  f"<div class='ck-profile' data-student='{esc(student)}'>"
                  f"{binder.student_page(summary)}</div>"
                  + self.own_records(student, scope, message), status=status)

    def own_records(self, student, scope, message="") -> str:
        """The student's goals and reflections from the meeting log; on their own page,
        the forms to add one (each with the Hub's XSRF token)."""
        lang, log = self.LANGUAGE, self.site.log
        w = {k: esc(t(m, lang)) for k, m in (
            ("proud", N_("What I am proud of")), ("hard", N_("What was hard")), ("goals", N_("My goals")),
            ("reflections", N_("My reflections")),
            ("no_goal", N_("No goal yet. What would I like to show next?")),
            ("saved", N_("Saved. Thank you!")), ("my_goal", N_("My goal, in my own words")),
            ("save_goal", N_("Save my goal")), ("ask_proud", N_("What am I proud of?")),
            ("ask_hard", N_("What was hard?")), ("save_reflection", N_("Save my reflection")))}
        goals = log.goals(student_id=student)
        refl = log.reflections(student_id=student)
        g = "".join(f"<li class='ck-goal'>{esc(r.text or r.target_id)}</li>"
                    for r in goals.itertuples())
        rf = "".join(f"<li class='ck-reflection'>"
                     + (f"{w['proud']}: {esc(r.proud)}. " if r.proud else "")
                     + (f"{w['hard']}: {esc(r.hard)}." if r.hard else "")
                     + "</li>" for r in refl.itertuples())
        out = (f"<h2>{w['goals']}</h2>"
               + (f"<ul class='ck-goals'>{g}</ul>" if g else f"<p>{w['no_goal']}</p>")
               + f"<h2>{w['reflections']}</h2>"
               + (f"<ul class='ck-reflections'>{rf}</ul>" if rf else ""))
        if not self.writes_own(scope, student):
            return out
        saved = self.get_query_argument("saved", None) in ("goal", "reflection")
        note = (f"<p class='ck-saved' role='status'>{w['saved']}</p>"
                if saved and not message else "")
        error = f"<p class='ck-not-saved' role='alert'>{esc(message)}</p>" if message else ""
        return (out + note + error
                + f"<form class='ck-goal-form' method='post' action='{self.link('student', student, 'goal')}'>"
                f"{self.xsrf_form_html()}<p><label>{w['my_goal']}<br>"
                "<textarea name='text' rows='2' cols='60' required></textarea></label></p>"
                f"<p><button type='submit'>{w['save_goal']}</button></p></form>"
                f"<form class='ck-reflect-form' method='post' action='{self.link('student', student, 'reflection')}'>"
                f"{self.xsrf_form_html()}<p><label>{w['ask_proud']}<br>"
                "<textarea name='proud' rows='2' cols='60'></textarea></label></p>"
                f"<p><label>{w['ask_hard']}<br>"
                "<textarea name='hard' rows='2' cols='60'></textarea></label></p>"
                f"<p><button type='submit'>{w['save_reflection']}</button></p></form>")

    @staticmethod
    def writes_own(scope, student) -> bool:
        """Goals and reflections are the student's own words: only that student writes them."""
        return scope.role == "student" and str(student) in scope.students


class StudentWrite(StudentPage):
    """POST student/ID/goal or /reflection: the student's own, recorded as them."""

    @authenticated
    def get(self, student, what):
        self.redirect(url_path_join(self.prefix, "student", quote(student, safe="")))

    @authenticated
    def post(self, student, what):
        scope = self.checked(student=student, action=what)
        if not scope:
            return
        if not self.writes_own(scope, student):
            self.site.audit(self.person, {"student": student}, False, action=what)
            return self.refuse("Only the student can write their own goals and reflections "
                               "here. " + scope.ask())
        rec = StudentRecorder(self.site.log, student, source="hub", user=self.person)
        arg = lambda k: self.get_body_argument(k, "").strip() or None  # noqa: E731
        out = (rec.goal(text=arg("text")) if what == "goal"
               else rec.reflect(proud=arg("proud"), hard=arg("hard")))
        self.site.audit(self.person, {"student": student}, True, action=what,
                        outcome="recorded" if out.ok else "not saved")
        if out.ok:
            return self.redirect(self.link("student", student).replace("&amp;", "&")
                                 + f"?saved={what}", status=303)
        self.show(student, scope, t("Not saved. Please write something, then try again.",
                                    self.LANGUAGE), status=400)


class ChartPage(Page):
    """The dashboards' views, rendered here on the server from the same library calls
    (coachkit.widgets.principal.sections, coachkit.widgets.meeting.wall): what to show
    comes from the query string as in the Voila dashboards, checked against the
    signed-in person's scope before anything is computed."""

    def options(self):
        """(cycle, method) from the query string; ValueError names a bad one."""
        from .. import progress as pg
        cycle = self.get_query_argument("cycle", None)
        try:
            cycle = self.site.latest_cycle() if cycle in (None, "") else int(cycle)
        except ValueError:
            raise ValueError(f"cycle: expected a cycle number, got {cycle!r}") from None
        cycles = set(self.site.ds.cycles["cycle_id"].astype(int))
        if cycle not in cycles:
            raise ValueError(f"cycle: expected one of {', '.join(map(str, sorted(cycles)))}, "
                             f"got {cycle}")
        method = self.get_query_argument("method", "decaying_average")
        if method not in set(pg.available_methods()["method"]):
            raise ValueError(f"method: expected a mastery method such as decaying_average, "
                             f"got {method!r}")
        return cycle, method

    def bad(self, title, message):
        self.page(title, f"<p class='ck-not-saved' role='alert'>{esc(message)}</p>", status=400)


class PrincipalView(ChartPage):
    @authenticated
    def get(self):
        from ..widgets import principal
        scope = self.site.scope(self.person)
        mine = sorted(set(self.site.ds.schools["school_id"].astype(str)) if scope.everything
                      else scope.whole_schools())
        school = self.get_query_argument("school", None) or (mine[0] if mine else "")
        if not self.checked(school=school):
            return
        try:
            cycle, method = self.options()
        except ValueError as e:
            return self.bad("School charts", str(e))
        titles = dict(principal.SECTIONS)
        parts = []
        # the sections are built from this school's rows only
        for key, text, fig, extra in principal.sections(self.site.path, school, cycle, method):
            parts.append(f"<section class='ck-section' data-section='{esc(key)}'>"
                         f"<h2>{esc(titles[key])}</h2><p class='ck-takeaway'><b>{esc(text)}</b></p>"
                         + (figure_html(fig) if fig is not None else "") + extra + "</section>")
        self.page(f"{self.site.name_of_school(school)}: school charts, cycle {cycle}",
                  "".join(parts), charts=True)


class MeetingView(ChartPage):
    @authenticated
    def get(self):
        from ..widgets import meeting
        scope = self.site.scope(self.person)
        mine = sorted(scope.visible_classrooms(self.site.ds))
        classroom = self.get_query_argument("classroom", None) or (mine[0] if mine else "")
        if not self.checked(classroom=classroom):
            return
        try:
            cycle, method = self.options()
        except ValueError as e:
            return self.bad("Data wall", str(e))
        subjects = meeting.subjects_of(self.site.path, classroom)
        subject = self.get_query_argument("subject", None) or subjects[0]
        if subject not in subjects:
            return self.bad("Data wall", f"subject: expected one of {', '.join(subjects)}, "
                                         f"got {subject!r}")
        sizes = {}
        for key, default in (("groups", None), ("min_size", 3), ("max_size", 6)):
            raw = self.get_query_argument(key, None)
            if raw in (None, ""):
                sizes[key] = default
            elif raw.isdigit() and 1 <= int(raw) <= 40:
                sizes[key] = int(raw)
            else:
                return self.bad("Data wall", f"{key}: expected a whole number from 1 to 40, "
                                             f"got {raw!r}")
        fig, rows, cols = meeting.wall(self.site.path, classroom, cycle, method, subject)
        _, cards, tracking, sentence = meeting.groups_part(
            self.site.path, classroom, cycle, method, subject, sizes["groups"],
            sizes["min_size"], sizes["max_size"])
        others = " · ".join(
            f"<a href='{self.link('meeting')}?classroom={quote(classroom)}&amp;subject={quote(x)}"
            f"&amp;cycle={cycle}'>{esc(x)}</a>" for x in subjects if x != subject)
        self.page(f"Data wall: classroom {classroom}, {subject}, cycle {cycle}",
                  f"<p>{rows} students × {cols} targets. {others} · "
                  f"<a href='{self.link('classroom', classroom)}'>Record what the team "
                  "noticed and committed to</a></p>"
                  f"<div class='ck-wall-chart'>{figure_html(fig)}</div>"
                  f"<h2>Flexible groups</h2><p class='ck-takeaway'><b>{esc(sentence)}</b></p>"
                  + (f"<div class='ck-groups-chart'>{figure_html(cards)}</div>" if cards is not None else "")
                  + tracking, charts=True)


class PlotlyJS(RequestHandler):
    """plotly.js, from the installed plotly package (no CDN, no file system path)."""
    _js = None

    def get(self):
        if PlotlyJS._js is None:
            from plotly.offline import get_plotlyjs
            PlotlyJS._js = get_plotlyjs()
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=86400")
        self.write(PlotlyJS._js)


class NotHere(Page):
    """Anything else (kernels, contents, files): there is nothing of the kind here."""

    @authenticated
    def get(self, *_):
        self.page("Not found", "<p>There is no such page.</p>", status=404)

    post = put = patch = delete = get


def app(site: Site, prefix: str, *, cookie_secret: bytes | None = None) -> Application:
    kw = {"site": site, "prefix": prefix}
    return Application([
        (prefix, Home, kw),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
        (url_path_join(prefix, r"school/([^/]+)/?"), SchoolPage, kw),
        (url_path_join(prefix, r"classroom/([^/]+)/?"), ClassroomPage, kw),
        (url_path_join(prefix, r"classroom/([^/]+)/(observation|commitment)"), ClassroomWrite, kw),
        (url_path_join(prefix, r"student/([^/]+)/?"), StudentPage, kw),
        (url_path_join(prefix, r"student/([^/]+)/(goal|reflection)"), StudentWrite, kw),
        (url_path_join(prefix, "principal"), PrincipalView, kw),
        (url_path_join(prefix, "meeting"), MeetingView, kw),
        (url_path_join(prefix, "static/plotly.min.js"), PlotlyJS),
        (r"(.*)", NotHere, kw),
    ], cookie_secret=cookie_secret or secrets.token_bytes(32),
        # POST forms carry the XSRF token; HubOAuthenticated replaces tornado's check
        # with JupyterHub's (the token is bound to the signed-in session)
        xsrf_cookies=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="coachkit pages as a JupyterHub service")
    ap.add_argument("--data", required=True)
    ap.add_argument("--roles", default=None)
    ap.add_argument("--audit", default=None, help="append who opened which page here (JSON lines)")
    ap.add_argument("--log-url", default=None,
                    help="the meeting log's database (default $COACHKIT_DB, else sqlite:///coachkit.db)")
    a = ap.parse_args(argv)
    site = Site(a.data, a.roles, a.audit, log_url=a.log_url)
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    HTTPServer(app(site, os.environ["JUPYTERHUB_SERVICE_PREFIX"])).listen(url.port, url.hostname)
    print(f"coachkit service ready on {url.hostname}:{url.port}", flush=True)
    loop = IOLoop.current()
    for sig in (signal.SIGINT, signal.SIGTERM):      # the Hub stops its services so: exit quietly
        loop.asyncio_loop.add_signal_handler(sig, loop.stop)
    loop.start()


if __name__ == "__main__":
    main()
