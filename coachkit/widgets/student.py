"""The student's own page, live: the learner profile and a kiosk-simple form to record a
goal, a learning plan or a reflection (Voila: notebooks/dashboards/learner_profile.ipynb).

    from coachkit.widgets import learner_profile_app
    app = learner_profile_app("sample_data/district", student="100001", language="es")

Three big buttons pick what to do; each form has a few fields, in the student's language
(every word from the gettext catalogs of ``coachkit.i18n``). Saving writes to the meeting
log (``coachkit.store``, through :class:`~coachkit.store.StudentRecorder`: author and time
kept) and redraws the profile from the log, so the new record shows at once. Empty text is
refused with a friendly message in the same language; nothing reaches the log.
"""
from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as W

from .. import profile
from ..i18n import check_language, language_for, t
from . import data as D
from .common import marker
from .meeting import db_url

ACTIONS = ("goal", "plan", "reflection")
STYLE = """<style>
.ck-student { font-size: 18px; }
.ck-student .ck-label { font-size: 19px; font-weight: 600; margin: .6em 0 .2em; }
.ck-student input, .ck-student textarea, .ck-student select { font-size: 18px !important; }
.ck-student .ck-message p { font-size: 20px; }
</style>"""


def _big(description: str, colour: str = "#2a7ab0") -> W.Button:
    b = W.Button(description=description, layout=W.Layout(height="64px", width="auto",
                                                          min_width="14em", margin="4px 8px"))
    b.style.button_color = colour
    b.style.text_color = "white"
    b.style.font_size = "20px"
    b.style.font_weight = "bold"
    return b


def _label(text: str) -> W.HTML:
    return W.HTML(f"<div class='ck-label'>{html.escape(text)}</div>")


def _text(rows: int = 1) -> W.Widget:
    if rows > 1:
        return W.Textarea(layout=W.Layout(width="95%", height=f"{rows * 36}px"))
    return W.Text(layout=W.Layout(width="95%", height="42px"))


def open_log(db: str, ds, *, create: bool = True):
    """The meeting log at DB, opened with the dataset (unknown students refused); None for
    a SQLite file that does not exist yet when ``create`` is False."""
    if not create and db.startswith("sqlite:///") and not Path(db[len("sqlite:///"):]).exists():
        return None
    from ..store import MeetingLog
    return MeetingLog(db, dataset=ds)


def student_records(log, student_id: str) -> dict:
    """One student's goals, plans, reflections and levels set by hand from LOG (none
    without a log), as ``profile.learner_profiles`` takes them."""
    if log is None:
        return {}
    return {"goals": log.goals(student_id=student_id), "plans": log.plans(student_id=student_id),
            "reflections": log.reflections(student_id=student_id),
            "overrides": log.level_overrides(student_id=student_id)}


def learner_profile_app(data=None, *, student=None, cycle: int = 6, language=None, db=None,
                        author=None, method: str | None = None):
    """The student's live page (:class:`LearnerProfileApp`), or a friendly message when no
    student is named."""
    return LearnerProfileApp(data, student=student, cycle=cycle, language=language, db=db,
                             author=author, method=method)


class LearnerProfileApp(W.VBox):
    """``app.goal``, ``app.plan``, ``app.reflection``: each form's widgets (and its "save"
    button); ``app.choose``: the three buttons that show a form; ``app.profile_view``: the
    profile; ``app.message``: the last result; ``app.state["last_outcome"]``.

    student: the student_id. language: "en", "es", ... (default: the catalog of the
    student's home language, else English). author: who records (default: the student).
    """

    def __init__(self, data=None, *, student=None, cycle=6, language=None, db=None,
                 author=None, method=None):
        self.path = D.resolve(data)
        ds = self.ds = D.load(self.path)
        self.db = db_url(data, db)
        if student is None or str(student).strip() == "":
            lang = check_language(language or "en")
            ask = t("Ask your teacher for the link to your page.", lang)
            super().__init__([W.HTML(STYLE), W.HTML(f"<p class='ck-label'>{html.escape(ask)}</p>")])
            self.add_class("ck-student")
            self.student_id = None
            return
        ids = ds.students["student_id"].astype(str)
        if str(student) not in set(ids):
            raise ValueError(f"student: expected a student_id of the data, got {student!r}")
        self.student_id = sid = str(student)
        row = ds.students[ids == sid].iloc[0]
        self.language = lang = check_language(language or language_for(row.get("home_language")))
        self.cycle, self.method = int(cycle), method
        D.cycle_end(ds, self.cycle)
        self.author = str(author) if author else sid
        self._log = None
        self.state = {"last_outcome": None}

        self.profile_view = W.HTML()
        self.profile_view.add_class("ck-profile-view")
        self.message = W.HTML()
        self.message.add_class("ck-message")
        self.goal = self._goal_form()
        self.plan = self._plan_form()
        self.reflection = self._reflection_form()
        self.forms = {"goal": self.goal, "plan": self.plan, "reflection": self.reflection}
        self.choose = {
            "goal": _big(t("Set a goal", lang)),
            "plan": _big(t("Make a learning plan", lang), "#1b7837"),
            "reflection": _big(t("Reflect", lang), "#762a83"),
        }
        for name, b in self.choose.items():
            b.add_class(f"ck-choose-{name}")
            b.on_click(lambda _, n=name: self.show(n))
        self.form_area = W.VBox([])
        hello = t("Hi, %(name)s!", lang) % {"name": row["first_name"]}
        what = t("What do you want to do?", lang)
        super().__init__([
            W.HTML(STYLE),
            W.HTML(f"<h2>{html.escape(hello)}</h2><p class='ck-label'>{html.escape(what)}</p>"),
            W.HBox(list(self.choose.values()), layout=W.Layout(flex_flow="row wrap")),
            self.form_area, self.message, self.profile_view])
        self.add_class("ck-student")
        self.show("goal")
        self.refresh()

    # ---------------------------------------------------------------- forms
    def _targets(self, not_shown: bool = True) -> list[tuple[str, str]]:
        """(words, target_id) of the student's grade, in continuum order; not yet shown."""
        p = self.current
        order = {s: k for k, s in enumerate(profile.SUBJECT_ORDER)}
        tg = p.targets.assign(_order=p.targets["subject"].astype(str).map(order).fillna(len(order)))
        tg = tg.sort_values(["_order", "subject", "sequence"], kind="stable")
        if not_shown:
            tg = tg[tg["stage"].astype(str) != "i-show"]
        out = []
        for r in tg.to_dict("records"):
            words = profile.statement(r, self.language)[0]
            out.append((f"{t(str(r['subject']), self.language)}: {words} ({r['code']})",
                        str(r["target_id"])))
        return out

    def _goal_form(self) -> dict:
        lang = self.language
        w = {"target": W.Dropdown(options=[], layout=W.Layout(width="95%")),
             "text": _text(2),
             "with_teacher": W.Checkbox(description=t("I set it with my teacher", lang),
                                        indent=False, value=False),
             "save": _big(t("Save my goal", lang), "#2a7ab0")}
        w["box"] = W.VBox([_label(t("Pick a target I have not shown yet", lang)), w["target"],
                           _label(t("or write my goal in my own words", lang)), w["text"],
                           w["with_teacher"], w["save"]])
        w["save"].on_click(lambda _: self.save_goal())
        return w

    def _plan_form(self) -> dict:
        lang = self.language
        w = {"target": W.Dropdown(options=[], layout=W.Layout(width="95%")),
             "actions": _text(2), "support": _text(), "retake_date": W.DatePicker(value=None),
             "helpers": _text(), "save": _big(t("Save my plan", lang), "#1b7837")}
        w["box"] = W.VBox([_label(t("The target I am working on", lang)), w["target"],
                           _label(t("What I will do", lang)), w["actions"],
                           _label(t("Support", lang)), w["support"],
                           _label(t("Retake date", lang)), w["retake_date"],
                           _label(t("Who helps", lang)), w["helpers"], w["save"]])
        w["save"].on_click(lambda _: self.save_plan())
        return w

    def _reflection_form(self) -> dict:
        lang = self.language
        attrs = []
        if "portrait_attribute" in self.ds.targets:
            attrs = sorted(self.ds.targets["portrait_attribute"].dropna().astype(str).unique())
        w = {"proud": _text(2), "hard": _text(2),
             "portrait": W.Dropdown(options=[(t("(none)", lang), "")] + [(a, a) for a in attrs],
                                    value="", layout=W.Layout(width="60%")),
             "save": _big(t("Save my reflection", lang), "#762a83")}
        parts = [_label(t("What I am proud of", lang)), w["proud"],
                 _label(t("What was hard", lang)), w["hard"]]
        if attrs:
            parts += [_label(t("This shows me as (Portrait of a Graduate)", lang)), w["portrait"]]
        w["box"] = W.VBox(parts + [w["save"]])
        w["save"].on_click(lambda _: self.save_reflection())
        return w

    def show(self, name: str) -> None:
        """Show one form: "goal", "plan" or "reflection"."""
        if name not in ACTIONS:
            raise ValueError(f"form: expected one of {', '.join(ACTIONS)}, got {name!r}")
        self.form_area.children = (self.forms[name]["box"],)
        self.state["form"] = name

    # ---------------------------------------------------------------- the log
    def meeting_log(self, create: bool = True):
        """The MeetingLog (None when it does not exist yet and ``create`` is False: a page
        opened only to read never creates a database)."""
        if self._log is None:
            self._log = open_log(self.db, self.ds, create=create)
        return self._log

    def records(self) -> dict:
        return student_records(self.meeting_log(create=False), self.student_id)

    def refresh(self) -> None:
        """Recompute the profile from the data and the log, redraw it, and refresh the
        forms' target lists."""
        self.current = profile.learner_profiles(self.ds, self.cycle, students=[self.student_id],
                                                method=self.method, **self.records())[0]
        self.profile_view.value = profile.fragment(self.current, language=self.language)
        lang = self.language
        open_targets = self._targets()
        self.goal["target"].options = [(t("No target: my own words", lang), "")] + open_targets
        self.goal["target"].value = ""
        first = [(t("Pick a target", lang), "")]
        self.plan["target"].options = first + open_targets
        self.plan["target"].value = ""

    def _say(self, ok: bool, text: str, record_id: str | None = None):
        from ..store import Outcome
        colour = "#1b7837" if ok else "#b2182b"
        self.message.value = (f"<p style='color:{colour}'>"
                              + marker(text, ok=int(ok), record_id=record_id or "") + "</p>")
        out = Outcome(ok, text, record_id)
        self.state["last_outcome"] = out
        return out

    def _save(self, what):
        from ..store import StudentRecorder
        lang = self.language
        try:
            rec = StudentRecorder(self.meeting_log(), self.student_id, user=self.author,
                                  source="learner profile page")
            out = what(rec)
        except Exception:            # a broken log must not show a traceback to a child
            return self._say(False, t("That could not be saved. Please ask your teacher for help.", lang))
        if not out.ok:
            busy = "busy" in out.message
            return self._say(False, t("The computer is busy. Please press the button again.", lang)
                             if busy else
                             t("That could not be saved. Please ask your teacher for help.", lang))
        self.refresh()
        return self._say(True, t("Saved! You can see it on your page below.", lang), out.record_id)

    @staticmethod
    def _clean(value) -> str | None:
        return None if value is None or str(value).strip() == "" else str(value).strip()

    def save_goal(self):
        """Save the goal form (a target, own words, or both)."""
        w, lang = self.goal, self.language
        target, text = self._clean(w["target"].value), self._clean(w["text"].value)
        if target is None and text is None:
            return self._say(False, t("Pick a target or write your goal first.", lang))
        out = self._save(lambda rec: rec.goal(target_id=target, text=text,
                                              with_teacher=bool(w["with_teacher"].value)))
        if out.ok:
            w["text"].value, w["with_teacher"].value = "", False
        return out

    def save_plan(self):
        """Save the learning-plan form (a target not yet shown and what I will do)."""
        w, lang = self.plan, self.language
        target, actions = self._clean(w["target"].value), self._clean(w["actions"].value)
        if target is None:
            return self._say(False, t("Pick the target your plan is for.", lang))
        if actions is None:
            return self._say(False, t("Write what you will do first.", lang))
        day = w["retake_date"].value
        out = self._save(lambda rec: rec.plan(
            target, actions=actions, support=self._clean(w["support"].value),
            retake_date=day if isinstance(day, dt.date) else None,
            helpers=self._clean(w["helpers"].value)))
        if out.ok:
            for k in ("actions", "support", "helpers"):
                w[k].value = ""
            w["retake_date"].value = None
        return out

    def save_reflection(self):
        """Save the reflection form (proud, hard, or both; a Portrait attribute if picked)."""
        w, lang = self.reflection, self.language
        proud, hard = self._clean(w["proud"].value), self._clean(w["hard"].value)
        if proud is None and hard is None:
            return self._say(False, t("Write what you are proud of or what was hard first.", lang))
        out = self._save(lambda rec: rec.reflect(proud=proud, hard=hard,
                                                 portrait_attribute=self._clean(w["portrait"].value)))
        if out.ok:
            w["proud"].value = w["hard"].value = ""
            w["portrait"].value = ""
        return out


def learner_profile_report(data=None, *, student=None, cycle: int = 6, language=None,
                           db=None, method: str | None = None) -> None:
    """The same profile as static output (papermill, nbconvert), without the form."""
    from IPython.display import HTML, display
    ds = D.load(D.resolve(data))
    if student is None or str(student).strip() == "":
        lang = check_language(language or "en")
        ask = t("Ask your teacher for the link to your page.", lang)
        display(HTML(f"<p>{html.escape(ask)}</p>"))
        return
    sid = str(student)
    row = ds.students[ds.students["student_id"].astype(str) == sid]
    if not len(row):
        raise ValueError(f"student: expected a student_id of the data, got {student!r}")
    lang = check_language(language or language_for(row.iloc[0].get("home_language")))
    records = student_records(open_log(db_url(data, db), ds, create=False), sid)
    p = profile.learner_profiles(ds, int(cycle), students=[sid], method=method, **records)[0]
    display(HTML(profile.fragment(p, language=lang)))
