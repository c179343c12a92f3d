"""One small-group rule for every page that describes groups of people.

Pages describe *families* of groups: English learners / not, students with IEPs / not,
each home language; the schools of a district for one survey construct. The groups of a
family split one population whose size is published (a classroom, a school, a grade, the
district), so a group's count also follows by subtraction from the total and its siblings.
Several pages are often read side by side (a school's dashboard beside its grade
overviews, the district review beside the school reviews): they are suppressed together.

The rule, for a set of pages published together:

1. **Primary.** Every group with fewer than ``min_n`` people is hidden (zero groups of a
   yes/no family included: "no English learners" is a disclosure too).
2. **Complementary, per family.** A family with a hidden group hides at least two, and
   enough that each hidden count can be anything across an interval at least
   ``protection`` wide (⌈min_n / 2⌉) given the published total: the smallest shown group
   first, ties to the first position.
3. **Across the set.** :func:`audit_groups` solves, for every hidden count, the least and
   greatest value consistent with everything the set shows (all counts, all page totals,
   counts >= 0 and >= 1 for a group listed by name). While a count can be narrowed below
   ``protection``, the smallest shown group of its family on its page (else on a page
   above or below it) is hidden too.
4. **How it reads.** Every hidden group shows the same word, ``"hidden"``, for its count
   and nothing for its figures: a label that told a small group from its partner ("<10"
   beside "hidden") would give away a bound (``hidden`` means >= 10) that subtraction
   turns back into the small group's size.

    table = privacy.suppress_groups(students, families=["ell", "iep", "home_language"],
                                    levels=[("school_id",), ("school_id", "grade")])
    privacy.audit_groups(students, table).ok          # True
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .auditing import AuditReport, DisclosureError
from .minimum import minimum_n

HIDDEN = "hidden"
_EPS = 1e-7
UNKNOWN = "unknown"
TABLE_COLUMNS = ["level", "family", "group", "n", "hidden", "n_shown"]
_RESERVED = set(TABLE_COLUMNS)


def protection_for(min_n: int) -> int:
    """The least width a hidden count's interval must keep: ⌈min_n / 2⌉ (5 for 10)."""
    return max(1, math.ceil(int(min_n) / 2))


def _level_name(keys) -> str:
    return ", ".join(keys) if keys else "all"


def _level_keys(name: str) -> list[str]:
    return [] if name == "all" else name.split(", ")


# ---------------------------------------------------------------------- one family

def below_minimum(n, *, min_n: int | None = None):
    """Rule 1 for groups that stand alone (no published total to subtract from): True
    where a group has fewer than ``min_n`` people (an array like ``n``, or a bool)."""
    min_n = minimum_n() if min_n is None else int(min_n)
    out = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(n)), errors="coerce")
                     .astype("float64")) < min_n
    return bool(out[0]) if np.ndim(n) == 0 else out


def suppress_family(n, *, min_n: int | None = None, protection=None, hidden=None,
                    lower=None) -> np.ndarray:
    """Which groups of one family to hide (a boolean array like ``n``).

    ``n``: the group counts of one family, which together make up a population whose
    total is published. ``hidden``: groups already hidden (kept hidden). ``lower``: what a
    reader knows each group holds at least (default 1 for a group listed because it
    exists, 0 for an empty one). Rules 1 and 2 of the module docstring.
    """
    min_n = minimum_n() if min_n is None else int(min_n)
    prot = protection_for(min_n) if protection is None else float(protection)
    n = np.asarray(n, dtype=float)
    low = np.minimum(1.0, n) if lower is None else np.asarray(lower, dtype=float)
    out = (n < min_n) if hidden is None else (np.asarray(hidden, dtype=bool) | (n < min_n))
    out = out.copy()
    while out.any():
        width = n[out].sum() - low[out].sum()
        if out.sum() >= 2 and width >= prot - _EPS:
            break
        shown = np.flatnonzero(~out)
        if not len(shown):
            break           # the whole population is hidden; its total is the page's to guard
        out[shown[np.argmin(n[shown])]] = True         # smallest first, ties to the first
    return out


# ------------------------------------------------------------------------- counting

def _people(people: pd.DataFrame, families, keys) -> pd.DataFrame:
    if not isinstance(people, pd.DataFrame):
        raise TypeError(f"people: expected a DataFrame with one row per person, got "
                        f"{type(people).__name__}")
    missing = [c for c in list(families) + list(keys) if c not in people.columns]
    if missing:
        raise ValueError(f"people: expected columns {missing}, got {list(people.columns)}")
    out = people[list(dict.fromkeys(list(keys) + list(families)))].copy()
    for f in families:
        col = out[f]
        if pd.api.types.is_bool_dtype(col) and not col.isna().any():
            out[f] = col.astype(bool)
        else:           # a group with no value recorded is a group too: "unknown"
            out[f] = col.astype(object).where(col.notna(), UNKNOWN)
    return out


def group_counts(people: pd.DataFrame, *, families: Sequence[str],
                 levels: Sequence[Sequence[str]] = ((),)) -> pd.DataFrame:
    """Counts of every group of every family on every page: one row per level, page (the
    level's key columns), family and group, with ``n``. Yes/no families always list both
    groups, empty ones with n = 0."""
    families = list(families)
    levels = [tuple(lv) for lv in levels]
    keys = list(dict.fromkeys(k for lv in levels for k in lv))
    p = _people(people, families, keys)
    frames = []
    for lv in levels:
        for f in families:
            by = list(lv) + [f]
            c = p.groupby(by, observed=True, sort=True, dropna=False).size().rename("n")
            if pd.api.types.is_bool_dtype(p[f]):
                pages = (p[list(lv)].drop_duplicates() if lv else pd.DataFrame(index=[0]))
                full = pages.assign(_k=1).merge(pd.DataFrame({f: [True, False], "_k": 1}),
                                                on="_k").drop(columns="_k")
                c = full.merge(c.reset_index(), on=by, how="left").fillna({"n": 0})
            else:
                c = c.reset_index()
            c = c.rename(columns={f: "group"}).assign(level=_level_name(lv), family=f)
            frames.append(c)
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].astype("int64")
    return out[["level"] + keys + ["family", "group", "n"]]


def _instances(table: pd.DataFrame):
    """Row positions of each (level, page, family) instance."""
    keys = _keys(table)
    cols = ["level"] + keys + ["family"]
    filled = table[cols].astype(object).where(table[cols].notna(), "\0")
    return filled.groupby(cols, sort=False).indices.values()


def _keys(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(k for lv in table["level"].unique() for k in _level_keys(lv)))


# ------------------------------------------------------------------------- the rule

def suppress_groups(people: pd.DataFrame, *, families: Sequence[str],
                    levels: Sequence[Sequence[str]] = ((),), min_n: int | None = None,
                    protection=None) -> pd.DataFrame:
    """Every group count of a set of pages published together, suppressed together.

    ``people``: one row per person of the widest population (e.g. the district's students)
    with the ``families`` columns (``ell``, ``iep``, ``home_language``) and the key columns
    of every level. ``levels``: the pages, each a tuple of key columns, e.g.
    ``[("school_id",), ("school_id", "grade")]`` for a school dashboard beside the
    school's grade overviews; ``()`` is one page for everybody. ``min_n`` defaults to the
    district policy (:func:`minimum_n`).

    Returns one row per level, page, family and group: ``level`` ("school_id, grade"),
    the key columns, ``family``, ``group`` (the value: True/False, a language, "unknown"),
    ``n`` (the true count: for computing, never for showing), ``hidden`` and ``n_shown``
    (the count as a page prints it: the number, or ``"hidden"``).
    ``attrs["suppression"]`` says min_n, protection and whether :func:`audit_groups`
    passed for the whole set (``audit_ok``; it fails only when a page's own total is
    too small to protect, e.g. a classroom of 4).
    """
    min_n = minimum_n() if min_n is None else int(min_n)
    if min_n < 1:
        raise ValueError(f"min_n: expected a whole number >= 1, got {min_n}")
    prot = protection_for(min_n) if protection is None else float(protection)
    table = group_counts(people, families=families, levels=levels)
    n = table["n"].to_numpy(dtype=float)
    hidden = np.zeros(len(table), dtype=bool)
    groups = list(_instances(table))
    for rows in groups:
        hidden[rows] = suppress_family(n[rows], min_n=min_n, protection=prot)
    instance_of = np.empty(len(table), dtype=int)
    for k, rows in enumerate(groups):
        instance_of[rows] = k
    for _ in range(len(table) + 1):     # each pass hides at least one more count
        table["hidden"] = hidden
        report = audit_groups(people, table, protection=prot)
        if report.ok:
            break
        added = False
        for pos in report.cells.loc[~report.cells["ok"], "position"]:
            cand = _complements(table, hidden, int(pos), groups[instance_of[pos]])
            if cand is None:
                continue
            hidden[cand] = True
            rows = groups[instance_of[cand]]
            hidden[rows] = suppress_family(n[rows], min_n=min_n, protection=prot,
                                           hidden=hidden[rows])
            added = True
        if not added:
            break       # every count that could help is hidden: the audit says what is left
    table["hidden"] = hidden
    table["n_shown"] = np.where(hidden, HIDDEN, table["n"].astype(str))
    # attrs hold plain values only: pandas compares attrs when tables are concatenated
    table.attrs = {"suppression": {"min_n": min_n, "protection": prot,
                                   "audit_ok": bool(report.ok),
                                   "exposed": int((~report.cells["ok"]).sum())}}
    return table


def _complements(table, hidden, pos, same_family_rows):
    """The next count to hide so that hidden count ``pos`` widens: the smallest shown
    group of its family on its page, else of its family and group on the pages above and
    below it, else of its family there."""
    n = table["n"].to_numpy()
    rows = [r for r in same_family_rows if not hidden[r]]
    if rows:
        return min(rows, key=lambda r: (n[r], r))
    row = table.iloc[pos]
    keys = _level_keys(row["level"])
    related = (table["family"] == row["family"]).to_numpy() & ~hidden
    for lv in table["level"].unique():
        other = set(_level_keys(lv))
        if lv == row["level"] or not (other <= set(keys) or set(keys) <= other):
            continue
        mask = related & (table["level"] == lv).to_numpy()
        for k in other & set(keys):
            mask &= (table[k] == row[k]).to_numpy()
        same = mask & (table["group"] == row["group"]).to_numpy()
        for m in (same, mask):
            cand = np.flatnonzero(m)
            if len(cand):
                return int(min(cand, key=lambda r: (n[r], r)))
    return None


# ------------------------------------------------------------------------ the audit

def audit_groups(people: pd.DataFrame, published, *, protection: float = 1,
                 strict: bool = False) -> AuditReport:
    """Prove that no hidden group count of a SET of published tables can be recovered.

    ``published``: one table like :func:`suppress_groups` returns (columns ``level``, the
    key columns, ``family``, ``group``, ``hidden``; a count shown where ``hidden`` is
    False), or a list of them (pages published together). ``people``: the real people
    behind them, one row each. Everything shown is taken as known: every shown count,
    every page's total and counts >= 0 (>= 1 for a hidden group that has people: it is
    listed by name). For each hidden count two linear programs (HiGHS) give the least and
    greatest value it can take; it fails when that interval is narrower than
    ``protection`` or a single point.

    Returns an :class:`AuditReport` whose ``cells`` have the level, the keys, family,
    group, low, high, width, ok and ``position`` (the row in the concatenated tables).
    """
    tables = [published] if isinstance(published, pd.DataFrame) else list(published)
    if not tables:
        raise ValueError("published: expected at least one table, got none")
    for t in tables:
        missing = [c for c in ("level", "family", "group", "hidden") if c not in t.columns]
        if missing:
            raise ValueError(f"published: expected columns {missing} (suppress_groups "
                             f"output), got {list(t.columns)}")
    plain = []
    for t in tables:                 # attrs differ between tables; concat compares them
        t = t.copy()
        t.attrs = {}
        plain.append(t)
    table = pd.concat(plain, ignore_index=True)
    keys = _keys(table)
    families = list(dict.fromkeys(table["family"]))
    p = _people(people, families, keys)
    atoms = p.groupby(keys + families, observed=True, dropna=False).size()
    x_true = atoms.to_numpy(dtype=float)
    atom_index = atoms.index.to_frame(index=False)
    column = {c: atom_index[c].to_numpy() for c in atom_index.columns}

    def cover(level, values: dict, family=None, group=None) -> np.ndarray:
        m = np.ones(len(atom_index), dtype=bool)
        for k in _level_keys(level):
            m &= column[k] == values[k]
        if family is not None:
            m &= column[family] == group
        return m

    rows, kinds, bounds = [], [], []          # kind: "eq" (shown) or "hidden"
    for r in table.itertuples(index=False):
        rd = r._asdict()
        rows.append(cover(rd["level"], rd, rd["family"], rd["group"]))
        kinds.append("hidden" if rd["hidden"] else "eq")
    pages = table[["level"] + keys].drop_duplicates()
    for r in pages.itertuples(index=False):     # every page's total is published
        rows.append(cover(r._asdict()["level"], r._asdict()))
        kinds.append("eq")
    A = np.vstack(rows).astype(float) if rows else np.zeros((0, len(x_true)))
    value = A @ x_true
    kinds = np.array(kinds)
    hidden_rows = np.flatnonzero(kinds == "hidden")
    low = np.full(len(hidden_rows), np.nan)
    high = np.full(len(hidden_rows), np.nan)

    # Atoms linked by a published count are one problem; separate schools are not.
    link = csr_matrix(A)
    adj = (link.T @ link) > 0
    _, comp = connected_components(adj, directed=False)
    for c in np.unique(comp):
        cols = np.flatnonzero(comp == c)
        sub = A[:, cols]
        touch = sub.any(axis=1)
        eq = touch & (kinds == "eq")
        hid = touch & (kinds == "hidden")
        lower_h = np.minimum(1.0, value[hid])
        A_eq, b_eq = sub[eq], value[eq]
        A_ub, b_ub = -sub[hid], -lower_h
        for k in np.flatnonzero(hid):
            obj = sub[k]
            res = [linprog(s * obj, A_ub=A_ub if len(b_ub) else None,
                           b_ub=b_ub if len(b_ub) else None, A_eq=A_eq if len(b_eq) else None,
                           b_eq=b_eq if len(b_eq) else None, bounds=(0, None), method="highs")
                   for s in (1, -1)]
            if any(x.status != 0 for x in res):
                raise ValueError("published: the shown counts do not fit the people given "
                                 "(pass the people the tables were made from)")
            j = int(np.searchsorted(hidden_rows, k))
            low[j], high[j] = res[0].fun, -res[1].fun
    low, high = np.round(low, 6) + 0.0, np.round(high, 6) + 0.0
    width = high - low
    ok = (width > _EPS) & (width >= protection - _EPS)
    cells = table.iloc[hidden_rows][["level"] + keys + ["family", "group"]].reset_index(drop=True)
    cells = cells.assign(low=low, high=high, width=width, ok=ok, position=hidden_rows)
    report = _GroupAudit(ok=bool(ok.all()), cells=cells, protection=float(protection))
    return report.raise_if_failed() if strict else report


class _GroupAudit(AuditReport):
    """An AuditReport over group counts: cells are named by level, page, family, group."""

    def raise_if_failed(self):
        if self.ok:
            return self
        bad = self.failures.head(5)
        shown = "; ".join(
            f"{r['family']}={r['group']!r} on "
            f"{', '.join(f'{k}={r[k]!r}' for k in _level_keys(r['level'])) or 'the whole page'}"
            f" is between {r['low']:g} and {r['high']:g}" for _, r in bad.iterrows())
        raise DisclosureError(f"{len(self.failures)} hidden group count(s) can be narrowed "
                              f"to an interval narrower than {self.protection:g}: {shown}. "
                              f"Suppress them together (privacy.suppress_groups).", self)


def shown_groups(table: pd.DataFrame, page: Mapping | None = None, *,
                 level: Sequence[str] = ()) -> pd.DataFrame:
    """The rows of a :func:`suppress_groups` table for one page of one level, e.g.
    ``shown_groups(t, {"school_id": "S101"}, level=("school_id",))``."""
    page = dict(page or {})
    lv = _level_name(tuple(level))
    if set(page) != set(level):
        raise ValueError(f"page: expected values for {list(level)}, got {sorted(page)}")
    m = (table["level"] == lv).to_numpy().copy()
    for k, v in page.items():
        m &= (table[k] == v).to_numpy()
    return table[m].reset_index(drop=True)


# ------------------------------------------------------- the district's student pages

STUDENT_FAMILIES = ("ell", "iep", "home_language")
# What the district publishes about students' groups beyond the classroom: each school's
# dashboard and each of its grade overviews. They are read side by side, so one table.
PUBLISHED_LEVELS = (("school_id",), ("school_id", "grade"))


def student_groups(students: pd.DataFrame, *, min_n: int | None = None) -> pd.DataFrame:
    """:func:`suppress_groups` for the district's pages about students: English learners,
    IEPs and home languages for every school and every grade of a school, suppressed
    together (``students``: the whole roster, one row per student)."""
    return suppress_groups(students.drop_duplicates("student_id"), families=STUDENT_FAMILIES,
                           levels=PUBLISHED_LEVELS, min_n=min_n)


CLASSROOM_LEVEL = ("school_id", "grade", "classroom_id")


def classroom_groups(students: pd.DataFrame, *, min_n: int | None = None,
                     grade=None) -> pd.DataFrame:
    """The published school and grade pages (exactly :func:`student_groups`) and, beside
    them, each classroom's own counts (level ``school_id, grade, classroom_id``), for a
    classroom's data talk that shows its grade's equity view with its own counts.

    The classroom rows follow the one rule (:func:`suppress_groups` for the classroom
    pages), and then, since they are read beside the school and grade pages, the whole
    set is audited together (:func:`audit_groups`): while a hidden count anywhere can be
    narrowed further than the class sizes alone allow (they are on every data talk), the
    family of the classroom rows that cause it is hidden on that classroom's page (then on
    its sibling classrooms'). ``attrs["suppression"]`` says what is left: ``exposed_by_rows``
    is 0 when the shown classroom counts give nothing away beyond the class sizes. The school and grade rows never change, so the dashboards and grade
    overviews that publish them stay as they are. ``grade``: only that grade's classroom
    pages (one data talk's grade; faster)."""
    people = students.drop_duplicates("student_id")
    base = student_groups(people, min_n=min_n)
    inside = people if grade is None else people[people["grade"] == grade]
    rooms = suppress_groups(inside, families=STUDENT_FAMILIES, levels=[CLASSROOM_LEVEL],
                            min_n=min_n)
    hidden = rooms["hidden"].to_numpy().copy()
    prot = base.attrs["suppression"]["protection"]
    # what the classrooms' sizes alone (every classroom count hidden) let a reader narrow:
    # the data talk shows its class size anyway, so only exposure beyond it is the rows'
    floor = audit_groups(people, [base, rooms.assign(hidden=True)], protection=prot)
    allowed = set(floor.cells.loc[~floor.cells["ok"], "position"])

    def extra(rep):
        return rep.cells[~rep.cells["ok"] & ~rep.cells["position"].isin(allowed)]
    report = None
    for _ in range(len(rooms) + 1):
        rooms["hidden"] = hidden
        report = audit_groups(people, [base, rooms], protection=prot)
        bad = extra(report)
        if not len(bad):
            break
        grow = False
        for r in bad.itertuples(index=False):
            family = (rooms["family"] == r.family).to_numpy() & ~hidden
            mask = family.copy()
            for k in _level_keys(r.level):        # the classrooms on or under its page
                mask &= (rooms[k] == getattr(r, k)).to_numpy()
            if not mask.any() and r.level == _level_name(CLASSROOM_LEVEL):
                mask = family & (rooms["school_id"] == r.school_id).to_numpy() \
                    & (rooms["grade"] == r.grade).to_numpy()   # its siblings in the grade
            if mask.any():
                hidden |= mask
                grow = True
        if not grow:
            break
    rooms["hidden"] = hidden
    rooms["n_shown"] = np.where(hidden, HIDDEN, rooms["n"].astype(str))
    out = pd.concat([base.assign(), rooms], ignore_index=True)
    out.attrs = {"suppression": {**base.attrs["suppression"], "audit_ok": bool(report.ok),
                                 "exposed": int((~report.cells["ok"]).sum()),
                                 "exposed_by_class_sizes": len(allowed),
                                 "exposed_by_rows": int(len(extra(report)))}}
    return out
