"""coachkit.surveys: construct scores, bands, change, alpha, favorable share, suppression.

Hand-worked examples carry their arithmetic in comments; alpha is also checked against
pingouin (an independent implementation) on the questionnaire data pingouin ships.
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from coachkit import CoachkitDataError
from coachkit import surveys as sv

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pingouin():
    try:
        import pingouin
    except ImportError:   # a test-only dependency: required under CI
        if IN_CI:
            pytest.fail("pingouin is required under CI=true (test extra)")
        pytest.skip("pingouin not installed (pip install pingouin)")
    return pingouin


# ----------------------------------------------------------------------------- fixtures

ITEMS = pd.DataFrame({
    "item_id": ["A1", "A2", "A3", "B1", "B2", "V1", "V2"],
    "construct": ["Agency", "Agency", "Agency", "Belonging", "Belonging", "Vision", "Vision"],
    "respondent": ["student"] * 5 + ["staff"] * 2,
    "text": ["I choose how I learn", "I set goals", "My teacher decides everything",
             "Adults care about me", "I belong", "I know the vision", "I can explain it"],
    "reverse": [False, False, True, False, False, False, False],
})
NAN = np.nan


def _long(rows, year=2024, school="S1", respondent="student", **extra):
    """rows: {respondent_id: {item_id: value}} -> long survey_responses rows."""
    out = []
    for rid, answers in rows.items():
        for item, value in answers.items():
            out.append(dict(respondent_id=rid, respondent=respondent, school_id=school,
                            year=year, item_id=item, value=value,
                            **{k: (v[rid] if isinstance(v, dict) else v)
                               for k, v in extra.items()}))
    return out


def hand_responses() -> pd.DataFrame:
    rows = {
        # s1: agency 4, 3, 1 (reverse -> 4): (4 + 3 + 4) / 3 = 11/3; belonging (3 + 3)/2 = 3
        "s1": {"A1": 4, "A2": 3, "A3": 1, "B1": 3, "B2": 3},
        # s2: agency 2, -, 2 (reverse -> 3): 2 of 3 answered >= 1.5 -> (2 + 3)/2 = 2.5;
        #     belonging 2, -: 1 of 2 is exactly half -> enough -> 2.0
        "s2": {"A1": 2, "A2": NAN, "A3": 2, "B1": 2, "B2": NAN},
        # s3: agency 1 of 3 answered < 1.5 -> left out; belonging 0 of 2 -> left out
        "s3": {"A1": 1, "A2": NAN, "A3": NAN, "B1": NAN, "B2": NAN},
        # s4: skipped everything -> left out of both, counted
        "s4": {"A1": NAN, "A2": NAN, "A3": NAN, "B1": NAN, "B2": NAN},
    }
    df = pd.DataFrame(_long(rows))
    df["value"] = df["value"].astype("float32")     # as the loader delivers it
    return df


# ----------------------------------------------------------------------------- scores

def test_respondent_scores_half_rule_reverse_and_skips():
    rs = sv.respondent_scores(hand_responses(), ITEMS).set_index(["respondent_id", "construct"])
    assert rs.loc[("s1", "Agency"), "score"] == pytest.approx(11 / 3)
    assert rs.loc[("s2", "Agency"), "score"] == pytest.approx(2.5)
    assert rs.loc[("s2", "Belonging"), "score"] == pytest.approx(2.0)   # exactly half: kept
    assert not rs.loc[("s3", "Agency"), "included"]
    assert math.isnan(rs.loc[("s3", "Agency"), "score"])
    assert rs.loc[("s3", "Agency"), "excluded_reason"] == "answered 1 of 3 items (fewer than half)"
    assert rs.loc[("s4", "Agency"), "excluded_reason"] == "skipped every item"
    assert rs.loc[("s4", "Belonging"), "excluded_reason"] == "skipped every item"
    assert rs.loc[("s1", "Agency"), "n_items"] == 3
    assert rs.loc[("s2", "Agency"), "n_answered"] == 2
    assert pd.isna(rs.loc[("s1", "Agency"), "excluded_reason"])


def test_construct_scores_hand_worked():
    sc = sv.construct_scores(hand_responses(), ITEMS, min_n=1).set_index("construct")
    a = sc.loc["Agency"]
    # respondents scored: s1 11/3 and s2 2.5 -> n 2; s3 and s4 left out -> n_excluded 2
    assert a["n"] == 2 and a["n_excluded"] == 2 and a["n_items"] == 3
    # mean (11/3 + 5/2) / 2 = (22/6 + 15/6) / 2 = 37/12
    assert a["mean"] == pytest.approx(37 / 12, abs=1e-12)
    # sd of two values = |difference| / sqrt(2) = (11/3 - 5/2) / sqrt(2) = (7/6) / sqrt(2)
    assert a["sd"] == pytest.approx((7 / 6) / math.sqrt(2), abs=1e-12)
    # 95% t interval with 1 df: t = 12.7062..., half width = t * sd / sqrt(2)
    half = stats.t.ppf(0.975, 1) * (7 / 6) / math.sqrt(2) / math.sqrt(2)
    assert a["ci_low"] == pytest.approx(37 / 12 - half) and a["ci_high"] == pytest.approx(37 / 12 + half)
    assert a["band"] == "strong"                               # 3.083 >= 3
    b = sc.loc["Belonging"]
    # (3 + 2) / 2 = 2.5, sd = 1/sqrt(2), band 2 to below 3
    assert (b["n"], b["n_excluded"]) == (2, 2)
    assert b["mean"] == pytest.approx(2.5) and b["sd"] == pytest.approx(1 / math.sqrt(2))
    assert b["band"] == "moderate to strong"
    assert not sc["suppressed"].any()
    assert list(sc.index) == ["Agency", "Belonging"]           # item-table order
    assert set(sc.columns) >= {"year", "respondent", "n", "n_excluded", "mean", "sd",
                               "ci_low", "ci_high", "band", "suppressed", "n_label"}


def test_bands():
    assert sv.evidence_band(1.999) == "limited"
    assert sv.evidence_band(2.0) == "moderate to strong"
    assert sv.evidence_band(2.999) == "moderate to strong"
    assert sv.evidence_band(3.0) == "strong"
    assert sv.evidence_band(4.0) == "strong"
    assert sv.evidence_band(1.0) == "limited"
    assert sv.evidence_band((2.8 + 3.2) / 2) == "strong"       # float noise on the line
    assert sv.evidence_band(float("nan")) is None
    s = sv.evidence_band(pd.Series([1.5, 2.5, 3.5, np.nan], index=list("abcd")))
    assert s.iloc[:3].tolist() == ["limited", "moderate to strong", "strong"]
    assert pd.isna(s["d"]) and list(s.index) == list("abcd")


def test_by_school_and_subgroup_and_staff():
    a = hand_responses()
    b = pd.DataFrame(_long({"t1": {"V1": 4, "V2": 3}, "t2": {"V1": 3, "V2": 3}},
                           respondent="staff", school="S2"))
    sc = sv.construct_scores(pd.concat([a, b], ignore_index=True), ITEMS,
                             by=("year", "school_id", "respondent"), min_n=1)
    v = sc[sc["construct"] == "Vision"].iloc[0]
    # (4 + 3)/2 = 3.5 and 3 -> mean 3.25
    assert v["school_id"] == "S2" and v["respondent"] == "staff" and v["n"] == 2
    assert v["mean"] == pytest.approx(3.25) and v["band"] == "strong"
    assert sc["respondent"].tolist() == ["student", "student", "staff"]


def test_subgroup_of_four_is_suppressed():
    rows = {f"r{i:02d}": {"A1": 3, "A2": 3, "A3": 2} for i in range(14)}
    ell = {rid: i < 4 for i, rid in enumerate(rows)}          # 4 ELL, 10 not
    df = pd.DataFrame(_long(rows, ell=ell))
    sc = sv.construct_scores(df, ITEMS, by=("year", "respondent", "ell"))
    small = sc[(sc["ell"]) & (sc["construct"] == "Agency")].iloc[0]
    assert small["suppressed"]
    assert math.isnan(small["mean"]) and math.isnan(small["sd"]) and math.isnan(small["ci_low"])
    assert pd.isna(small["n"]) and pd.isna(small["n_excluded"]) and pd.isna(small["band"])
    assert small["n_label"] == "hidden"
    big = sc[(~sc["ell"]) & (sc["construct"] == "Agency")].iloc[0]
    # its partner is hidden too, with the same label: 14 - 10 would give the 4 away
    assert big["suppressed"] and big["n_label"] == "hidden" and math.isnan(big["mean"])
    whole = sv.construct_scores(df, ITEMS, by=("year", "respondent"))
    w = whole[whole["construct"] == "Agency"].iloc[0]
    # each respondent: 3, 3, 2 (reverse -> 3): score 3 -> mean 3, sd 0
    assert not w["suppressed"] and w["n"] == 14 and w["n_label"] == "14"
    assert w["mean"] == pytest.approx(3.0) and w["band"] == "strong"
    # the same threshold everywhere: favorable share and alpha
    fav = sv.favorable_share(df, ITEMS, by=("year", "respondent", "ell"))
    f = fav[(fav["ell"]) & (fav["construct"] == "Agency")].iloc[0]
    assert f["suppressed"] and math.isnan(f["favorable"]) and f["n_label"] == "hidden"
    al = sv.construct_alpha(df, ITEMS, by=("year", "respondent", "ell"))
    assert al[al["construct"] == "Agency"]["suppressed"].all()
    # and min_n is configurable
    sc4 = sv.construct_scores(df, ITEMS, by=("year", "respondent", "ell"), min_n=4)
    assert not sc4["suppressed"].any()


def test_whole_district_skipped_counts():
    sc = sv.construct_scores(hand_responses(), ITEMS, min_n=10)
    # two respondents scored: below 10 -> suppressed, counts hidden too
    assert sc["suppressed"].all() and sc["n_label"].eq("hidden").all()
    assert sc["n"].isna().all() and sc["n_excluded"].isna().all()


# ----------------------------------------------------------------------------- the door

@pytest.mark.parametrize("bad", [5.0, 0.0, 4.5, -1.0, np.inf])
def test_values_outside_1_to_4_name_row_column_value(bad):
    df = hand_responses()
    df["value"] = df["value"].astype("float64")
    df.loc[7, "value"] = bad
    with pytest.raises(CoachkitDataError) as e:
        sv.construct_scores(df, ITEMS)
    err = e.value
    assert err.row == 7 and err.column == "value"
    assert "row 7" in str(err) and "'value'" in str(err) and f"{bad:g}" in str(err)


def test_text_value_and_missing_column_and_unknown_item():
    df = hand_responses()
    df["value"] = df["value"].astype(object)
    df.loc[3, "value"] = "often"
    with pytest.raises(CoachkitDataError, match="row 3.*'value'.*'often'"):
        sv.construct_scores(df, ITEMS)
    with pytest.raises(CoachkitDataError, match="missing column.*'year'"):
        sv.construct_scores(hand_responses().drop(columns="year"), ITEMS)
    df = hand_responses()
    df.loc[2, "item_id"] = "Z9"
    with pytest.raises(CoachkitDataError, match="row 2.*'Z9'.*not in survey_items"):
        sv.construct_scores(df, ITEMS)
    df = hand_responses()
    df.loc[0, "respondent"] = "staff"
    with pytest.raises(CoachkitDataError, match="row 0.*student"):
        sv.construct_scores(df, ITEMS)
    dup = pd.concat([hand_responses(), hand_responses().iloc[[4]]], ignore_index=True)
    with pytest.raises(CoachkitDataError, match="more than once"):
        sv.construct_scores(dup, ITEMS)
    with pytest.raises(CoachkitDataError, match="'grade'"):
        sv.construct_scores(hand_responses(), ITEMS, by=("year", "grade"))


def test_reverse_column_optional_and_categorical_input():
    items = ITEMS.drop(columns="reverse")
    rs = sv.respondent_scores(hand_responses(), items).set_index(["respondent_id", "construct"])
    assert rs.loc[("s1", "Agency"), "score"] == pytest.approx(8 / 3)   # (4 + 3 + 1) / 3
    df = hand_responses()
    for c in ("respondent_id", "respondent", "school_id", "item_id"):
        df[c] = df[c].astype("category")
    sc = sv.construct_scores(df, ITEMS, min_n=1)
    assert sc.loc[sc["construct"] == "Agency", "mean"].item() == pytest.approx(37 / 12)


# ----------------------------------------------------------------------------- change

def _summary(rows):
    return pd.DataFrame(rows, columns=["year", "respondent", "construct", "n", "mean", "sd"])


def test_year_over_year_hand_worked():
    sc = _summary([
        (2022, "student", "Agency", 25, 2.5, 0.5), (2023, "student", "Agency", 25, 2.8, 0.5),
        (2022, "student", "Belonging", 25, 2.7, 0.5), (2023, "student", "Belonging", 25, 2.6, 0.5),
    ])
    ch = sv.year_over_year(sc).set_index("construct")
    # se = sqrt(0.5^2/25 + 0.5^2/25) = sqrt(0.02); Welch df = 0.02^2 / (2 * 0.01^2 / 24) = 48
    half = stats.t.ppf(0.975, 48) * math.sqrt(0.02)              # 2.0106 * 0.14142 = 0.2843
    a = ch.loc["Agency"]
    assert a["change"] == pytest.approx(0.3) and a["ci_low"] == pytest.approx(0.3 - half)
    assert a["exceeds_uncertainty"] and a["direction"] == "up"  # 0.3 > 0.284
    b = ch.loc["Belonging"]
    assert b["change"] == pytest.approx(-0.1) and not b["exceeds_uncertainty"]
    assert b["direction"] == "no clear change"
    assert (a["year_from"], a["year_to"]) == (2022, 2023)


def test_year_over_year_from_real_pipeline_and_suppression():
    rng = np.random.default_rng(3)
    frames = []
    for year, shift in ((2022, 0), (2023, 1)):
        rows = {f"{year}-{i}": {it: float(np.clip(rng.integers(1, 4) + shift, 1, 4))
                                for it in ("A1", "A2", "A3")} for i in range(30)}
        frames.append(pd.DataFrame(_long(rows, year=year)))
    df = pd.concat(frames, ignore_index=True)
    sc = sv.construct_scores(df, ITEMS)
    ch = sv.year_over_year(sc)
    assert len(ch) == 1 and ch["change"].item() == pytest.approx(
        sc["mean"].iloc[1] - sc["mean"].iloc[0])
    # a year suppressed -> nothing reported
    sc_small = sv.construct_scores(df, ITEMS, min_n=31)
    ch_small = sv.year_over_year(sc_small)
    assert ch_small["suppressed"].all() and ch_small["change"].isna().all()
    assert ch_small["direction"].isna().all() and not ch_small["exceeds_uncertainty"].any()
    with pytest.raises(CoachkitDataError, match="2030"):
        sv.year_over_year(sc, years=(2022, 2030))


# ----------------------------------------------------------------------------- alpha

def test_alpha_hand_worked():
    wide = pd.DataFrame({"q1": [1, 2, 3, 4], "q2": [2, 2, 3, 3], "q3": [2, 3, 3, 4]})
    # item variances (ddof 1): 5/3, 1/3, 2/3 -> sum 8/3; totals 5, 7, 9, 11 -> variance 20/3
    # alpha = 3/2 * (1 - (8/3) / (20/3)) = 1.5 * 0.6 = 0.9
    assert sv.cronbach_alpha(wide) == pytest.approx(0.9, abs=1e-12)
    # listwise: a row with a gap is dropped
    gappy = pd.concat([wide, pd.DataFrame({"q1": [4.0], "q2": [np.nan], "q3": [1.0]})],
                      ignore_index=True)
    assert sv.cronbach_alpha(gappy) == pytest.approx(0.9, abs=1e-12)


def test_alpha_edge_cases():
    with pytest.raises(CoachkitDataError, match="at least two items"):
        sv.cronbach_alpha(pd.DataFrame({"q1": [1, 2, 3]}))
    assert math.isnan(sv.cronbach_alpha(pd.DataFrame({"a": [2, 2, 2], "b": [3, 3, 3]})))
    assert math.isnan(sv.cronbach_alpha(pd.DataFrame({"a": [2.0], "b": [3.0]})))
    with pytest.raises(CoachkitDataError, match="row 1.*'b'"):
        sv.cronbach_alpha(pd.DataFrame({"a": [1, 2], "b": [3, 7]}))
    assert np.isfinite(sv.cronbach_alpha(pd.DataFrame({"a": [1, 2, 7], "b": [3, 7, 6]}),
                                         scale=None))


def test_construct_alpha_one_item_and_hand_worked():
    items = pd.concat([ITEMS, pd.DataFrame([{"item_id": "C1", "construct": "Solo",
                                             "respondent": "student", "text": "x"}])],
                      ignore_index=True)
    # the alpha example again, as four students; A3 is reverse coded so store 5 - value
    vals = [(1, 2, 2), (2, 2, 3), (3, 3, 3), (4, 3, 4)]
    rows = {f"s{i}": {"A1": a, "A2": b, "A3": 5 - c, "C1": a} for i, (a, b, c) in enumerate(vals)}
    al = sv.construct_alpha(pd.DataFrame(_long(rows)), items, min_n=1).set_index("construct")
    assert al.loc["Agency", "alpha"] == pytest.approx(0.9, abs=1e-12)
    assert al.loc["Agency", "n_items"] == 3 and al.loc["Agency", "n_respondents"] == 4
    assert pd.isna(al.loc["Agency", "reason"])
    assert math.isnan(al.loc["Solo", "alpha"]) and al.loc["Solo", "n_items"] == 1
    assert al.loc["Solo", "reason"] == "one item: alpha needs at least two"
    assert not al.loc["Solo", "suppressed"]


def test_alpha_matches_pingouin_on_shipped_questionnaire():
    pg = _pingouin()
    # "Questionnaire ratings" (pingouin's cronbach_alpha data set, from real-statistics.com):
    # 15 respondents x 10 items on a 1-7 rating scale
    long = pg.read_dataset("cronbach_alpha")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    ref, _ = pg.cronbach_alpha(data=long, items="Items", scores="Scores", subject="Subj")
    assert sv.cronbach_alpha(wide, scale=(1, 7)) == pytest.approx(ref, abs=1e-9)
    assert sv.cronbach_alpha(wide, scale=None, missing="pairwise") == pytest.approx(ref, abs=1e-9)
    # the same data through the survey pipeline, rescaled 1-7 -> 1-4 (alpha is invariant
    # to a linear change of scale)
    resp = long.rename(columns={"Subj": "respondent_id", "Items": "item_id"})
    resp = resp.assign(value=1 + (resp["Scores"] - 1) / 2, respondent="student",
                       school_id="S1", year=2024)
    items = pd.DataFrame({"item_id": sorted(resp["item_id"].unique()), "construct": "Q",
                          "respondent": "student", "text": "q"})
    al = sv.construct_alpha(resp, items)
    assert al["alpha"].item() == pytest.approx(ref, abs=1e-9)
    assert (al["n_items"].item(), al["n_respondents"].item()) == (10, 15)


def test_alpha_matches_pingouin_with_missing_answers():
    pg = _pingouin()
    wide = pg.read_dataset("cronbach_wide_missing")      # 12 x 11, binary, with gaps
    for policy in ("pairwise", "listwise"):
        ref, _ = pg.cronbach_alpha(data=wide, nan_policy=policy)
        got = sv.cronbach_alpha(wide, missing=policy, scale=None)
        assert got == pytest.approx(ref, abs=1e-9), policy


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(3, 40), st.integers(2, 8), st.integers(0, 2**32 - 1))
def test_alpha_matches_pingouin_on_random_likert(n, k, seed):
    pg = _pingouin()
    rng = np.random.default_rng(seed)
    person = rng.normal(0, 1, (n, 1))
    x = np.clip(np.round(2.5 + person + rng.normal(0, 1, (n, k))), 1, 4)
    wide = pd.DataFrame(x, columns=[f"q{i}" for i in range(k)])
    ref, _ = pg.cronbach_alpha(data=wide)
    got = sv.cronbach_alpha(wide)
    if math.isnan(got):
        assert wide.sum(axis=1).var() == 0
    else:
        assert got == pytest.approx(ref, abs=1e-9)


# ----------------------------------------------------------------------------- favorable

def test_favorable_share_hand_worked():
    fav = sv.favorable_share(hand_responses(), ITEMS, min_n=1).set_index("construct")
    # Agency, scored respondents only, after reverse coding: s1 4, 3, 4 (3 favorable),
    # s2 2, 3 (1 favorable) -> 4 of 5 = 0.8
    a = fav.loc["Agency"]
    assert (a["n"], a["n_answers"], a["n_favorable"]) == (2, 5, 4)
    assert a["favorable"] == pytest.approx(0.8)
    # Belonging: s1 3, 3; s2 2 -> 2 of 3
    assert fav.loc["Belonging", "favorable"] == pytest.approx(2 / 3)


# ----------------------------------------------------------------------------- reporting

def test_n_ranges_and_headline():
    sc = _summary([
        (2022, "student", "Agency", 1229, 2.5, 0.5), (2022, "student", "Belonging", 1455, 2.7, .5),
        (2023, "student", "Agency", 1415, 2.8, 0.5), (2023, "student", "Belonging", 1723, 3.1, .5),
    ]).assign(suppressed=False)
    sc["band"] = sv.evidence_band(sc["mean"])
    r = sv.n_ranges(sc)
    assert r[["year", "n_min", "n_max"]].values.tolist() == [[2022, 1229, 1455], [2023, 1415, 1723]]
    h = sv.survey_headline(sc, sv.year_over_year(sc)).iloc[0]
    assert (h["year"], h["n_constructs"], h["n_strong"], h["n_moderate_to_strong"]) == (2023, 2, 1, 1)
    assert h["n_up"] == 2 and h["n_down"] == 0


def test_pure_inputs_not_modified():
    df = hand_responses()
    before = df.copy()
    sv.construct_scores(df, ITEMS, by=("year", "school_id"))
    sv.construct_alpha(df, ITEMS)
    sv.favorable_share(df, ITEMS)
    pd.testing.assert_frame_equal(df, before)


# ----------------------------------------------------------------------------- review helpers

def test_year_pair_latest_previous_gaps_and_text():
    df = pd.DataFrame({"year": [2022, 2022, 2023, 2025, 2025]})
    assert sv.year_pair(df) == (2023, 2025)             # the previous survey, across a gap
    assert sv.year_pair(df, 2023) == (2022, 2023)
    assert sv.year_pair(df, "2025") == (2023, 2025)     # as a URL query string passes it
    assert sv.year_pair(df, 2022.0) == (None, 2022)     # first year: nothing to compare with
    with pytest.raises(CoachkitDataError, match="2024.*2022, 2023, 2025") as e:
        sv.year_pair(df, 2024)
    assert e.value.column == "year" and e.value.found == 2024
    with pytest.raises(CoachkitDataError):
        sv.year_pair(df, "last year")
    # strict=False: the latest year at or before it (conditions rated a year behind)
    assert sv.year_pair(df, 2024, strict=False) == (2022, 2023)
    assert sv.year_pair(df, 2030, strict=False) == (2023, 2025)
    with pytest.raises(CoachkitDataError):
        sv.year_pair(df, 2021, strict=False)
    with pytest.raises(CoachkitDataError, match="empty"):
        sv.year_pair(df.iloc[:0])


def test_for_school():
    df = pd.concat([hand_responses(), hand_responses().assign(school_id="S2")],
                   ignore_index=True)
    assert sv.for_school(df, None) is df
    one = sv.for_school(df, "S2")
    assert set(one["school_id"]) == {"S2"} and len(one) == len(df) // 2
    with pytest.raises(CoachkitDataError, match="'S9'.*S1, S2") as e:
        sv.for_school(df, "S9")
    assert e.value.column == "school_id"


def test_report_counts_never_shows_a_small_count():
    table = pd.DataFrame({
        "construct": ["A", "B", "C", "D"],
        "n": pd.array([120, pd.NA, pd.NA, 10], dtype="Int64"),
        "n_respondents": [118, 7, 0, 9],          # alpha's count of a suppressed group
        "alpha": [0.8, np.nan, np.nan, np.nan],
        "suppressed": [False, True, False, True],
    })
    before = table.copy()
    out = sv.report_counts(table, min_n=10)
    # reported -> the number; suppressed and empty -> "hidden"; empty, not suppressed ->
    # dash; a number under min_n -> "hidden" even where the table kept it
    assert out["n"].tolist() == ["120", "hidden", "\u2014", "10"]
    assert out["n_respondents"].tolist() == ["118", "hidden", "hidden", "hidden"]
    assert out["alpha"].iloc[0] == 0.8 and np.isnan(out["alpha"].iloc[1])   # stats untouched
    pd.testing.assert_frame_equal(table, before)
    assert sv.report_counts(table, min_n=5)["n_respondents"].tolist() == ["118", "7", "hidden", "9"]
    assert sv.report_counts(table, columns="n", missing="")["n"].tolist()[2] == ""
    assert sv.report_counts(table, columns="n")["n_respondents"].tolist() == [118, 7, 0, 9]


def test_report_counts_on_year_over_year_keeps_the_reported_year():
    sc = _summary([(2022, "student", "Agency", 6, 2.5, 0.5),
                   (2023, "student", "Agency", 40, 2.9, 0.5)])
    sc = sc.assign(suppressed=sc["n"] < 10)
    sc.loc[sc["suppressed"], ["mean", "sd"]] = np.nan
    sc["n"] = sc["n"].astype("Int64").where(~sc["suppressed"])
    ch = sv.report_counts(sv.year_over_year(sc))
    assert ch[["n_from", "n_to"]].values.tolist() == [["hidden", "40"]]


def test_by_year_side_by_side_in_construct_order():
    sc = _summary([
        (2024, "student", "Agency", 30, 2.5, 0.5), (2024, "student", "Belonging", 5, 2.0, 0.5),
        (2025, "student", "Agency", 32, 2.8, 0.5), (2025, "student", "Belonging", 31, 3.1, .5),
        (2025, "staff", "Vision", 12, 3.0, 0.5),        # asked for the first time in 2025
    ])
    sc = sc.assign(suppressed=sc["n"] < 10)
    sc["n"] = sc["n"].astype("Int64").where(~sc["suppressed"])
    sc["mean"] = sc["mean"].where(~sc["suppressed"])
    wide = sv.by_year(sc, ["n", "mean"])
    assert list(wide.columns) == ["respondent", "construct", "n 2024", "mean 2024", "n 2025",
                                  "mean 2025"]
    assert wide["construct"].tolist() == ["Agency", "Belonging", "Vision"]
    assert wide["n 2024"].tolist() == ["30", "hidden", "\u2014"]
    assert wide["n 2025"].tolist() == ["32", "31", "12"]
    assert wide["mean 2024"].iloc[0] == 2.5 and np.isnan(wide["mean 2024"].iloc[1])
    assert np.isnan(wide["mean 2024"].iloc[2])
    one = sv.by_year(sc, ["n", "mean"], years=[None, 2025], names={"n": "respondents"})
    assert list(one.columns) == ["respondent", "construct", "respondents 2025", "mean 2025"]
    with pytest.raises(CoachkitDataError, match="2023"):
        sv.by_year(sc, ["n"], years=[2023, 2025])
    with pytest.raises(CoachkitDataError, match="more than one row"):
        sv.by_year(pd.concat([sc, sc]), ["n"])
    with pytest.raises(ValueError, match="same header"):
        sv.by_year(sc, ["n", "mean"], names={"mean": "n"})


def test_by_year_on_real_alpha_hides_small_counts():
    rows = {f"r{i:02d}": {"A1": 1 + i % 4, "A2": 1 + (i + 1) % 4, "A3": 1 + i % 3}
            for i in range(14)}
    ell = {rid: i < 4 for i, rid in enumerate(rows)}
    al = sv.construct_alpha(pd.DataFrame(_long(rows, ell=ell)), ITEMS,
                            by=("year", "respondent", "ell"))
    wide = sv.by_year(al, ["n_items", "n_respondents", "alpha"], by=("respondent", "ell"))
    small = wide[wide["ell"]].iloc[0]
    assert small["n_respondents 2024"] == "hidden" and np.isnan(small["alpha 2024"])
    assert wide.loc[~wide["ell"], "n_respondents 2024"].tolist() == ["10"]


# ----------------------------------------------------------------------------- docs

def test_docs_examples_run():
    """Every ```python block in docs/surveys.md runs, top to bottom, in one namespace."""
    text = (ROOT / "docs" / "surveys.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    ns: dict = {}
    for block in blocks:
        exec(compile(block, "docs/surveys.md", "exec"), ns)
