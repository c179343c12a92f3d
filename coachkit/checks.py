"""Checks at the door, one message form for every analysis.

ValueError for parameters, CoachkitDataError for data; every message says what was
expected and what was got ("<table>: expected ..., got ..."), naming table, row and column.

    checks.frame(evidence, "evidence", ["student_id", "target_id", "score"])
    checks.positive_int(n, "n")
"""
from __future__ import annotations

import numbers

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
