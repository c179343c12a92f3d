"""Implementation-survey responses (students and staff, two years) and conditions ratings."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import CONDITIONS, DISTRICT

ITEMS = [
    # (construct, respondent, text, reverse-coded)
    ("Learner agency", "student", "I make choices about how I learn.", False),
    ("Learner agency", "student", "I set goals for my own learning.", False),
    ("Learner agency", "student", "I know what to do when I get stuck.", False),
    ("Learner agency", "student", "My teacher decides everything I do in class.", True),
    ("Transparency of learning targets", "student", "I know which learning target I am working on.", False),
    ("Transparency of learning targets", "student", "I know what I need to do to show mastery.", False),
    ("Transparency of learning targets", "student", "I can see my progress on my learning targets.", False),
    ("Feedback and retakes", "student", "I get feedback that helps me improve.", False),
    ("Feedback and retakes", "student", "If I don't show mastery, I get another chance.", False),
    ("Feedback and retakes", "student", "Assessments help me learn.", False),
    ("Belonging", "student", "Adults at this school care about me.", False),
    ("Belonging", "student", "I feel like I belong in my class.", False),
    ("Belonging", "student", "Students here respect each other.", False),
    ("Shared vision", "staff", "I understand our district's vision for personalized, competency-based learning.", False),
    ("Shared vision", "staff", "Our school's priorities line up with that vision.", False),
    ("Shared vision", "staff", "I can explain the shift to a family.", False),
    ("Collaboration and data use", "staff", "Our grade-level team looks at student data every cycle.", False),
    ("Collaboration and data use", "staff", "We change small groups based on what the data show.", False),
    ("Collaboration and data use", "staff", "I have time to plan with colleagues.", False),
    ("Personalized instruction", "staff", "My students work at different paces.", False),
    ("Personalized instruction", "staff", "I form small groups around learning targets.", False),
    ("Personalized instruction", "staff", "Students choose how to show their learning.", False),
    ("Leadership and support", "staff", "School leaders support trying new practices.", False),
    ("Leadership and support", "staff", "Professional learning meets my needs.", False),
    ("Leadership and support", "staff", "My evaluation reflects the practices I am asked to use.", False),
]
YEARS = (2025, 2026)   # spring of 2024-25 and of 2025-26


def make_survey(rng: np.random.Generator, schools, students, classrooms):
    items = pd.DataFrame(ITEMS, columns=["construct", "respondent", "text", "reverse"])
    items.insert(0, "item_id", [f"{'S' if r == 'student' else 'T'}{i + 1:02d}"
                                for i, r in enumerate(items["respondent"])])
    constructs = items["construct"].unique()
    level = {c: rng.uniform(2.2, 3.1) for c in constructs}
    frames = []
    for year_i, year in enumerate(YEARS):
        for school_id in schools["school_id"]:
            school_effect = rng.normal(0, 0.15)
            st = students[(students["school_id"] == school_id) & (students["grade"] >= 3)]
            takers = st[rng.random(len(st)) < 0.8]
            n_staff = int(np.ceil(1.3 * (classrooms["school_id"] == school_id).sum())) + 3
            for respondent, people, sub in (
                    ("student", len(takers), {"grade": takers["grade"].to_numpy()}),
                    ("staff", n_staff, {"role": rng.choice(["teacher", "teacher", "teacher",
                                                           "support staff", "administrator"], n_staff)})):
                its = items[items["respondent"] == respondent]
                person = rng.normal(0, 0.45, people)
                for _, it in its.iterrows():
                    mean = level[it["construct"]] + 0.18 * year_i + school_effect + person
                    v = np.clip(np.round(mean + rng.normal(0, 0.6, people)), 1, 4)
                    if it["reverse"]:
                        v = 5 - v
                    v = np.where(rng.random(people) < 0.03, np.nan, v)
                    ids = [f"{dict(student='STU', staff='STF')[respondent]}{year}-{school_id}-{i:04d}" for i in range(people)]
                    frames.append(pd.DataFrame({"respondent_id": ids, "respondent": respondent,
                                                "school_id": school_id, "year": year,
                                                "item_id": it["item_id"], "value": v, **sub}))
    responses = pd.concat(frames, ignore_index=True)
    responses["grade"] = responses["grade"].astype("Int8")
    return items, responses


NOTES = {
    "transparency": "Learning targets posted in every room; families see the continuum at conferences.",
    "comprehensive assessment system": "Retake policy common across grades; summative checks aligned to the continuum.",
    "professional development": "Job-embedded coaching every cycle; new teachers ask for more on what mastery looks like.",
    "leadership development": "Teacher evaluation has not yet changed to match the new practices.",
}


def make_conditions(rng: np.random.Generator, schools) -> pd.DataFrame:
    rows = []
    for school_id in [DISTRICT] + list(schools["school_id"]):
        base = {c: rng.integers(1, 4) for c in CONDITIONS}
        for i, year in enumerate(YEARS):
            for c in CONDITIONS:
                rating = min(4, base[c] + (i if rng.random() < 0.5 else 0))
                rows.append(dict(school_id=school_id, year=year, condition=c, rating=float(rating),
                                 note=NOTES.get(c) if school_id == DISTRICT else None))
    return pd.DataFrame(rows)
