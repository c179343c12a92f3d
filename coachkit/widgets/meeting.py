"""The grade-level meeting dashboard: the data talk, interactive.

Pick a classroom (by school), subject and cycle (the mastery method is the district
policy's, said in words on the page); the data wall shows
students x targets in stage colours (hover: level, number of scores, latest date).
Sliders for the number of groups and their sizes regroup the class and update the
tracking check. The team records what it notices and wonders, its commitments, and
adopts the groups shown, in the meeting log (``coachkit.store``).

A classroom change redraws the data wall first (mastery of one classroom's evidence,
a slice of the district's), then the groups; a slider regroups only.
"""
from __future__ import annotations

import html
import os
import time
from pathlib import Path

import ipywidgets as W
import pandas as pd

from .. import charts, grouping, talk
from ..schema import LEVELS
from . import data as D
from .common import marker, set_figure, set_html, table_html

AUTO = 0          # n_groups slider value meaning "the fewest groups that fit max size"


def db_url(data=None, db=None) -> str:
    """Where the meeting log lives: ``db``, else $COACHKIT_DB, else a SQLite file
    ``coachkit.db`` in the data folder (WAL mode; see coachkit.store)."""
    if db:
        return str(db)
    if os.environ.get("COACHKIT_DB"):
        return os.environ["COACHKIT_DB"]
    path = D.resolve(data)
    folder = Path(D.load(path).source or ".") if path.startswith("memory:") else Path(path)
    return "sqlite:///" + str((folder / "coachkit.db").resolve())


def due_words(due_cycle, last_cycle: int | None = None) -> str:
    """A due cycle as people read it: "cycle 4", or "next school year" (an empty
    due_cycle; :func:`coachkit.store.due_words`)."""
    from ..store import due_words as words
    return words(due_cycle)


def due_options(last_cycle: int, cycle: int) -> list[tuple[str, object]]:
    """The due-by choices of a commitment made at the end of CYCLE: the cycles still to
    come this year; at the last cycle only the next school year (``store.NEXT_YEAR``,
    stored without a cycle: there is no cycle after the last)."""
    from ..store import NEXT_YEAR
    if cycle >= last_cycle:
        return [(NEXT_YEAR, NEXT_YEAR)]
    return [(f"cycle {c}", c) for c in range(cycle + 1, last_cycle + 1)]


def classroom_options(path: str, school_id: str) -> list[tuple[str, str]]:
    rooms = D.load(path).classrooms
    rooms = rooms[rooms["school_id"] == school_id].sort_values(["grade", "classroom_id"])
    return [(f"{r.classroom_id} · {r.teacher}", str(r.classroom_id))
            for r in rooms.itertuples(index=False)]


def wall(path: str, classroom_id: str, cycle: int, method: str, subject: str,
         label: str = "name", overrides: tuple = ()):
    """(figure, rows, cols) of the data wall for one classroom and subject; a level set
    by hand (``overrides``: :func:`coachkit.widgets.data.overrides_key`) shows as such in
    the hover ("set by Ms. Rivera on 3/14: observed in conference")."""
    r = D.room(path, classroom_id)
    grade = int(r.classrooms["grade"].iloc[0])
    targets = r.targets[(r.targets["grade"] == grade) & (r.targets["subject"] == subject)]
    m = D.room_mastery(path, classroom_id, int(cycle), method, overrides)
    fig = charts.data_wall(m, targets, r.students, subject=subject, label=label)
    rows, cols = len(r.students), len(targets)
    fig.update_layout(meta={"ck": "wall", "classroom": classroom_id, "subject": subject,
                            "cycle": int(cycle), "rows": rows, "cols": cols})
    return fig, rows, cols


def wall_marker(classroom_id, subject, cycle, method, rows, cols, version=0) -> str:
    return marker(f"Data wall: {rows} students × {cols} targets ({classroom_id}, {subject}, "
                  f"cycle {cycle})", chart="wall", classroom=classroom_id, subject=subject,
                  cycle=cycle, method=method, rows=rows, cols=cols, version=version)


def subjects_of(path: str, classroom_id: str) -> list[str]:
    r = D.room(path, classroom_id)
    grade = int(r.classrooms["grade"].iloc[0])
    have = set(r.targets.loc[r.targets["grade"] == grade, "subject"].astype(str))
    return [s for s in D.SUBJECTS if s in have] or sorted(have)


def groups_part(path, classroom_id, cycle, method, subject, n_groups, min_size, max_size,
                overrides: tuple = ()):
    """(result, cards figure or None, tracking table html, sentence)."""
    res = D.room_groups(path, classroom_id, int(cycle), method, subject,
                        None if not n_groups else int(n_groups), int(min_size), int(max_size),
                        overrides)
    if res.error:
        return res, None, "", f"These sizes do not work for this class: {res.error}"
    r = D.room(path, classroom_id)
    g = res.groups
    if g is None or not len(g) or g["group"].isna().all():
        return res, None, "", "Too few students in this class to form groups of these sizes."
    comp = grouping.composition(g, r.students)
    fig = charts.group_cards(g, r.students, label="name", title=f"Proposed groups: {subject}",
                             composition=comp)
    fig.update_layout(meta={"ck": "groups", "classroom": classroom_id, "n_groups": int(g["group"].nunique())})
    tr = D.tracking(r.students, subject, res)
    row = tr.iloc[0]
    text = (f"{int(g['group'].nunique())} groups of {int(g.groupby('group').size().min())} to "
            f"{int(g.groupby('group').size().max())} students; "
            f"{row['changed group last cycle']} changed group last cycle; "
            f"{int(row['in the lowest group 3+ cycles in a row'])} in the lowest group 3+ cycles in a row.")
    return res, fig, table_html(tr), text


def plans_section(path: str, classroom_id: str, cycle: int, method: str, log) -> str:
    """The learning plans due this cycle for the classroom (``coachkit.plans``), with the
    students' goals beside, as the shared table; a sentence when the log has none."""
    from .. import plans
    if log is None:
        return ("<h3>Learning plans due this cycle</h3><p class='ck-empty'>No learning plan "
                "is recorded yet: students and teachers add them on the student's page.</p>")
    r = D.room(path, classroom_id)
    ds = D.load(path)
    ids = r.students["student_id"].astype(str).tolist()
    cyc = ds.cycles[ds.cycles["cycle_id"].astype(int) == int(cycle)].iloc[0]
    due = plans.plans_due(log.plans(student_id=ids), students=r.students, targets=ds.targets,
                          evidence=r.evidence, mastery=D.room_mastery(path, classroom_id,
                                                                      int(cycle), method),
                          cycle=cyc, goals=log.goals(student_id=ids))
    done = int(due["proficient"].sum()) if len(due) else 0
    return (f"<h3>Learning plans due this cycle</h3><p>{len(due)} due; "
            f"{int(due['retake_taken'].sum()) if len(due) else 0} retaken; {done} reached "
            f"proficient.</p>" + plans.to_html(due, targets=ds.targets)
            + marker("", chart="plans", classroom=classroom_id, rows=len(due)))


def grade_meeting_app(data=None, *, school=None, classroom=None, cycle: int = 6,
                      method: str | None = None, subject=None, db=None,
                      n_groups: int | None = None, min_size: int = 3, max_size: int = 6,
                      analyst: bool = False):
    """The grade-level meeting dashboard as one ipywidgets box (:class:`GradeMeetingApp`).
    The mastery method is the district policy's (``coachkit.toml``), stated in words;
    ``analyst=True`` adds a method picker for comparing methods."""
    return GradeMeetingApp(data, school=school, classroom=classroom, cycle=cycle, method=method,
                           subject=subject, db=db, n_groups=n_groups, min_size=min_size,
                           max_size=max_size, analyst=analyst)


class GradeMeetingApp(W.VBox):
    """Controls in ``app.controls`` (school, classroom, subject, cycle, n_groups,
    min_size, max_size; method only with ``analyst=True``: the page otherwise uses the
    district policy's method and says so in ``app.method_note``), outputs in
    ``app.outputs`` (wall, groups), the marker in
    ``app.marker`` (data-rows, data-cols, data-classroom ...), the meeting-log widgets in
    ``app.record`` and the last result in ``app.message``; ``app.state`` holds what is
    shown (classroom, subject, groups table, timings)."""

    def __init__(self, data=None, *, school=None, classroom=None, cycle=6,
                 method=None, subject=None, db=None, n_groups=None,
                 min_size=3, max_size=6, analyst=False):
        from .. import progress
        self.path = D.resolve(data)
        self.db = db_url(data, db)
        ds = D.load(self.path)
        classroom = talk.pick_classroom(ds, classroom, school)
        D.cycle_end(ds, cycle)
        method = method or D.policy_method(self.path)
        if method not in set(progress.available_methods()["method"]):
            raise ValueError(f"unknown mastery method {method!r}")
        self.method = method
        school = str(ds.classrooms.set_index("classroom_id").loc[classroom, "school_id"])
        schools = [(f"{r.name} ({r.school_id})", str(r.school_id))
                   for r in ds.schools.sort_values("school_id").itertuples(index=False)]
        subjects = subjects_of(self.path, classroom)
        c = self.controls = {
            "school": W.Dropdown(options=schools, value=school, description="School"),
            "classroom": W.Dropdown(options=classroom_options(self.path, school), value=classroom,
                                    description="Classroom"),
            "subject": W.ToggleButtons(options=subjects,
                                       value=subject if subject in subjects else subjects[0],
                                       description="Subject"),
            "cycle": W.Dropdown(options=[(f"cycle {int(x)}", int(x)) for x in ds.cycles["cycle_id"]],
                                value=int(cycle), description="Cycle"),
            "n_groups": W.IntSlider(value=n_groups or AUTO, min=0, max=8,
                                    description="Groups (0=auto)",
                                    style={"description_width": "initial"}),
            "min_size": W.IntSlider(value=min_size, min=1, max=8, description="Min size"),
            "max_size": W.IntSlider(value=max_size, min=2, max=12, description="Max size"),
        }
        if analyst:                     # comparing methods is an analyst's question
            c["method"] = W.Dropdown(
                options=[(m.replace("_", " "), m) for m in progress.available_methods()["method"]],
                value=method, description="Mastery")
        self.method_note = W.HTML()
        self.method_note.add_class("ck-method")
        for name, w in c.items():
            w.add_class(f"ck-{name.replace('_', '-')}")
        self.marker = W.HTML()
        self.status = W.HTML()
        self.outputs = {"wall": W.Output(), "groups": W.Output()}
        self.outputs["wall"].add_class("ck-wall")
        self.outputs["groups"].add_class("ck-groups")
        self.groups_text = W.HTML()
        self.tracking = W.HTML()
        self.last_time = W.HTML()
        self.message = W.HTML()
        self.message.add_class("ck-message")
        self.state = {"version": 0, "timings": {}}
        self._recorder, self._recorder_key, self._log = None, None, None
        self.record = self._record_widgets()

        c["school"].observe(self._school_changed, names="value")
        c["classroom"].observe(self._classroom_changed, names="value")
        for name in ("subject", "cycle", "method"):
            if name in c:
                c[name].observe(self._view_changed, names="value")
        for name in ("n_groups", "min_size", "max_size"):
            c[name].observe(self._sizes_changed, names="value")

        super().__init__([
            W.HTML("<h2>Grade-level meeting: the data talk</h2>"),
            W.HBox([c["school"], c["classroom"]]),
            W.HBox([c["cycle"]] + ([c["method"]] if "method" in c else [])), self.method_note,
            c["subject"],
            self.status, self.last_time,
            W.HTML("<h3>The data wall</h3><p>Grey <i>i-learn</i>, amber <i>i-practice</i>, blue "
                   "<i>i-show</i>. Hover over a square for the level and the evidence behind it. "
                   "<b>What do you notice?</b></p>"),
            self.marker, self.outputs["wall"],
            W.HTML("<h3>Try groupings</h3><p>Groups are formed by need (each student's next "
                   "target). Move the sliders; the groups and the tracking check follow.</p>"),
            W.HBox([c["n_groups"], c["min_size"], c["max_size"]]), self.groups_text,
            self.outputs["groups"],
            W.HTML("<h4>Is grouping becoming tracking?</h4>"), self.tracking,
            W.HTML("<h3>Record the meeting</h3>"), self.record["box"], self.message,
        ])
        self.add_class("ck-grade-meeting")
        self.refresh()

    # ---------------------------------------------------------------- widgets
    def _record_widgets(self) -> dict:
        w = {
            "attendees": W.Text(placeholder="Ms. Rivera, Coach Lee", description="Attendees"),
            "kind": W.ToggleButtons(options=[("We notice", "notice"), ("We wonder", "wonder")],
                                    value="notice"),
            "text": W.Textarea(placeholder="We notice … / We wonder …",
                               layout=W.Layout(width="60%", height="60px")),
            "observe": W.Button(description="Record", button_style="info"),
            "action": W.Text(placeholder="Reteach 3.OA.A.1 in a small group", description="Action",
                             layout=W.Layout(width="60%")),
            "owner": W.Text(placeholder="Ms. Rivera", description="Owner"),
            "due": W.Dropdown(options=due_options(self._last_cycle(),
                                                  int(self.controls["cycle"].value)),
                              description="Due"),
            "students": W.SelectMultiple(options=[], rows=5, description="For"),
            "commit": W.Button(description="Add commitment", button_style="info"),
            "adopt": W.Button(description="Adopt these groups", button_style="success"),
            "adopt_label": W.HTML(),
            # a level set by hand: the teacher's professional judgment, on record
            "level_student": W.Dropdown(options=[], description="Student"),
            "level_target": W.Dropdown(options=[], description="Target",
                                       layout=W.Layout(width="60%")),
            "level": W.Dropdown(options=[(f"{n} · {w}", float(n))
                                         for n, w in sorted(LEVELS.items(), reverse=True)],
                                value=3.0, description="Level"),
            "level_by": W.Text(placeholder="Ms. Rivera", description="Set by"),
            "level_reason": W.Text(placeholder="observed in conference", description="Why",
                                   layout=W.Layout(width="60%")),
            "level_date": W.DatePicker(description="On"),
            "set_level": W.Button(description="Set level", button_style="warning"),
            "remove_level": W.Button(description="Remove level set by hand"),
            "levels": W.HTML(),
        }
        for k in ("observe", "commit", "adopt", "set_level", "remove_level"):
            w[k].add_class(f"ck-{k.replace('_', '-')}")
        w["observe"].on_click(lambda _: self.record_observation(w["text"].value, w["kind"].value))
        w["commit"].on_click(lambda _: self.record_commitment(w["action"].value, w["owner"].value,
                                                   w["due"].value, list(w["students"].value)))
        w["adopt"].on_click(lambda _: self.adopt_groups())
        w["set_level"].on_click(lambda _: self.set_level(
            w["level_student"].value, w["level_target"].value, w["level"].value,
            author=w["level_by"].value, reason=w["level_reason"].value,
            date=w["level_date"].value))
        w["remove_level"].on_click(lambda _: self.remove_level(
            w["level_student"].value, w["level_target"].value, by=w["level_by"].value))
        w["box"] = W.VBox([
            w["attendees"],
            W.HTML("<b>Notice and wonder</b> (describe before explaining)"),
            W.HBox([w["kind"]]), W.HBox([w["text"], w["observe"]]),
            W.HTML("<b>Commitments</b>: who does what before the next meeting"),
            w["action"], W.HBox([w["owner"], w["due"]]), w["students"], w["commit"],
            w["adopt_label"], w["adopt"],
            W.HTML("<b>A level set by hand</b>: the team's professional judgment on a "
                   "student's level, with who, when and why; removing it restores the "
                   "level the evidence gives"),
            W.HBox([w["level_student"], w["level"]]), w["level_target"],
            W.HBox([w["level_by"], w["level_date"]]), w["level_reason"],
            W.HBox([w["set_level"], w["remove_level"]]), w["levels"],
        ])
        return w

    def _last_cycle(self) -> int:
        return max(v for _, v in self.controls["cycle"].options)

    # ---------------------------------------------------------------- events
    def _school_changed(self, change):
        # the classroom dropdown moves to the school's first classroom, which refreshes
        self.controls["classroom"].options = classroom_options(self.path, change["new"])

    def _classroom_changed(self, change):
        if change["new"] is None:
            return
        subjects = subjects_of(self.path, change["new"])
        sw = self.controls["subject"]
        if list(sw.options) != subjects:
            with self.hold_trait_notifications():
                keep = sw.value if sw.value in subjects else subjects[0]
                sw.unobserve(self._view_changed, names="value")
                sw.options = subjects
                sw.value = keep
                sw.observe(self._view_changed, names="value")
        self.refresh()

    def _view_changed(self, change):
        self.refresh()

    def _sizes_changed(self, change):
        c = self.controls
        if c["min_size"].value > c["max_size"].value:        # keep min <= max
            other = "max_size" if change["owner"] is c["min_size"] else "min_size"
            c[other].value = change["new"]
            return                                          # that change regroups
        self.refresh_groups()

    # ---------------------------------------------------------------- drawing
    def refresh(self):
        """Redraw everything for the current classroom, subject, cycle and method: the
        data wall first, then the groups."""
        if "method" in self.controls:
            self.method = self.controls["method"].value
        self.method_note.value = f"<p>{html.escape(D.method_words(self.path, self.method))}</p>"
        self.state["overrides"] = self.overrides()
        self.refresh_wall()
        self.refresh_groups()
        self.refresh_meeting()
        self.refresh_plans()

    def refresh_wall(self):
        c = self.controls
        t0 = time.perf_counter()
        cid, subj, cyc, meth = c["classroom"].value, c["subject"].value, int(c["cycle"].value), self.method
        self.state["version"] += 1
        fig, rows, cols = wall(self.path, cid, cyc, meth, subj,
                               overrides=self.state.get("overrides", ()))
        set_figure(self.outputs["wall"], fig)
        self.marker.value = wall_marker(cid, subj, cyc, meth, rows, cols, self.state["version"])
        self.state.update(classroom=cid, subject=subj, cycle=cyc, method=meth, rows=rows, cols=cols)
        self.state["timings"]["wall"] = time.perf_counter() - t0

    def refresh_groups(self):
        c = self.controls
        t0 = time.perf_counter()
        res, fig, tracking, text = groups_part(
            self.path, c["classroom"].value, int(c["cycle"].value), self.method,
            c["subject"].value, c["n_groups"].value, c["min_size"].value, c["max_size"].value,
            self.state.get("overrides", ()))
        self.state["groups"] = res.groups if fig is not None else None
        self.state["groups_error"] = res.error
        set_figure(self.outputs["groups"], fig)
        self.groups_text.value = (f"<p class='ck-takeaway'><b>{html.escape(text)}</b></p>"
                                  + marker("", chart="groups", classroom=c["classroom"].value,
                                           subject=c["subject"].value,
                                           n_groups=int(res.groups["group"].nunique())
                                           if fig is not None else 0))
        self.tracking.value = tracking
        self.state["timings"]["groups"] = time.perf_counter() - t0

    def refresh_meeting(self):
        c = self.controls
        r = D.room(self.path, c["classroom"].value)
        ids = r.students["student_id"].astype(str)
        names = talk.student_names(r.students)           # same-name students told apart
        people = sorted(zip(names.reindex(ids).tolist(), ids))
        self.record["students"].options = people
        self._set_options(self.record["level_student"], people)
        grade = int(r.classrooms["grade"].iloc[0])
        tg = r.targets[(r.targets["grade"] == grade)
                       & (r.targets["subject"] == c["subject"].value)].sort_values("sequence")
        self._set_options(self.record["level_target"],
                          [(f"{t.code} {t.statement}", str(t.target_id))
                           for t in tg.itertuples(index=False)])
        cycle, last = int(c["cycle"].value), self._last_cycle()
        end = D.cycle_end(r, cycle).date()
        import datetime as dt
        self.record["level_date"].value = min(dt.date.today(), end)
        self.record["levels"].value = self._levels_html()
        self.record["due"].options = due_options(last, cycle)
        self.record["due"].value = self.record["due"].options[0][1]
        self.record["adopt_label"].value = (
            f"<b>Groups</b>: adopt the groups shown above for "
            f"{html.escape(talk.next_period(r.cycles, cycle))}")
        self.last_time.value = self._last_commitments()

    @staticmethod
    def _set_options(dropdown, options):
        keep = dropdown.value
        dropdown.options = options
        if keep in {v for _, v in options}:
            dropdown.value = keep

    def _levels_html(self) -> str:
        """The levels set by hand in this classroom, as the views show them."""
        key = self.state.get("overrides", ())
        if not key:
            return ""
        from ..store import describe_override
        r = D.room(self.path, self.controls["classroom"].value)
        names = talk.student_names(r.students)
        tg = r.targets.set_index(r.targets["target_id"].astype(str))
        end = D.cycle_end(r, int(self.controls["cycle"].value))
        rows = []
        for sid, tid, level, author, day, reason, _ in key:
            note = describe_override(author, day, reason)
            if pd.Timestamp(day) > end:
                note += " (after this cycle: not counted in it)"
            rows.append({"student": names.get(sid, "a student not in this class"),
                         "target": tg["code"].get(tid, "a target not in the continuum"),
                         "level": level, "": note})
        return ("<p><b>Levels set by hand</b> (the views use these in place of the "
                "computed level)</p>" + table_html(pd.DataFrame(rows),
                                                    formats={"level": "{:g}"}))

    def refresh_plans(self):
        """The plans due this cycle, placed before "Record the meeting" on first use."""
        if not hasattr(self, "plans_view"):
            self.plans_view = W.HTML()
            self.plans_view.add_class("ck-plans")
            kids = list(self.children)
            at = kids.index(self.record["box"]) - 1 if self.record["box"] in kids else len(kids)
            self.children = tuple(kids[:at] + [self.plans_view] + kids[at:])
        c = self.controls
        try:
            self.plans_view.value = plans_section(self.path, c["classroom"].value,
                                                  int(c["cycle"].value), self.method,
                                                  self.meeting_log(create=False))
        except Exception as e:                       # the dashboard still works without the log
            self.plans_view.value = (f"<p><i>Learning plans not available: "
                                     f"{html.escape(str(e))}</i></p>")

    # ---------------------------------------------------------------- meeting log
    def overrides(self) -> tuple:
        """The levels set by hand for this classroom's students, from the meeting log
        (empty without one): the key every view of the page is computed with."""
        try:
            log = self.meeting_log(create=False)
            if log is None:
                return ()
            ov = log.level_overrides()
        except Exception:                  # the dashboard still works without the log
            return ()
        r = D.room(self.path, self.controls["classroom"].value)
        return D.overrides_key(ov, r.students["student_id"])

    def _show(self, out):
        colour = "#1b7837" if out.ok else "#d7301f"
        self.message.value = (f"<p style='color:{colour}'>" + marker(out.message, ok=int(out.ok),
                              record_id=out.record_id or "") + "</p>")
        self.state["last_outcome"] = out
        return out

    def _student_recorder(self, student_id, who):
        from ..store import StudentRecorder
        return StudentRecorder(self.meeting_log(), str(student_id),
                               source="grade meeting dashboard", user=who)

    def set_level(self, student_id, target_id, level, *, author, reason, date=None):
        """Set a student's level on a target by hand (who, when, why) in the meeting
        log; every view of the page uses it from then on. ``date`` defaults to today, or
        the cycle's last day when the cycle shown is over. Returns the store Outcome."""
        from ..store import Outcome
        if student_id is None or target_id is None:
            return self._show(Outcome(False, "Not saved: pick a student and a target."))
        if date is None:
            date = self.record["level_date"].value
        out = self._show(self._student_recorder(student_id, author).set_level(
            target_id, level, reason=reason, date=date))
        if out.ok:
            self.record["level_reason"].value = ""
            self.refresh()
            self._show(out)
        return out

    def remove_level(self, student_id, target_id, *, by, note=None):
        """Remove the level set by hand: the computed level applies again."""
        from ..store import Outcome
        if student_id is None or target_id is None:
            return self._show(Outcome(False, "Not saved: pick a student and a target."))
        out = self._show(self._student_recorder(student_id, by).remove_level(target_id,
                                                                             note=note))
        if out.ok:
            self.refresh()
            self._show(out)
        return out

    def meeting_log(self, create: bool = True):
        """The MeetingLog (opened on first use; None if it does not exist yet and
        ``create`` is False)."""
        if self._log is None:
            if not create and self.db.startswith("sqlite:///") and \
                    not Path(self.db[len("sqlite:///"):]).exists():
                return None
            from ..store import MeetingLog
            self._log = MeetingLog(self.db, dataset=D.load(self.path))
        return self._log

    def _last_commitments(self) -> str:
        try:
            log = self.meeting_log(create=False)
            if log is None:
                return ""
            c = log.last_commitments(classroom_id=self.controls["classroom"].value,
                                     before_cycle=int(self.controls["cycle"].value))
        except Exception as e:                       # the dashboard still works without the log
            return f"<p><i>Meeting log not available: {html.escape(str(e))}</i></p>"
        if not len(c):
            return ""
        return ("<h3>Last time we committed to</h3>"
                + table_html(c[["cycle", "action", "owner", "due", "status", "follow_up"]]))

    def recorder(self):
        """A store.Recorder bound to this classroom and cycle's meeting (started on the
        first record, with the attendees typed so far)."""
        from ..store import Recorder
        c = self.controls
        key = (c["classroom"].value, int(c["cycle"].value))
        if self._recorder is None or self._recorder_key != key:
            r = D.room(self.path, key[0])
            room = r.classrooms.iloc[0]
            attendees = [a.strip() for a in self.record["attendees"].value.split(",") if a.strip()]
            log = self.meeting_log()
            m = log.start_meeting(school_id=str(room["school_id"]), grade=int(room["grade"]),
                                  classroom_id=key[0], cycle=key[1], attendees=attendees)
            self._recorder = Recorder(log, m, source="grade meeting dashboard")
            self._recorder_key = key
        return self._recorder

    def _run(self, what):
        from ..errors import CoachkitDataError
        from ..store import MeetingLogBusy, Outcome
        try:
            out = what(self.recorder())
        except (CoachkitDataError, MeetingLogBusy) as e:     # e.g. a bad attendee list
            out = Outcome(False, f"Not saved: {e}")
        return self._show(out)

    def record_observation(self, text, kind="notice"):
        """Record "we notice" / "we wonder" text; returns the store Outcome."""
        out = self._run(lambda rec: rec.observe(text, kind=kind))
        if out.ok:
            self.record["text"].value = ""
        return out

    def record_commitment(self, action, owner, due_cycle=None, student_ids=()):
        out = self._run(lambda rec: rec.commit(action=action, owner=owner, due_cycle=due_cycle,
                                               student_ids=list(student_ids)))
        if out.ok:
            self.record["action"].value = ""
        return out

    def adopt_groups(self):
        """Adopt the groups shown into the meeting log."""
        g = self.state.get("groups")
        if g is None:
            from ..store import Outcome
            out = Outcome(False, "No groups to adopt: adjust the sliders until groups appear.")
            self.message.value = f"<p style='color:#d7301f'>{html.escape(out.message)}</p>"
            return out
        return self._run(lambda rec: rec.adopt(g.copy()))


def grade_meeting_report(data=None, *, school=None, classroom=None, cycle: int = 6,
                         method: str | None = None, n_groups=None, min_size: int = 3,
                         max_size: int = 6) -> None:
    """The same content as static output for papermill/nbconvert: for each subject the
    data wall, the proposed groups and the tracking check."""
    from IPython.display import HTML, display

    from ..tables import say
    path = D.resolve(data)
    ds = D.load(path)
    classroom = talk.pick_classroom(ds, classroom, school)
    method = method or D.policy_method(path)
    say(D.method_words(path, method))
    for subj in subjects_of(path, classroom):
        fig, rows, cols = wall(path, classroom, int(cycle), method, subj)
        display(HTML(wall_marker(classroom, subj, int(cycle), method, rows, cols)))
        charts.show(fig)
        res, gfig, tracking, text = groups_part(path, classroom, cycle, method, subj,
                                                n_groups, min_size, max_size)
        say(text, strong=True)                     # escaped: text comes from data
        if gfig is not None:
            charts.show(gfig)
        if tracking:
            display(HTML(tracking))
