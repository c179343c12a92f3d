"""coachkit.review: the implementation review's rules on a small hand-made district.

Two schools. Students answer one construct (Agency, two items), staff another (Vision).
S1's students move from a mean of 2.5 to 3.5 (half at 2, half at 3, then half at 3, half
at 4): a change of +1 larger than its uncertainty. S2's students answer the same both
years: no change. S1 has 12 staff, S2 only 3: S2's staff are under the minimum of 10,
and since the district's 15 staff minus S1's 12 would give them away, S1's staff are
hidden in S1's review too.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from coachkit import review, surveys
from coachkit.errors import CoachkitDataError
from coachkit.privacy import HIDDEN

ITEMS = pd.DataFrame({
    "item_id": ["A1", "A2", "V1", "V2"],
    "construct": ["Agency", "Agency", "Vision", "Vision"],
    "respondent": ["student", "student", "staff", "staff"],
    "text": ["I choose how I learn", "I set goals", "I know the vision", "I can explain it"],
    "reverse": [False] * 4,
})


def _people(school, year, respondent, values, items):
    rows = []
    for i, v in enumerate(values):
        rid = f"{respondent}-{school}-{year}-{i}"
        rows += [dict(respondent_id=rid, respondent=respondent, school_id=school, year=year,
                      item_id=item, value=float(v)) for item in items]
    return rows


def _responses():
    rows = []
    for year, s1_students in ((2025, [2] * 5 + [3] * 5), (2026, [3] * 5 + [4] * 5)):
        rows += _people("S1", year, "student", s1_students, ["A1", "A2"])
        rows += _people("S2", year, "student", [2] * 6 + [3] * 6, ["A1", "A2"])
        rows += _people("S1", year, "staff", [3] * 6 + [4] * 6, ["V1", "V2"])
        rows += _people("S2", year, "staff", [1, 2, 4], ["V1", "V2"])
    return pd.DataFrame(rows)


def _conditions():
    rows = []
    for year in (2025, 2026):
        for who in ("district", "S1", "S2"):
            for condition in ("shared vision", "culture"):
                rating, note = 3.0, np.nan
                if year == 2026 and who == "district" and condition == "shared vision":
                    rating, note = 4.0, "vision written with families"
                if year == 2026 and who == "S1" and condition == "culture":
                    rating, note = 2.0, "lost our coach"
                if year == 2026 and who == "S2" and condition == "shared vision":
                    rating = 1.0
                rows.append(dict(school_id=who, year=year, condition=condition,
                                 rating=rating, note=note))
    return pd.DataFrame(rows)


@pytest.fixture
def ds():
    return SimpleNamespace(survey_responses=_responses(), survey_items=ITEMS,
                           conditions=_conditions(),
                           schools=pd.DataFrame({"school_id": ["S1", "S2"],
                                                 "name": ["Mesa School", "River School"]}))


def _row(table, respondent, construct="Agency"):
    got = table[(table["respondent"] == respondent) & (table["construct"] == construct)]
    assert len(got) == 1
    return got.iloc[0]


def test_review_of_a_school_reads_its_own_responses_and_both_years(ds):
    view = review.implementation_review(ds, "S1", min_n=10)
    assert (view.before, view.year, view.years) == (2025, 2026, [2025, 2026])
    assert set(view.responses["school_id"]) == {"S1"}
    assert view.who == "Mesa School"
    assert review.heading(view) == "Implementation survey 2026 for Mesa School, beside 2025."
    means = review.means_table(view)
    agency = _row(means, "student")
    assert (agency["n 2025"], agency["n 2026"]) == ("10", "10")
    assert agency["mean 2025"] == pytest.approx(2.5) and agency["mean 2026"] == pytest.approx(3.5)
    assert review.implementation_review(ds, min_n=10).who == "the whole district"


def test_school_review_is_suppressed_together_with_the_district(ds):
    # on its own S1's 12 staff would be shown; beside the district's 15 they give S2's 3 away
    alone = surveys.construct_scores(surveys.for_school(ds.survey_responses, "S1"), ITEMS,
                                     by=("year", "respondent"), min_n=10)
    assert surveys.report_counts(alone, min_n=10)["n"].eq("12").any()
    view = review.implementation_review(ds, "S1", min_n=10)
    for table in (review.means_table(view), review.favorable_table(view),
                  review.alpha_table(view)):
        staff = _row(table, "staff", "Vision")
        assert staff["n 2025"] == staff["n 2026"] == HIDDEN
        assert _row(table, "student")["n 2026"] == "10"
    change = review.change_table(view)
    staff = _row(change, "staff", "Vision")
    assert staff["n 2026"] == HIDDEN and pd.isna(staff["change"])
    # the district's own review shows its 15 staff: nothing there is under the minimum
    district = review.means_table(review.implementation_review(ds, min_n=10))
    assert _row(district, "staff", "Vision")["n 2026"] == "15"


def test_year_over_year_change_and_what_it_says(ds):
    change = review.change_table(review.implementation_review(ds, "S1", min_n=10))
    agency = _row(change, "student")
    assert agency["change"] == pytest.approx(1.0)
    assert agency["95% interval from"] > 0
    assert agency["larger than its uncertainty"] == "yes, up"
    assert list(change.columns[:6]) == ["respondent", "construct", "n 2025", "mean 2025",
                                        "n 2026", "mean 2026"]
    same = _row(review.change_table(review.implementation_review(ds, "S2", min_n=10)),
                "student")
    assert same["change"] == pytest.approx(0.0)
    assert same["larger than its uncertainty"] == "no"
    assert list(review.verdict(pd.Series(["down", "no clear change"]))) == ["yes, down", "no"]


def test_first_survey_year_has_no_change_yet(ds):
    view = review.implementation_review(ds, "S1", year=2025, min_n=10)
    assert view.before is None and view.years == [2025]
    assert review.change_table(view) is None
    assert "first survey year" in review.heading(view)
    assert review.no_change_yet(view).startswith("2025 is the first survey year")
    assert review.moved_conditions(view) is None
    assert "first rated in 2025" in review.no_conditions_change_yet(view)


def test_holds_together_at_the_rule_of_thumb():
    assert review.holds_together(0.7) == "yes"
    assert review.holds_together(0.69) == "no"
    assert review.holds_together(float("nan")) == "\u2014"


def test_favorable_share_and_its_percent_format(ds):
    fav = review.favorable_table(review.implementation_review(ds, "S1", min_n=10))
    agency = _row(fav, "student")
    assert agency["favorable 2025"] == pytest.approx(0.5)     # half answered 3
    assert agency["favorable 2026"] == pytest.approx(1.0)     # everyone 3 or 4
    assert review.percent_formats(fav) == {"favorable 2025": "{:.0%}",
                                           "favorable 2026": "{:.0%}"}


def test_conditions_moved_are_the_districts_and_the_schools_own(ds):
    view = review.implementation_review(ds, "S1", min_n=10)
    moved = review.moved_conditions(view)
    got = {(w, str(c), r) for w, c, r in zip(moved["who"], moved["condition"], moved["change"])}
    assert got == {("district", "shared vision", 1.0), ("S1", "culture", -1.0)}
    assert list(moved.columns) == ["who", "condition", "2025", "2026", "change", "note"]
    assert "lost our coach" in set(moved["note"])
    table = review.conditions_table(view)
    vision = table[table["condition"].astype(str) == "shared vision"].iloc[0]
    # the district's own 4 beside its schools' 3 and 1, every school, not only S1
    assert vision["district rating"] == 4
    assert vision["schools mean"] == pytest.approx(2.0)
    assert (vision["lowest school"], vision["highest school"]) == (1, 3)


def test_unknown_school_is_an_error_naming_the_schools(ds):
    with pytest.raises(CoachkitDataError, match="S1, S2"):
        review.implementation_review(ds, "S9")


def test_a_parameter_cannot_lower_the_minimum(ds):
    assert review.implementation_review(ds, "S1", min_n=1).min_n >= 10
