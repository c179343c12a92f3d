"""The pipeline every loader shares: raw cells -> typed table + problems -> Dataset.

Per-format readers (files, SQL, OneRoster, CASE, diagnostics) produce raw cells and call
``coerce_table``; ``assemble`` checks references across tables in table order and applies
the ``errors`` mode; ``one_row_each`` folds problems into one rejected entry per row.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..dataset import Dataset, no_problems, raise_first, reference_problems, table_problems
from ..errors import CoachkitDataError
from ..schema import TABLES
from .coerce import coerce_column, expected, match_columns

__all__ = ["ERRORS", "check_errors", "coerce_table", "one_row_each", "finish", "assemble",
           "MAX_COLUMNS"]

ERRORS = ("raise", "report")
# Columns one table file may have; wider is refused with a message (issue 17: a wide header
# must not hang). 100,000 columns coerce in well under a second.
MAX_COLUMNS = 100_000


def check_errors(errors: str):
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {ERRORS}; got {errors!r}")


def _listed(columns, limit: int = 12) -> str:
    """The file's headers for a message, cut short: a wide header must not make a huge one."""
    shown = ", ".join(str(c)[:40] for c in columns[:limit])
    return shown + (f" … ({len(columns)} columns)" if len(columns) > limit else "")


def coerce_table(raw: pd.DataFrame, name: str, *, file: str | None = None,
                 first_row: int = 2, time_zone=None,
                 read_problems: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw cells -> (typed table, problems). Problems name the file row of each cell.

    Linear in the number of columns: canonical columns are parsed, the rest (subgroup and
    vendor columns) travel along untouched in one block. More than MAX_COLUMNS columns is
    refused. ``read_problems`` are rows the reader could not split into cells (ragged rows,
    undecodable bytes); ``time_zone`` is the district's zone for instants with an offset."""
    t = TABLES[name]
    label = file or name
    headers = list(raw.columns)
    if len(headers) > MAX_COLUMNS:
        raise CoachkitDataError(
            f"{label}, row 1 (the header): {len(headers):,} columns; coachkit reads at most "
            f"{MAX_COLUMNS:,} columns in one table file; keep the {name} columns "
            f"({', '.join(t.names)}) and the subgroup columns you need", table=name, file=file,
            row=1, found=len(headers), expected=MAX_COLUMNS)
    mapping = match_columns(headers, t)
    renamed = [mapping[c] for c in headers]
    counts = Counter(renamed)
    dups = sorted(c for c in t.names if counts.get(c, 0) > 1)
    if dups:
        raise CoachkitDataError(
            f"{label}, row 1 (the header): more than one column reads as {dups[0]!r} "
            f"(found columns: {_listed(headers)}); keep one",
            table=name, file=file, row=1, column=dups[0])
    raw = raw.set_axis(renamed, axis=1)
    present = set(renamed)
    missing = [c for c in t.required if c not in present]
    if missing:
        raise CoachkitDataError(
            f"{label}, row 1 (the header): missing column {missing[0]!r} (found columns: "
            f"{_listed(headers)}); add a {missing[0]!r} column with "
            f"{expected(t.column(missing[0]))}", table=name, file=file, row=1,
            column=missing[0], found=headers, expected=t.required)
    raw.index = pd.RangeIndex(first_row, first_row + len(raw))
    typed, found = {}, []
    if read_problems is not None and len(read_problems):
        found.append(read_problems)
    for col in t.columns:
        if col.name not in present:
            continue
        values, bad, empty = coerce_column(raw[col.name], t, col, time_zone=time_zone)
        typed[col.name] = values
        if bad.any():
            idx = np.flatnonzero(bad)
            found.append(pd.DataFrame({
                "table": name, "file": file, "row": raw.index[idx], "column": col.name,
                "value": raw[col.name].iloc[idx].to_numpy(dtype=object),
                "reason": f"could not read it; expected {expected(col)}"}))
        if not col.nullable and empty.any():
            idx = np.flatnonzero(empty)
            found.append(pd.DataFrame({
                "table": name, "file": file, "row": raw.index[idx], "column": col.name,
                "value": None, "reason": f"empty cell; {col.name} is required"}))
    keep = [i for i, c in enumerate(renamed) if c not in typed]
    df = pd.DataFrame(typed, index=raw.index)
    if keep:   # subgroup and vendor columns travel along untouched, in one block
        df = pd.concat([df, raw.iloc[:, keep]], axis=1)
    problems = pd.concat(found, ignore_index=True) if found else no_problems()
    rules = table_problems(name, df, file=file, check_nulls=False)
    problems = pd.concat([p for p in (problems, rules) if len(p)] or [no_problems()],
                         ignore_index=True)
    return df, problems


def one_row_each(problems: pd.DataFrame) -> pd.DataFrame:
    """One rejected entry per rejected row; its reason lists every problem on the row."""
    if not len(problems):
        return no_problems()
    # keyed by file too: one table can be fed by several files (OneRoster, SQL views)
    keys = ["table", "file", "row"]
    problems = problems.sort_values(["table", "row"], kind="stable")
    reasons = problems.groupby(keys, sort=False, dropna=False).apply(
        lambda g: "; ".join(f"{c}: {r}" if c else r for c, r in zip(g["column"], g["reason"])),
        include_groups=False)
    firsts = problems.drop_duplicates(keys).set_index(keys)
    firsts["reason"] = reasons
    out = firsts.reset_index()[["table", "file", "row", "column", "value", "reason"]]
    out["file"] = out["file"].astype(object).where(out["file"].notna(), None)
    return out


def finish(df: pd.DataFrame, problems: pd.DataFrame, errors: str, what: str):
    if errors == "raise":
        raise_first(problems, what)
    if len(problems):
        df = df.drop(index=problems["row"].unique())
    return df.reset_index(drop=True)


def assemble(parsed: dict, *, errors: str, source: str | None) -> Dataset:
    """{table: (typed df, its problems, file label)} -> Dataset, checking references
    in table order (referenced tables come before the tables that refer to them)."""
    tables, rejected = {}, []
    for name in TABLES:
        if name not in parsed:
            continue
        df, problems, file = parsed[name]
        clean = df.drop(index=problems["row"].unique()) if len(problems) else df
        refs = reference_problems(name, clean, tables, file=file)
        problems = pd.concat([p for p in (problems, refs) if len(p)] or [no_problems()],
                             ignore_index=True)
        tables[name] = finish(df, problems, errors, f"{name} table")
        rejected.append(one_row_each(problems))
    rejected = pd.concat([r for r in rejected if len(r)] or [no_problems()], ignore_index=True)
    return Dataset(**tables, rejected=rejected, source=source)


