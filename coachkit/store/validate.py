"""Checks at the door of the meeting log. Every failure is a CoachkitDataError that names
the table, the column, what was found and what was expected."""
from __future__ import annotations

import datetime as dt
import numbers

from ..errors import CoachkitDataError

MAX_TEXT = 200_000     # characters in one observation, action, reason or note
MAX_NAME = 200         # characters in an id, a name, an owner, a group label


def fail(table, column, found, expected, fix="", row=None):
    shown = found if not isinstance(found, str) or len(found) <= 60 else found[:57] + "..."
    where = f"{table}" + (f", row {row}" if row is not None else "") + f", column {column!r}"
    msg = f"Bad meeting-log input: {where}: found {shown!r}; expected {expected}"
    if fix:
        msg += f". {fix}"
    raise CoachkitDataError(msg, table=table, row=row, column=column, found=shown,
                            expected=expected)


def text(value, table, column, *, max_len=MAX_TEXT, required=True, row=None):
    """Free text: kept verbatim (no trimming, no truncation). Rejects empty text when
    required, text longer than ``max_len`` and NUL characters. Optional empty text -> None."""
    if value is None or (not isinstance(value, str) and _isna(value)):
        if required:
            fail(table, column, value, "some text", "Write what the team said.", row)
        return None
    if not isinstance(value, str):
        fail(table, column, value, "text (a str)", row=row)
    if not value.strip():
        if required:
            fail(table, column, value, "non-empty text", "Write what the team said.", row)
        return None
    if len(value) > max_len:
        raise CoachkitDataError(
            f"Bad meeting-log input: {table}" + (f", row {row}" if row is not None else "")
            + f", column {column!r}: the text is {len(value):,} "
            f"characters; the limit is {max_len:,}. Nothing was stored (text is never "
            f"truncated): shorten it, split it into several records, or open the log with "
            f"a larger max_text.", table=table, row=row, column=column,
            found=f"{len(value)} characters", expected=f"at most {max_len} characters")
    if "\x00" in value:
        fail(table, column, value, "text without NUL (\\x00) characters",
             "Remove the NUL characters (often left by a binary paste).", row)
    return value


def name(value, table, column, *, required=True, row=None):
    """An id, a person's name or a label: short text; numbers become text."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = str(value)
    return text(value, table, column, max_len=MAX_NAME, required=required, row=row)


def _isna(value):
    try:
        import pandas as pd
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def integer(value, table, column, *, low=None, row=None, expected="a whole number"):
    if isinstance(value, bool) or value is None:
        fail(table, column, value, expected, row=row)
    if isinstance(value, numbers.Integral):
        n = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        n = int(value)
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        n = int(value.strip())
    else:
        fail(table, column, value, expected, row=row)
    if low is not None and n < low:
        fail(table, column, value, expected, row=row)
    return n


def grade(value, table="meetings", column="grade", row=None):
    """K (0) to 12."""
    if isinstance(value, str) and value.strip().upper() in ("K", "KG"):
        return 0
    n = integer(value, table, column, low=0, row=row, expected="a grade K-12 (K, 0, 1 ... 12)")
    if n > 12:
        fail(table, column, value, "a grade K-12 (K, 0, 1 ... 12)", row=row)
    return n


def date(value, table="meetings", column="date", row=None):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):            # pandas Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, str):
        s = value.strip()
        for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
            try:
                return dt.datetime.strptime(s, fmt).date()
            except ValueError:
                pass
    fail(table, column, value, "a date (2025-10-10 or 10/10/2025)", row=row)


def choice(value, allowed, table, column, row=None):
    if value not in allowed:
        fail(table, column, value, "one of " + ", ".join(repr(a) for a in allowed), row=row)
    return value


def name_list(values, table, column):
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in (p.strip() for p in values.split(",")) if v]
    out = [name(v, table, column) for v in values]
    dup = sorted({v for v in out if out.count(v) > 1})
    if dup:
        fail(table, column, dup, "each name once", "Remove the repeats.")
    return out


def level(value, table, column, *, scale=(1, 4), row=None):
    """A level on the proficiency scale: a number (3, 2.5, "3") or a level word
    (Beginning, Developing, Proficient, Extending)."""
    from ..schema import LEVELS
    words = {w.lower(): float(n) for n, w in LEVELS.items()}
    expected = (f"a level from {scale[0]:g} to {scale[1]:g} or a level word "
                f"({', '.join(LEVELS.values())})")
    if isinstance(value, str) and value.strip().lower() in words:
        return words[value.strip().lower()]
    if isinstance(value, bool) or value is None:
        fail(table, column, value, expected, row=row)
    try:
        x = float(value)
    except (TypeError, ValueError):
        fail(table, column, value, expected, row=row)
    if not (scale[0] <= x <= scale[1]):          # also refuses NaN
        fail(table, column, value, expected, row=row)
    return x
