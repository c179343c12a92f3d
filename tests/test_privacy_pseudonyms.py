"""pseudonymize: keyed, stable, consistent across tables, collision-free, no real names."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from coachkit.dataset import Dataset
from coachkit.privacy import fold_name, pseudonym_table, pseudonymize
from coachkit.privacy.names import FIRST_NAMES, LAST_NAMES
from coachkit.privacy.pseudonyms import _DOMAIN_STUDENT, _b32, _digest
from privacy_helpers import KEY, OTHER_KEY, tiny_dataset


def real_to_pseudo(ds, anon, table):
    """real id -> pseudonym, read off a table whose row order pseudonymize keeps."""
    a = getattr(ds, table)["student_id"].astype(str).to_numpy()
    b = getattr(anon, table)["student_id"].astype(str).to_numpy()
    pairs = set(zip(a, b))
    mapping = dict(pairs)
    assert len(mapping) == len(pairs), "one real id got two pseudonyms"
    return mapping


def test_stable_for_a_key():
    ds = tiny_dataset()
    a, b = pseudonymize(ds, KEY), pseudonymize(ds, KEY)
    pd.testing.assert_frame_equal(a.students, b.students)
    pd.testing.assert_frame_equal(a.evidence, b.evidence)
    # and independent of which other students are present or their order
    one = pseudonymize(ds.replace(students=ds.students.iloc[::-1].head(3),
                                  evidence=ds.evidence.iloc[:0], diagnostics=ds.diagnostics.iloc[:0],
                                  survey_responses=ds.survey_responses.iloc[:0]), KEY)
    full = pseudonym_table(ds.students["student_id"], KEY).set_index("student_id")
    sub = pseudonym_table(ds.students["student_id"].iloc[::-1].head(3), KEY).set_index("student_id")
    pd.testing.assert_frame_equal(sub, full.loc[sub.index])
    assert set(one.students["student_id"]) == set(sub["pseudonym_id"])


def test_different_across_keys():
    ds = tiny_dataset()
    a, b = pseudonymize(ds, KEY), pseudonymize(ds, OTHER_KEY)
    assert not set(a.students["student_id"]) & set(b.students["student_id"])
    ta = pseudonym_table(np.arange(1000).astype(str), KEY)
    tb = pseudonym_table(np.arange(1000).astype(str), OTHER_KEY)
    same_name = ((ta["first_name"] == tb["first_name"]) & (ta["last_name"] == tb["last_name"]))
    assert same_name.mean() < 0.01


def test_same_pseudonym_in_every_table():
    ds = tiny_dataset()
    anon = pseudonymize(ds, KEY)
    table = pseudonym_table(ds.students["student_id"], KEY)
    m_st = dict(zip(table["student_id"], table["pseudonym_id"]))
    assert set(anon.students["student_id"]) == set(m_st.values())
    for table in ("evidence", "diagnostics"):
        m = real_to_pseudo(ds, anon, table)
        assert all(m_st[k] == v for k, v in m.items())
    r = anon.survey_responses
    real = ds.survey_responses["respondent_id"].astype(str).tolist()
    new = r["respondent_id"].astype(str).tolist()
    for old, now, who in zip(real, new, ds.survey_responses["respondent"]):
        if old in m_st:
            assert now == m_st[old]                     # student ids: same pseudonym
        elif who == "student":
            assert now.startswith("R-") and now != old  # anonymous student token: hashed too
        else:
            assert now == old                           # staff: untouched
    anon.validate()


def test_names_replaced_never_a_real_name_and_birth_dates_gone():
    ds = tiny_dataset()
    anon = pseudonymize(ds, KEY)
    real = {fold_name(f"{a} {b}") for a, b in zip(ds.students.first_name, ds.students.last_name)}
    fake = {fold_name(f"{a} {b}") for a, b in zip(anon.students.first_name, anon.students.last_name)}
    assert not real & fake
    assert set(anon.students.first_name) <= set(FIRST_NAMES)
    assert set(anon.students.last_name) <= set(LAST_NAMES)
    assert anon.students["birth_date"].isna().all()
    assert len(anon.rejected) == 0


def test_display_name_redrawn_when_it_equals_a_real_name():
    # a roster made of every pool combination: every first draw is somebody's real name,
    # so the redraw must always succeed in leaving real names alone ... except when no
    # free combination is left; use a roster with half of all combinations.
    rng = np.random.default_rng(1)
    combos = [(f, l) for f in FIRST_NAMES for l in LAST_NAMES]
    pick = rng.choice(len(combos), len(combos) // 2, replace=False)
    roster = pd.DataFrame({"student_id": [f"X{i}" for i in range(len(pick))],
                           "first_name": [combos[k][0] for k in pick],
                           "last_name": [combos[k][1] for k in pick]})
    table = pseudonym_table(roster["student_id"], KEY, real_names=roster)
    real = set(zip(roster.first_name, roster.last_name))
    assert not real & set(zip(table.first_name, table.last_name))


def test_collision_free_across_60000_students():
    ids = pd.Series([str(100001 + i) for i in range(60_000)])
    t0 = time.perf_counter()
    table = pseudonym_table(ids, KEY)
    assert time.perf_counter() - t0 < 5
    assert table["pseudonym_id"].is_unique
    assert not set(table["pseudonym_id"]) & set(ids)
    assert table["pseudonym_id"].str.fullmatch(r"P-[A-Z2-7]{10}").all()
    # names are varied
    assert table["first_name"].nunique() > 80 and table["last_name"].nunique() > 70


def test_collisions_resolved_deterministically():
    # 2 base32 characters: 1024 pseudonyms for 200 ids, so collisions are certain
    ids = [f"S{i}" for i in range(200)]
    a = pseudonym_table(ids, KEY, _id_chars=2)
    b = pseudonym_table(ids[::-1], KEY, _id_chars=2).set_index("student_id").loc[ids]
    assert a["pseudonym_id"].is_unique
    assert a["pseudonym_id"].tolist() == b["pseudonym_id"].tolist()
    key = KEY.encode()
    first_draw = ["P-" + _b32(_digest(key, _DOMAIN_STUDENT, i)[:8], 2) for i in ids]
    assert pd.Series(first_draw).duplicated().sum() > 5          # collisions did happen
    assert (a["pseudonym_id"] != pd.Series(first_draw)).sum() > 5  # ... and were moved


def test_date_shift_keeps_intervals():
    ds = tiny_dataset(n_evidence=200)
    anon = pseudonymize(ds, KEY, shift_dates=True, max_shift_days=10)
    table = pseudonym_table(ds.students["student_id"], KEY, max_shift_days=10)
    shift = dict(zip(table["student_id"], table["shift_days"]))
    assert all(1 <= abs(v) <= 10 for v in shift.values())
    assert len(set(shift.values())) > 1
    for name in ("evidence", "diagnostics"):
        old, new = getattr(ds, name), getattr(anon, name)
        delta = (new["date"] - old["date"]).dt.days
        expect = old["student_id"].astype(str).map(shift)
        assert (delta.to_numpy() == expect.to_numpy()).all()
        # intervals within a student are unchanged
        for sid, g in old.groupby("student_id", observed=True):
            gi = new.loc[g.index, "date"]
            assert (gi.diff().dropna() == g["date"].diff().dropna()).all()
    # without shift_dates the dates are untouched
    assert pseudonymize(ds, KEY).evidence["date"].equals(ds.evidence["date"])


def test_fast_on_a_district():
    n, rows = 60_000, 2_000_000
    rng = np.random.default_rng(0)
    ids = np.array([str(100001 + i) for i in range(n)], dtype=object)
    students = pd.DataFrame({"student_id": ids, "first_name": "Ana", "last_name": "Ruiz",
                             "grade": np.int8(3), "classroom_id": "C", "school_id": "S",
                             "ell": False, "iep": False, "home_language": "English",
                             "birth_date": pd.Timestamp("2015-01-01")})
    evidence = pd.DataFrame({
        "student_id": pd.Categorical.from_codes(rng.integers(0, n, rows), categories=ids),
        "target_id": pd.Categorical.from_codes(rng.integers(0, 50, rows),
                                               categories=[f"T{i}" for i in range(50)]),
        "date": pd.Timestamp("2025-09-01") + pd.to_timedelta(rng.integers(0, 200, rows), "D"),
        "score": np.float32(3), "kind": pd.Categorical(["formative"] * rows)})
    ds = Dataset(students=students, evidence=evidence)
    t0 = time.perf_counter()
    anon = pseudonymize(ds, KEY, shift_dates=True)
    assert time.perf_counter() - t0 < 10
    assert anon.evidence["student_id"].cat.categories.is_unique
    assert len(anon.evidence) == rows


def test_short_key_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        pseudonymize(tiny_dataset(), "secret")
