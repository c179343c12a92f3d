"""What every gradebook reader shares: the long-rows shape, the registry, header helpers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from ...errors import CoachkitDataError


class GradebookNotice(UserWarning):
    """What a gradebook reader detected and how it read the file (shown by coachkit validate)."""


@dataclass
class GradebookRows:
    """Long rows from one export. ``rows`` columns: student_key, student_name, course,
    section, target_key, target_name, date (text), score (text), assessment, _row."""
    rows: pd.DataFrame
    skipped: list[dict] = field(default_factory=list)     # problem-shaped, reason says why
    rejected: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = "gradebook"


@dataclass(frozen=True)
class GradebookReader:
    name: str                      # "canvas-outcome-results"
    title: str                     # "Canvas Outcome Results report"
    fits: Callable[[list[str]], bool]
    read: Callable[..., GradebookRows]
    layout_source: str = ""        # where the layout comes from (code, docs)


READERS: dict[str, GradebookReader] = {}


def register(reader: GradebookReader) -> GradebookReader:
    READERS[reader.name] = reader
    return reader


def read_header(path: Path) -> list[str]:
    """The first row of a CSV (or the first sheet of a workbook), as written."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return [str(c) for c in pd.read_excel(path, nrows=0, dtype=str).columns]
    if suffix not in (".csv", ".txt"):
        return []
    head = path.read_bytes()[:65536].decode("utf-8-sig", errors="replace")
    first = head.splitlines()[0] if head.strip() else ""
    return next(iter(pd.read_csv(pd.io.common.StringIO(first + "\n"), dtype=str, header=None)
                     .astype(str).values.tolist()), []) if first else []


def detect(path) -> GradebookReader | None:
    """The reader whose layout fits this file, or None."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        header = [h.strip() for h in read_header(path)]
    except Exception:          # not a table at all: not ours to read
        return None
    lower = [h.lower() for h in header]
    return next((r for r in READERS.values() if r.fits(lower)), None)


def read_cells(path: Path) -> pd.DataFrame:
    from ..read import read_raw
    df = read_raw(path)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def find_column(df: pd.DataFrame, *names: str) -> str | None:
    """The file's own header for the first of ``names`` it has (case and spacing ignored)."""
    norm = {re.sub(r"[^0-9a-z]+", "", str(c).lower()): c for c in df.columns}
    for n in names:
        c = norm.get(re.sub(r"[^0-9a-z]+", "", n.lower()))
        if c is not None:
            return c
    return None


def need_column(df: pd.DataFrame, label: str, what: str, *names: str) -> str:
    c = find_column(df, *names)
    if c is None:
        raise CoachkitDataError(
            f"{label}, row 1 (the header): missing column {names[0]!r} ({what}); found columns: "
            f"{', '.join(map(str, df.columns))}. Export the report with that column",
            file=label, row=1, column=names[0], found=list(df.columns))
    return c


def local_date(text: pd.Series) -> pd.Series:
    """Dates as the gradebook wrote them, kept as the local date of the writer: the date part
    of an ISO timestamp (its offset says which zone the date is in), or M/D/YYYY."""
    s = text.fillna("").astype(str).str.strip()
    iso = s.str.extract(r"^(\d{4}-\d{2}-\d{2})")[0]
    us = pd.to_datetime(s.str.extract(r"^(\d{1,2}/\d{1,2}/\d{4})")[0], format="%m/%d/%Y",
                        errors="coerce").dt.strftime("%Y-%m-%d")
    return iso.fillna(us).fillna("")
