"""Parse raw text cells into the canonical dtypes, recording every cell that won't parse.

Parsing works on the distinct values of a column (``pd.factorize``) and maps the
result back, so a 10-million-row evidence file with a few hundred distinct dates
parses a few hundred dates, not ten million.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..schema import STAGES, Column, Table, dtype_for

LEVEL_WORDS = {"beginning": 1.0, "developing": 2.0, "proficient": 3.0, "extending": 4.0}
# A stage written where a score is expected: the lowest score of that stage.
STAGE_SCORES = {"i-learn": 1.0, "i-practice": 2.0, "i-show": 3.0}
assert set(STAGE_SCORES) == set(STAGES)
LIKERT_WORDS = {"strongly disagree": 1.0, "disagree": 2.0, "agree": 3.0, "strongly agree": 4.0}
TRUE_WORDS = {"true", "t", "yes", "y", "1", "1.0", "si", "sí"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "0.0"}
GRADE_WORDS = {"k": 0, "kg": 0, "kinder": 0, "kindergarten": 0}

EXPECTED = {
    "id": "a non-empty identifier",
    "text": "text",
    "category": "a label",
    "grade": "a grade K-12 (K, 0, 1 … 12)",
    "int": "a whole number",
    "float": "a number",
    "score": "a score 1-4 (3, 3.0, 2.5) or a level word (Beginning, Developing, "
             "Proficient, Extending) or a stage (i-learn, i-practice, i-show)",
    "likert": "a value 1-4 or Strongly disagree / Disagree / Agree / Strongly agree",
    "date": "a date as YYYY-MM-DD or M/D/YYYY",
    "bool": "yes/no, true/false or 1/0",
}


def normalize_column_name(name: str) -> str:
    """'Student ID ' -> 'student_id'; 'First-Name' -> 'first_name'."""
    name = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", name).strip("_")


def match_columns(found: list[str], table: Table) -> dict[str, str]:
    """Map the file's column names onto canonical ones (case, spaces and underscores ignored)."""
    squash = {c.name.replace("_", ""): c.name for c in table.columns}
    mapping = {}
    for raw in found:
        norm = normalize_column_name(raw)
        canon = norm if norm in table.names else squash.get(norm.replace("_", ""), norm)
        mapping[raw] = canon
    return mapping


def _parse_number(u: pd.Series) -> pd.Series:
    return pd.to_numeric(u.str.replace(",", ".", regex=False), errors="coerce")


def _parse_uniques(kind: str, u: pd.Series) -> pd.Series:
    """Parse distinct, stripped, non-empty strings; unparseable -> NaN/NaT."""
    low = u.str.lower()
    if kind in ("id", "text", "category"):
        return u
    if kind == "grade":
        num = _parse_number(u)
        num = num.where(num == num.round())
        return num.fillna(low.map(GRADE_WORDS))
    if kind == "int":
        num = _parse_number(u)
        return num.where(num == num.round())
    if kind == "float":
        return _parse_number(u)
    if kind == "score":
        return _parse_number(u).fillna(low.map(LEVEL_WORDS)).fillna(low.map(STAGE_SCORES))
    if kind == "likert":
        return _parse_number(u).fillna(low.map(LIKERT_WORDS))
    if kind == "date":
        iso = pd.to_datetime(u, format="ISO8601", errors="coerce")
        us = pd.to_datetime(u, format="%m/%d/%Y", errors="coerce")
        return iso.fillna(us)
    if kind == "bool":
        out = pd.Series(np.nan, index=u.index, dtype="object")
        out[low.isin(TRUE_WORDS)] = True
        out[low.isin(FALSE_WORDS)] = False
        return out
    raise ValueError(f"unknown column kind {kind!r}")


def _already_typed(raw: pd.Series, kind: str) -> bool:
    """Parquet and databases hand over typed columns: nothing to parse."""
    dt = raw.dtype
    if kind in ("float", "score", "likert", "int", "grade"):
        return pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt)
    if kind == "date":
        return pd.api.types.is_datetime64_any_dtype(dt)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(dt)
    return isinstance(dt, pd.CategoricalDtype) and kind in ("id", "category", "text")


def coerce_column(raw: pd.Series, table: Table, col: Column):
    """Return (typed Series, mask of cells that did not parse, mask of empty cells)."""
    if _already_typed(raw, col.kind):
        empty = raw.isna().to_numpy()
        bad = np.zeros(len(raw), dtype=bool)
        if col.kind in ("int", "grade"):   # 2.5 in an integer column does not parse
            bad = ~empty & (raw.to_numpy(dtype=float, na_value=np.nan) % 1 != 0)
        if isinstance(raw.dtype, pd.CategoricalDtype):
            raw = raw.cat.rename_categories([str(c).strip() for c in raw.cat.categories])
        return _to_dtype(raw, table, col), bad, empty
    text = raw.astype("str").str.strip() if raw.dtype != "str" else raw.str.strip()
    text = text.mask(text.isin(["", "nan", "NaN", "NA", "N/A", "null", "NULL", "None"]))
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    parsed_u = _parse_uniques(col.kind, pd.Series(uniques, dtype="str"))
    bad_u = parsed_u.isna().to_numpy()
    # empty cells are "missing", not "unparseable": the rules judge those
    bad = np.zeros(len(text), dtype=bool)
    present = codes >= 0
    bad[present] = bad_u[codes[present]]
    values = parsed_u.to_numpy()
    out = np.empty(len(text), dtype=object)
    out[:] = None
    out[present] = values[codes[present]]
    return _to_dtype(pd.Series(out, index=raw.index), table, col), bad, ~present


def _to_dtype(s: pd.Series, table: Table, col: Column) -> pd.Series:
    dtype = dtype_for(table, col)
    if str(s.dtype) == dtype:
        return s
    if dtype.startswith(("int", "uint")):
        # missing or bad cells are rejected later; fill so the cast can happen
        return pd.to_numeric(s, errors="coerce").fillna(0).astype(dtype)
    if dtype.startswith("float"):
        return pd.to_numeric(s, errors="coerce").astype(dtype)
    if dtype.startswith("datetime"):
        return pd.to_datetime(s, errors="coerce").astype(dtype)
    if dtype == "bool":
        return s.fillna(False).astype(bool)
    if dtype == "boolean":
        return s.astype("boolean")
    if dtype == "category":
        if isinstance(s.dtype, pd.CategoricalDtype):
            return s
        return s.astype("str").where(s.notna()).astype("category")
    return s.astype("str").where(s.notna())


def expected(col: Column) -> str:
    if col.allowed:
        return "one of " + ", ".join(col.allowed)
    return EXPECTED[col.kind]
