"""The twelve district conditions for scaling personalized, competency-based learning.

A ``conditions`` table holds self-assessment ratings (1-4) of the twelve conditions
(``coachkit.schema.CONDITIONS``: shared vision, culture, agency, transparency,
partnerships, curriculum, instruction, comprehensive assessment system, flexible learning
environments, supports, professional development, leadership development) per school (or
``"district"`` for the district as a whole) and year, with an optional note.

    import coachkit as ck
    ratings = ck.conditions.condition_ratings(ds.conditions)     # the full 12 x school x year grid
    summary = ck.conditions.conditions_summary(ds.conditions)    # per year and condition
    change = ck.conditions.conditions_change(ds.conditions)      # per school and condition

Condition names are matched ignoring case, spacing, underscores and hyphens
(``"Shared_Vision"``, ``"  shared  vision "``, ``"SHARED-VISION"``); anything else raises
:class:`coachkit.CoachkitDataError` naming the row and suggesting the closest of the twelve.
The ratings are about schools, not people, so no minimum-n suppression applies.
"""
from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from . import checks
from .errors import CoachkitDataError
from .schema import CONDITIONS, DISTRICT

__all__ = ["CONDITIONS", "normalize_condition", "check_conditions", "condition_ratings",
           "conditions_summary", "conditions_change", "for_school"]

REQUIRED = ["school_id", "year", "condition", "rating"]
_KEYS = {re.sub(r"[\s_\-]+", " ", c).strip().lower(): c for c in CONDITIONS}


def _squash(name) -> str:
    return re.sub(r"[\s_\-]+", " ", str(name)).strip().lower()


def normalize_condition(name: str, *, row=None) -> str:
    """The canonical name of one of the twelve conditions.

    ``"Shared Vision"``, ``"shared_vision"`` and ``" SHARED-VISION "`` all give
    ``"shared vision"``. Anything else raises :class:`CoachkitDataError` with the closest
    canonical names as suggestions.
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        raise CoachkitDataError(
            f"table conditions{'' if row is None else f', row {row!r}'}, column 'condition': "
            f"expected one of the twelve conditions ({', '.join(CONDITIONS)}), got an empty cell",
            table="conditions", row=row, column="condition", found=name, expected=CONDITIONS)
    key = _squash(name)
    if key in _KEYS:
        return _KEYS[key]
    close = difflib.get_close_matches(key, list(_KEYS), n=2, cutoff=0.7)
    words = set(key.split())
    close += [c for c in _KEYS if c not in close and key and (
        key in c or c in key or (words and words <= set(c.split())))]
    close = close[:3]
    hint = f" Did you mean {' or '.join(repr(_KEYS[c]) for c in close)}?" if close else ""
    raise CoachkitDataError(
        f"table conditions{'' if row is None else f', row {row!r}'}, column 'condition': "
        f"expected one of the twelve conditions, got {name!r}.{hint} "
        f"Expected one of: {', '.join(CONDITIONS)} (case and spacing do not matter).",
        table="conditions", row=row, column="condition", found=name, expected=CONDITIONS)


def check_conditions(conditions: pd.DataFrame) -> pd.DataFrame:
    """Check a conditions table at the door; return a clean copy.

    The copy has canonical condition names (an ordered categorical in the order of the
    twelve), ``year`` as int, ``rating`` as float64 and a ``note`` column (empty when the
    table had none). Raises :class:`CoachkitDataError` naming row, column and value for a
    missing column, an empty school or year, an unknown condition, a rating outside 1-4
    (an empty rating means "not rated" and is kept as NaN) or the same school, year and
    condition rated twice.
    """
    checks.frame(conditions, "conditions", REQUIRED,
                 hint="school_id is a school's id or 'district'; note is optional.")
    df = conditions.copy()
    checks.filled(df, "conditions", ["school_id", "year"],
                  fix=f"every rating needs a school_id (or {DISTRICT!r}) and a year")
    df["school_id"] = df["school_id"].astype(object).astype("str")
    year = checks.whole_years(df, "conditions")
    df["year"] = year.astype("int64").to_numpy()
    names = df["condition"].astype(object)
    canon = {}
    for row, name in names.items():
        key = name if isinstance(name, str) else None
        if key is not None and key in canon:
            continue
        value = normalize_condition(name, row=row)
        if key is not None:
            canon[key] = value
    df["condition"] = pd.Categorical(names.map(canon), categories=list(CONDITIONS),
                                     ordered=True)
    raw = df["rating"]
    rating = pd.to_numeric(raw.astype(object), errors="coerce").astype("float64")
    checks.cells(df, "conditions",
                 ((rating.isna() & raw.notna()) | (rating < 1) | (rating > 4)).to_numpy(),
                 "rating", expected="a rating 1-4 (empty for not rated)")
    df["rating"] = rating.to_numpy()
    if "note" not in df.columns:
        df["note"] = pd.Series(np.nan, index=df.index, dtype="str")
    else:
        df["note"] = df["note"].astype(object).where(df["note"].notna()).astype("str")
    dup = df.duplicated(["school_id", "year", "condition"]).to_numpy()
    checks.cells(df, "conditions", dup, "condition",
                 expected="one rating per school, year and condition",
                 fix="it is rated twice for that school and year; keep one row")
    return df


def _years(df: pd.DataFrame, years) -> list[int]:
    present = sorted(int(y) for y in pd.unique(df["year"]))
    if years is None:
        return present
    years = [int(y) for y in ([years] if np.ndim(years) == 0 else years)]
    unknown = [y for y in years if y not in present]
    if unknown:
        raise CoachkitDataError(f"year(s) {unknown} not in the conditions table "
                                f"(years: {present})", table="conditions", column="year",
                                found=unknown)
    return years


def condition_ratings(conditions: pd.DataFrame, *, years=None,
                      schools=None) -> pd.DataFrame:
    """Every school's (and the district's) rating of every condition, per year, with notes.

    One row per ``school_id`` x ``year`` x condition, all twelve conditions always present
    (in their canonical order): ``school_id``, ``year``, ``condition``, ``rating`` (NaN when
    not rated), ``rated`` and ``note``. ``years`` / ``schools`` keep only those.
    The district's own ratings (``school_id == "district"``) come first.
    """
    df = check_conditions(conditions)
    years = _years(df, years)
    df = df[df["year"].isin(years)]
    ids = sorted(pd.unique(df["school_id"]).tolist())
    if schools is not None:
        schools = [schools] if isinstance(schools, str) else list(schools)
        ids = [s for s in ids if s in schools]
        df = df[df["school_id"].isin(schools)]
    pairs = df[["school_id", "year"]].drop_duplicates()
    grid = pairs.merge(pd.DataFrame({"condition": pd.Categorical(
        list(CONDITIONS), categories=list(CONDITIONS), ordered=True)}), how="cross")
    out = grid.merge(df[["school_id", "year", "condition", "rating", "note"]],
                     on=["school_id", "year", "condition"], how="left")
    out["rated"] = out["rating"].notna()
    out["_d"] = out["school_id"] != DISTRICT
    out = out.sort_values(["_d", "school_id", "year", "condition"], kind="stable")
    return out[["school_id", "year", "condition", "rating", "rated", "note"]] \
        .reset_index(drop=True)


def conditions_summary(conditions: pd.DataFrame, *, years=None) -> pd.DataFrame:
    """Per year and condition: how the schools rated it, beside the district's own rating.

    One row per year x condition (all twelve): ``n_schools`` (schools that rated it),
    ``mean``, ``sd`` (ddof=1), ``min``, ``max`` over the schools (the ``"district"`` row
    excluded), ``n_at_3_or_above`` and ``district_rating`` (NaN when the district did not
    rate itself).
    """
    df = check_conditions(conditions)
    years = _years(df, years)
    df = df[df["year"].isin(years)]
    schools = df[df["school_id"] != DISTRICT]
    grid = pd.MultiIndex.from_product([years, list(CONDITIONS)], names=["year", "condition"])
    g = schools.dropna(subset=["rating"]).groupby(["year", "condition"], observed=False)["rating"]
    stats = pd.DataFrame({"n_schools": g.count(), "mean": g.mean(), "sd": g.std(),
                          "min": g.min(), "max": g.max(),
                          "n_at_3_or_above": g.apply(lambda s: int((s >= 3).sum()))})
    stats = stats.reindex(grid)
    d = df[df["school_id"] == DISTRICT]
    district = dict(zip(zip(d["year"], d["condition"].astype(object)), d["rating"]))
    out = stats.reset_index()
    out["district_rating"] = [district.get((y, c), np.nan) for y, c in
                              zip(out["year"], out["condition"].astype(object))]
    out["condition"] = pd.Categorical(out["condition"].astype(object),
                                      categories=list(CONDITIONS), ordered=True)
    out["n_schools"] = out["n_schools"].fillna(0).astype("int64")
    out["n_at_3_or_above"] = out["n_at_3_or_above"].fillna(0).astype("int64")
    out["district_rating"] = out["district_rating"].astype("float64")
    return out[["year", "condition", "n_schools", "mean", "sd", "min", "max",
                "n_at_3_or_above", "district_rating"]]


def conditions_change(conditions: pd.DataFrame, *, years=None) -> pd.DataFrame:
    """Change in each school's (and the district's) rating of each condition over time.

    Compares each pair of consecutive years in the table (or only ``years=(from, to)``).
    One row per school x condition x pair, all twelve conditions: ``year_from``,
    ``year_to``, ``rating_from``, ``rating_to``, ``change`` (NaN when either year is not
    rated), ``direction`` (``"up"``, ``"down"``, ``"same"`` or missing) and ``note`` (the
    later year's note).
    """
    df = check_conditions(conditions)
    present = _years(df, None)
    if years is None:
        pairs = list(zip(present[:-1], present[1:]))
    else:
        y0, y1 = _years(df, years)
        pairs = [(y0, y1)]
    ratings = condition_ratings(df)
    frames = []
    for y0, y1 in pairs:
        a = ratings[ratings["year"] == y0][["school_id", "condition", "rating"]]
        b = ratings[ratings["year"] == y1][["school_id", "condition", "rating", "note"]]
        m = a.merge(b, on=["school_id", "condition"], how="outer",
                    suffixes=("_from", "_to"))
        m.insert(2, "year_from", y0)
        m.insert(3, "year_to", y1)
        frames.append(m)
    cols = ["school_id", "condition", "year_from", "year_to", "rating_from", "rating_to",
            "change", "direction", "note"]
    if not frames:
        return pd.DataFrame(columns=cols)
    m = pd.concat(frames, ignore_index=True)
    m["condition"] = pd.Categorical(m["condition"].astype(object), categories=list(CONDITIONS),
                                    ordered=True)
    m["change"] = m["rating_to"] - m["rating_from"]
    m["direction"] = pd.Series(np.where(m["change"].isna(), None, np.where(
        m["change"] > 0, "up", np.where(m["change"] < 0, "down", "same"))), index=m.index,
        dtype="str")
    m["_d"] = m["school_id"] != DISTRICT
    m = m.sort_values(["_d", "school_id", "year_from", "condition"], kind="stable")
    return m[cols].reset_index(drop=True)


def for_school(conditions: pd.DataFrame, school=None) -> pd.DataFrame:
    """The district's own ratings beside one school's (``school=None``: every school).

    Returns the rows of ``conditions`` whose ``school_id`` is ``"district"`` or ``school``.
    Raises :class:`CoachkitDataError` naming the schools present when ``school`` has no
    ratings.
    """
    checks.frame(conditions, "conditions", ["school_id"])
    if school is None:
        return conditions
    ids = conditions["school_id"].astype(object).astype(str)
    if not (ids == str(school)).any():
        present = sorted(s for s in pd.unique(ids) if s != DISTRICT)
        raise CoachkitDataError(
            f"school {school!r} has no conditions ratings; schools present: "
            f"{', '.join(present)}", table="conditions", column="school_id", found=school,
            expected=present)
    return conditions[ids.isin([DISTRICT, str(school)]).to_numpy()]
