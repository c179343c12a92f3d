"""Checks at the door, one message form for every analysis.

ValueError for parameters, CoachkitDataError for data; every message says what was
expected and what was got ("<table>: expected ..., got ..."), naming table, row and column.

    checks.frame(evidence, "evidence", ["student_id", "target_id", "score"])
    checks.positive_int(n, "n")
"""
from __future__ import annotations

import numbers

import numpy as np

import pandas as pd

from .errors import CoachkitDataError


def frame(df, name: str, columns, *, hint: str = "") -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise CoachkitDataError(
            f"{name}: expected a pandas DataFrame with columns {list(columns)}, "
            f"got {type(df).__name__}", table=name, found=type(df).__name__,
            expected="DataFrame")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise CoachkitDataError(
            f"{name}: missing column(s) {missing}; expected {list(columns)}, got "
            f"{list(df.columns)}.{(' ' + hint) if hint else ''}", table=name,
            column=missing[0], found=list(df.columns), expected=list(columns))
    return df


def no_nulls(df: pd.DataFrame, name: str, columns, *, hint: str = "") -> None:
    for c in columns:
        bad = df[c].isna().to_numpy()
        if bad.any():
            row = int(bad.argmax())
            who = f" (student {df['student_id'].iloc[row]})" if "student_id" in df else ""
            raise CoachkitDataError(
                f"{name}: column {c!r}: expected a value in every row, got {int(bad.sum())} "
                f"empty, first at row {row}"
                f"{who}.{(' ' + hint) if hint else ''}",
                table=name, row=row, column=c, found=None, expected="a value")


def numeric(df: pd.DataFrame, name: str, column: str) -> None:
    if not (pd.api.types.is_numeric_dtype(df[column]) and not pd.api.types.is_bool_dtype(df[column])):
        raise CoachkitDataError(
            f"{name}: column {column!r}: expected numbers, got dtype {df[column].dtype}", table=name, column=column,
            found=str(df[column].dtype), expected="numeric")


def unique(df: pd.DataFrame, name: str, columns, *, hint: str = "") -> None:
    dup = df.duplicated(list(columns), keep=False).to_numpy()
    if dup.any():
        row = int(dup.argmax())
        vals = {c: df[c].iloc[row] for c in columns}
        raise CoachkitDataError(
            f"{name}: expected one row per {' and '.join(columns)}, got {int(dup.sum())} rows "
            f"repeating {list(columns)}, first at row {row} ({vals})."
            f"{(' ' + hint) if hint else ''}", table=name, row=row, column=columns[-1],
            found=vals, expected="unique")


def positive_int(value, name: str, *, allow_none: bool = False, minimum: int = 1):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected a whole number >= {minimum}"
                         f"{' or None' if allow_none else ''}, got {value!r}")
    return int(value)


def sizes(min_size, max_size) -> tuple[int, int]:
    lo = positive_int(min_size, "min_size")
    hi = positive_int(max_size, "max_size")
    if lo > hi:
        raise ValueError(f"min_size: expected at most max_size ({hi}), got {lo}")
    return lo, hi


def columns_list(by, name: str = "by") -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if isinstance(by, (list, tuple)) and all(isinstance(b, str) for b in by):
        return list(by)
    raise ValueError(f"{name}: expected a column name or a list of column names, got {by!r}")


def _empty(value) -> bool:
    return value is None or (np.ndim(value) == 0 and not isinstance(value, str)
                             and bool(pd.isna(value)))


def _shown(value) -> str:
    return "an empty cell" if _empty(value) else repr(value)


def cells(df: pd.DataFrame, name: str, bad, column: str, *, expected: str, got=None,
          fix: str = "", shown: str | None = None, problems: bool = False) -> None:
    """Raise for the first row where ``bad`` holds, in the one message form:
    "table T, row R, column C: expected E, got G; fix. N rows like this."

    ``got`` is the text for what was found (default: the cell's value); ``shown`` the
    column's name as the user knows it when it differs from ``column``; ``problems``
    attaches every bad row (table, row, column, value) to the error.
    """
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return
    pos = np.flatnonzero(bad)
    row = df.index[pos[0]]
    value = df[column].iloc[pos[0]]
    col = shown or column
    more = f" {len(pos)} rows like this." if len(pos) > 1 else ""
    rows = None
    if problems:
        rows = pd.DataFrame({"table": name, "row": df.index[pos], "column": col,
                             "value": df[column].to_numpy()[pos], "reason": expected})
    raise CoachkitDataError(
        f"table {name}, row {row!r}, column {col!r}: expected {expected}, got "
        f"{_shown(value) if got is None else got}{('; ' + fix) if fix else ''}.{more}",
        table=name, row=row, column=col, found=None if _empty(value) else value,
        expected=expected, problems=rows)


def filled(df: pd.DataFrame, name: str, columns, *, fix: str = "") -> None:
    """Every row has a value in each of ``columns`` (row named by its index label)."""
    for c in columns:
        cells(df, name, df[c].isna().to_numpy(), c, expected="a value", fix=fix)


def one_of(df: pd.DataFrame, name: str, column: str, allowed, *, shown: str | None = None
           ) -> None:
    """Every value of ``column`` is one of ``allowed``."""
    allowed = list(allowed)
    cells(df, name, ~df[column].isin(allowed).to_numpy(), column,
          expected=f"one of {', '.join(map(str, allowed))}", shown=shown)


def whole_years(df: pd.DataFrame, name: str, column: str = "year") -> pd.Series:
    """The column as whole numbers (a year such as 2024), or an error at the first that is not."""
    year = pd.to_numeric(df[column].astype(object), errors="coerce")
    cells(df, name, (year.isna() | (year != year.round())).to_numpy(), column,
          expected="a whole year such as 2024")
    return year.astype("int64")
