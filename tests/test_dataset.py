"""Every rule Dataset.validate() enforces, each with an example that breaks it."""
import numpy as np
import pandas as pd
import pytest

import coachkit as ck
from coachkit.sample import make_district


@pytest.fixture(scope="module")
def ds():
    return make_district(60, seed=3)


def test_sample_district_is_valid(ds):
    assert ds.validate() is ds
    assert len(ds.problems()) == 0


def _dup_first_row(df):
    return pd.concat([df, df.iloc[[0]]], ignore_index=True)


def _set(df, column, value, row=0):
    df = df.copy()
    if isinstance(df[column].dtype, pd.CategoricalDtype):
        df[column] = df[column].astype("object")
    df.loc[row, column] = value
    return df


BROKEN = [
    # (table, how to break it, column named in the error, words in the reason)
    ("schools", _dup_first_row, "school_id", "duplicate key"),
    ("classrooms", _dup_first_row, "classroom_id", "duplicate key"),
    ("students", _dup_first_row, "student_id", "duplicate key"),
    ("targets", _dup_first_row, "target_id", "duplicate key"),
    ("cycles", _dup_first_row, "cycle_id", "duplicate key"),
    ("survey_items", _dup_first_row, "item_id", "duplicate key"),
    ("conditions", _dup_first_row, "school_id", "duplicate key"),
    ("classrooms", lambda d: _set(d, "school_id", "S999"), "school_id", "unknown school_id"),
    ("students", lambda d: _set(d, "classroom_id", "NOPE"), "classroom_id", "unknown classroom_id"),
    ("students", lambda d: _set(d, "school_id", "S999"), "school_id", "unknown school_id"),
    ("students", lambda d: _set(d, "first_name", None), "first_name", "empty cell"),
    ("evidence", lambda d: _set(d, "student_id", "999999"), "student_id", "unknown student_id"),
    ("evidence", lambda d: _set(d, "target_id", "MA99-99"), "target_id", "unknown target_id"),
    ("evidence", lambda d: _set(d, "score", 5.0), "score", "above 4"),
    ("evidence", lambda d: _set(d, "score", 0.5), "score", "below 1"),
    ("evidence", lambda d: _set(d, "kind", "quiz"), "kind", "unknown value"),
    ("evidence", lambda d: _set(d, "date", pd.NaT), "date", "empty cell"),
    ("diagnostics", lambda d: _set(d, "student_id", "999999"), "student_id", "unknown student_id"),
    ("cycles", lambda d: _set(d, "end", pd.Timestamp("2000-01-01")), "end", "ends before it starts"),
    ("survey_items", lambda d: _set(d, "respondent", "parent"), "respondent", "unknown value"),
    ("survey_responses", lambda d: _set(d, "item_id", "Z99"), "item_id", "unknown item_id"),
    ("survey_responses", lambda d: _set(d, "value", 7.0), "value", "above 4"),
    ("survey_responses", lambda d: _set(d, "school_id", "S999"), "school_id", "unknown school_id"),
    ("conditions", lambda d: _set(d, "condition", "vibes"), "condition", "unknown value"),
    ("conditions", lambda d: _set(d, "rating", 9.0), "rating", "above 4"),
]


@pytest.mark.parametrize("table,breaker,column,reason", BROKEN,
                         ids=[f"{t}-{c}-{r.split()[0]}" for t, _, c, r in BROKEN])
def test_each_rule_catches_its_breakage(ds, table, breaker, column, reason):
    broken = ds.replace(**{table: breaker(getattr(ds, table))})
    with pytest.raises(ck.CoachkitDataError) as err:
        broken.validate()
    e = err.value
    assert e.table == table and e.column == column
    assert reason in str(e)
    # the message says where: table and column by name, and the row
    assert table in str(e) and repr(column) in str(e) and "row" in str(e)


def test_problems_lists_every_problem_not_just_the_first(ds):
    ev = ds.evidence.copy()
    ev["score"] = ev["score"].astype("float32")
    ev.loc[[0, 5, 9], "score"] = 4.5
    p = ds.replace(evidence=ev).problems()
    assert sorted(p["row"].tolist()) == [0, 5, 9]
    assert set(p["reason"].str.startswith("above 4")) == {True}


def test_classroom_view_holds_only_that_classroom(ds):
    cid = ds.classrooms["classroom_id"].iloc[0]
    one = ds.classroom(cid)
    assert set(one.students["classroom_id"]) == {cid}
    assert set(one.evidence["student_id"]) <= set(one.students["student_id"])
    assert len(one.evidence) == ds.evidence["student_id"].isin(one.students["student_id"]).sum()
