"""Implementation surveys: construct scores, evidence bands, change over time, alpha.

Student and staff implementation surveys are 4-point Likert items (1 = most negative,
4 = most positive) grouped into **constructs** by the ``survey_items`` table. Every public
function here takes tidy tables and returns a tidy table (``cronbach_alpha`` returns one
number); nothing reads files or prints.

    import coachkit as ck
    scores = ck.surveys.construct_scores(ds.survey_responses, ds.survey_items,
                                         by=("year", "respondent"), min_n=10)
    change = ck.surveys.year_over_year(scores)
    alpha = ck.surveys.construct_alpha(ds.survey_responses, ds.survey_items)
    fav = ck.surveys.favorable_share(ds.survey_responses, ds.survey_items)

The rules (see ``docs/surveys.md`` for worked examples):

* **Reverse-coded items** (``reverse`` true in the item table) are turned around before
  anything else: ``5 - value`` on the 1-4 scale.
* **Construct score of one respondent**: the mean of the construct's items that they
  answered. A construct's items are those administered to that respondent type in that
  year (items of the construct that appear in the year's responses). A respondent who
  answered fewer than half of them (``min_answered=0.5``; exactly half is enough) is left
  out of that construct and counted in ``n_excluded``. A respondent who skipped every item
  is left out of every construct the same way.
* **Construct summary**: mean, n, sample standard deviation (ddof=1) and a t-based
  confidence interval (``level=0.95``) of the respondent scores in each group.
* **Evidence bands** (the district's reading): below 2 *limited*, 2 to below 3
  *moderate to strong*, 3 and above *strong*.
* **Minimum-n suppression** (``min_n=10``) on every reported group: a group with fewer
  than ``min_n`` respondents keeps its row, with ``suppressed=True``, the statistics NaN,
  ``n`` (and ``n_excluded``) missing (``<NA>``) and ``n_label`` reading ``"hidden"``.
* **Values outside 1-4** raise :class:`coachkit.CoachkitDataError` naming the row, the
  column and the value. NaN means the item was skipped.
* **Cronbach's alpha of a one-item construct** is undefined: ``construct_alpha`` reports
  ``alpha`` NaN with the reason in ``reason``; ``cronbach_alpha`` on a table with fewer
  than two item columns raises ``CoachkitDataError``.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from . import checks, privacy
from .errors import CoachkitDataError
from .schema import RESPONDENTS, SCALE_MAX, SCALE_MIN

__all__ = [
    "BANDS", "evidence_band", "prepare_responses", "respondent_scores", "construct_scores",
    "year_over_year", "cronbach_alpha", "construct_alpha", "favorable_share", "n_ranges",
    "survey_headline", "year_pair", "for_school", "report_counts", "by_year",
    "RESPONDENT_COUNTS",
]

#: (label, lower bound inclusive) from the top down; below 2 is "limited".
BANDS = (("strong", 3.0), ("moderate to strong", 2.0), ("limited", -np.inf))
BAND_ORDER = ("limited", "moderate to strong", "strong")
FAVORABLE = 3.0          # 3 or 4 is a favorable answer
RESPONSE_KEY = ["year", "school_id", "respondent", "respondent_id"]   # one filled-in survey
REQUIRED_RESPONSES = ["respondent_id", "respondent", "school_id", "year", "item_id", "value"]
REQUIRED_ITEMS = ["item_id", "construct", "respondent"]
_EPS = 1e-9              # float noise allowed when a mean sits exactly on a band line


# ----------------------------------------------------------------------------- checks

def _as_tuple(by) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def _check_min_n(min_n) -> int:
    if min_n is None:
        return 0
    if not isinstance(min_n, (int, np.integer)) or isinstance(min_n, bool) or min_n < 0:
        raise ValueError(f"min_n must be a whole number >= 0, got {min_n!r}")
    return int(min_n)


def _check_values(values: pd.Series, table: str, column: str = "value",
                  scale=(SCALE_MIN, SCALE_MAX)) -> np.ndarray:
    """Numeric float64 values; NaN allowed; outside ``scale`` -> CoachkitDataError."""
    s = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
    lo, hi = scale if scale is not None else (-np.inf, np.inf)
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        checks.cells(s.to_frame(column), table, (num.isna() & s.notna()).to_numpy(), column,
                     expected=f"a number {lo:g}-{hi:g} (or empty for a skipped item)")
        s = num
    arr = s.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(arr) | (arr < lo) | (arr > hi)
    checks.cells(pd.DataFrame({column: arr}, index=s.index), table, bad, column,
                 expected=f"a value {lo:g}-{hi:g} on the Likert scale (or empty for a "
                 "skipped item)", fix="fix or blank the cell", problems=True)
    return arr


def _check_items(items: pd.DataFrame) -> pd.DataFrame:
    checks.frame(items, "survey_items", REQUIRED_ITEMS)
    it = pd.DataFrame({
        "item_id": items["item_id"].astype(object).to_numpy(),
        "construct": items["construct"].astype(object).to_numpy(),
        "item_respondent": items["respondent"].astype(object).to_numpy(),
    }, index=items.index)
    if "reverse" in items.columns:
        rev = items["reverse"]
        if not pd.api.types.is_bool_dtype(rev):
            text = rev.astype(object).map(lambda v: str(v).strip().lower() if pd.notna(v) else v)
            mapped = text.map({"true": True, "t": True, "yes": True, "y": True, "1": True,
                               "1.0": True, "false": False, "f": False, "no": False, "n": False,
                               "0": False, "0.0": False, "": False})
            checks.cells(items, "survey_items", (mapped.isna() & rev.notna()).to_numpy(),
                         "reverse", expected="true/false (empty means not reverse-coded)")
            rev = mapped
        it["reverse"] = rev.fillna(False).astype(bool).to_numpy()
    else:
        it["reverse"] = False
    checks.filled(it.rename(columns={"item_respondent": "respondent"}), "survey_items",
                  ["item_id", "construct", "respondent"],
                  fix="every item needs an item_id, a construct and a respondent type")
    checks.one_of(it, "survey_items", "item_respondent", RESPONDENTS, shown="respondent")
    dup = it["item_id"].duplicated(keep="first").to_numpy()
    checks.cells(it, "survey_items", dup, "item_id", expected="each item once",
                 fix="it appears more than once; each item belongs to one construct")
    return it


def prepare_responses(responses: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Check responses and items at the door and return one row per answer, scored.

    Returns the response rows (original index kept) with the columns ``year``,
    ``school_id``, ``respondent``, ``respondent_id``, ``item_id``, ``construct``,
    ``reverse``, ``raw`` (the value as given, float64) and ``value`` (reverse-coded
    where the item says so), plus any subgroup columns of ``responses``.

    Raises :class:`CoachkitDataError` naming the row, column and value for: a missing
    column, a value outside 1-4, an item not in the item table, a response whose
    respondent type differs from its item's, a respondent type other than student/staff,
    or the same item answered twice by one respondent in one year.
    """
    checks.frame(responses, "survey_responses", REQUIRED_RESPONSES)
    it = _check_items(items)
    raw = _check_values(responses["value"], "survey_responses")
    out = responses.copy()
    for col in ("respondent_id", "respondent", "school_id", "item_id"):
        s = out[col]
        out[col] = s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s
    checks.filled(out, "survey_responses", REQUIRED_RESPONSES[:-1],
                  fix="it is required on every response row")
    checks.one_of(out, "survey_responses", "respondent", RESPONDENTS)
    year = checks.whole_years(out, "survey_responses")
    out["year"] = year.astype("int64").to_numpy()
    out["raw"] = raw
    lookup = it.set_index("item_id")
    pos = pd.Index(lookup.index).get_indexer(out["item_id"])
    known = pd.Series(pos >= 0, index=out.index)
    checks.cells(out, "survey_responses", ~known.to_numpy(), "item_id",
                 expected="an item of survey_items",
                 got=None, fix="it is not in survey_items; add the item (with its construct) "
                 "or drop the rows")
    out["construct"] = lookup["construct"].to_numpy(dtype=object)[pos]
    out["reverse"] = lookup["reverse"].to_numpy(dtype=bool)[pos]
    item_resp = pd.Series(lookup["item_respondent"].to_numpy(dtype=object)[pos], index=out.index)
    mismatch = (item_resp.to_numpy() != out["respondent"].to_numpy(dtype=object))
    first = np.flatnonzero(mismatch)[0] if mismatch.any() else 0
    checks.cells(out, "survey_responses", mismatch, "respondent",
                 expected=f"{item_resp.iloc[first]!r}, the respondent type of item "
                 f"{out['item_id'].iloc[first]!r} in survey_items",
                 fix="fix the response or the item")
    dup = out.duplicated(subset=RESPONSE_KEY + ["item_id"], keep="first").to_numpy()
    checks.cells(out, "survey_responses", dup, "item_id",
                 expected="each item once per respondent and year",
                 fix="the respondent answered it more than once; keep one row")
    out["value"] = np.where(out["reverse"].to_numpy(), SCALE_MIN + SCALE_MAX - raw, raw)
    return out


def _subgroup_columns(prepared: pd.DataFrame, by: tuple[str, ...]) -> list[str]:
    missing = [c for c in by if c not in prepared.columns or c in
               ("item_id", "value", "raw", "reverse")]
    if missing:
        raise CoachkitDataError(
            f"by={by!r}: column(s) {', '.join(map(repr, missing))} not in survey_responses; "
            "group by year, school_id, respondent or a subgroup column of the responses",
            table="survey_responses", column=missing[0])
    return [c for c in by if c not in RESPONSE_KEY and c != "construct"]


# ----------------------------------------------------------------------------- bands

def evidence_band(mean):
    """The district's evidence band for a construct mean on the 1-4 scale.

    below 2 -> ``"limited"``; 2 to below 3 -> ``"moderate to strong"``; 3 and above ->
    ``"strong"``; NaN -> missing. Accepts a number (returns a str or ``None``) or an
    array/Series (returns a Series of str with ``<NA>``). A mean within 1e-9 below a line
    (float noise, e.g. ``(2.8 + 3.2) / 2``) counts as on the line.
    """
    scalar = np.ndim(mean) == 0
    index = mean.index if isinstance(mean, pd.Series) else None
    x = np.atleast_1d(np.asarray(mean, dtype="float64"))
    out = np.full(x.shape, None, dtype=object)
    ok = ~np.isnan(x)
    out[ok & (x >= 3.0 - _EPS)] = "strong"
    out[ok & (x >= 2.0 - _EPS) & (x < 3.0 - _EPS)] = "moderate to strong"
    out[ok & (x < 2.0 - _EPS)] = "limited"
    if scalar:
        return out[0]
    return pd.Series(out, index=index, dtype="str")


# ----------------------------------------------------------------------------- scores

def respondent_scores(responses: pd.DataFrame, items: pd.DataFrame, *,
                      min_answered: float = 0.5, subgroups: Iterable[str] | None = None
                      ) -> pd.DataFrame:
    """Each respondent's score on each construct of their survey, or why they have none.

    One row per filled-in survey (``year``, ``school_id``, ``respondent``,
    ``respondent_id``) and construct administered to that respondent type that year, with
    ``n_items`` (the construct's items given that year), ``n_answered``, ``score`` (mean of
    the answered items after reverse coding; NaN when left out), ``included`` and
    ``excluded_reason`` (``"skipped every item"`` or ``"answered 1 of 4 items (fewer than
    half)"``; missing when included). A respondent is included when they answered at least
    ``min_answered`` (a share, default one half) of the construct's items. Subgroup
    columns named in ``subgroups`` (default: every column that is not canonical) are
    carried along, taking each respondent's first non-empty value.

    Individual rows: for analysis only, never for a report (they are not suppressed).
    """
    return _respondent_scores(prepare_responses(responses, items), items,
                              min_answered=min_answered, subgroups=subgroups)


def _respondent_scores(prep, items, *, min_answered=0.5, subgroups=None):
    if not 0 < float(min_answered) <= 1:
        raise ValueError(f"min_answered is a share in (0, 1], got {min_answered!r}")
    canonical = set(REQUIRED_RESPONSES) | {"construct", "reverse", "raw"}
    subs = [c for c in prep.columns if c not in canonical] if subgroups is None \
        else list(subgroups)
    missing = [c for c in subs if c not in prep.columns]
    if missing:
        raise CoachkitDataError(f"subgroup column(s) {missing} not in survey_responses",
                                table="survey_responses", column=missing[0])
    # the construct's items as administered to this respondent type in this year
    administered = (prep.groupby(["year", "respondent", "construct"], sort=False)["item_id"]
                    .nunique().rename("n_items").reset_index())
    people = prep.drop_duplicates(RESPONSE_KEY)[RESPONSE_KEY]
    if subs:
        first = prep.groupby(RESPONSE_KEY, sort=False, dropna=False)[subs].first().reset_index()
        people = people.merge(first, on=RESPONSE_KEY, how="left")
    grid = people.merge(administered, on=["year", "respondent"], how="inner")
    answered = (prep[prep["value"].notna()]
                .groupby(RESPONSE_KEY + ["construct"], sort=False)["value"]
                .agg(n_answered="count", total="sum").reset_index())
    out = grid.merge(answered, on=RESPONSE_KEY + ["construct"], how="left")
    out["n_answered"] = out["n_answered"].fillna(0).astype("int64")
    out["n_items"] = out["n_items"].astype("int64")
    out["included"] = (out["n_answered"] > 0) & \
        (out["n_answered"] >= float(min_answered) * out["n_items"] - _EPS)
    out["score"] = np.where(out["included"], out["total"] / out["n_answered"].clip(lower=1),
                            np.nan)
    answered_any = out.groupby(RESPONSE_KEY, sort=False)["n_answered"].transform("sum")
    reason = np.where(answered_any == 0, "skipped every item",
                      "answered " + out["n_answered"].astype(str) + " of "
                      + out["n_items"].astype(str) + " items (fewer than "
                      + ("half" if float(min_answered) == 0.5 else f"{min_answered:.0%}") + ")")
    out["excluded_reason"] = pd.Series(reason, index=out.index, dtype="str").where(
        ~out["included"])
    cols = RESPONSE_KEY + subs + ["construct", "n_items", "n_answered", "score", "included",
                                 "excluded_reason"]
    out = out[cols]
    return _sort(out, RESPONSE_KEY + subs, items)


def _construct_order(items: pd.DataFrame) -> list:
    return list(pd.unique(items["construct"].astype(object)))


def _sort(df: pd.DataFrame, keys: list[str], items: pd.DataFrame) -> pd.DataFrame:
    order = {c: i for i, c in enumerate(_construct_order(items))}
    df = df.assign(_c=df["construct"].map(order))
    sort_keys = [k for k in keys if k in df.columns]
    resp_rank = {r: i for i, r in enumerate(RESPONDENTS)}
    if "respondent" in sort_keys:
        df = df.assign(_r=df["respondent"].map(resp_rank))
        sort_keys = ["_r" if k == "respondent" else k for k in sort_keys]
    df = df.sort_values(sort_keys + ["_c"], kind="stable", na_position="last")
    return df.drop(columns=[c for c in ("_c", "_r") if c in df.columns]).reset_index(drop=True)


def _group_keys(by: tuple[str, ...]) -> list[str]:
    keys = list(by)
    if "respondent" not in keys:           # a construct belongs to one respondent type
        keys.append("respondent")
    return [k for k in keys if k != "construct"] + ["construct"]


def _family_hidden(out: pd.DataFrame, n, keys, subs, min_n: int, hidden) -> np.ndarray:
    """The one rule (coachkit.privacy): under min_n, and within each subgroup family (the
    ELL and not-ELL rows of one year, respondent type and construct split its total)
    enough others that no hidden count follows by subtraction."""
    sup = privacy.below_minimum(n, min_n=min_n)
    if hidden is not None:
        sup = sup | np.asarray(hidden, dtype=bool)
    n = np.asarray(pd.to_numeric(pd.Series(np.asarray(n)), errors="coerce"), dtype=float)
    for f in subs:
        rest = [k for k in keys if k != f]
        if not min_n or not rest:
            continue
        for rows in out.groupby(rest, sort=False, dropna=False, observed=True).indices.values():
            sup[rows] = privacy.suppress_family(n[rows], min_n=min_n, hidden=sup[rows])
    return sup


def _suppress(out: pd.DataFrame, n: pd.Series, min_n: int, stat_cols: list[str],
              count_cols: list[str], hidden=None, keys=(), subs=()) -> pd.DataFrame:
    out = out.reset_index(drop=True)
    n = n.reset_index(drop=True)
    sup = _family_hidden(out, n, list(keys), list(subs), min_n, hidden)
    out["suppressed"] = sup
    for c in stat_cols:
        if c in out.columns:
            out[c] = out[c].where(~sup)
    out["n_label"] = pd.Series(np.where(sup, privacy.HIDDEN, n.astype("int64").astype(str)),
                               index=out.index, dtype="str")
    for c in count_cols:
        out[c] = out[c].astype("Int64").where(~sup)
    return out


def _hidden_with(table: pd.DataFrame, responses: pd.DataFrame, published_with, keys,
                 counts, n_col: str, min_n: int) -> np.ndarray | None:
    """Rows of a school's table hidden because the district's review and the other
    schools' reviews are published beside it (``published_with``: the district's
    responses). Per group and construct the schools split the district's count, a family
    for :func:`coachkit.privacy.suppress_groups`: a school count that would give away a
    small school's by subtraction is hidden too. ``counts``: the same table by school
    for the district, unsuppressed."""
    if published_with is None:
        return None
    schools = pd.unique(responses["school_id"].astype(object).astype(str))
    if len(schools) != 1 or not len(counts):
        return None         # the district's own page: it shows district totals only
    school = schools[0]
    c = counts.assign(school_id=counts["school_id"].astype(object).astype(str))
    c = c[c[n_col] > 0]
    people = c.loc[c.index.repeat(c[n_col].astype("int64")), list(keys) + ["school_id"]]
    t = privacy.suppress_groups(people.reset_index(drop=True), families=["school_id"],
                                levels=[tuple(keys)], min_n=max(int(min_n), 1))
    t = t[(t["group"] == school) & t["hidden"]][list(keys)].assign(_hide=True)
    m = table[list(keys)].merge(t, on=list(keys), how="left")["_hide"]
    return m.fillna(False).to_numpy(dtype=bool)


def construct_scores(responses: pd.DataFrame, items: pd.DataFrame, *,
                     by=("year", "respondent"), min_n: int = 10, level: float = 0.95,
                     min_answered: float = 0.5, published_with=None) -> pd.DataFrame:
    """Construct mean, n, standard deviation, confidence interval and evidence band.

    Groups the respondent scores (:func:`respondent_scores`) by ``by`` (any of ``year``,
    ``school_id``, ``respondent`` and subgroup columns of ``responses``; ``respondent`` is
    always added, a construct belongs to one respondent type) and construct.

    Returns one row per group and construct: the ``by`` columns, ``construct``,
    ``n_items``, ``n`` (respondents scored), ``n_excluded`` (respondents left out by the
    half-of-items rule, including those who skipped everything), ``mean``, ``sd``
    (ddof=1), ``ci_low``/``ci_high`` (t interval at ``level``; NaN for n < 2), ``band``,
    ``suppressed`` and ``n_label``. Groups with n < ``min_n`` are suppressed: statistics
    NaN, ``n``/``n_excluded`` ``<NA>``, ``n_label`` ``"hidden"``. ``published_with``: the
    district's responses, when this (one school's) table is published beside the
    district's review and the other schools': a count that would let a small school be
    worked out by subtraction is hidden too (:func:`coachkit.privacy.suppress_groups`).
    """
    by = _as_tuple(by)
    min_n = _check_min_n(min_n)
    if not 0 < level < 1:
        raise ValueError(f"level is a confidence level in (0, 1), got {level!r}")
    prep = prepare_responses(responses, items)
    subs = _subgroup_columns(prep, by)
    rs = _respondent_scores(prep, items, min_answered=min_answered, subgroups=subs)
    keys = _group_keys(by)
    g = rs.groupby(keys, sort=False, dropna=False, observed=True)
    out = g.agg(n_items=("n_items", "max"), n=("included", "sum"),
                n_people=("included", "size"), mean=("score", "mean"),
                sd=("score", "std")).reset_index()
    out["n"] = out["n"].astype("int64")
    out["n_excluded"] = (out.pop("n_people") - out["n"]).astype("int64")
    out["sd"] = out["sd"].where(out["n"] >= 2)
    half = _t_half_width(out["sd"], out["n"], level)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    n = out["n"].copy()
    hidden = None
    if published_with is not None:
        full = construct_scores(published_with, items, by=tuple(by) + ("school_id",),
                                min_n=0, level=level, min_answered=min_answered)
        hidden = _hidden_with(out, responses, published_with, keys, full, "n", min_n)
    out = _suppress(out, n, min_n, ["mean", "sd", "ci_low", "ci_high"], ["n", "n_excluded"],
                    hidden, keys, subs)
    out["band"] = evidence_band(out["mean"])
    cols = keys + ["n_items", "n", "n_excluded", "mean", "sd", "ci_low", "ci_high", "band",
                   "suppressed", "n_label"]
    return _sort(out[cols], keys[:-1], items)


def _t_half_width(sd: pd.Series, n: pd.Series, level: float) -> pd.Series:
    n = n.astype("float64")
    df = (n - 1).where(n >= 2)
    t = stats.t.ppf(0.5 + level / 2, df.to_numpy(dtype="float64", na_value=np.nan))
    return pd.Series(t, index=sd.index) * sd.astype("float64") / np.sqrt(n)


# ----------------------------------------------------------------------------- change

def year_over_year(scores: pd.DataFrame, *, years: tuple[int, int] | None = None,
                   level: float = 0.95) -> pd.DataFrame:
    """Change in each construct mean from one year to the next, and whether it is real.

    ``scores`` is a :func:`construct_scores` table grouped by ``year`` (and anything else).
    Compares each pair of consecutive years present (or only ``years=(from, to)``).
    Returns one row per group and construct with ``year_from``, ``year_to``, ``mean_from``,
    ``mean_to``, ``n_from``, ``n_to``, ``change`` (to minus from), ``ci_low``/``ci_high``
    (Welch t interval of the difference at ``level``), ``exceeds_uncertainty`` (the
    interval leaves out 0: the change is larger than its uncertainty), ``direction``
    (``"up"``, ``"down"`` or ``"no clear change"``) and ``suppressed`` (either year
    suppressed: nothing reported). The two years are treated as independent samples, as
    anonymous yearly surveys are.
    """
    checks.frame(scores, "construct scores", ["year", "construct", "mean", "sd", "n"])
    keys = [c for c in scores.columns if c not in (
        "year", "construct", "n_items", "n", "n_excluded", "mean", "sd", "ci_low", "ci_high",
        "band", "suppressed", "n_label")]
    if scores.duplicated(keys + ["year", "construct"]).any():
        raise CoachkitDataError("construct scores: more than one row per group, construct and "
                                "year; pass the table construct_scores returned",
                                table="construct scores")
    all_years = sorted(pd.unique(scores["year"]))
    if years is None:
        pairs = list(zip(all_years[:-1], all_years[1:]))
    else:
        y0, y1 = years
        for y in (y0, y1):
            if y not in all_years:
                raise CoachkitDataError(f"year {y!r} is not in the scores (years: {all_years})",
                                        table="construct scores", column="year", found=y)
        pairs = [(y0, y1)]
    frames = []
    cols = keys + ["construct", "mean", "sd", "n", "suppressed"] \
        if "suppressed" in scores.columns else keys + ["construct", "mean", "sd", "n"]
    for y0, y1 in pairs:
        a = scores.loc[scores["year"] == y0, cols]
        b = scores.loc[scores["year"] == y1, cols]
        m = a.merge(b, on=keys + ["construct"], how="outer", suffixes=("_from", "_to"))
        m.insert(len(keys) + 1, "year_from", y0)
        m.insert(len(keys) + 2, "year_to", y1)
        frames.append(m)
    if not frames:
        return pd.DataFrame(columns=keys + ["construct", "year_from", "year_to", "mean_from",
                                            "mean_to", "n_from", "n_to", "change", "ci_low",
                                            "ci_high", "exceeds_uncertainty", "direction",
                                            "suppressed"])
    m = pd.concat(frames, ignore_index=True)
    mean0, mean1 = m["mean_from"].astype("float64"), m["mean_to"].astype("float64")
    sd0, sd1 = m["sd_from"].astype("float64"), m["sd_to"].astype("float64")
    n0 = pd.to_numeric(m["n_from"], errors="coerce").astype("float64")
    n1 = pd.to_numeric(m["n_to"], errors="coerce").astype("float64")
    v0, v1 = sd0 ** 2 / n0, sd1 ** 2 / n1
    se = np.sqrt(v0 + v1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dof = (v0 + v1) ** 2 / (v0 ** 2 / (n0 - 1) + v1 ** 2 / (n1 - 1))
    dof = dof.where(se > 0, np.inf)
    t = stats.t.ppf(0.5 + level / 2, dof.to_numpy(dtype="float64", na_value=np.nan))
    m["change"] = mean1 - mean0
    half = pd.Series(t, index=m.index) * se
    m["ci_low"] = m["change"] - half
    m["ci_high"] = m["change"] + half
    known = m["change"].notna() & half.notna()
    m["exceeds_uncertainty"] = (known & ((m["ci_low"] > 0) | (m["ci_high"] < 0))).astype(bool)
    m["direction"] = pd.Series(np.where(~known, None, np.where(
        m["exceeds_uncertainty"], np.where(m["change"] > 0, "up", "down"), "no clear change")),
        index=m.index, dtype="str")
    sup0 = m.get("suppressed_from", pd.Series(False, index=m.index))
    sup1 = m.get("suppressed_to", pd.Series(False, index=m.index))
    m["suppressed"] = (sup0.astype("boolean").fillna(False)
                       | sup1.astype("boolean").fillna(False)).astype(bool)
    for c in ("n_from", "n_to"):
        m[c] = pd.to_numeric(m[c], errors="coerce").astype("Int64")
    # keep the order of the scores table (respondent type, then construct as in the items)
    first = scores[keys + ["construct"]].drop_duplicates().reset_index(drop=True)
    first["_order"] = np.arange(len(first))
    m = m.merge(first, on=keys + ["construct"], how="left")
    m = m.sort_values(["year_from", "_order"], kind="stable")
    out = m[keys + ["construct", "year_from", "year_to", "mean_from", "mean_to", "n_from",
                    "n_to", "change", "ci_low", "ci_high", "exceeds_uncertainty", "direction",
                    "suppressed"]]
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- alpha

def cronbach_alpha(responses_wide: pd.DataFrame, *, missing: str = "listwise",
                   scale=(SCALE_MIN, SCALE_MAX)) -> float:
    """Cronbach's alpha of a set of items: items as columns, respondents as rows.

    ``alpha = k / (k - 1) * (1 - sum of item variances / variance of the total)``, which is
    ``k / (k - 1) * (1 - trace(C) / sum(C))`` for the item covariance matrix ``C``.

    ``missing="listwise"`` (default) uses only respondents who answered every item;
    ``"pairwise"`` builds ``C`` from every pair of answers (as R's psych and pingouin's
    default do). ``scale`` is the allowed range of values (default 1-4; ``None`` to accept
    any number). Reverse-code items before calling (``construct_alpha`` does it for you).

    Returns NaN when fewer than two respondents remain or the total has no variance.
    Raises :class:`CoachkitDataError` with fewer than two item columns (alpha is undefined
    for one item) or a value outside ``scale``.
    """
    if not isinstance(responses_wide, pd.DataFrame):
        responses_wide = pd.DataFrame(responses_wide)
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing must be 'listwise' or 'pairwise', got {missing!r}")
    k = responses_wide.shape[1]
    if k < 2:
        raise CoachkitDataError(
            f"Cronbach's alpha needs at least two items (columns); got {k}. Alpha is "
            "undefined for a single item.", table="responses_wide", found=k, expected=">= 2")
    data = pd.DataFrame({c: _check_values(responses_wide[c], "responses_wide", str(c), scale)
                         for c in responses_wide.columns}, index=responses_wide.index)
    data = data.dropna(how="all")
    if missing == "listwise":
        data = data.dropna(how="any")
        if len(data) < 2:
            return float("nan")
        x = data.to_numpy(dtype="float64")
        item_var = x.var(axis=0, ddof=1).sum()
        total_var = x.sum(axis=1).var(ddof=1)
    else:
        if len(data) < 2:
            return float("nan")
        c = data.cov().to_numpy()
        if np.isnan(c).any():
            return float("nan")
        item_var, total_var = np.trace(c), c.sum()
    if not total_var > 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def construct_alpha(responses: pd.DataFrame, items: pd.DataFrame, *,
                    by=("year", "respondent"), min_n: int = 10,
                    missing: str = "listwise", published_with=None) -> pd.DataFrame:
    """Cronbach's alpha per construct (after reverse coding), with what it rests on.

    One row per group of ``by`` and construct: ``n_items``, ``n_respondents`` (rows the
    alpha was computed from: with ``missing="listwise"`` those who answered every item),
    ``alpha``, ``reason`` (why alpha is missing, else ``<NA>``) and ``suppressed``.
    A one-item construct gets ``alpha`` NaN and reason ``"one item: alpha needs at least
    two"``. Fewer than ``min_n`` respondents: ``alpha`` NaN, ``suppressed=True``
    (``published_with`` as in :func:`construct_scores`).
    """
    by = _as_tuple(by)
    min_n = _check_min_n(min_n)
    prep = prepare_responses(responses, items)
    subs = _subgroup_columns(prep, by)
    keys = _group_keys(by)
    rows = []
    for key, grp in prep.groupby(keys, sort=False, dropna=False, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        wide = grp.set_index(RESPONSE_KEY + ["item_id"])["value"].unstack("item_id")
        wide = wide.reindex(columns=pd.unique(grp["item_id"])).dropna(how="all")
        k = wide.shape[1]
        used = wide.dropna(how="any") if missing == "listwise" else wide
        n_resp = len(used)
        alpha, reason = np.nan, None
        if k < 2:
            reason = "one item: alpha needs at least two"
        elif n_resp < max(min_n, 2):
            reason = (f"fewer than {min_n} respondents" if n_resp < min_n
                      else "fewer than 2 respondents")
        else:
            alpha = cronbach_alpha(wide, missing=missing, scale=None)
            if np.isnan(alpha):
                reason = "no variance in the total score"
        rows.append((*key, k, n_resp, alpha, reason, bool(privacy.below_minimum(n_resp, min_n=min_n))))
    out = pd.DataFrame(rows, columns=keys + ["n_items", "n_respondents", "alpha", "reason",
                                             "suppressed"])
    if published_with is not None:
        full = construct_alpha(published_with, items, by=tuple(by) + ("school_id",), min_n=0,
                               missing=missing)
        hidden = _hidden_with(out, responses, published_with, keys, full, "n_respondents",
                              min_n)
    else:
        hidden = None
    sup = _family_hidden(out, out["n_respondents"], keys, subs, min_n, hidden)
    extra = sup & ~out["suppressed"].to_numpy(dtype=bool)
    out.loc[extra, "alpha"] = np.nan
    out.loc[extra, "reason"] = "hidden to protect a group with too few respondents"
    out["suppressed"] = sup
    out["alpha"] = out["alpha"].astype("float64")
    out["reason"] = out["reason"].astype("str")
    out["n_respondents"] = out["n_respondents"].astype("Int64")
    return _sort(out, keys[:-1], items)


# ----------------------------------------------------------------------------- favorable

def favorable_share(responses: pd.DataFrame, items: pd.DataFrame, *,
                    by=("year", "respondent"), min_n: int = 10,
                    min_answered: float = 0.5, published_with=None) -> pd.DataFrame:
    """Share of favorable answers (3 or 4, after reverse coding) per construct.

    Pooled over every answered item of the respondents scored on the construct (the same
    respondents as :func:`construct_scores`), the way survey vendors report "percent
    favorable". One row per group and construct: ``n`` (respondents), ``n_answers``,
    ``n_favorable``, ``favorable`` (a share 0-1), ``suppressed`` and ``n_label``; groups
    with fewer than ``min_n`` respondents are suppressed like :func:`construct_scores`
    (``published_with`` too).
    """
    by = _as_tuple(by)
    min_n = _check_min_n(min_n)
    prep = prepare_responses(responses, items)
    subs = _subgroup_columns(prep, by)
    rs = _respondent_scores(prep, items, min_answered=min_answered, subgroups=subs)
    keep = rs.loc[rs["included"], RESPONSE_KEY + ["construct"]]
    answers = prep[prep["value"].notna()].merge(keep, on=RESPONSE_KEY + ["construct"])
    answers = answers.assign(fav=answers["value"] >= FAVORABLE - _EPS)
    keys = _group_keys(by)
    base = rs.groupby(keys, sort=False, dropna=False, observed=True)["included"].sum() \
        .rename("n").reset_index()
    per = answers.groupby(keys, sort=False, dropna=False, observed=True)["fav"] \
        .agg(n_answers="size", n_favorable="sum").reset_index()
    out = base.merge(per, on=keys, how="left")
    out["n"] = out["n"].astype("int64")
    out["n_answers"] = out["n_answers"].fillna(0).astype("int64")
    out["n_favorable"] = out["n_favorable"].fillna(0).astype("int64")
    out["favorable"] = (out["n_favorable"] / out["n_answers"].where(out["n_answers"] > 0)) \
        .astype("float64")
    n = out["n"].copy()
    hidden = None
    if published_with is not None:
        full = favorable_share(published_with, items, by=tuple(by) + ("school_id",), min_n=0,
                               min_answered=min_answered)
        hidden = _hidden_with(out, responses, published_with, keys, full, "n", min_n)
    out = _suppress(out, n, min_n, ["favorable"], ["n", "n_answers", "n_favorable"], hidden,
                    keys, subs)
    return _sort(out[keys + ["n", "n_answers", "n_favorable", "favorable", "suppressed",
                             "n_label"]], keys[:-1], items)


# ----------------------------------------------------------------------------- reporting

def n_ranges(scores: pd.DataFrame, *, by=("respondent", "year")) -> pd.DataFrame:
    """Smallest and largest n over the constructs, per ``by`` group, for a caption.

    From a :func:`construct_scores` table: ``n_min``, ``n_max`` (over reported, i.e.
    unsuppressed, constructs; ``<NA>`` when all are suppressed) and ``n_suppressed``
    (constructs suppressed).
    """
    by = list(_as_tuple(by))
    checks.frame(scores, "construct scores", by + ["n"])
    sup = scores["suppressed"] if "suppressed" in scores.columns else scores["n"].isna()
    n = pd.to_numeric(scores["n"], errors="coerce").astype("Float64").where(~sup)
    frame = scores[by].assign(_n=n, _s=sup.astype(int))
    out = frame.groupby(by, sort=True, dropna=False).agg(
        n_min=("_n", "min"), n_max=("_n", "max"), n_suppressed=("_s", "sum")).reset_index()
    out["n_min"] = out["n_min"].astype("Int64")
    out["n_max"] = out["n_max"].astype("Int64")
    if "respondent" in by:
        rank = {r: i for i, r in enumerate(RESPONDENTS)}
        out = out.assign(_r=out["respondent"].map(rank)).sort_values(
            ["_r"] + [b for b in by if b != "respondent"], kind="stable").drop(columns="_r")
    return out.reset_index(drop=True)


def survey_headline(scores: pd.DataFrame, change: pd.DataFrame | None = None) -> pd.DataFrame:
    """The survey in one row per respondent type, for the principal dashboard.

    From a :func:`construct_scores` table (by year and respondent, possibly filtered to one
    school) and optionally its :func:`year_over_year` table: for the latest year,
    ``n_constructs``, how many in each band (``n_strong``, ``n_moderate_to_strong``,
    ``n_limited``), ``n_suppressed``, ``n_min``/``n_max`` respondents and, with
    ``change``, ``n_up``/``n_down`` (changes larger than their uncertainty).
    """
    checks.frame(scores, "construct scores", ["year", "respondent", "construct", "band"])
    rows = []
    for respondent, grp in scores.groupby("respondent", sort=False, observed=True):
        year = grp["year"].max()
        last = grp[grp["year"] == year]
        band = last["band"].astype(object)
        nn = pd.to_numeric(last["n"], errors="coerce").dropna()
        row = {"respondent": respondent, "year": year, "n_constructs": len(last),
               "n_strong": int((band == "strong").sum()),
               "n_moderate_to_strong": int((band == "moderate to strong").sum()),
               "n_limited": int((band == "limited").sum()),
               "n_suppressed": int(last.get("suppressed", pd.Series(False)).sum()),
               "n_min": int(nn.min()) if len(nn) else pd.NA,
               "n_max": int(nn.max()) if len(nn) else pd.NA}
        if change is not None:
            c = change[(change["respondent"] == respondent) & (change["year_to"] == year)]
            row["n_up"] = int((c["direction"] == "up").sum())
            row["n_down"] = int((c["direction"] == "down").sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    if len(out):
        order = {r: i for i, r in enumerate(RESPONDENTS)}
        out = out.sort_values("respondent", key=lambda s: s.map(order)).reset_index(drop=True)
        for c in ("n_min", "n_max"):
            out[c] = out[c].astype("Int64")
    return out


# ----------------------------------------------------------------------------- review helpers

#: count columns that count respondents, shown as text by :func:`report_counts`
RESPONDENT_COUNTS = ("n", "n_from", "n_to", "n_respondents", "n_excluded")


def year_pair(table: pd.DataFrame, year=None, *, strict: bool = True) -> tuple:
    """The survey year to review and the one to compare it with: ``(previous, year)``.

    ``table`` is any table with a ``year`` column (survey responses, construct scores,
    conditions). ``year=None`` takes the latest year present; ``previous`` is the latest
    year present before it (the previous administration, even if a year was skipped), or
    ``None`` when there is none. A year given as text (``"2026"``, as a URL query string
    passes it) is accepted. A year not in the table raises :class:`CoachkitDataError`
    listing the years present; with ``strict=False`` the latest year present before it
    is taken instead (e.g. conditions rated in 2025 read beside the 2026 survey), and only
    a year before every year present raises.
    """
    checks.frame(table, "table", ["year"])
    years = pd.to_numeric(pd.Series(pd.unique(table["year"].dropna())), errors="coerce")
    present = sorted(int(y) for y in years.dropna())
    if not present:
        raise CoachkitDataError("the table has no year to review: it is empty",
                                table="table", column="year")
    if year is None:
        year = present[-1]
    else:
        try:
            wanted = float(year)
        except (TypeError, ValueError):
            wanted = float("nan")
        ok = bool(np.isfinite(wanted) and wanted == round(wanted))
        if ok and not strict and int(wanted) not in present:
            at_or_before = [y for y in present if y <= wanted]
            wanted = float(at_or_before[-1]) if at_or_before else float("nan")
            ok = bool(at_or_before)
        if not (ok and int(wanted) in present):
            raise CoachkitDataError(
                f"year {year!r} is not in the table; years present: "
                f"{', '.join(map(str, present))}", table="table", column="year", found=year,
                expected=present)
        year = int(wanted)
    earlier = [y for y in present if y < year]
    return (earlier[-1] if earlier else None, year)


def for_school(responses: pd.DataFrame, school=None) -> pd.DataFrame:
    """The responses of one school (``school=None``: every school, the whole district).

    Raises :class:`CoachkitDataError` naming the schools present when ``school`` has no
    responses (a misspelt id must not silently give an empty report).
    """
    checks.frame(responses, "survey_responses", ["school_id"])
    if school is None:
        return responses
    ids = responses["school_id"].astype(object).astype(str)
    keep = (ids == str(school)).to_numpy()
    if not keep.any():
        present = sorted(pd.unique(ids))
        raise CoachkitDataError(
            f"school {school!r} has no survey responses; schools present: "
            f"{', '.join(present)}", table="survey_responses", column="school_id",
            found=school, expected=present)
    return responses[keep]


def report_counts(table: pd.DataFrame, *, min_n: int = 10, columns=None,
                  missing: str = "\u2014") -> pd.DataFrame:
    """A copy of a results table with its respondent counts as text, ready to show.

    Every count column (``columns``, default those of :data:`RESPONDENT_COUNTS` present)
    becomes text: the number for a group of at least ``min_n`` respondents, ``"hidden"``
    for a smaller one or for an empty count in a suppressed row (the one label of
    :mod:`coachkit.privacy`: a small group and the one hidden to protect it read alike), and
    ``missing`` (an em dash) for an empty count in a row that is not suppressed (a
    construct not asked that year). No count under ``min_n`` survives as a number, even
    where a table reports one for a suppressed group (``construct_alpha``'s
    ``n_respondents``). Statistics are left as they are (NaN where suppressed): show
    them with ``na_rep`` set to the same dash.
    """
    min_n = _check_min_n(min_n)
    if not isinstance(table, pd.DataFrame):
        raise CoachkitDataError(f"expected a pandas DataFrame, got {type(table).__name__}",
                                table="table")
    cols = [c for c in RESPONDENT_COUNTS if c in table.columns] if columns is None \
        else list(_as_tuple(columns))
    checks.frame(table, "table", cols)
    out = table.copy()
    sup = out["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool) \
        if "suppressed" in out.columns else np.zeros(len(out), dtype=bool)
    small = privacy.HIDDEN
    for c in cols:
        n = pd.to_numeric(out[c].astype(object), errors="coerce").astype("float64").to_numpy()
        empty = np.isnan(n)
        text = np.where(empty, np.where(sup, small, missing),
                        np.where(n < min_n, small,
                                 pd.Series(np.nan_to_num(n)).astype("int64").astype(str)))
        out[c] = pd.Series(text, index=out.index, dtype="str")
    return out


def by_year(table: pd.DataFrame, values, *, by=("respondent",), years=None,
            min_n: int = 10, missing: str = "\u2014", names=None) -> pd.DataFrame:
    """A results table with the years side by side, one row per group and construct.

    ``table`` is a tidy result with a ``year`` and a ``construct`` column and one row per
    ``by`` group, construct and year (``construct_scores``, ``construct_alpha``,
    ``favorable_share`` grouped by ``("year", "respondent")``). The result keeps the
    ``by`` columns and ``construct`` in the table's order and has a column
    ``"<value> <year>"`` for each year (``years``, default every year present, oldest
    first) and each of ``values``, grouped by year: ``n 2025``, ``mean 2025``, ``n 2026``,
    ``mean 2026``. Respondent counts are text as :func:`report_counts` makes them
    (``"hidden"`` when suppressed); a construct not asked in a year gets ``missing`` for its
    counts and NaN for its statistics. ``names`` renames values in the column headers
    (``{"n_respondents": "n"}`` gives ``n 2025``).
    """
    by = list(_as_tuple(by))
    values = list(_as_tuple(values))
    checks.frame(table, "table", by + ["year", "construct"] + values)
    keys = by + ["construct"]
    if table.duplicated(keys + ["year"]).any():
        raise CoachkitDataError(
            f"by_year: more than one row per {', '.join(keys)} and year; group the results "
            f"by year and {', '.join(by) or 'nothing else'} only, or filter first",
            table="table")
    present = sorted(pd.unique(table["year"]).tolist())
    years = present if years is None else [y for y in (
        list(years) if np.ndim(years) else [years]) if y is not None]
    unknown = [y for y in years if y not in present]
    if unknown:
        raise CoachkitDataError(f"year(s) {unknown} not in the table (years: {present})",
                                table="table", column="year", found=unknown)
    shown = report_counts(table[table["year"].isin(years)], min_n=min_n, missing=missing)
    counts = [v for v in values if v in RESPONDENT_COUNTS]
    names = dict(names or {})
    label = {v: names.get(v, v) for v in values}
    if len(set(label.values())) < len(label):
        raise ValueError(f"names gives two values the same header: {label}")
    out = shown[keys].drop_duplicates().reset_index(drop=True)
    for y in years:
        part = shown.loc[shown["year"] == y, keys + values] \
            .rename(columns={v: f"{label[v]} {y}" for v in values})
        out = out.merge(part, on=keys, how="left")
        for v in counts:
            out[f"{label[v]} {y}"] = out[f"{label[v]} {y}"].fillna(missing).astype("str")
    return out
