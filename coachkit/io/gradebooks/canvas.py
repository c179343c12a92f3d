"""Canvas LMS: the Outcome Results account report and the Learning Mastery Gradebook export.

Layouts from Canvas's own code (instructure/canvas-lms, AGPL): the account report's header
list in ``gems/plugins/account_reports/lib/account_reports/outcome_reports.rb``
(``outcome_results``) and the gradebook export in ``lib/api/v1/outcome_results.rb``
(``outcome_results_rollups_csv``). See docs/data-sources.md.

Scores: Canvas scores outcomes in the outcome's points. Its default proficiency scale is
4 Exceeds Mastery, 3 Mastery, 2 Near Mastery, 1 Below Mastery, 0 No Evidence, so a score
of 1-4 is read as the level itself; 0 ("no evidence") is skipped. Where the file gives the
outcome's mastery points (the gradebook export does, per outcome), a score is put on
coachkit's scale with mastery points landing on 3: level = score x 3 / mastery points,
kept within 1-4. ``scale={value: level}`` overrides both.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import CoachkitDataError
from .base import (GradebookReader, GradebookRows, find_column, local_date, need_column, read_cells,
               register)

OUTCOME_RESULTS = ("student name", "student id", "student sis id", "assessment title",
                   "assessment id", "assessment type", "submission date", "submission score",
                   "learning outcome name", "learning outcome id", "attempt", "outcome score",
                   "assessment question", "assessment question id", "course name", "course id",
                   "course sis id")


def _levels(raw: pd.Series, mastery: pd.Series | None, scale: dict | None):
    """(level text, skip mask, bad mask) for Canvas outcome scores."""
    text = raw.fillna("").astype(str).str.strip()
    num = pd.to_numeric(text, errors="coerce")
    if scale:
        m = {str(k).strip().lower(): float(v) for k, v in scale.items()}
        level = text.str.lower().map(m)
        level = level.fillna(num.map(lambda x: m.get(f"{x:g}") if x == x else None))
        bad = level.isna() & (text != "")
        return level.map(lambda x: f"{x:g}" if x == x else ""), text == "", bad
    if mastery is not None:
        mp = pd.to_numeric(mastery, errors="coerce")
        scaled = (num * 3 / mp).where(mp > 0)
        num = scaled.where(mp.notna() & (mp != 3), num)
    skip = (text == "") | (num == 0)
    level = num.clip(1, 4) if mastery is not None else num
    bad = ~skip & (level.isna() | (level < 1) | (level > 4))
    return level.map(lambda x: f"{x:.6g}" if x == x else ""), skip, bad


def _skips(df, mask, label, column, reason):
    return [{"table": "evidence", "file": label, "row": int(r), "column": column, "value": v,
             "reason": reason} for r, v in zip(df.index[mask], df[column][mask] if column in df else [None] * int(mask.sum()))]


def read_outcome_results(path: Path, *, as_of=None, scale=None) -> GradebookRows:
    label = str(path)
    df = read_cells(path)
    df.index = pd.RangeIndex(2, len(df) + 2)
    if len(df) == 1 and str(df.iloc[0, 0]).strip() == "No outcomes found":
        df = df.iloc[0:0]
    c = {k: need_column(df, label, what, k) for k, what in (
        ("student id", "the Canvas user id"), ("learning outcome id", "which outcome"),
        ("outcome score", "the result"), ("submission date", "when"))}
    sis = find_column(df, "student sis id")
    key = df[c["student id"]].astype(str).str.strip()
    if sis is not None:
        key = df[sis].astype(str).str.strip().where(df[sis].astype(str).str.strip() != "", key)
    points = find_column(df, "learning outcome mastery points", "learning outcome points possible")
    level, skip, bad = _levels(df[c["outcome score"]], None, scale)
    date = local_date(df[c["submission date"]])
    skipped = _skips(df, skip.to_numpy(), label, c["outcome score"],
                     "no outcome score (aligned but not assessed, or 0 = no evidence)")
    bad &= ~skip
    rejected = [{"table": "evidence", "file": label, "row": int(r), "column": c["outcome score"],
                 "value": v, "reason": "not a level 1-4 (Canvas's default proficiency scale); pass "
                 "scale={score: level} for this outcome scale"}
                for r, v in zip(df.index[bad.to_numpy()], df[c["outcome score"]][bad.to_numpy()])]
    keep = (~skip & ~bad).to_numpy()
    course = find_column(df, "course name")
    section = find_column(df, "section sis id", "section id", "course sis id", "course id")
    title = find_column(df, "assessment title", "assignment title")
    name = find_column(df, "learning outcome friendly name", "learning outcome name")
    d = df[keep]
    rows = pd.DataFrame({
        "student_key": key[keep], "student_name": d[find_column(df, "student name")] if find_column(df, "student name") else "",
        "course": d[course] if course else "", "section": d[section] if section else "",
        "target_key": d[c["learning outcome id"]].astype(str).str.strip(),
        "target_name": d[name] if name else "", "date": date[keep], "score": level[keep],
        "assessment": d[title] if title else "", "_row": d.index})
    rows.attrs["target_column"] = c["learning outcome id"]
    notes = ["outcome scores read as levels 1-4 (Canvas's default proficiency scale; 0 = no "
             "evidence, skipped)" if not scale else f"outcome scores read through scale={scale}",
             f"students matched by {'student sis id (else student id)' if sis else 'student id'}; "
             f"each assessment title read as an evidence kind"]
    if points:
        notes.append(f"column {points!r} present but not used: scores are taken as levels")
    return GradebookRows(rows.reset_index(drop=True), skipped, rejected, notes, source="canvas")


def _fits_outcome_results(h: list[str]) -> bool:
    return {"student name", "learning outcome id", "outcome score"} <= set(h)


def read_mastery_gradebook(path: Path, *, as_of=None, scale=None) -> GradebookRows:
    """One row per student; per outcome a '<path> result' and a '<path> mastery points' column."""
    label = str(path)
    df = read_cells(path)
    df.index = pd.RangeIndex(2, len(df) + 2)
    sid = need_column(df, label, "the Canvas user id", "Student ID")
    name = find_column(df, "Student name")
    sis = find_column(df, "Student SIS ID")
    section = find_column(df, "Section", "Section name")
    results = [c for c in df.columns if str(c).endswith(" result")]
    if not results:
        raise CoachkitDataError(f"{label}, row 1 (the header): no '<outcome> result' columns; a "
                                f"Learning Mastery Gradebook export has one per outcome",
                                file=label, row=1, column="result")
    notes = []
    if as_of is None:
        as_of = _dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
        notes.append(f"a Learning Mastery Gradebook export is a snapshot without dates: evidence "
                     f"dated {as_of} (the file's date); pass as_of='YYYY-MM-DD' to date it")
    else:
        notes.append(f"a snapshot without dates: evidence dated as_of={as_of}")
    as_of = str(pd.Timestamp(as_of).date())
    parts, skipped, rejected = [], [], []
    key = df[sid].astype(str).str.strip()
    if sis is not None:
        key = df[sis].astype(str).str.strip().where(df[sis].astype(str).str.strip() != "", key)
    for col in results:
        outcome = str(col)[: -len(" result")]
        mp_col = next((c for c in df.columns if str(c) == f"{outcome} mastery points"), None)
        mastery = df[mp_col] if mp_col is not None else None
        level, skip, bad = _levels(df[col], mastery, scale)
        skipped += _skips(df, skip.to_numpy(), label, col, "no result for this outcome")
        bad &= ~skip
        rejected += [{"table": "evidence", "file": label, "row": int(r), "column": col, "value": v,
                      "reason": "not a number of outcome points; pass scale={value: level}"}
                     for r, v in zip(df.index[bad.to_numpy()], df[col][bad.to_numpy()])]
        keep = (~skip & ~bad).to_numpy()
        d = df[keep]
        parts.append(pd.DataFrame({
            "student_key": key[keep], "student_name": d[name] if name else "",
            "course": outcome.split(" > ")[0].strip() if " > " in outcome else "",
            "section": d[section] if section else "",
            "target_key": outcome.split(" > ")[-1].strip(), "target_name": outcome.split(" > ")[-1].strip(),
            "date": as_of, "score": level[keep], "assessment": "", "_row": d.index}))
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    rows.attrs["target_column"] = "<outcome> result"
    rows.attrs["kind"] = "summative"
    notes.append(f"{len(results)} outcomes; each result is Canvas's rollup of the outcome (read as "
                 f"summative evidence), put on 1-4 with the outcome's mastery points at 3")
    return GradebookRows(rows, skipped, rejected, notes, source="canvas mastery gradebook")


def _fits_mastery(h: list[str]) -> bool:
    return len(h) > 2 and h[0] == "student name" and h[1] == "student id" and \
        any(x.endswith(" result") for x in h) and any(x.endswith(" mastery points") for x in h)


register(GradebookReader(
    "canvas-outcome-results", "Canvas Outcome Results report", _fits_outcome_results,
    read_outcome_results,
    "instructure/canvas-lms gems/plugins/account_reports/lib/account_reports/outcome_reports.rb"))
register(GradebookReader(
    "canvas-mastery-gradebook", "Canvas Learning Mastery Gradebook export", _fits_mastery,
    read_mastery_gradebook, "instructure/canvas-lms lib/api/v1/outcome_results.rb"))
