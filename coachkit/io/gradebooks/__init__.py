"""Standards-based gradebooks' own export files -> evidence (and the people and targets in them).

Each reader knows one layout (docs/data-sources.md lists their columns and where each layout
comes from). Readers register themselves in :data:`READERS`; :func:`detect` picks the one
whose header fits a file, so ``load_dataset`` and ``coachkit validate`` take such a file (or
a dataset folder holding one in place of ``evidence.csv``) without being told its kind.

A reader turns its file into *long rows* (:class:`GradebookRows`): one per student, target
and assessment, with the file row it came from, plus the rows it skipped and why. The
shared :func:`gradebook_dataset` turns those into canonical tables: evidence, and (when no
roster is given) the students, classrooms, schools and targets the file names.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import CoachkitDataError
from .base import (GradebookNotice, GradebookReader, GradebookRows, READERS, detect, find_column, local_date, need_column, read_cells, read_header, register)

__all__ = ["GradebookReader", "GradebookRows", "GradebookNotice", "READERS", "register",
           "detect", "load_gradebook", "gradebook_dataset", "read_header", "read_cells",
           "find_column", "need_column", "local_date"]


def load_gradebook(path, *, errors: str = "raise", reader: str | None = None, roster=None,
                   targets=None, as_of=None, grade=None, kinds=None, scale: dict | None = None):
    """Read a gradebook export into a Dataset.

    ``reader`` names the layout (see :data:`READERS`); by default it is detected from the
    header. ``roster`` is a Dataset (``ck.load_dataset(folder)``) whose students the
    file's students are matched to; without one, students, classrooms and a school are made
    from the file (``grade=`` gives their grade when the course name does not). ``targets``
    is a targets table (or a CASE package path) matched by target id or code; without one
    targets are made from the file's outcomes / standards. ``as_of`` dates evidence from
    layouts without dates (Canvas Learning Mastery Gradebook). ``scale`` maps score values
    onto 1-4 (``{"M": 3, "E": 4}``) where a layout's values are not levels already.
    """
    from ..pipeline import check_errors
    check_errors(errors)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    r = READERS.get(reader) if reader else detect(path)
    if r is None:
        known = "; ".join(f"{x.name} ({x.title})" for x in READERS.values())
        raise CoachkitDataError(f"{path}: not a gradebook export coachkit knows (readers: {known})"
                                + (f"; no reader named {reader!r}" if reader else ""), file=str(path))
    rows = r.read(path, as_of=as_of, scale=scale)
    return gradebook_dataset(rows, r, file=str(path), errors=errors, roster=roster,
                             targets=targets, grade=grade, kinds=kinds)


def _note(message: str):
    warnings.warn(message, GradebookNotice, stacklevel=3)


def gradebook_dataset(g: GradebookRows, reader: GradebookReader, *, file: str, errors: str,
                      roster=None, targets=None, grade=None, kinds=None):
    from ...dataset import Dataset, no_problems, raise_first
    from ..pipeline import assemble, one_row_each
    from ..kinds import CategoryKinds, read_kind_map
    from ...schema import CORE_TABLES, TABLES
    _note(f"{file}: detected a {reader.title} (layout: {reader.layout_source})")
    for n in g.notes:
        _note(f"{file}: {n}")
    rows = g.rows.copy()
    kind_of = CategoryKinds(read_kind_map(kinds) if kinds is not None else None)
    problems = list(g.rejected)
    if isinstance(roster, (str, Path)):
        # the dispatcher reads folders (and calls this reader); a reader does not call it back
        raise ValueError(f"roster: expected a Dataset, got the path {str(roster)!r}; "
                         f"pass roster=ck.load_dataset({str(roster)!r})")
    if isinstance(targets, (str, Path)):
        from ..case import load_case
        targets = load_case(targets)
    parsed = {}
    # targets: given (matched by id or code) or made from the file's outcomes
    if targets is None and roster is not None and len(roster.targets):
        targets = roster.targets
    if targets is not None:
        lookup = dict(zip(targets["target_id"].astype(str), targets["target_id"].astype(str)))
        codes = targets["code"].astype(str)
        for code, tid in zip(codes, targets["target_id"].astype(str)):
            if (codes == code).sum() == 1:
                lookup.setdefault(code, tid)
        names = rows["target_name"].fillna("").astype(str)
        code_in_name = names.str.extract(r"^\s*([^\s:]+)")[0].fillna("")
        tid = rows["target_key"].astype(str).map(lookup)
        tid = tid.fillna(code_in_name.map(lookup)).fillna(names.map(lookup))
        unknown = tid.isna().to_numpy()
        for i in np.flatnonzero(unknown):
            problems.append({"table": "evidence", "file": file, "row": int(rows["_row"].iat[i]),
                             "column": g.rows.attrs.get("target_column", "target"),
                             "value": rows["target_name"].iat[i] or rows["target_key"].iat[i],
                             "reason": "not a target in the targets given; add it to the framework "
                                       "or correct the outcome's code"})
        rows["target_id"] = tid
        rows = rows[~unknown]
        parsed["targets"] = (targets.reset_index(drop=True), no_problems(), "targets given")
    else:
        rows["target_id"] = rows["target_key"].astype(str)
    # people: the roster's, or made from the file
    if roster is not None:
        for name in ("schools", "classrooms", "students"):
            parsed[name] = (getattr(roster, name).reset_index(drop=True), no_problems(), "roster")
        known = dict(zip(roster.students["student_id"].astype(str), roster.students["student_id"].astype(str)))
        rows["student_id"] = rows["student_key"].astype(str).map(known)
    else:
        rows["student_id"] = rows["student_key"].astype(str)
    if targets is None:
        parsed["targets"] = _made_targets(rows, file, grade)
    if roster is None:
        parsed.update(_made_people(rows, file, grade))
    fixed = g.rows.attrs.get("kind")
    kind = pd.Series(fixed, index=rows.index) if fixed else \
        rows["assessment"].fillna("").map(lambda t: kind_of.kind(t))
    ev = pd.DataFrame({"student_id": rows["student_id"], "target_id": rows["target_id"],
                       "date": rows["date"], "score": rows["score"], "kind": kind,
                       "source": g.source})
    if kind_of.seen:
        _note(f"{file}: assessments read as evidence kinds: {kind_of.describe()}")
    from ..pipeline import coerce_table
    df, probs = coerce_table(ev.fillna("").astype(str).reset_index(drop=True), "evidence",
                             file=file, first_row=0)
    pos = rows["_row"].to_numpy()
    df.index = pd.RangeIndex(len(df))
    parsed["evidence"] = (df, probs, file)
    ds = assemble(parsed, errors="report", source=file)
    rej = ds.rejected.copy()
    mask = (rej["table"] == "evidence") & (rej["file"] == file)
    rej.loc[mask, "row"] = [pos[int(x)] for x in rej.loc[mask, "row"]]
    extra = pd.DataFrame(problems) if problems else no_problems()
    rejected = pd.concat([x for x in (one_row_each(extra), rej) if len(x)] or [no_problems()],
                         ignore_index=True)
    skipped = pd.DataFrame(g.skipped) if g.skipped else no_problems()
    for why, n in (skipped["reason"].value_counts().items() if len(skipped) else []):
        _note(f"{file}: {n} rows skipped: {why}")
    if errors == "raise":
        raise_first(rejected, reader.title)
    ds = ds.replace(rejected=rejected)
    object.__setattr__(ds, "source", file)
    ds.evidence.attrs["skipped"] = skipped
    return ds


def _made_targets(rows, file, grade):
    from ...dataset import no_problems
    from ..pipeline import coerce_table
    first = rows.drop_duplicates("target_id")
    course_grade = first["course"].fillna("").map(_grade_in) if grade is None else None
    t = pd.DataFrame({
        "target_id": first["target_id"].astype(str),
        "subject": first["course"].fillna("").map(_subject_in).replace("", "unknown"),
        "grade": (course_grade.replace("", str(grade or "")) if course_grade is not None
                  else str(grade)),
        "sequence": [str(i) for i in range(1, len(first) + 1)],
        "unit": first["course"].fillna("").replace("", "unknown"),
        "code": first["target_name"].fillna("").str.extract(r"^\s*([^\s:]+)")[0].fillna(first["target_id"]),
        "statement": first["target_name"].fillna("").replace("", None).fillna(first["target_id"]),
    })
    _note(f"{file}: {len(t)} targets made from the file's outcomes/standards; pass targets= "
          f"(a CASE package or targets table) for the district's codes and statements")
    df, probs = coerce_table(t.fillna("").astype(str).reset_index(drop=True), "targets",
                             file=f"{file} (targets made from it)", first_row=0)
    if len(probs):
        probs["reason"] = probs["reason"].str.replace(
            "grade is required", "grade is required: the course name gives none; pass grade=")
    return df, probs, f"{file} (targets made from it)"


def _made_people(rows, file, grade):
    from ..pipeline import coerce_table
    out = {}
    school = pd.DataFrame({"school_id": ["gradebook-school"], "name": ["(school not in the export)"]})
    out["schools"] = (*coerce_table(school, "schools", first_row=0), "made")
    cls_key = rows["section"].fillna("").where(rows["section"].fillna("") != "", rows["course"].fillna(""))
    rows = rows.assign(_cls=cls_key.replace("", "gradebook-class"))
    cls = rows.drop_duplicates("_cls")
    g = cls["course"].fillna("").map(_grade_in)
    if grade is not None:
        g = g.replace("", str(grade))
    classrooms = pd.DataFrame({"classroom_id": cls["_cls"].astype(str), "school_id": "gradebook-school",
                               "grade": g.astype(str), "teacher": "(no teacher listed)",
                               "subject": cls["course"].fillna("").map(_subject_in)})
    df, probs = coerce_table(classrooms.reset_index(drop=True), "classrooms",
                             file=f"{file} (classes made from it)", first_row=0)
    if len(probs):
        probs["reason"] = probs["reason"].str.replace(
            "grade is required", "grade is required: the course name gives none; pass grade=")
    out["classrooms"] = (df, probs, f"{file} (classes made from it)")
    st = rows.drop_duplicates("student_id")
    last, first = _split_name(st["student_name"].fillna(""))
    grade_of = dict(zip(classrooms["classroom_id"], classrooms["grade"]))
    students = pd.DataFrame({
        "student_id": st["student_id"].astype(str), "first_name": first, "last_name": last,
        "grade": st["_cls"].map(grade_of).fillna(""), "classroom_id": st["_cls"],
        "school_id": "gradebook-school", "ell": "false", "iep": "false", "home_language": "unknown"})
    df, probs = coerce_table(students.reset_index(drop=True), "students",
                             file=f"{file} (students made from it)", first_row=0)
    out["students"] = (df, probs, f"{file} (students made from it)")
    _note(f"{file}: no roster given: {len(students)} students and {len(classrooms)} classes made "
          f"from the file (ell/iep false, home language unknown); pass roster= (a dataset or "
          f"OneRoster export) to use the district's")
    return out


def _split_name(names: pd.Series):
    """'Soto, Ana' -> ('Soto', 'Ana'); 'Ana Soto' -> ('Soto', 'Ana')."""
    comma = names.str.contains(",")
    last = np.where(comma, names.str.split(",").str[0].str.strip(), names.str.split().str[-1].fillna(""))
    first = np.where(comma, names.str.split(",", n=1).str[-1].str.strip(),
                     names.str.rsplit(n=1).str[0].where(names.str.contains(" "), ""))
    return pd.Series(last, index=names.index).replace("", "(no name)"), pd.Series(first, index=names.index)


def _grade_in(course: str) -> str:
    m = re.search(r"\b(?:grade|gr\.?)\s*(K|\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th)\s+grade\b|\bkindergarten\b",
                  str(course), re.I)
    if not m:
        return ""
    if m.group(0).lower() == "kindergarten":
        return "K"
    return m.group(1) or m.group(2)


def _subject_in(course: str) -> str:
    words = {"math": "math", "mathematics": "math", "ela": "ela", "english": "ela", "reading": "ela",
             "science": "science", "social studies": "social studies", "history": "social studies"}
    low = str(course).lower()
    return next((v for k, v in words.items() if re.search(rf"\b{k}\b", low)), "")


# the readers register themselves on import
from . import canvas, powerschool  # noqa: E402,F401  (each registers its reader)
