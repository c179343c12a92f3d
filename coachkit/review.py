"""What the yearly implementation review looks at, for the district or one school.

The implementation-review protocol reads the implementation survey and the conditions
self-assessment, this year beside the year before. Every rule it applies lives here (which
responses, which years, suppression through :mod:`coachkit.privacy`, year-over-year
change and what it says, the tables it shows), so the notebook is prose and a few calls
and the rules have tests.

    view = ck.review.implementation_review(ds, school="S101", min_n=10)
    ck.review.change_table(view), ck.review.alpha_table(view), ck.review.moved_conditions(view)
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import conditions as conditions_
from . import privacy, surveys
from .dataset import Dataset
from .schema import DISTRICT

#: A construct's items hold together when Cronbach's alpha reaches this (the usual rule of
#: thumb for a group-level survey scale).
ALPHA_HOLDS = 0.7

#: What the change table says of each direction ``surveys.year_over_year`` gives.
VERDICTS = {"up": "yes, up", "down": "yes, down", "no clear change": "no"}

#: How the change table's signed columns are written.
SIGNED = {c: "{:+.2f}" for c in ("change", "95% interval from", "95% interval to")}

DASH = "\u2014"


@dataclass
class Review:
    """One implementation review: the responses, years and scores every section reads."""
    school: str | None
    who: str                           # the school's name, or "the whole district"
    year: int
    before: int | None                 # the survey year read beside it, if any
    min_n: int
    items: pd.DataFrame
    responses: pd.DataFrame            # the school's (or district's) responses, both years
    together: pd.DataFrame | None      # what a school's review is suppressed together with
    scores: pd.DataFrame
    conditions: pd.DataFrame           # the district's ratings (and the school's)
    all_conditions: pd.DataFrame       # every school's ratings, for the district beside them
    conditions_year: int
    conditions_before: int | None

    @property
    def years(self) -> list[int]:
        return [y for y in (self.before, self.year) if y is not None]

    @property
    def conditions_years(self) -> list[int]:
        return [y for y in (self.conditions_before, self.conditions_year) if y is not None]


def school_name(ds: Dataset, school=None) -> str:
    """Whom the review is for, in words: the school's name, or "the whole district"."""
    if school is None:
        return "the whole district"
    return dict(zip(ds.schools["school_id"], ds.schools["name"])).get(school, school)


def implementation_review(ds: Dataset, school=None, *, year=None, min_n=None) -> Review:
    """The review of ``school`` (``None``: the whole district) for survey ``year``
    (``None``: the latest), read beside the survey year before it.

    ``min_n`` can only raise the district's minimum (:func:`coachkit.privacy.minimum_n`).
    A school's review is read beside the district's, so its groups are suppressed together
    with the district's responses (``published_with``): a hidden group can't be worked out
    by subtracting the school from the district.
    """
    min_n = privacy.minimum_n(min_n)
    together = ds.survey_responses if school is not None else None
    responses = surveys.for_school(ds.survey_responses, school)
    before, year = surveys.year_pair(responses, year)
    years = [y for y in (before, year) if y is not None]
    responses = responses[responses["year"].isin(years)]
    scores = surveys.construct_scores(responses, ds.survey_items, by=("year", "respondent"),
                                      min_n=min_n, published_with=together)
    ratings = conditions_.for_school(ds.conditions, school)
    # conditions may be rated in a year without a survey: take the latest year up to it
    c_before, c_year = surveys.year_pair(ratings, year, strict=False)
    return Review(school=school, who=school_name(ds, school), year=year, before=before,
                  min_n=min_n, items=ds.survey_items, responses=responses, together=together,
                  scores=scores, conditions=ratings, all_conditions=ds.conditions,
                  conditions_year=c_year, conditions_before=c_before)


def heading(view: Review) -> str:
    """The sentence the review opens with: which survey year, for whom, beside which."""
    return (f"Implementation survey {view.year} for {view.who}"
            + (f", beside {view.before}." if view.before else
               " (the first survey year in the data)."))


def means_table(view: Review) -> pd.DataFrame:
    """Respondents, mean and evidence band of each construct, the years side by side."""
    return surveys.by_year(view.scores, ["n", "mean", "band"], years=view.years,
                           min_n=view.min_n)


def change(view: Review) -> pd.DataFrame | None:
    """Each construct's change from the year before (``surveys.year_over_year``), or
    ``None`` in the first survey year."""
    if view.before is None:
        return None
    return surveys.year_over_year(view.scores, years=(view.before, view.year))


def verdict(direction: pd.Series) -> pd.Series:
    """Whether each change is larger than its uncertainty, in words ("yes, up", "no")."""
    return direction.map(VERDICTS)


def change_table(view: Review) -> pd.DataFrame | None:
    """The change table as people read it: counts as ``surveys.report_counts`` shows them,
    the verdict in words, columns named by year. ``None`` in the first survey year."""
    moved = change(view)
    if moved is None:
        return None
    b, y = view.before, view.year
    shown = surveys.report_counts(moved, min_n=view.min_n).assign(
        verdict=verdict(moved["direction"]))
    return shown[["respondent", "construct", "n_from", "mean_from", "n_to", "mean_to",
                  "change", "ci_low", "ci_high", "verdict"]].rename(columns={
        "n_from": f"n {b}", "mean_from": f"mean {b}", "n_to": f"n {y}",
        "mean_to": f"mean {y}", "ci_low": "95% interval from", "ci_high": "95% interval to",
        "verdict": "larger than its uncertainty"})


def no_change_yet(view: Review) -> str:
    return f"{view.year} is the first survey year in the data: change starts next year."


def favorable_table(view: Review) -> pd.DataFrame:
    """Respondents and share of favorable answers (3 or 4), the years side by side."""
    favorable = surveys.favorable_share(view.responses, view.items, by=("year", "respondent"),
                                        min_n=view.min_n, published_with=view.together)
    return surveys.by_year(favorable, ["n", "favorable"], years=view.years, min_n=view.min_n)


def percent_formats(table: pd.DataFrame) -> dict:
    """Formats writing a table's favorable-share columns as percentages."""
    return {c: "{:.0%}" for c in table.columns if str(c).startswith("favorable")}


def holds_together(alpha) -> str:
    """Whether a construct's items hold together: "yes" from :data:`ALPHA_HOLDS`, "no"
    below it, a dash where alpha is not reported."""
    if alpha is None or pd.isna(alpha):
        return DASH
    return "yes" if alpha >= ALPHA_HOLDS else "no"


def alpha_table(view: Review) -> pd.DataFrame:
    """Cronbach's alpha of each construct and whether its items hold together, by year."""
    alpha = surveys.construct_alpha(view.responses, view.items, by=("year", "respondent"),
                                    min_n=view.min_n, published_with=view.together)
    alpha["holds together"] = alpha["alpha"].map(holds_together)
    # construct_alpha keeps the count of a group hidden only to protect another (the
    # district minus this school would give that one away): it must not show either
    hidden = alpha["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    alpha["n_respondents"] = alpha["n_respondents"].astype("float64").mask(hidden)
    return surveys.by_year(alpha, ["n_items", "n_respondents", "alpha", "holds together"],
                           years=view.years, min_n=view.min_n,
                           names={"n_items": "items", "n_respondents": "n"})


def conditions_table(view: Review) -> pd.DataFrame:
    """The district's own rating of each condition beside how its schools rated it.
    Ratings describe schools, not people: nothing is suppressed."""
    summary = conditions_.conditions_summary(view.all_conditions, years=[view.conditions_year])
    return summary[["condition", "district_rating", "mean", "min", "max", "n_at_3_or_above"]] \
        .rename(columns={"district_rating": "district rating", "mean": "schools mean",
                         "min": "lowest school", "max": "highest school",
                         "n_at_3_or_above": "schools at 3 or above"})


def moved_conditions(view: Review) -> pd.DataFrame | None:
    """Every rating of the district (and, in a school's review, of the school) that went up
    or down since the year before, with its note. ``None`` in the first rated year."""
    if view.conditions_before is None:
        return None
    moved = conditions_.conditions_change(
        view.conditions, years=(view.conditions_before, view.conditions_year))
    moved = moved[(moved["change"].fillna(0) != 0)
                  & moved["school_id"].isin([DISTRICT, view.school])]
    return moved[["school_id", "condition", "rating_from", "rating_to", "change", "note"]] \
        .rename(columns={"school_id": "who", "rating_from": str(view.conditions_before),
                         "rating_to": str(view.conditions_year)})


def no_conditions_change_yet(view: Review) -> str:
    return (f"Conditions were first rated in {view.conditions_year}: "
            "change starts next year.")
