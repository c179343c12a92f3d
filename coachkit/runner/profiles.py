"""Learner profiles for a school (or a classroom) written to a folder, with an index.

One page per student from the profile template (no notebook per student), so a whole
school takes seconds; the goals, plans and reflections come from the meeting log when one
is given. File names are safe slugs of the student ids; the index lists students by name.

    result = write_profiles("sample_data/district", cycle=6, out="profiles", school="S101",
                            language="es")
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from .. import profile
from ..i18n import check_language, t
from ..io import load_dataset
from .paths import inside, unique_slugs


@dataclass
class ProfilesResult:
    pages: int
    index: Path
    seconds: float


def log_tables(db) -> dict:
    """The meeting log's goals, plans, reflections and levels set by hand (none without a
    log)."""
    if db is None:
        return {}
    from ..store.log import MeetingLog
    log = MeetingLog(db)
    return {"goals": log.goals(), "plans": log.plans(), "reflections": log.reflections(),
            "overrides": log.level_overrides()}


def write_profiles(data, *, cycle: int, out, school=None, classroom=None, language: str = "en",
                   method: str | None = None, db=None) -> ProfilesResult:
    import time
    start = time.perf_counter()
    check_language(language)
    ds = load_dataset(data)
    ds.check_cycle(cycle)
    st = ds.students
    if school is not None:
        if str(school) not in set(ds.schools["school_id"].astype(str)):
            raise ValueError(f"school: expected a school_id of the data, got {school!r}")
        st = st[st["school_id"].astype(str) == str(school)]
    if classroom is not None:
        if str(classroom) not in set(ds.classrooms["classroom_id"].astype(str)):
            raise ValueError(f"classroom: expected a classroom_id of the data, got {classroom!r}")
        st = st[st["classroom_id"].astype(str) == str(classroom)]
    ids = st["student_id"].astype(str).tolist()
    profiles = profile.learner_profiles(ds, cycle, students=ids, method=method, **log_tables(db))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    slugs = unique_slugs(ids)
    rows = []
    for p in profiles:
        path = inside(out, slugs[p.student_id])
        path.write_text(profile.page(p, language=language), encoding="utf-8")
        s = p.student
        rows.append((f"{s['last_name']}, {s['first_name']}", str(s["classroom_id"]), path.name))
    index = out / "index.html"
    items = "".join(f"<tr><td><a href='{html.escape(f, quote=True)}'>{html.escape(n)}</a></td>"
                    f"<td>{html.escape(c)}</td></tr>" for n, c, f in sorted(rows))
    title = t("Learner profiles", language)
    index.write_text(
        f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'><title>{title}"
        f"</title></head><body style='font-family:Segoe UI,Helvetica,Arial,sans-serif'>"
        f"<h1>{title}</h1><p>{t('Cycle', language)} {int(cycle)}</p><table>"
        f"<thead><tr><th>{t('Student', language)}</th><th>{t('Class', language)}</th></tr></thead>"
        f"<tbody>{items}</tbody></table></body></html>", encoding="utf-8")
    return ProfilesResult(len(profiles), index, time.perf_counter() - start)
