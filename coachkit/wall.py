"""The class data wall students post: a poster for the classroom itself.

As in the case study's kindergarten room, each student has a row of stickers, one per
goal met (and, only if the teacher chooses, one per target shown this cycle). Students
appear by first name or by a number the teacher gives them; nothing else about a
student (no last name, no level, no id) is on the poster unless the teacher asks.

    html = ck.wall.class_wall(ds, "S101-KA", cycle=6, goals=log_goals, label="number")
"""
from __future__ import annotations

import pandas as pd

from . import progress, talk
from .dataset import Dataset
from .i18n import check_language, t
from .profile import environment
from .schema import grade_label

LABELS = ("first_name", "number")
COUNTS = ("goals_met", "targets_shown")


def wall_rows(ds: Dataset, classroom_id: str, cycle: int, *, label: str = "first_name",
              numbers: dict | None = None, show=("goals_met",), goals=None,
              method: str | None = None, kinds=progress.COUNTED) -> pd.DataFrame:
    """One row per student of the classroom: the label the teacher chose and the counts
    the teacher chose to show (columns named after SHOW). No other student data.
    Targets shown by the district policy's mastery (``method``/``kinds`` override it)."""
    if label not in LABELS:
        raise ValueError(f"label: expected one of {LABELS}, got {label!r}")
    bad = [s for s in show if s not in COUNTS]
    if bad:
        raise ValueError(f"show: expected some of {COUNTS}, got {bad}")
    students = ds.students[ds.students["classroom_id"].astype(str) == str(classroom_id)]
    if not len(students):
        raise ValueError(f"classroom_id: expected a classroom of the dataset, got {classroom_id!r}")
    students = students.sort_values(["first_name", "last_name", "student_id"])
    ids = students["student_id"].astype(str).tolist()
    if label == "number":
        numbers = {str(k): v for k, v in (numbers or {}).items()}
        names = [str(numbers.get(sid, i + 1)) for i, sid in enumerate(ids)]
    else:
        names = students["first_name"].astype(str).tolist()
    out = pd.DataFrame({"label": names})
    if "goals_met" in show:
        met = pd.Series(0, index=ids)
        if goals is not None and len(goals) and "met_on" in goals:
            g = goals[goals["student_id"].astype(str).isin(ids) & goals["met_on"].notna()]
            met = met.add(g.groupby(g["student_id"].astype(str)).size(), fill_value=0)
        out["goals_met"] = met.reindex(ids).fillna(0).astype(int).to_numpy()
    if "targets_shown" in show:
        cycles = ds.cycles.sort_values("start").set_index(ds.cycles["cycle_id"].astype(int))
        ev = ds.evidence[ds.evidence["student_id"].astype(str).isin(ids)]

        args = talk.mastery_args(ds, method, kinds=kinds)

        def mastery_through(end):
            return progress.mastery(ev[ev["date"] <= end], **args)
        earlier = cycles.index[cycles.index < int(cycle)]
        before = mastery_through(cycles.loc[earlier.max(), "end"]) if len(earlier) else None
        new = progress.newly_mastered(mastery_through(cycles.loc[int(cycle), "end"]), before)
        counts = new.groupby(new["student_id"].astype(str), observed=True).size()
        out["targets_shown"] = counts.reindex(ids).fillna(0).astype(int).to_numpy()
    return out.sort_values("label", kind="stable", ignore_index=True) if label == "number" else out


def class_wall(ds: Dataset, classroom_id: str, cycle: int, *, language: str = "en",
               title: str | None = None, **options) -> str:
    """The poster as a whole HTML page (print it at poster size, landscape)."""
    check_language(language)
    rows = wall_rows(ds, classroom_id, cycle, **options)
    room = ds.classrooms[ds.classrooms["classroom_id"].astype(str) == str(classroom_id)].iloc[0]
    counts = [c for c in COUNTS if c in rows.columns]
    return environment(language).get_template("wall.html.j2").render(
        lang=language, title=title or t("Our class goals", language),
        grade=grade_label(room["grade"]), cycle_id=int(cycle), counts=counts,
        rows=rows.to_dict("records"))
