"""Read and write the canonical tables as CSV, Excel or Parquet files; the one door
(``load_dataset``) that dispatches any source to its reader.

A dataset on disk is a folder holding one file per table, named after it
(``students.csv``, ``evidence.parquet``, ``targets.xlsx`` …), or one Excel workbook
with a sheet per table. Row numbers in messages are spreadsheet rows: the header is
row 1, the first data row is row 2.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..dataset import Dataset
from ..errors import CoachkitDataError
from ..schema import CORE_TABLES, TABLES
from .oneroster import load_oneroster
from .pipeline import assemble, check_errors, coerce_table, finish, one_row_each
from .read import EXCEL_SUFFIXES, PARQUET_SUFFIXES, detect_encoding, read_raw
from .sql import load_sql

__all__ = ["load_dataset", "load_table", "read_table", "save_dataset", "table_files",
           "detect_encoding", "SUFFIXES"]

SUFFIXES = (".csv", ".txt") + PARQUET_SUFFIXES + EXCEL_SUFFIXES


def _table_name_for(path: Path, table: str | None) -> str:
    name = table or path.stem.lower().replace(" ", "_").replace("-", "_")
    if name not in TABLES:
        raise CoachkitDataError(
            f"{path.name}: can't tell which table this file holds; name the file after a "
            f"table ({', '.join(TABLES)}) or pass table=...", file=str(path))
    return name


def read_table(path, table: str | None = None, *, errors: str = "raise", sheet=None):
    """Read one table's file -> (typed DataFrame, rejected rows)."""
    check_errors(errors)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    name = _table_name_for(path, table)
    df, problems = coerce_table(read_raw(path, sheet), name, file=str(path))
    return finish(df, problems, errors, f"file {path.name}"), one_row_each(problems)


def load_table(path, table: str | None = None, *, errors: str = "raise") -> pd.DataFrame:
    """Read one table's file; with errors='report' the rejected rows are in ``df.attrs['rejected']``."""
    df, rejected = read_table(path, table, errors=errors)
    df.attrs["rejected"] = rejected
    return df


def table_files(folder: Path) -> dict[str, Path]:
    """The table files in a folder, by table name (first suffix in SUFFIXES wins)."""
    found = {}
    for p in sorted(folder.iterdir(), key=lambda p: (SUFFIXES.index(p.suffix.lower())
                                                     if p.suffix.lower() in SUFFIXES else 99)):
        stem = p.stem.lower().replace(" ", "_").replace("-", "_")
        if p.suffix.lower() in SUFFIXES and stem in TABLES and stem not in found:
            found[stem] = p
    return found


def load_dataset(path, *, errors: str = "raise") -> Dataset:
    """Load a dataset from a folder of table files, an Excel workbook, a OneRoster folder or
    zip, or a SQLAlchemy database URL.

    errors="raise" stops at the first bad cell with a CoachkitDataError naming the file,
    row, column, what was found and what was expected. errors="report" loads every good
    row and puts each bad one in ``ds.rejected`` with its reason.
    """
    check_errors(errors)
    spec = str(path)
    if "://" in spec:
        return load_sql(spec, errors=errors)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.suffix.lower() == ".zip" or (path.is_dir() and (path / "manifest.csv").exists()):
        return load_oneroster(path, errors=errors)
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        sheets = pd.ExcelFile(path).sheet_names
        sources = {s.lower(): (path, s) for s in sheets if s.lower() in TABLES}
    elif path.is_dir():
        sources = {name: (p, None) for name, p in table_files(path).items()}
    else:
        raise CoachkitDataError(f"{path}: expected a folder of table files, an Excel "
                                f"workbook, a OneRoster zip or a database URL", file=str(path))
    absent = [t for t in CORE_TABLES if t not in sources]
    if absent:
        raise CoachkitDataError(
            f"{path}: no {absent[0]} table (looked for {absent[0]}.csv, .xlsx or .parquet); "
            f"a dataset needs {', '.join(CORE_TABLES)}", file=str(path), table=absent[0])
    parsed = {}
    for name, (p, sheet) in sources.items():
        label = f"{p}" + (f" [sheet {sheet}]" if sheet else "")
        parsed[name] = (*coerce_table(read_raw(p, sheet), name, file=label), label)
    return assemble(parsed, errors=errors, source=str(path))


def save_dataset(ds: Dataset, folder, *, format: str = "csv", tables=None) -> Path:
    """Write each non-empty table to FOLDER/<table>.<format> (csv or parquet)."""
    if format not in ("csv", "parquet"):
        raise ValueError(f"format must be 'csv' or 'parquet'; got {format!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in ds.tables.items():
        if tables and name not in tables:
            continue
        if not len(df) and name not in CORE_TABLES:
            continue
        out = folder / f"{name}.{format}"
        if format == "csv":
            df.to_csv(out, index=False, date_format="%Y-%m-%d", float_format="%.10g")
        else:
            df.to_parquet(out, index=False)
    return folder
