"""Levels set by hand, applied to a mastery table: one pure function every view calls.

    m = ck.progress.mastery(ds.evidence)                 # the computed levels
    m = apply_overrides(m, log.level_overrides())        # the teacher's judgment wins
    describe_override(row.override_author, row.override_date, row.override_reason)
    # -> "set by Ms. Rivera on 3/14: observed in conference"

The function never changes its inputs; removing an override from the log and calling it
again gives back the computed level (``computed_mastery`` keeps it beside the override).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import checks
from ..i18n import check_language, t
from ..schema import MASTERY_LINE, STAGES

OVERRIDE_COLUMNS = ["overridden", "computed_mastery", "computed_mastered", "override_author",
                    "override_date", "override_reason", "override_note"]
KEY = ["student_id", "target_id"]


def describe_override(author, date, reason=None, language: str = "en") -> str:
    """How a view shows a level set by hand: "set by Ms. Rivera on 3/14: observed in
    conference" (month/day, as teachers write it; the reason after a colon). In another
    LANGUAGE the words come from its catalog and the day is written its way
    ("fijado por Ms. Rivera el 14/3: ...")."""
    day = pd.Timestamp(date)
    when = _short_day(day.date(), language)
    if reason is not None and not (isinstance(reason, float) and np.isnan(reason)) \
            and str(reason).strip():
        return t("set by %(author)s on %(day)s: %(reason)s", language) % dict(
            author=author, day=when, reason=reason)
    return t("set by %(author)s on %(day)s", language) % dict(author=author, day=when)


def _short_day(day, language: str) -> str:
    if language == "en":
        return f"{day.month}/{day.day}"
    from babel.dates import format_skeleton
    return format_skeleton("Md", day, locale=check_language(language))


def apply_overrides(mastery: pd.DataFrame, overrides: pd.DataFrame, *,
                    mastery_line: float = MASTERY_LINE, students=None) -> pd.DataFrame:
    """The mastery table with every level set by hand in force.

    Parameters
    ----------
    mastery : a mastery table (``coachkit.progress.mastery``: student_id, target_id,
        mastery, mastered, stage, mastered_date, ...).
    overrides : ``MeetingLog.level_overrides()`` (the current ones: student_id, target_id,
        level, author, reason, date). Rows with a ``removed_at`` are ignored.
    mastery_line : the level that counts as mastered.
    students : the students whose overrides may add rows for pairs the mastery table
        lacks (a target with no evidence yet); default the students already in the table.
        Overrides of other students are never added, so a classroom's view holds only
        that classroom.

    Returns
    -------
    The same rows (plus added pairs) and columns, with ``mastery`` the level set by hand,
    ``mastered`` and ``stage`` following it (i-show at or above the line, else i-practice),
    ``mastered_date`` the override's date when the override makes the pair mastered (the
    computed date when it was mastered already; empty when not mastered), and
    ``overridden``, ``computed_mastery``, ``computed_mastered``, ``override_author``,
    ``override_date``, ``override_reason``, ``override_note`` (the text to show).
    """
    checks.frame(mastery, "mastery table", ["student_id", "target_id", "mastery"])
    checks.frame(overrides, "level overrides",
                 ["student_id", "target_id", "level", "author", "date"],
                 hint="Pass MeetingLog.level_overrides().")
    ov = overrides
    if "removed_at" in ov.columns:
        ov = ov[ov["removed_at"].isna()]
    if "created_at" in ov.columns:                      # at most one per pair: the latest
        ov = ov.sort_values("created_at", kind="stable")
    ov = ov.assign(student_id=ov["student_id"].astype(str),
                   target_id=ov["target_id"].astype(str)).drop_duplicates(KEY, keep="last")

    out = mastery.copy()
    cats = {k: out[k].dtype for k in KEY if isinstance(out[k].dtype, pd.CategoricalDtype)}
    for k in KEY:
        out[k] = out[k].astype(str)
    if students is None:
        allowed = set(out["student_id"])
    else:                                   # ids, or a students table
        ids = students["student_id"] if isinstance(students, pd.DataFrame) else students
        allowed = {str(s) for s in ids}
    missing = ov[ov["student_id"].isin(allowed)].merge(out[KEY], on=KEY, how="left",
                                                        indicator=True)
    missing = missing.loc[missing["_merge"] == "left_only", KEY]
    if len(missing):
        add = missing.reset_index(drop=True)
        if "n_evidence" in out.columns:
            add["n_evidence"] = 0
        if "stage" in out.columns:
            add["stage"] = STAGES[0]
        if "mastered" in out.columns:
            add["mastered"] = False
        out = pd.concat([out, add], ignore_index=True)
        if "n_evidence" in out.columns:
            out["n_evidence"] = out["n_evidence"].astype(mastery["n_evidence"].dtype)

    hit = out[KEY].merge(ov[[*KEY, "level", "author", "date",
                             *(["reason"] if "reason" in ov.columns else [])]],
                         on=KEY, how="left")
    has = hit["level"].notna().to_numpy()
    computed_mastered = (out["mastered"].fillna(False).astype(bool).to_numpy()
                         if "mastered" in out.columns
                         else (out["mastery"].to_numpy(float) >= mastery_line))
    out["computed_mastery"] = out["mastery"].astype(float)
    out["computed_mastered"] = computed_mastered
    level = hit["level"].to_numpy(float)
    now_mastered = np.where(has, level >= mastery_line, computed_mastered)
    out["mastery"] = np.where(has, level, out["computed_mastery"])
    out["mastered"] = now_mastered.astype(bool)
    if "stage" in out.columns:
        stage = out["stage"].astype(object).to_numpy()
        stage = np.where(has, np.where(now_mastered, STAGES[2], STAGES[1]), stage)
        out["stage"] = pd.Categorical(stage, categories=list(STAGES), ordered=True)
    day = pd.to_datetime(hit["date"]).to_numpy("datetime64[ns]")
    if "mastered_date" in out.columns:
        md = pd.to_datetime(out["mastered_date"]).to_numpy("datetime64[ns]")
        keep = has & now_mastered & computed_mastered & ~np.isnat(md)
        md = np.where(has & now_mastered & ~keep, day, md)
        md = np.where(has & ~now_mastered, np.datetime64("NaT"), md)
        out["mastered_date"] = md
    out["overridden"] = has
    out["override_author"] = hit["author"].where(has, None).to_numpy(object)
    out["override_date"] = np.where(has, day, np.datetime64("NaT"))
    reason = hit["reason"] if "reason" in hit.columns else pd.Series([None] * len(hit))
    out["override_reason"] = reason.where(has, None).to_numpy(object)
    out["override_note"] = [describe_override(a, d, r) if h else None
                            for h, a, d, r in zip(has, out["override_author"],
                                                  out["override_date"],
                                                  out["override_reason"])]
    for k, dtype in cats.items():
        values = list(dtype.categories.astype(str))
        values += sorted(set(out[k]) - set(values))
        out[k] = pd.Categorical(out[k], categories=values, ordered=dtype.ordered)
    if len(missing):                        # keep the mastery table's order: student, target
        out = out.sort_values(KEY, kind="stable").reset_index(drop=True)
    return out
