"""PowerSchool / PowerTeacher Pro standards grades (table StandardGradeSection).

Built from PowerSchool's documentation, not from a real export (none is public): the
PowerSchool Data Dictionary's StandardGradeSection table (StudentsDCID, SectionsDCID,
StandardID, StoreCode, YearID, StandardGrade, WhenModified …) joined, as Data Export Manager
writes it, to Students, Courses, Sections and Standard, headers as ``Table.Field``. The
bare field names (``StandardGrade``) and the aliases public sqlReports use ("Standard
Grade", "Standard Name", "Student Number", "Store Code") are read too.

``StandardGrade`` holds the teacher's standards grade for a reporting term (store code Q1,
S1 …): a number 1-4 or a level word is the level; ``--``, blank, NA and EX (exempt) are
skipped; other marks (letters such as M / P) need ``scale={"M": 3, …}``. The date is
``WhenModified`` when exported, else ``as_of`` (default: the file's date).
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pandas as pd

from ..coerce import LEVEL_WORDS
from .base import GradebookReader, GradebookRows, find_column, local_date, need_column, read_cells, register

GRADE = ("StandardGradeSection.StandardGrade", "StandardGrade", "Standard Grade")
STANDARD = ("Standard.Identifier", "Standard Identifier", "Identifier", "Standard.StandardID",
            "StandardID")
SKIP_MARKS = {"", "--", "-", "na", "n/a", "ex", "exempt", "ne", "not evaluated"}


def read_standard_grades(path: Path, *, as_of=None, scale=None) -> GradebookRows:
    label = str(path)
    df = read_cells(path)
    df.index = pd.RangeIndex(2, len(df) + 2)
    grade = need_column(df, label, "the standards grade", *GRADE)
    standard = need_column(df, label, "which standard", *STANDARD)
    student = need_column(df, label, "the student number", "Students.Student_Number",
                          "Student_Number", "Student Number", "StudentsDCID", "Students.DCID")
    name = find_column(df, "Students.LastFirst", "LastFirst", "Student Name", "lastFirst")
    course = find_column(df, "Courses.Course_Name", "Course_Name", "Course Name", "courseName")
    section = find_column(df, "Sections.Section_Number", "Section_Number", "Sections.DCID",
                          "SectionsDCID", "Section")
    std_name = find_column(df, "Standard.Name", "Standard Name", "standardName")
    store = find_column(df, "StandardGradeSection.StoreCode", "StoreCode", "Store Code")
    when = find_column(df, "StandardGradeSection.WhenModified", "WhenModified", "LastGradeUpdate")
    notes = []
    text = df[grade].fillna("").astype(str).str.strip()
    m = {str(k).strip().lower(): float(v) for k, v in (scale or {}).items()}
    num = pd.to_numeric(text, errors="coerce")
    level = text.str.lower().map(m) if m else pd.Series(float("nan"), index=df.index)
    level = level.fillna(num.where((num >= 1) & (num <= 4))).fillna(text.str.lower().map(LEVEL_WORDS))
    skip = text.str.lower().isin(SKIP_MARKS) & level.isna()
    bad = level.isna() & ~skip
    skipped = [{"table": "evidence", "file": label, "row": int(r), "column": grade, "value": v,
                "reason": "no standards grade (blank, --, NA or exempt)"}
               for r, v in zip(df.index[skip.to_numpy()], text[skip.to_numpy()])]
    rejected = [{"table": "evidence", "file": label, "row": int(r), "column": grade, "value": v,
                 "reason": "not a level 1-4 or a level word; pass scale={mark: level} for this "
                           "grade scale (e.g. {'M': 3, 'E': 4})"}
                for r, v in zip(df.index[bad.to_numpy()], text[bad.to_numpy()])]
    if when is not None:
        date = local_date(df[when])
        notes.append(f"dated by {when!r}")
    else:
        as_of = as_of or _dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
        date = pd.Series(str(pd.Timestamp(as_of).date()), index=df.index)
        notes.append(f"no WhenModified column: standards grades dated {as_of}; pass as_of= to "
                     f"date them (e.g. the reporting term's last day)")
    keep = (~skip & ~bad).to_numpy()
    d = df[keep]
    rows = pd.DataFrame({
        "student_key": d[student].astype(str).str.strip(),
        "student_name": d[name] if name else "", "course": d[course] if course else "",
        "section": d[section].astype(str) if section else "",
        "target_key": d[standard].astype(str).str.strip(),
        "target_name": (d[standard].astype(str) + " " + d[std_name].astype(str)) if std_name else d[standard],
        "date": date[keep], "score": level[keep].map(lambda x: f"{x:g}"),
        "assessment": d[store].map(lambda s: f"{s} standards grade") if store else "",
        "_row": d.index})
    rows.attrs["target_column"] = standard
    rows.attrs["kind"] = "summative"
    notes.append("a standards grade is the teacher's judgement for a reporting term: read as "
                 "summative evidence")
    return GradebookRows(rows.reset_index(drop=True), skipped, rejected, notes,
                         source="powerschool")


def _fits(h: list[str]) -> bool:
    low = {x.lower() for x in GRADE}
    return bool(low & set(h)) and bool({x.lower() for x in STANDARD} & set(h))


register(GradebookReader(
    "powerschool-standards", "PowerSchool / PowerTeacher Pro standards grades export", _fits,
    read_standard_grades, "PowerSchool Data Dictionary, table StandardGradeSection (documentation; "
    "no public export)"))
