"""coachkit.conditions and the survey/conditions figures."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from coachkit import CoachkitDataError
from coachkit import conditions as cd
from coachkit import surveys as sv
from coachkit.charts import surveys as charts
from coachkit.schema import CONDITIONS


def table():
    return pd.DataFrame([
        dict(school_id="district", year=2024, condition="Shared Vision", rating=2.0, note="POG adopted"),
        dict(school_id="district", year=2025, condition="shared_vision", rating=3.0, note=None),
        dict(school_id="A", year=2024, condition="agency", rating=2.0, note=None),
        dict(school_id="A", year=2025, condition=" AGENCY ", rating=3.0, note="binders"),
        dict(school_id="B", year=2024, condition="agency", rating=1.0, note=None),
        dict(school_id="B", year=2025, condition="agency", rating=1.0, note=None),
        dict(school_id="C", year=2024, condition="Comprehensive-Assessment  System", rating=4.0,
             note=None),
        dict(school_id="C", year=2025, condition="comprehensive assessment system", rating=3.0,
             note=None),
    ])


@pytest.mark.parametrize("raw", ["Shared Vision", "shared_vision", "  SHARED-VISION ",
                                 "shared   vision", "Shared\tVision"])
def test_name_variants(raw):
    assert cd.normalize_condition(raw) == "shared vision"


def test_every_canonical_name_round_trips():
    for c in CONDITIONS:
        assert cd.normalize_condition(c.upper().replace(" ", "_")) == c


@pytest.mark.parametrize("raw, hint", [("agencey", "agency"), ("suport", "supports"),
                                       ("leadership", "leadership development")])
def test_unknown_names_get_a_clear_error(raw, hint):
    df = table()
    df.loc[4, "condition"] = raw
    with pytest.raises(CoachkitDataError) as e:
        cd.check_conditions(df)
    msg = str(e.value)
    assert "row 4" in msg and repr(raw) in msg and f"Did you mean {hint!r}" in msg
    assert "twelve conditions" in msg
    assert e.value.row == 4 and e.value.column == "condition"


def test_nonsense_name_lists_the_twelve():
    with pytest.raises(CoachkitDataError, match="Expected one of: shared vision, culture"):
        cd.normalize_condition("budget")


def test_ratings_and_duplicates_checked():
    df = table()
    df.loc[2, "rating"] = 5
    with pytest.raises(CoachkitDataError, match="row 2.*'rating'.*5"):
        cd.check_conditions(df)
    df = table()
    df.loc[3, "condition"] = "Agency"
    df.loc[3, "year"] = 2024                       # A rated agency twice in 2024
    with pytest.raises(CoachkitDataError, match="twice"):
        cd.check_conditions(df)
    with pytest.raises(CoachkitDataError, match="missing column.*'rating'"):
        cd.check_conditions(table().drop(columns="rating"))


def test_condition_ratings_full_grid_with_notes():
    r = cd.condition_ratings(table())
    # 4 schools (district, A, B, C) x 2 years x 12 conditions
    assert len(r) == 4 * 2 * 12
    assert r["school_id"].iloc[0] == "district"
    assert list(r["condition"].iloc[:12]) == list(CONDITIONS)
    row = r[(r["school_id"] == "A") & (r["year"] == 2025) & (r["condition"] == "agency")].iloc[0]
    assert row["rating"] == 3.0 and row["rated"] and row["note"] == "binders"
    unrated = r[(r["school_id"] == "A") & (r["condition"] == "culture")]
    assert unrated["rating"].isna().all() and not unrated["rated"].any()
    assert len(cd.condition_ratings(table(), years=[2025], schools=["A"])) == 12


def test_summary_hand_worked():
    s = cd.conditions_summary(table()).set_index(["year", "condition"])
    assert len(s) == 24
    a = s.loc[(2024, "agency")]
    # schools A 2, B 1 -> mean 1.5, sd |2 - 1| / sqrt(2); the district did not rate agency
    assert a["n_schools"] == 2 and a["mean"] == pytest.approx(1.5)
    assert a["sd"] == pytest.approx(1 / math.sqrt(2)) and (a["min"], a["max"]) == (1.0, 2.0)
    assert a["n_at_3_or_above"] == 0 and math.isnan(a["district_rating"])
    v = s.loc[(2025, "shared vision")]
    assert v["n_schools"] == 0 and math.isnan(v["mean"]) and v["district_rating"] == 3.0
    assert s.loc[(2025, "agency"), "n_at_3_or_above"] == 1


def test_change_hand_worked():
    ch = cd.conditions_change(table())
    assert len(ch) == 4 * 12
    get = lambda s, c: ch[(ch["school_id"] == s) & (ch["condition"] == c)].iloc[0]
    assert get("district", "shared vision")["change"] == 1.0
    assert get("A", "agency")["direction"] == "up" and get("A", "agency")["note"] == "binders"
    assert get("B", "agency")["direction"] == "same"
    assert get("C", "comprehensive assessment system")["direction"] == "down"
    assert pd.isna(get("B", "culture")["direction"])
    with pytest.raises(CoachkitDataError, match="2030"):
        cd.conditions_change(table(), years=(2024, 2030))


def test_input_not_modified():
    df = table()
    before = df.copy()
    cd.conditions_summary(df)
    cd.conditions_change(df)
    pd.testing.assert_frame_equal(df, before)


# ----------------------------------------------------------------------------- figures

ITEMS = pd.DataFrame({"item_id": ["A1", "A2", "V1", "V2"],
                      "construct": ["Agency", "Agency", "Vision", "Vision"],
                      "respondent": ["student", "student", "staff", "staff"],
                      "text": ["a", "b", "c", "d"]})


def _responses(n_student=20, n_staff=12):
    rng = np.random.default_rng(0)
    rows = []
    for year in (2022, 2023):
        for who, n, its in (("student", n_student, ("A1", "A2")), ("staff", n_staff, ("V1", "V2"))):
            for i in range(n):
                for it in its:
                    rows.append(dict(respondent_id=f"{who}{i}", respondent=who, school_id="S",
                                     year=year, item_id=it, value=float(rng.integers(1, 5))))
    return pd.DataFrame(rows)


def test_construct_bars_two_years_two_panels_bands_caption():
    scores = sv.construct_scores(_responses(), ITEMS)
    fig = charts.construct_bars(scores)
    assert isinstance(fig, go.Figure)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 4                                  # 2 panels x 2 years
    assert {t.name for t in bars} == {"2022", "2023"}
    assert {t.yaxis for t in bars} == {"y", "y2"}
    lines = sorted({s.y0 for s in fig.layout.shapes})
    assert lines == [2.0, 3.0]
    texts = " ".join(a.text or "" for a in fig.layout.annotations)
    assert "Students" in texts and "Staff" in texts
    assert "n=20 (2022)" in texts and "n=12 (2023)" in texts
    assert fig.layout.barmode == "group"


def test_construct_bars_suppressed_panel_and_caption():
    scores = sv.construct_scores(_responses(n_staff=4), ITEMS)
    fig = charts.construct_bars(scores)
    staff = [t for t in fig.data if t.yaxis == "y2"]
    assert all(np.isnan(np.asarray(t.y, dtype=float)).all() for t in staff)
    cap = charts.n_caption(scores)
    assert "Staff: all suppressed (2022)" in cap and "2 construct result(s) suppressed." in cap


def test_construct_bars_wants_one_row_per_group():
    scores = sv.construct_scores(_responses(), ITEMS, by=("year", "school_id"))
    charts.construct_bars(scores)                         # one school: fine
    two = pd.concat([scores, scores.assign(school_id="T")], ignore_index=True)
    with pytest.raises(CoachkitDataError, match="filter to one group"):
        charts.construct_bars(two)


def test_conditions_heatmap_and_radar():
    heat = charts.conditions_heatmap(table())
    z = np.asarray(heat.data[0].z, dtype=float)
    assert z.shape == (4, 12)
    assert heat.data[0].y[0] == "District"
    assert z[1, CONDITIONS.index("agency")] == 3.0        # A, 2025
    radar = charts.conditions_radar(table(), school_id="A")
    assert [t.name for t in radar.data] == ["2024", "2025"]
    assert len(radar.data[0].theta) == 13                 # closed loop
    with pytest.raises(CoachkitDataError, match="Z"):
        charts.conditions_radar(table(), school_id="Z")


def test_for_school_keeps_the_district_beside_the_school():
    one = cd.for_school(table(), "A")
    assert set(one["school_id"]) == {"district", "A"} and len(one) == 4
    assert cd.for_school(table(), None) is not None and len(cd.for_school(table())) == 8
    with pytest.raises(CoachkitDataError, match="'Z'.*A, B, C") as e:
        cd.for_school(table(), "Z")
    assert e.value.column == "school_id"
    # the district's own rows are never a school to pick
    with pytest.raises(CoachkitDataError):
        cd.for_school(table().query("school_id != 'district'"), "district")


def test_construct_bars_marks_suppressed_bars_and_labels_bands_once_per_panel():
    scores = sv.construct_scores(_responses(n_staff=4), ITEMS)
    fig = charts.construct_bars(scores)
    texts = [a.text for a in fig.layout.annotations]
    assert all(t for t in texts)                           # no "new text" placeholders
    marks = [a for a in fig.layout.annotations if a.text == "n hidden"]
    assert len(marks) == 2 and {a.yref for a in marks} == {"y2"}   # staff, two years
    assert sorted(a.x for a in marks) == pytest.approx([-0.1875, 0.1875])
    bands = [t for t in texts if "strong" in t]
    assert len(bands) == 4                                 # two lines x two panels
