"""Small datasets for the privacy tests, built directly as DataFrames."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachkit.dataset import Dataset

KEY = "test-key-0123456789abcdef"
OTHER_KEY = "another-key-fedcba9876543210"

STUDENTS = [
    # student_id, first, last, birth
    ("S-1001", "María", "Villaseñor", "2015-03-09"),
    ("S-1002", "José Luis", "Cázares", "2015-07-21"),
    ("S-1003", "Grace", "Young", "2014-11-02"),
    ("S-1004", "Ximena", "Quiñones", "2015-01-30"),
    ("S-1005", "Liam", "Thompson", "2014-09-15"),
    ("S-1006", "Itzel", "Bórquez", "2015-05-05"),
]


def tiny_dataset(n_evidence: int = 60, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    students = pd.DataFrame({
        "student_id": [s[0] for s in STUDENTS],
        "first_name": [s[1] for s in STUDENTS],
        "last_name": [s[2] for s in STUDENTS],
        "grade": np.int8(3), "classroom_id": "C-3A", "school_id": "SCH1",
        "ell": [True, False, False, True, False, True],
        "iep": [False, True, False, False, False, False],
        "home_language": pd.Categorical(["Spanish", "Spanish", "English", "Spanish",
                                         "English", "Spanish"]),
        "birth_date": pd.to_datetime([s[3] for s in STUDENTS]),
    })
    ids = students["student_id"].to_numpy()
    evidence = pd.DataFrame({
        "student_id": pd.Categorical(rng.choice(ids, n_evidence)),
        "target_id": pd.Categorical(rng.choice(["M3-01", "M3-02", "M3-03"], n_evidence)),
        "date": pd.Timestamp("2025-08-20") + pd.to_timedelta(rng.integers(0, 200, n_evidence), "D"),
        "score": rng.integers(1, 5, n_evidence).astype("float32"),
        "kind": pd.Categorical(["formative"] * n_evidence),
        "source": pd.Categorical(["math gradebook"] * n_evidence),
    })
    diagnostics = pd.DataFrame({
        "student_id": pd.Categorical(np.repeat(ids, 2)),
        "subject": pd.Categorical(["math"] * 12), "domain": pd.Categorical(["overall"] * 12),
        "date": pd.to_datetime(["2025-09-01", "2026-01-15"] * 6),
        "scale_score": rng.normal(450, 30, 12).astype("float32"),
        "placement": pd.Categorical(["grade 3"] * 12),
    })
    responses = pd.DataFrame({
        "respondent_id": pd.Categorical(["S-1001", "S-1002", "ANON-77", "T-9", "S-1001"]),
        "respondent": pd.Categorical(["student", "student", "student", "staff", "student"]),
        "school_id": "SCH1", "year": np.int16(2025),
        "item_id": ["S01", "S01", "S01", "T01", "S02"],
        "value": np.array([3, 4, 2, 3, 3], dtype="float32"),
    })
    return Dataset(
        schools=pd.DataFrame({"school_id": ["SCH1"], "name": ["Sonoita Creek Elementary"]}),
        classrooms=pd.DataFrame({"classroom_id": ["C-3A"], "school_id": ["SCH1"],
                                 "grade": np.int8([3]), "teacher": ["Ms. Hernández"]}),
        students=students,
        targets=pd.DataFrame({"target_id": ["M3-01", "M3-02", "M3-03"], "subject": "math",
                              "grade": np.int8(3), "sequence": np.int16([1, 2, 3]),
                              "unit": "Unit 1", "code": ["3.OA.A.1", "3.OA.A.2", "3.OA.A.3"],
                              "statement": ["Interpret products", "Interpret quotients",
                                            "Solve word problems"]}),
        evidence=evidence, diagnostics=diagnostics,
        survey_items=pd.DataFrame({"item_id": ["S01", "S02", "T01"],
                                   "construct": ["agency", "agency", "culture"],
                                   "respondent": ["student", "student", "staff"],
                                   "text": ["I choose", "I track", "We share"]}),
        survey_responses=responses,
    )
