"""The district policy file (coachkit.toml) and the library defaults that read it."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachkit as ck
from coachkit import policy, profile, progress, wall
from coachkit.errors import CoachkitDataError

DATA = Path(__file__).resolve().parents[1] / "sample_data" / "district"


def write(tmp_path, text):
    (tmp_path / "coachkit.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_no_file_is_the_defaults(tmp_path):
    p = policy.load(tmp_path)
    assert p == policy.DEFAULT and p.source is None
    assert p.kinds == ("summative", "retake", "observation") and p.min_n == 10
    assert p.method == "decaying_average" and p.mastery_line == 3.0 and p.language == "en"


def test_every_key_is_read(tmp_path):
    write(tmp_path, """
[mastery]
method = "n_times"
line = 3.5
kinds = ["summative", "retake"]
[mastery.params]
n = 2
[privacy]
min_n = 5
[district]
time_zone = "America/Denver"
language = "es"
""")
    p = policy.load(tmp_path)
    assert (p.method, p.mastery_line, p.kinds, dict(p.params), p.min_n, p.time_zone,
            p.language) == ("n_times", 3.5, ("summative", "retake"), {"n": 2}, 5,
                            "America/Denver", "es")
    assert p.source == tmp_path / "coachkit.toml"
    assert p.mastery_args() == {"method": "n_times", "mastery_line": 3.5,
                                "kinds": ["summative", "retake"], "n": 2}
    with pytest.raises(Exception):
        p.min_n = 3                                          # frozen


@pytest.mark.parametrize("text,key,expected", [
    ("[mastery]\nline = 7", "mastery.line", "a number from 1 to 4"),
    ("[mastery]\nline = \"three\"", "mastery.line", "a number from 1 to 4"),
    ("[mastery]\nkinds = [\"quiz\"]", "mastery.kinds", "a list drawn from"),
    ("[privacy]\nmin_n = 0", "privacy.min_n", "a whole number"),
    ("[district]\ntime_zone = \"Mars/Olympus\"", "district.time_zone", "an IANA time zone"),
    ("[district]\nlanguage = \"fr\"", "district.language", "one of en, es"),
    ("[mastery]\nmethd = \"mean\"", "mastery.methd", "one of method, line"),
    ("[grading]\nx = 1", "grading", "a section"),
    ("[mastery]\nmethod = 3", "mastery.method", "a mastery method name"),
])
def test_bad_values_name_file_key_expected_and_got(tmp_path, text, key, expected):
    write(tmp_path, text)
    with pytest.raises(CoachkitDataError) as e:
        policy.load(tmp_path)
    msg = str(e.value)
    assert "coachkit.toml" in msg and f"{key}: expected {expected}" in msg and "got" in msg
    assert e.value.column == key


def test_broken_toml_is_a_clear_error(tmp_path):
    write(tmp_path, "[mastery\nmethod = ")
    with pytest.raises(CoachkitDataError, match="coachkit.toml: expected TOML"):
        policy.load(tmp_path)


def test_override_is_checked():
    assert policy.DEFAULT.replace(method="mean").method == "mean"
    with pytest.raises(CoachkitDataError, match="min_n: expected a whole number"):
        policy.DEFAULT.replace(min_n=-1)
    with pytest.raises(ValueError, match="expected one of"):
        policy.DEFAULT.replace(colour="red")


def ev(kinds, scores):
    n = len(kinds)
    return pd.DataFrame({"student_id": "s", "target_id": "t",
                         "date": pd.date_range("2025-09-01", periods=n), "score": scores,
                         "kind": kinds})


def test_mastery_counts_the_policy_kinds_by_default():
    # formative 4s and a self-assessment 4 do not count; the summative 2 does
    df = ev(["formative", "summative", "formative", "self"], [4.0, 2.0, 4.0, 4.0])
    m = progress.mastery(df, "most_recent")
    assert m["mastery"].iloc[0] == 2.0 and m["n_evidence"].iloc[0] == 1
    everything = progress.mastery(df, "most_recent", kinds=None)
    assert everything["mastery"].iloc[0] == 4.0 and everything["n_evidence"].iloc[0] == 4
    # no kind column: everything counts
    assert progress.mastery(df.drop(columns="kind"), "most_recent")["mastery"].iloc[0] == 4.0


@pytest.fixture(scope="module")
def district_copy(tmp_path_factory):
    d = tmp_path_factory.mktemp("district")
    for f in DATA.glob("*.csv"):
        shutil.copy(f, d / f.name)
    return d


def test_classroom_view_reads_the_policy_of_the_data_folder(district_copy):
    ds = ck.load_dataset(district_copy)
    room = sorted(ds.classrooms["classroom_id"])[0]
    plain = ck.talk.classroom_view(ds, room, 2, history=False)
    assert plain.method == "decaying_average"
    write(district_copy, '[mastery]\nmethod = "highest"\nkinds = ["summative"]\n')
    try:
        ds2 = ck.load_dataset(district_copy)
        v = ck.talk.classroom_view(ds2, room, 2, history=False)
        assert v.method == "highest"
        want = progress.mastery(ds2.through_cycle(2).evidence.loc[
            lambda e: e["student_id"].isin(v.students["student_id"])], "highest",
            kinds=["summative"])
        assert v.mastery["mastered"].sum() == want["mastered"].sum()
        # a flag overrides it for one run
        assert ck.talk.classroom_view(ds2, room, 2, method="mean",
                                      history=False).method == "mean"
    finally:
        (district_copy / "coachkit.toml").unlink()


def test_learner_profile_and_class_wall_read_the_policy(district_copy):
    ds = ck.load_dataset(district_copy)
    room = "S101-3A"
    ids = ds.students.loc[ds.students["classroom_id"] == room, "student_id"].astype(str).tolist()

    def shown(d):
        ps = profile.learner_profiles(d, 6, students=ids)
        return sum(int((p.targets["stage"] == "i-show").sum()) for p in ps)

    def wall_shown(d):
        return int(wall.wall_rows(d, room, 6, show=("targets_shown",))["targets_shown"].sum())
    plain, plain_wall = shown(ds), wall_shown(ds)
    write(district_copy, '[mastery]\nline = 3.9\n')       # a far stricter line
    try:
        strict = ck.load_dataset(district_copy)
        assert shown(strict) < plain
        assert wall_shown(strict) <= plain_wall
        # an explicit argument still wins for one run
        assert shown(strict) < sum(int((p.targets["stage"] == "i-show").sum()) for p in
                                   profile.learner_profiles(strict, 6, students=ids,
                                                               mastery_line=3.0))
    finally:
        (district_copy / "coachkit.toml").unlink()
