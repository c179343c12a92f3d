"""The synthetic district: deterministic, valid, and shaped like the case-study district."""
import pandas as pd
import pytest
from click.testing import CliRunner

import coachkit as ck
from coachkit.cli import main
from coachkit.sample import make_district


def test_same_seed_same_district_other_seed_other_district():
    a, b, c = make_district(120, seed=5), make_district(120, seed=5), make_district(120, seed=6)
    for name in ck.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.evidence.equals(c.evidence)
    assert not a.students["first_name"].equals(c.students["first_name"])


def test_district_validates_and_looks_like_the_case_study():
    ds = make_district(600, seed=0).validate()
    st = ds.students
    assert len(st) == 600 and set(st["grade"]) == set(range(13))
    sizes = st.groupby("classroom_id").size()
    assert sizes.between(15, 28).all()
    assert 0.10 < st["ell"].mean() < 0.40 and 0.05 < st["iep"].mean() < 0.20
    assert st["last_name"].str.contains("[áéíóúñ]").mean() > 0.3   # accents survive
    # 20-40 targets per grade and subject
    per = ds.targets.groupby(["subject", "grade"], observed=True).size()
    assert per.between(20, 40).all() and len(per) == 26
    ev = ds.evidence
    assert set(ev["kind"].unique()) == {"formative", "summative", "retake", "observation", "self"}
    # evidence spans the six cycles
    assert ev["date"].min() >= ds.cycles["start"].min() and ev["date"].max() <= ds.cycles["end"].max()
    assert (ev["date"].dt.day_of_week < 5).all()         # school days only
    # retakes follow a summative below proficient on the same target
    first_retake = ev[ev["kind"] == "retake"].groupby(["student_id", "target_id"], observed=True)["date"].min()
    summ = ev[ev["kind"] == "summative"].groupby(["student_id", "target_id"], observed=True)["date"].min()
    assert (first_retake >= summ.reindex(first_retake.index)).all()
    # paces differ: targets reached per student vary widely
    reached = ev.groupby("student_id", observed=True)["target_id"].nunique()
    assert reached.max() - reached.min() >= 10
    assert len(ds.diagnostics) == 600 * 2 * 3 * 4
    assert set(ds.survey_responses["year"]) == {2025, 2026}
    assert set(ds.survey_responses["respondent"]) == {"student", "staff"}
    assert ds.conditions["condition"].nunique() == 12


def test_cli_sample_then_validate(tmp_path):
    runner = CliRunner()
    out = tmp_path / "d"
    r = runner.invoke(main, ["sample", "--out", str(out), "--students", "50", "--seed", "2"])
    assert r.exit_code == 0, r.output
    assert (out / "evidence.csv").exists()
    r = runner.invoke(main, ["validate", str(out)])
    assert r.exit_code == 0 and "ok: every row loaded" in r.output
    ev = pd.read_csv(out / "evidence.csv", dtype=str)
    ev.loc[0, "score"] = "eleven"
    ev.to_csv(out / "evidence.csv", index=False)
    r = runner.invoke(main, ["validate", str(out), "--rejected-out", str(tmp_path / "rej.csv")])
    assert r.exit_code == 1 and "1 rows rejected" in r.output and "eleven" in r.output
    assert len(pd.read_csv(tmp_path / "rej.csv")) == 1


def test_cli_usage_errors_exit_2():
    r = CliRunner().invoke(main, ["sample", "--students", "3"])
    assert r.exit_code == 2
    r = CliRunner().invoke(main, ["no-such-command"])
    assert r.exit_code == 2


def test_committed_sample_matches_the_generator():
    """sample_data/district is `coachkit sample --students 600 --seed 0`, nothing edited by hand."""
    from pathlib import Path
    folder = Path(__file__).resolve().parents[1] / "sample_data" / "district"
    ds = ck.load_dataset(folder)
    fresh = make_district(600, seed=0)
    pd.testing.assert_frame_equal(ds.students, fresh.students, check_dtype=False)
    pd.testing.assert_frame_equal(ds.evidence, fresh.evidence, check_dtype=False,
                                  check_categorical=False)
