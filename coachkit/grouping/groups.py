"""Need-based flexible groups, mixed peer groups, and teacher pins and moves.

Output of :func:`flexible_groups` (one row per student)::

    [by columns…], student_id, group, focus_target_id, reason,
    subject, target_id, sequence, position, focus_sequence, focus_position, changed_by, note

``group`` is 1..k numbered along the continuum (group 1 has the lowest frontier), except
that pinned group numbers are kept as the teacher gave them. ``target_id``/``sequence`` are
the student's own frontier and ``position`` its place on the continuum, which runs through
the grades (see ``_positions``); ``focus_*`` describe the group's focus target.
``changed_by``/``note`` are empty where coachkit placed the student and say who pinned or
moved the student, and what, otherwise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..partitioning import dask_aware
from ..errors import CoachkitDataError
from .. import checks
from .need import EXTENSION, group_range, memo, needs, place
from .partition import (group_count, labels_from_sizes, partition_sorted_batch,
                        partition_with_pins)

FRONTIER_COLUMNS = ("student_id", "subject", "target_id", "sequence")
NEED_COLUMNS = ["kind", "progress", "steps_ahead", "gaps"]
OUTPUT_COLUMNS = ["student_id", "group", "focus_target_id", "reason", "subject", "target_id",
                  "sequence", "position", "focus_sequence", "focus_position", "changed_by",
                  "note"]
METHODS = ("frontier", "need", "profile")


# --------------------------------------------------------------------------- helpers
def _prepare(frontier, subject, by, targets=None, *, what="frontier"
             ) -> tuple[pd.DataFrame, list[str]]:
    """Checked, one-subject copy of the frontier with each student's continuum
    ``position``, sorted by (by…, position, student_id)."""
    keys = checks.columns_list(by)
    checks.frame(frontier, what, list(FRONTIER_COLUMNS) + keys,
                 hint="Pass ck.progress.frontier(...) output"
                      + (f", merged with the students table for {keys}"
                         f" (f.merge(ds.students[['student_id', {keys[0]!r}]]))" if keys else "."))
    f = frontier
    subjects = pd.unique(f["subject"].dropna())
    if subject is None:
        if len(subjects) > 1:
            raise ValueError(f"the {what} holds several subjects {sorted(map(str, subjects))}; "
                             f"pass subject= to choose one")
    else:
        if subject not in set(subjects):
            raise ValueError(f"subject={subject!r} is not in the {what}; it holds "
                             f"{sorted(map(str, subjects))}")
        f = f[f["subject"] == subject]
    if "complete" in f.columns and f["complete"].fillna(False).astype(bool).any():
        done = f.loc[f["complete"].fillna(False).astype(bool), "student_id"]
        raise CoachkitDataError(
            f"{what}: {len(done)} student(s) have completed the continuum and have no frontier "
            f"target (complete=True), e.g. {done.iloc[:5].tolist()}; expected a frontier for "
            f"every student. Use frontier(..., include_complete=False) and place those "
            f"students yourself (pinned=...) or group them on the next continuum.",
            table=what, column="complete", found=done.iloc[:5].tolist(), expected="False")
    checks.no_nulls(f, what, ["student_id", "target_id", "sequence"] + keys,
                    hint="Students who finished the continuum have no frontier: leave them out "
                         "or group them separately.")
    checks.numeric(f, what, "sequence")
    checks.unique(f, what, keys + ["student_id"],
                  hint="Give one frontier row per student (one subject at a time).")
    if not keys and "classroom_id" in f.columns and f["classroom_id"].nunique() > 1:
        raise ValueError(
            f"the {what} holds {f['classroom_id'].nunique()} classrooms; groups are formed "
            f"one classroom at a time: pass by='classroom_id' or filter to one classroom")
    cols = keys + [c for c in FRONTIER_COLUMNS if c not in keys]
    position = _positions(f, targets, what)
    f = f[cols].copy()
    f["position"] = position
    for c in keys + ["student_id", "target_id"]:
        if isinstance(f[c].dtype, pd.CategoricalDtype):   # sort ids as text, not by category
            f[c] = f[c].astype(str)
    f = f.sort_values(keys + ["position", "student_id"], kind="mergesort", ignore_index=True)
    return f, keys


def _positions(f: pd.DataFrame, targets, what: str) -> np.ndarray:
    """Each student's place on the subject's continuum, which runs through the grades in
    order and by ``sequence`` inside a grade (``sequence`` restarts in every grade).

    With ``targets`` (subject, grade, sequence): the frontier target's rank on that
    continuum. Without, when the frontier carries targets of several grades (its ``grade``
    column): the grades are laid end to end, each taking up its highest observed sequence
    plus one. Otherwise ``sequence`` itself."""
    if targets is not None and {"target_id", "subject", "grade", "sequence"} <= set(targets):
        t = pd.DataFrame({"target_id": targets["target_id"].astype(str).to_numpy(),
                          "subject": targets["subject"].astype(str).to_numpy(),
                          "grade": targets["grade"].to_numpy(),
                          "sequence": targets["sequence"].to_numpy()})
        t = t.sort_values(["subject", "grade", "sequence", "target_id"], kind="mergesort")
        t["rank"] = t.groupby("subject", sort=False).cumcount()
        rank = t.drop_duplicates("target_id").set_index("target_id")["rank"]
        pos = f["target_id"].astype(str).map(rank)
        if pos.isna().any():
            bad = f.loc[pos.isna(), "target_id"].astype(str).unique()[:5].tolist()
            raise CoachkitDataError(
                f"{what}: target(s) {bad} are not in the targets table; expected every "
                f"frontier target there", table="targets", column="target_id", found=bad)
        return pos.to_numpy(dtype=float)
    seq = f["sequence"].to_numpy(dtype=float)
    if "grade" in f.columns and f["grade"].notna().all() and f["grade"].nunique() > 1:
        grade = f["grade"].to_numpy(dtype=float)
        span = pd.Series(seq).groupby(grade).max() + 1
        offset = span.cumsum().shift(1, fill_value=0.0)
        return seq + offset.reindex(grade).to_numpy()
    return seq


def _pins(pinned, pinned_by) -> pd.DataFrame | None:
    if pinned is None:
        return None
    if isinstance(pinned, dict):
        p = pd.DataFrame({"student_id": list(pinned), "group": list(pinned.values())})
    elif isinstance(pinned, pd.DataFrame):
        if "student_id" not in pinned or "group" not in pinned:
            raise ValueError("pinned must be a dict {student_id: group} or a DataFrame with "
                             f"columns student_id, group[, changed_by, note]; got columns "
                             f"{list(pinned.columns)}")
        p = pinned.copy()
    else:
        raise ValueError("pinned must be a dict {student_id: group} or a DataFrame with columns "
                         f"student_id, group[, changed_by, note]; got {type(pinned).__name__}")
    if p.empty:
        return None
    for g in p["group"]:
        checks.positive_int(g, "pinned group")
    if p["student_id"].duplicated().any():
        raise ValueError(f"pinned names a student twice: "
                         f"{p.loc[p['student_id'].duplicated(), 'student_id'].tolist()}")
    p["group"] = p["group"].astype("int64")
    if "changed_by" not in p:
        p["changed_by"] = pinned_by
    p["changed_by"] = p["changed_by"].fillna(pinned_by) if p["changed_by"].isna().any() \
        else p["changed_by"]
    if "note" not in p:
        p["note"] = None
    p["note"] = [n if isinstance(n, str) and n else f"pinned to group {g}"
                 for n, g in zip(p["note"], p["group"])]
    return p[["student_id", "group", "changed_by", "note"]]


def _where(keys, key_vals) -> str:
    if not keys:
        return ""
    return ", ".join(f"{k}={v!r}" for k, v in zip(keys, key_vals))


def _bounds(keys, f) -> tuple[np.ndarray, list]:
    """Row boundaries of each by-key block in a frame sorted by keys."""
    if not keys:
        return np.array([0, len(f)]), [()]
    codes = f.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.array([], int)
    bounds = np.r_[starts, len(f)]
    key_vals = [tuple(f[k].iloc[s] for k in keys) for s in starts]
    return bounds, key_vals


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _target_labels(targets) -> dict:
    """target_id -> (code, statement) from the targets table, checked."""
    if targets is None:
        return {}
    checks.frame(targets, "targets", ["target_id", "code", "statement"])
    return dict(zip(targets["target_id"].tolist(),
                    zip(targets["code"].tolist(), targets["statement"].tolist())))


def _name(tid, labels: dict, *, statement: bool) -> str:
    code, text = labels.get(tid, (None, None))
    code = str(code) if isinstance(code, str) and code else str(tid)
    if statement and isinstance(text, str) and text:
        return f"{code} — {_lower_first(text.strip().rstrip('.'))}"
    return code


def annotate(g: pd.DataFrame, keys: list[str], targets=None) -> pd.DataFrame:
    """Add focus_target_id, focus_sequence and reason to a table of student_id, group,
    target_id, sequence (and the by-keys). The focus is the frontier target most members
    share, ties to the lower sequence."""
    labels = _target_labels(targets)
    gk = keys + ["group"]
    counts = (g.groupby(gk + ["target_id", "sequence", "position"], sort=False, observed=True)
              .size().rename("n_at").reset_index())
    counts = counts.sort_values(gk + ["n_at", "position", "target_id"],
                                ascending=[True] * len(gk) + [False, True, True], kind="mergesort")
    focus = counts.drop_duplicates(gk, keep="first").rename(
        columns={"target_id": "focus_target_id", "sequence": "focus_sequence",
                 "position": "focus_position"})
    size = g.groupby(gk, sort=False, observed=True).size().rename("n").reset_index()
    focus = focus.merge(size, on=gk)
    # every target in each group, by sequence, for the "others at ..." clause
    allc = counts.sort_values(gk + ["position", "target_id"], kind="mergesort")
    gid = allc.groupby(gk, sort=False, observed=True).ngroup().to_numpy()
    tids = allc["target_id"].to_numpy()
    per_group: dict[int, list] = {}
    for g_, t_ in zip(gid, tids):
        per_group.setdefault(g_, []).append(t_)
    first = allc[gk].assign(_gid=gid).drop_duplicates(gk)
    focus = focus.merge(first, on=gk, how="left")
    names = {}
    reasons = []
    for fid, n, n_at, g_ in zip(focus["focus_target_id"], focus["n"], focus["n_at"],
                                focus["_gid"]):
        n, n_at = int(n), int(n_at)
        if fid not in names:
            names[fid] = _name(fid, labels, statement=True)
        noun = "student" if n == 1 else "students"
        text = f"{n} {noun} working toward {names[fid]}"
        if n_at < n:
            rest = [t for t in per_group[g_] if t != fid]
            text += (f" (next step for {n_at} of {n}; others at "
                     f"{', '.join(_name(t, labels, statement=False) for t in rest)})")
        reasons.append(text)
    focus["reason"] = reasons
    out = g.drop(columns=[c for c in ("focus_target_id", "focus_sequence", "focus_position",
                                      "reason") if c in g.columns])
    return out.merge(focus[gk + ["focus_target_id", "focus_sequence", "focus_position",
                                 "reason"]],
                     on=gk, how="left", sort=False)


def _finish(f, labels, keys, pins, targets) -> pd.DataFrame:
    out = f.copy()
    out["group"] = labels.astype("int64")
    out["changed_by"] = pd.Series([None] * len(out), dtype="str")
    out["note"] = pd.Series([None] * len(out), dtype="str")
    if pins is not None:
        hit = out["student_id"].isin(pins["student_id"]).to_numpy()
        pm = pins.set_index("student_id")
        out.loc[hit, "changed_by"] = pm.loc[out.loc[hit, "student_id"], "changed_by"].astype(str).to_numpy()
        out.loc[hit, "note"] = pm.loc[out.loc[hit, "student_id"], "note"].astype(str).to_numpy()
    out = annotate(out, keys, targets)
    out = out.sort_values(keys + ["group", "position", "student_id"], kind="mergesort",
                          ignore_index=True)
    return out[keys + OUTPUT_COLUMNS]


# --------------------------------------------------------------------------- public
@dask_aware(lambda a: a.get("by"))   # a Dask frontier: solved per classroom partition
def flexible_groups(frontier: pd.DataFrame, *, n_groups: int | None = None,
                    min_size: int = 3, max_size: int = 6, subject=None, by=None, pinned=None,
                    targets=None, method: str = "frontier",
                    mastery: pd.DataFrame | None = None, units=None,
                    pinned_by: str = "teacher", grade=None) -> pd.DataFrame:
    """Need-based small groups for the next cycle, one classroom at a time.

    frontier: ``ck.progress.frontier(...)`` output (student_id, subject, target_id, sequence),
        one row per student for the subject. For several classrooms at once, merge in the
        classroom and pass ``by="classroom_id"``::

            f = f.merge(ds.students[["student_id", "classroom_id"]], on="student_id")
            g = flexible_groups(f, by="classroom_id", subject="math", targets=ds.targets)

    n_groups: groups per classroom; None = the fewest groups that respect ``max_size``.
    min_size, max_size: bounds on every group's size (ValueError when they cannot be met).
    subject: which subject to group (needed when the frontier holds several).
    by: column(s) to group within (each block is solved on its own).
    pinned: ``{student_id: group}`` or a DataFrame (student_id, group[, changed_by, note]);
        pinned students are placed in that group and everyone else is placed optimally
        around them. The result names who pinned them (``pinned_by`` for a dict).
    targets: the targets table; gives codes and statements for the reason.
    method: ``"frontier"`` (default): exact size-bounded 1-D k-means on frontier position.
        ``"need"``: groups by shared need — every member still needs the group's focus
        target and is ready for it; students who finished the grade form extension
        groups; isolated gaps are noted, not used to place a student (needs ``mastery``
        and ``targets``, which should hold the next grade too; ``grade`` = the
        classroom's grade; see ``coachkit.grouping.need`` and docs/grouping.md).
        ``"profile"``: when a classroom works on several units at once, cluster the
        not-yet-mastered profile instead (needs ``mastery`` and ``targets``; see
        ``coachkit.grouping.profile``). ``units`` limits the profile to those units.

    Returns one row per student: [by…], student_id, group, focus_target_id, reason,
    subject, target_id, sequence, position, focus_sequence, focus_position, changed_by,
    note. Groups are formed on ``position`` (``sequence`` restarts in every grade; with
    ``targets`` the position is the target's rank on the subject's continuum).
    """
    lo, hi = checks.sizes(min_size, max_size)
    k_req = checks.positive_int(n_groups, "n_groups", allow_none=True)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if method == "need":
        return _need_groups(frontier, subject=subject, by=by, targets=targets, mastery=mastery,
                            k_req=k_req, lo=lo, hi=hi, pins=_pins(pinned, pinned_by),
                            grade=grade)
    f, keys = _prepare(frontier, subject, by, targets)
    pins = _pins(pinned, pinned_by)
    if pins is not None:
        unknown = pins.loc[~pins["student_id"].isin(f["student_id"]), "student_id"].tolist()
        if unknown:
            raise ValueError(f"pinned students not in the frontier for this subject: {unknown[:10]}")
    if method == "profile":
        from .profile import profile_matrix, profile_partition
        if mastery is None or targets is None:
            raise ValueError("method='profile' needs mastery= (student_id, target_id, mastered) "
                             "and targets= (the targets table)")
        matrix = profile_matrix(f, mastery, targets, units)
    labels = np.zeros(len(f), dtype=np.int64)
    bounds, key_vals = _bounds(keys, f)
    seq = f["position"].to_numpy(dtype=float)
    pin_group = None
    if pins is not None:
        pin_group = f["student_id"].map(pins.set_index("student_id")["group"]).to_numpy(
            dtype=float, na_value=np.nan)
    plain: dict[tuple[int, int], list[int]] = {}
    for b, kv in enumerate(key_vals):
        s, e = bounds[b], bounds[b + 1]
        n = e - s
        where = _where(keys, kv)
        pg = None if pin_group is None else pin_group[s:e]
        has_pins = pg is not None and not np.isnan(pg).all()
        k = group_count(n, k_req, lo, hi, where)
        if has_pins and k_req is None:
            k = max(k, int(np.nanmax(pg)))
            k = group_count(n, k, lo, hi, where)
        elif has_pins and np.nanmax(pg) > k:
            raise ValueError(f"a student is pinned to group {int(np.nanmax(pg))} but n_groups={k}"
                             f"{' in ' + where if where else ''}")
        x = seq[s:e]
        if method == "profile":
            labels[s:e] = profile_partition(x, matrix[s:e], k, lo, hi, pg)
        elif has_pins:
            free = np.isnan(pg)
            pins_here = {int(gr): x[pg == gr] for gr in np.unique(pg[~free])}
            lab = np.empty(n, dtype=np.int64)
            lab[~free] = pg[~free].astype(np.int64)
            lab[free] = partition_with_pins(x[free], k, lo, hi, pins_here)
            labels[s:e] = lab
        else:
            plain.setdefault((n, k), []).append(s)
    # classrooms of the same size are solved together, one NumPy DP per size
    for (n, k), starts in plain.items():
        if k == 0:
            continue
        rows = np.asarray(starts)[:, None] + np.arange(n)[None, :]
        sizes = partition_sorted_batch(seq[rows], k, lo, hi)
        labels[rows] = np.stack([labels_from_sizes(z) for z in sizes])
    return _finish(f, labels, keys, pins, targets)


def move_student(groups: pd.DataFrame, student_id, to_group: int, *, changed_by: str,
                 note: str | None = None, targets=None, by=None) -> pd.DataFrame:
    """A teacher moves one student to another group (existing or new). Returns a new table
    with the move recorded in ``changed_by``/``note`` and both groups' focus and reason
    recomputed. Size bounds are the optimizer's, not the teacher's: a move may leave a group
    smaller or larger than they were. ``by`` defaults to ``classroom_id`` when present."""
    checks.frame(groups, "groups", OUTPUT_COLUMNS,
                 hint="Pass the output of flexible_groups().")
    to_group = checks.positive_int(to_group, "to_group")
    if not isinstance(changed_by, str) or not changed_by.strip():
        raise ValueError(f"changed_by must name who moved the student; got {changed_by!r}")
    keys = checks.columns_list("classroom_id" if by is None and "classroom_id" in groups
                               else by)
    hit = (groups["student_id"] == student_id).to_numpy()
    if hit.sum() != 1:
        raise ValueError(f"student_id {student_id!r} appears {int(hit.sum())} times in groups; "
                         f"expected exactly once")
    out = groups.copy()
    i = int(hit.argmax())
    before = int(out["group"].iloc[i])
    if before == to_group:
        raise ValueError(f"student_id {student_id!r} is already in group {to_group}")
    out.loc[hit, "group"] = to_group
    out.loc[hit, "changed_by"] = changed_by.strip()
    out.loc[hit, "note"] = note if note else f"moved from group {before} to group {to_group}"
    if set(NEED_COLUMNS) <= set(out.columns):
        return _moved_by_need(out, hit, keys, to_group, targets)
    base = out[keys + ["student_id", "group", "subject", "target_id", "sequence", "position",
                       "changed_by", "note"]]
    res = annotate(base, keys, targets)
    res = res.sort_values(keys + ["group", "position", "student_id"], kind="mergesort",
                          ignore_index=True)
    return res[keys + OUTPUT_COLUMNS]


def _moved_by_need(out, hit, keys, to_group, targets) -> pd.DataFrame:
    """move_student on method="need" groups: the destination keeps its focus (a new group
    takes the student's next step); the teacher's placement is counted as such."""
    dest = out[(out["group"] == to_group).to_numpy() & ~hit]
    if keys:
        kv = out.loc[hit, keys].iloc[0]
        dest = dest[(dest[keys] == kv).all(axis=1)]
    if len(dest):
        for c in ("focus_target_id", "focus_sequence", "focus_position", "kind"):
            out.loc[hit, c] = dest[c].iloc[0]
    else:
        out.loc[hit, "focus_target_id"] = out.loc[hit, "target_id"].to_numpy()
        out.loc[hit, "focus_sequence"] = out.loc[hit, "sequence"].to_numpy()
        out.loc[hit, "focus_position"] = out.loc[hit, "position"].to_numpy()
    out["steps_ahead"] = out["steps_ahead"].astype("Int64")
    out.loc[hit, "steps_ahead"] = pd.NA
    labels = _target_labels(targets) if targets is not None else {}
    grade_of = ({} if targets is None else
                dict(zip(targets["target_id"].astype(str), targets["grade"])))
    out["reason"] = need_reasons(out, labels, grade_of)
    out = out.sort_values(keys + ["group", "position", "student_id"], kind="mergesort",
                          ignore_index=True)
    return out[keys + OUTPUT_COLUMNS + NEED_COLUMNS]


def peer_groups(frontier: pd.DataFrame, *, n_groups: int | None = None, min_size: int = 3,
                max_size: int = 6, subject=None, by=None, targets=None,
                mastery: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mixed groups for collaboration ("ask three before me"): every group holds at least
    one student who already shows mastery of the group's focus target.

    Construction (deterministic): the k students furthest along the continuum (ties by
    student_id) each anchor one group; everyone else is dealt from the lowest frontier up,
    in snake order, into groups whose sizes differ by at most one. A group's focus is the
    frontier target most shared by its members who are behind its furthest member (ties to
    the lower sequence). A student *shows mastery* of the focus when their frontier lies
    beyond it (the frontier is the first target not yet mastered) or, when ``mastery`` is
    given, when the mastery table marks that target mastered.

    Returns the :func:`flexible_groups` columns plus ``role`` ("peer expert"/"learner").
    Raises ValueError when a group cannot get a peer expert (too few distinct frontiers).
    """
    lo, hi = checks.sizes(min_size, max_size)
    k_req = checks.positive_int(n_groups, "n_groups", allow_none=True)
    f, keys = _prepare(frontier, subject, by, targets)
    mastered = None
    if mastery is not None:
        checks.frame(mastery, "mastery", ["student_id", "target_id", "mastered"])
        m = mastery.loc[mastery["mastered"].fillna(False).astype(bool), ["student_id", "target_id"]]
        mastered = set(zip(m["student_id"], m["target_id"]))
    labels = _target_labels(targets)
    seq = f["position"].to_numpy(dtype=float)
    raw_seq = f["sequence"].to_numpy()
    tid = f["target_id"].to_numpy()
    sid = f["student_id"].to_numpy()
    group = np.zeros(len(f), dtype=np.int64)
    focus_t = np.empty(len(f), dtype=object)
    focus_s = np.zeros(len(f))
    focus_q = np.zeros(len(f), dtype=object)
    role = np.empty(len(f), dtype=object)
    reason = np.empty(len(f), dtype=object)
    bounds, key_vals = _bounds(keys, f)
    for b, kv in enumerate(key_vals):
        s, e = bounds[b], bounds[b + 1]
        n = e - s
        where = _where(keys, kv)
        k = group_count(n, k_req, lo, hi, where)
        if k == 0:
            continue
        cap = np.full(k, n // k) + (np.arange(k) < n % k)
        idx = np.arange(s, e)                      # ascending (sequence, student_id)
        desc = idx[np.lexsort((sid[idx], -seq[idx]))]
        anchors = desc[:k]
        members = [[a] for a in anchors]
        rest = np.setdiff1d(idx, anchors)
        rest = rest[np.lexsort((sid[rest], seq[rest]))]
        order = [g for r in range(hi + 1) for g in (range(k) if r % 2 == 0 else range(k - 1, -1, -1))]
        it = iter(order)
        for r in rest:
            g = next(it)
            while len(members[g]) >= cap[g]:
                g = next(it)
            members[g].append(r)
        for g, mem in enumerate(members, start=1):
            mem = np.array(sorted(mem, key=lambda r: (seq[r], str(sid[r]))))
            top = seq[mem].max()
            behind = mem[seq[mem] < top]
            if len(behind) == 0:
                raise ValueError(
                    f"peer group {g}{' in ' + where if where else ''} has every member at the "
                    f"same frontier ({tid[mem[0]]}), so no one shows mastery of a shared "
                    f"target; use fewer groups or flexible_groups()")
            cnt = pd.DataFrame({"t": tid[behind], "s": seq[behind], "q": raw_seq[behind]})
            cnt = cnt.value_counts().reset_index().sort_values(
                ["count", "s", "t"], ascending=[False, True, True], kind="mergesort")
            ft, fs, fq = cnt["t"].iloc[0], cnt["s"].iloc[0], cnt["q"].iloc[0]
            if mastered is None:
                expert = seq[mem] > fs
            else:
                expert = np.array([(sid[r], ft) in mastered for r in mem])
            if not expert.any():
                raise ValueError(
                    f"peer group {g}{' in ' + where if where else ''}: no member's mastery "
                    f"table shows {ft} mastered; expected at least one peer expert")
            n_exp = int(expert.sum())
            n_at = int(((seq[mem] == fs) & ~expert).sum())
            n_before = int(((seq[mem] < fs) & ~expert).sum())
            n_other = len(mem) - n_exp - n_at - n_before
            parts = [f"{n_exp} peer expert{'s' if n_exp > 1 else ''} "
                     f"{'have' if n_exp > 1 else 'has'} mastered it"]
            if n_at:
                parts.append(f"{n_at} {'is' if n_at == 1 else 'are'} working toward it")
            if n_before:
                parts.append(f"{n_before} {'is' if n_before == 1 else 'are'} earlier on the "
                             f"continuum")
            if n_other:
                parts.append(f"{n_other} {'is' if n_other == 1 else 'are'} further along")
            text = f"Mixed group around {_name(ft, labels, statement=True)}: " + ", ".join(parts)
            group[mem] = g
            focus_t[mem] = ft
            focus_s[mem] = fs
            focus_q[mem] = fq
            role[mem] = np.where(expert, "peer expert", "learner")
            reason[mem] = text
    out = f.copy()
    out["group"] = group
    out["focus_target_id"] = pd.Series(focus_t, dtype=f["target_id"].dtype) \
        if len(f) else f["target_id"].copy()
    out["reason"] = pd.Series(reason, dtype="str")
    out["focus_sequence"] = (pd.Series(focus_q).astype(f["sequence"].dtype) if len(f)
                             else f["sequence"])
    out["focus_position"] = focus_s
    out["role"] = pd.Series(role, dtype="str")
    out["changed_by"] = pd.Series([None] * len(out), dtype="str")
    out["note"] = pd.Series([None] * len(out), dtype="str")
    out = out.sort_values(keys + ["group", "position", "student_id"], kind="mergesort",
                          ignore_index=True)
    return out[keys + OUTPUT_COLUMNS + ["role"]]


# --------------------------------------------------------------------------- by need
def _need_groups(frontier, *, subject, by, targets, mastery, k_req, lo, hi, pins, grade
                 ) -> pd.DataFrame:
    """flexible_groups(method="need"): see coachkit.grouping.need."""
    if mastery is None or targets is None:
        raise ValueError("method='need' needs mastery= (student_id, target_id, mastered) and "
                         "targets= (the targets table, with the next grade for extension)")
    keys = checks.columns_list(by)
    checks.frame(frontier, "frontier", ["student_id", "subject"] + keys,
                 hint="Pass ck.progress.frontier(...) output (complete rows included).")
    f = frontier
    subjects = sorted(map(str, pd.unique(f["subject"].dropna())))
    if subject is None:
        if len(subjects) > 1:
            raise ValueError(f"the frontier holds several subjects {subjects}; pass subject= "
                             f"to choose one")
        subject = subjects[0] if subjects else None
    elif str(subject) not in subjects:
        raise ValueError(f"subject={subject!r} is not in the frontier; it holds {subjects}")
    f = f[f["subject"].astype(str) == str(subject)]
    checks.no_nulls(f, "frontier", ["student_id"] + keys)
    checks.unique(f, "frontier", keys + ["student_id"],
                  hint="Give one frontier row per student (one subject at a time).")
    if not keys and "classroom_id" in f.columns and f["classroom_id"].nunique() > 1:
        raise ValueError(
            f"the frontier holds {f['classroom_id'].nunique()} classrooms; groups are formed "
            f"one classroom at a time: pass by='classroom_id' or filter to one classroom")
    if pins is not None:
        unknown = pins.loc[~pins["student_id"].astype(str).isin(f["student_id"].astype(str)),
                           "student_id"].tolist()
        if unknown:
            raise ValueError(f"pinned students not in the frontier for this subject: {unknown[:10]}")
    if grade is None and "grade" in f.columns and f["grade"].notna().any():
        grade = f["grade"].dropna().min()
    labels = memo("labels", targets, None, lambda: _target_labels(targets)
                  if {"code", "statement"} <= set(targets) else {})

    def on_continuum():
        t = targets[targets["subject"].astype(str) == str(subject)]
        rank = {}
        if len(t):
            tt = t[t["grade"] >= (grade if grade is not None else t["grade"].min())]
            tt = tt.sort_values(["grade", "sequence", "target_id"], kind="mergesort")
            rank = {str(x): i for i, x in enumerate(tt["target_id"].astype(str).drop_duplicates())}
        return (rank, dict(zip(t["target_id"].astype(str), t["sequence"])),
                dict(zip(t["target_id"].astype(str), t["grade"])))
    rank, seq_of, grade_of = memo("ranks", targets,
                                  (str(subject), None if grade is None else float(grade)),
                                  on_continuum)
    f = f[keys + ["student_id"]].copy()
    for c in keys + ["student_id"]:
        if isinstance(f[c].dtype, pd.CategoricalDtype):
            f[c] = f[c].astype(str)
    f["student_id"] = f["student_id"].astype(str)
    f = f.sort_values(keys + ["student_id"], kind="mergesort", ignore_index=True)
    bounds, key_vals = _bounds(keys, f)
    pin_of = {} if pins is None else dict(zip(pins["student_id"].astype(str),
                                              pins["group"].astype(int)))
    inv = {v: k_ for k_, v in rank.items()}
    parts = []
    for b, kv in enumerate(key_vals):
        block = f.iloc[bounds[b]:bounds[b + 1]]
        where = _where(keys, kv)
        nd = needs(mastery, targets, block["student_id"], subject=subject, grade=grade)
        n = len(nd)
        if n == 0:
            continue
        steps = [[rank.get(s, len(rank)) for s in st] for st in nd["steps"]]
        # the solver sees the students in an order the data gives (next steps, progress),
        # the id only breaking ties between students whose data are the same: the same
        # data under other ids (the showcase's pseudonyms) give the same groups
        prog_, sid_ = nd["progress"].to_numpy(dtype=float), nd["student_id"].astype(str).tolist()
        order = sorted(range(n), key=lambda i: (steps[i], prog_[i], sid_[i]))
        if order != list(range(n)):
            nd = nd.iloc[order].reset_index(drop=True)
            steps = [steps[i] for i in order]
        order_key = list(zip(nd["position"], range(n)))
        pin_idx = {i: pin_of[s] for i, s in enumerate(nd["student_id"]) if s in pin_of}
        pmax = max(pin_idx.values(), default=0)
        if k_req is not None:
            k = group_count(n, k_req, lo, hi, where)
            if pmax > k:
                raise ValueError(f"a student is pinned to group {pmax} but n_groups={k}"
                                 f"{' in ' + where if where else ''}")
            k_range = (k, k)
        else:
            group_count(n, None, lo, hi, where)         # the clear error when bounds fail
            k_range = group_range(n, lo, hi, pmax)
        got = place(steps, order_key, k_range, lo, hi, pin_idx)
        if got is None:
            raise ValueError(f"cannot form groups of {lo} to {hi} around the pinned students"
                             f"{' in ' + where if where else ''}: pinned groups "
                             f"{sorted(set(pin_idx.values()))}")
        group, focus, ahead = got
        # the table is built from columns in one go: per-column assignment on a small
        # frame costs more than the grouping itself
        nxt = [x if x != EXTENSION else None for x in nd["next_step"]]
        focus_ids = [inv.get(int(x)) for x in focus]
        n_grade = int(nd["n_targets"].iloc[0])
        cols_ = {k_: block[k_].to_numpy() for k_ in keys}
        cols_.update({
            "student_id": nd["student_id"].to_numpy(), "group": group,
            "focus_target_id": focus_ids, "reason": None, "subject": subject,
            "target_id": nxt,
            "sequence": pd.array([seq_of.get(x) if x is not None else None for x in nxt],
                                 dtype="Int16"),
            "position": nd["position"].to_numpy(),
            "focus_sequence": pd.array([seq_of.get(x) if x is not None else None
                                        for x in focus_ids], dtype="Int16"),
            "focus_position": focus.astype(float),
            "changed_by": pd.Series([None] * n, dtype="str"),
            "note": pd.Series([None] * n, dtype="str"),
            "kind": np.where(focus >= n_grade, "extension", "next step"),
            "progress": nd["progress"].to_numpy(),
            "steps_ahead": ahead.astype(np.int64),
            "gaps": [", ".join(_name(g_, labels, statement=False) for g_ in gs)
                     for gs in nd["gaps"]],
        })
        out = pd.DataFrame(cols_)
        if pin_idx:
            pm = pins.assign(student_id=pins["student_id"].astype(str)).set_index("student_id")
            hit = out["student_id"].isin(pm.index).to_numpy()
            out.loc[hit, "changed_by"] = pm.loc[out.loc[hit, "student_id"], "changed_by"].astype(str).to_numpy()
            out.loc[hit, "note"] = pm.loc[out.loc[hit, "student_id"], "note"].astype(str).to_numpy()
        out["reason"] = need_reasons(out, labels, grade_of)
        parts.append(out)
    cols = keys + OUTPUT_COLUMNS + NEED_COLUMNS
    if not parts:
        return pd.DataFrame(columns=cols)
    res = pd.concat(parts, ignore_index=True)
    res = res.sort_values(keys + ["group", "position", "student_id"], kind="mergesort",
                          ignore_index=True)
    return res[cols]


def need_reasons(g: pd.DataFrame, labels: dict, grade_of: dict | None = None) -> list[str]:
    """One sentence per row, the same for every member of a group: what the group works
    on and how far that is from each member's next step."""
    grade_of = grade_of or {}
    gk = [c for c in g.columns if c in ("classroom_id",)] + ["group"]
    # plain arrays and a dict of rows per group: a pandas groupby per call costs more
    # than the sentences themselves on a classroom of 25
    keys = list(zip(*(g[c].tolist() for c in gk)))
    focus = g["focus_target_id"].tolist()
    kind = g["kind"].tolist()
    ahead = pd.to_numeric(g["steps_ahead"]).to_numpy(dtype=float, na_value=np.nan)
    rows: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        rows.setdefault(key, []).append(i)
    texts = {}
    for key, idx in rows.items():
        n = len(idx)
        fid = focus[idx[0]]
        noun = "student" if n == 1 else "students"
        a = ahead[idx]
        known = ~np.isnan(a)
        if not isinstance(fid, str):
            text = (f"{n} {noun} who finished the grade's targets: extension work that "
                    f"deepens and applies them")
        elif kind[idx[0]] == "extension":
            gr = grade_of.get(fid)
            text = (f"{n} {noun} ready for extension: "
                    f"{_name(fid, labels, statement=True)}"
                    + (f" (grade {'K' if int(gr) == 0 else int(gr)})" if gr is not None else ""))
        else:
            text = f"{n} {noun} working toward {_name(fid, labels, statement=True)}"
        at = int((a == 0).sum())
        if isinstance(fid, str) and at < int(known.sum()):
            far = int(np.nanmax(a))
            text += (f" (next step for {at} of {n}; the others still need it and reach it "
                     f"within {far} step{'s' if far > 1 else ''})")
        if not known.all():
            text += f" ({int((~known).sum())} placed by the teacher)"
        texts[key] = text
    return [texts[k] for k in keys]
