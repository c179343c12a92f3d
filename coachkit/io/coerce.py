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
    "date": "a date as YYYY-MM-DD or M/D/YYYY (or a time with its offset, "
            "2025-10-03T14:05:00-07:00), between 1678 and 2261",
    "bool": "yes/no, true/false or 1/0",
}


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_column_name(name: str) -> str:
    """'Student ID ' -> 'student_id'; 'First-Name' -> 'first_name'."""
    name = str(name).replace("\ufeff", "").strip().lower()
    return _NOT_ALNUM.sub("_", name).strip("_")


def match_columns(found: list[str], table: Table) -> dict[str, str]:
    """Map the file's column names onto canonical ones (case, spaces and underscores ignored)."""
    names = set(table.names)
    squash = {c.name.replace("_", ""): c.name for c in table.columns}
    mapping = {}
    for raw in list(found):
        norm = normalize_column_name(raw)
        mapping[raw] = norm if norm in names else squash.get(norm.replace("_", ""), norm)
    return mapping


# "1,364" and "12,345.5" carry thousands separators; "2,5" is a decimal comma; "1.364,5"
# is both, European style. Anything else with a comma does not parse (never 1,364 -> 1.364).
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
EUROPEAN = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
# A time zone designator after a time: Z, +hh:mm, -hhmm, +hh
OFFSET = re.compile(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$",
                    re.I)
# The days pandas can hold (datetime64[ns]); a date outside them is a rejected cell.
FIRST_DAY, LAST_DAY = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")


def _parse_number(u: pd.Series) -> pd.Series:
    text = u.where(~u.str.contains(",", regex=False), None)
    commas = u[u.str.contains(",", regex=False)]
    if len(commas):
        fixed = pd.Series(None, index=commas.index, dtype="object")
        thousands = commas.str.match(THOUSANDS)
        fixed[thousands] = commas[thousands].str.replace(",", "", regex=False)
        european = commas.str.match(EUROPEAN) & ~thousands
        fixed[european] = (commas[european].str.replace(".", "", regex=False)
                           .str.replace(",", ".", regex=False))
        decimal = commas.str.match(DECIMAL_COMMA) & ~thousands & ~european
        fixed[decimal] = commas[decimal].str.replace(",", ".", regex=False)
        text = text.astype("object")
        text[commas.index] = fixed
    return pd.to_numeric(text, errors="coerce")


def local_zone(time_zone=None):
    """The district's time zone: an IANA name ('America/Los_Angeles'), a tzinfo, or None for
    the machine's own zone."""
    if time_zone is None:
        from dateutil.tz import tzlocal
        return tzlocal()
    if isinstance(time_zone, str):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            return ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time_zone: expected an IANA time zone name such as "
                             f"America/Los_Angeles, got {time_zone!r}") from None
    return time_zone


def _in_range(days: pd.Series) -> pd.Series:
    return days.where((days >= FIRST_DAY) & (days <= LAST_DAY))


def to_local_days(s: pd.Series, time_zone=None) -> pd.Series:
    """Typed datetimes -> local calendar days (datetime64[ns], naive): an instant with a time
    zone becomes the district's local date; out-of-range values become NaT."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(local_zone(time_zone)).dt.tz_localize(None)
    s = s.astype("datetime64[us]") if s.dtype != "datetime64[ns]" else s
    s = _in_range(s.dt.floor("D"))
    return s.astype("datetime64[ns]")


def parse_dates(u: pd.Series, time_zone=None) -> pd.Series:
    """Text -> local calendar days. ISO dates and times (with or without an offset or Z) and
    US M/D/YYYY; an instant with an offset is converted to the district's local date, so a
    retake at 20:30-07:00 stays on its day in Los Angeles. Unparseable or out of range -> NaT."""
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[us]")
    aware = u.str.contains(OFFSET)
    if aware.any():
        inst = pd.to_datetime(u[aware], format="ISO8601", utc=True, errors="coerce")
        out[aware] = inst.dt.tz_convert(local_zone(time_zone)).dt.tz_localize(None).astype(
            "datetime64[us]")
    naive = u[~aware]
    if len(naive):
        iso = pd.to_datetime(naive, format="ISO8601", errors="coerce")
        us = pd.to_datetime(naive, format="%m/%d/%Y", errors="coerce")
        out[~aware] = iso.fillna(us).astype("datetime64[us]")
    return _in_range(out.dt.floor("D"))


def _parse_uniques(kind: str, u: pd.Series, time_zone=None) -> pd.Series:
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
        return parse_dates(u, time_zone)
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


def coerce_column(raw: pd.Series, table: Table, col: Column, *, time_zone=None):
    """Return (typed Series, mask of cells that did not parse, mask of empty cells).

    Dates come back as local calendar days (``time_zone`` None: the machine's zone)."""
    if _already_typed(raw, col.kind):
        empty = raw.isna().to_numpy()
        bad = np.zeros(len(raw), dtype=bool)
        if col.kind == "date":   # Parquet/database instants, and days pandas cannot hold
            days = to_local_days(raw, time_zone)
            return days, ~empty & days.isna().to_numpy(), empty
        if col.kind in ("int", "grade"):   # 2.5 in an integer column does not parse
            bad = ~empty & (raw.to_numpy(dtype=float, na_value=np.nan) % 1 != 0)
        if isinstance(raw.dtype, pd.CategoricalDtype):
            raw = raw.cat.rename_categories([str(c).strip() for c in raw.cat.categories])
        return _to_dtype(raw, table, col), bad, empty
    text = raw.astype("str").str.strip() if raw.dtype != "str" else raw.str.strip()
    text = text.mask(text.isin(["", "nan", "NaN", "NA", "N/A", "null", "NULL", "None"]))
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    parsed_u = _parse_uniques(col.kind, pd.Series(uniques, dtype="str"), time_zone)
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
