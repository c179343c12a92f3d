"""A realistic, deterministic synthetic district, modelled on the case-study district:
small, rural, K-12, mostly Hispanic/Latino families, a share of English learners and
students with IEPs, standards-based grading on a 1–4 scale with retakes until proficient.

The year is six six-week cycles. Each student moves along the math and the ELA continuum
of their grade at their own pace (some accelerate, some stall): for every target they
reach they get one or two formative checks, a summative check and retakes until they
score proficient (or the year ends), plus the odd observation or self-assessment.
Generation is vectorized per school and grade; each school draws from its own seeded
stream, so the output depends only on (n_students, seed).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..dataset import Dataset
from ..schema import CONDITIONS, TABLES, grade_label
from .continuum import make_targets
from .names import (FIRST_FEMALE, FIRST_MALE, FIRST_OTHER, LAST_HISPANIC, LAST_OTHER,
                    SCHOOL_NAMES)
from .surveys import make_conditions, make_survey

YEAR_START = pd.Timestamp("2025-08-04")   # a Monday; Arizona schools start early August
CYCLE_DAYS = 42
N_CYCLES = 6
SCHOOL_YEAR = "2025-26"
WEEKS = N_CYCLES * CYCLE_DAYS / 7
YEAR_END = YEAR_START + pd.Timedelta(days=N_CYCLES * CYCLE_DAYS - 1)
LEVELS = {"elementary": range(0, 6), "middle": range(6, 9), "high": range(9, 13)}
PER_SCHOOL = {"elementary": 450, "middle": 600, "high": 900}


def make_cycles() -> pd.DataFrame:
    starts = YEAR_START + pd.to_timedelta(np.arange(N_CYCLES) * CYCLE_DAYS, unit="D")
    return pd.DataFrame({"cycle_id": np.arange(1, N_CYCLES + 1, dtype="int16"),
                         "start": starts, "end": starts + pd.Timedelta(days=CYCLE_DAYS - 1),
                         "school_year": SCHOOL_YEAR})


def plan_schools(n_students: int) -> list[dict]:
    """How many schools of each level, and how many students in each grade of each."""
    per_grade = n_students / 13
    plan = []
    for level, grades in LEVELS.items():
        n_level = per_grade * len(grades)
        n_schools = max(1, round(n_level / PER_SCHOOL[level]))
        names = SCHOOL_NAMES[level]
        for i in range(n_schools):
            name = names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "")
            plan.append(dict(level=level, name=name, grades=list(grades),
                             per_grade=n_level / n_schools / len(grades)))
    # hand out students so the total is exactly n_students
    sizes = np.array([[p["per_grade"]] * len(p["grades"]) for p in plan], dtype=object)
    flat = np.concatenate([np.array(s, dtype=float) for s in sizes])
    counts = np.floor(flat).astype(int)
    counts[np.argsort(-(flat - counts), kind="stable")[: n_students - counts.sum()]] += 1
    k = 0
    for i, p in enumerate(plan):
        p["school_id"] = f"S{101 + i}"
        p["counts"] = counts[k: k + len(p["grades"])]
        k += len(p["grades"])
    return plan


def _school_days(dates: np.ndarray) -> np.ndarray:
    """Move Saturday to Friday and Sunday to Monday."""
    dow = (dates.astype("datetime64[D]").view("int64") - 4) % 7   # 1970-01-01 was a Thursday
    shift = np.where(dow == 5, -1, np.where(dow == 6, 1, 0))
    return dates + shift.astype("timedelta64[D]")


def _students(rng, school: dict, grade: int, count: int, first_id: int) -> pd.DataFrame:
    n_class = max(1, int(np.ceil(count / 28)))
    hispanic = rng.random(count) < 0.86
    female = rng.random(count) < 0.5
    first = np.where(female, rng.choice(FIRST_FEMALE, count), rng.choice(FIRST_MALE, count))
    first = np.where(~hispanic & (rng.random(count) < 0.8), rng.choice(FIRST_OTHER, count), first)
    last = np.where(hispanic, rng.choice(LAST_HISPANIC, count), rng.choice(LAST_OTHER, count))
    ell = hispanic & (rng.random(count) < (0.34 if grade <= 5 else 0.18))
    spanish_home = hispanic & (ell | (rng.random(count) < 0.35))
    home = np.where(spanish_home, "Spanish", "English")
    home = np.where(rng.random(count) < 0.01, "O'odham", home)
    age_days = ((5 + grade) * 365.25 + rng.integers(30, 395, count)).astype(int)
    birth = pd.Timestamp("2025-09-01") - pd.to_timedelta(age_days, unit="D")
    section = np.sort(np.arange(count) % n_class)
    return pd.DataFrame({
        "student_id": [str(first_id + i) for i in range(count)],
        "first_name": first, "last_name": last, "grade": np.int8(grade),
        "classroom_id": [f"{school['school_id']}-{grade_label(grade)}{'ABCDEFGHIJ'[s % 10]}"
                         + (str(s // 10) if s >= 10 else "") for s in section],
        "school_id": school["school_id"], "ell": ell, "iep": rng.random(count) < 0.12,
        "home_language": home, "birth_date": birth.normalize(),
    })


def _evidence(rng, students: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Evidence for one grade of one school, for both subjects, vectorized over pairs."""
    n = len(students)
    ability = rng.normal(0, 1, n) - 0.35 * students["ell"].to_numpy() - 0.45 * students["iep"].to_numpy()
    parts = []
    for subject, tg in targets.groupby("subject", sort=True, observed=True):
        tg = tg.sort_values("sequence")
        m = len(tg)
        skill = ability + rng.normal(0, 0.5, n)
        # pace: share of the continuum covered per school year; some accelerate, some stall
        pace = np.clip(np.exp(0.28 * skill + rng.normal(0, 0.18, n)), 0.45, 1.6)
        stall = rng.random(n) < 0.08
        start = rng.uniform(0.0, 1.2, n)                      # weeks before first target
        weeks_per_target = (WEEKS - 2) / m / pace
        # week each target is reached; a staller loses momentum half way through
        j = np.arange(m)
        reach = start[:, None] + weeks_per_target[:, None] * j[None, :]
        half = WEEKS / 2
        reach = np.where(stall[:, None] & (reach > half), half + (reach - half) * 2.2, reach)
        reached = reach < WEEKS - 0.5
        si, ti = np.nonzero(reached)
        k = len(si)
        week = reach[si, ti]
        difficulty = rng.normal(0, 0.35, m)[ti]
        base = 2.65 + 0.5 * skill[si] - difficulty
        day0 = YEAR_START.to_datetime64() + (week * 7).astype("timedelta64[D]")
        rows_s, rows_t, rows_d, rows_score, rows_kind = [], [], [], [], []

        def emit(mask, days, score, kind):
            rows_s.append(si[mask]); rows_t.append(ti[mask])
            rows_d.append(_school_days(day0[mask] + days[mask].astype("timedelta64[D]")))
            rows_score.append(np.clip(np.round(score[mask] * 2) / 2, 1, 4))
            rows_kind.append(np.full(mask.sum(), kind))

        all_ = np.ones(k, bool)
        emit(all_, rng.integers(0, 3, k), base - 0.6 + rng.normal(0, 0.55, k), "formative")
        second = rng.random(k) < 0.5
        emit(second, rng.integers(3, 6, k), base - 0.3 + rng.normal(0, 0.5, k), "formative")
        summ_day = rng.integers(6, 10, k)
        score = base + rng.normal(0, 0.55, k)
        emit(all_, summ_day, score, "summative")
        # retakes until proficient (up to five), each after re-teaching
        needs = np.clip(np.round(score * 2) / 2, 1, 4) < 3
        day = summ_day.astype(float)
        for r in range(5):
            day = day + rng.integers(4, 9, k)
            in_year = week + day / 7 < WEEKS
            score = base + 0.55 * (r + 1) + rng.normal(0, 0.5, k)
            retake = needs & in_year
            emit(retake, day.astype(int), score, "retake")
            needs = retake & (np.clip(np.round(score * 2) / 2, 1, 4) < 3)
        # still not proficient: the teacher comes back to it weeks later, after small-group
        # re-teaching, and most students show it then
        later = day + rng.integers(21, 56, k)
        back = needs & (week + later / 7 < WEEKS)
        emit(back, later.astype(int), base + 1.9 + rng.normal(0, 0.45, k), "retake")
        needs = needs & ~back
        # a later check on the same target: proficient students usually show it again
        # (a unit test or spiral review), which is what makes mastery stick in the gradebook
        proficient = ~needs & (rng.random(k) < 0.97)
        day = day + rng.integers(5, 13, k)
        emit(proficient & (week + day / 7 < WEEKS), day.astype(int),
             np.maximum(base + 1.3, 3.5) + rng.normal(0, 0.3, k), "summative")
        obs = rng.random(k) < 0.12
        emit(obs, rng.integers(1, 8, k), base + rng.normal(0, 0.6, k), "observation")
        self_ = rng.random(k) < 0.08
        emit(self_, rng.integers(1, 8, k), base + 0.3 + rng.normal(0, 0.7, k), "self")
        s = np.concatenate(rows_s)
        part = pd.DataFrame({
            "student_id": students["student_id"].to_numpy()[s],
            "target_id": tg["target_id"].to_numpy()[np.concatenate(rows_t)],
            "date": np.concatenate(rows_d), "score": np.concatenate(rows_score).astype("float32"),
            "kind": np.concatenate(rows_kind),
            "source": f"{subject} gradebook",
        })
        parts.append(part[part["date"] <= YEAR_END])   # the year is over
    return pd.concat(parts, ignore_index=True)


GRADE_BASE = np.array([360, 400, 430, 460, 480, 500, 515, 530, 545, 560, 570, 580, 590])
DOMAINS = {"math": ["Number and Operations", "Algebra and Algebraic Thinking",
                    "Measurement and Data", "Geometry"],
           "ela": ["Phonological Awareness and Phonics", "Vocabulary",
                   "Comprehension: Literature", "Comprehension: Informational Text"]}
WINDOWS = [pd.Timestamp("2025-08-25"), pd.Timestamp("2025-12-08"), pd.Timestamp("2026-04-06")]


def _diagnostics(rng, students: pd.DataFrame) -> pd.DataFrame:
    """Three diagnostic windows a year (fall, winter, spring), four domains per subject."""
    n = len(students)
    grade = students["grade"].to_numpy().astype(int)
    ability = rng.normal(0, 1, n)
    out = []
    for subject, domains in DOMAINS.items():
        for w, when in enumerate(WINDOWS):
            for domain in domains:
                score = GRADE_BASE[grade] - 25 + 22 * ability + 14 * w + rng.normal(0, 9, n)
                levels_below = np.clip(np.floor((GRADE_BASE[grade] + 12 * w - score) / 25), 0, 3)
                placement = np.where(levels_below <= 0, np.where(score > GRADE_BASE[grade] + 12 * w + 10,
                                     "Mid or Above Grade Level", "Early On Grade Level"),
                                     np.where(levels_below == 1, "1 Grade Level Below",
                                              np.where(levels_below == 2, "2 Grade Levels Below",
                                                       "3 or More Grade Levels Below")))
                out.append(pd.DataFrame({
                    "student_id": students["student_id"].to_numpy(), "subject": subject,
                    "domain": domain,
                    "date": _school_days((when + pd.to_timedelta(rng.integers(0, 5, n), unit="D")).to_numpy()),
                    "scale_score": np.round(score).astype("float32"), "placement": placement}))
    return pd.concat(out, ignore_index=True)


def _teacher(rng) -> str:
    return f"{rng.choice(['Ms.', 'Mr.', 'Mrs.'])} {rng.choice(LAST_HISPANIC + LAST_OTHER)}"


def _typed(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Give a generated table the canonical dtypes."""
    from ..io.coerce import dtype_for
    t = TABLES[name]
    out = df.copy()
    for col in t.columns:
        if col.name in out.columns:
            out[col.name] = out[col.name].astype(dtype_for(t, col))
    return out


def make_district(n_students: int = 600, seed: int = 0, *, progress: bool = False) -> Dataset:
    """Generate the whole district in memory; deterministic for (n_students, seed)."""
    if n_students < 13:
        raise ValueError(f"n_students must be at least 13 (one per grade); got {n_students}")
    targets_seed, survey_seed, schools_seed = np.random.SeedSequence(seed).spawn(3)
    targets = make_targets(np.random.default_rng(targets_seed))
    plan = plan_schools(n_students)
    school_seeds = schools_seed.spawn(len(plan))
    students, evidence, diagnostics, classrooms = [], [], [], []
    next_id = 100001
    bar = tqdm(total=n_students, desc="students", unit="st", disable=not progress)
    for school, ss in zip(plan, school_seeds):
        srng = np.random.default_rng(ss)
        for grade, count in zip(school["grades"], school["counts"]):
            if count == 0:
                continue
            st = _students(srng, school, grade, int(count), next_id)
            next_id += int(count)
            students.append(st)
            for cid in st["classroom_id"].unique():
                classrooms.append(dict(classroom_id=cid, school_id=school["school_id"],
                                       grade=grade, teacher=_teacher(srng)))
            evidence.append(_evidence(srng, st, targets[targets["grade"] == grade]))
            diagnostics.append(_diagnostics(srng, st))
            bar.update(int(count))
    bar.close()
    schools = pd.DataFrame([dict(school_id=p["school_id"], name=p["name"]) for p in plan])
    classrooms = pd.DataFrame(classrooms)
    students = pd.concat(students, ignore_index=True)
    evidence = pd.concat(evidence, ignore_index=True)
    # a gradebook export: in date order, students in id order within a day
    evidence = evidence.sort_values(["date", "student_id"], kind="stable", ignore_index=True)
    items, responses = make_survey(np.random.default_rng(survey_seed), schools, students, classrooms)
    conditions = make_conditions(np.random.default_rng(seed + 7), schools)
    return Dataset(
        schools=_typed("schools", schools), classrooms=_typed("classrooms", classrooms),
        students=_typed("students", students), targets=_typed("targets", targets),
        evidence=_typed("evidence", evidence), cycles=_typed("cycles", make_cycles()),
        diagnostics=_typed("diagnostics", pd.concat(diagnostics, ignore_index=True)),
        survey_items=_typed("survey_items", items),
        survey_responses=_typed("survey_responses", responses),
        conditions=_typed("conditions", conditions), source=f"sample(n={n_students}, seed={seed})")
