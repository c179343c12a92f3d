"""Read and write the canonical tables as CSV, Excel or Parquet files; the one door
(``load_dataset``) that dispatches any source to its reader.

A dataset on disk is a folder holding one file per table, named after it
(``students.csv``, ``evidence.parquet``, ``targets.xlsx`` …), or one Excel workbook
with a sheet per table. Row numbers in messages are spreadsheet rows: the header is
row 1, the first data row is row 2.
"""
from __future__ import annotations

from pathlib import Path

import dataclasses

import pandas as pd

from .. import caching
from ..dataset import Dataset
from ..errors import CoachkitDataError
from ..schema import CORE_TABLES, TABLES
from .coerce import local_zone
from .pipeline import assemble, check_errors, coerce_table, finish, one_row_each
from .read import SUFFIXES, detect_encoding, read_cells, table_files
from .sql import load_sql

__all__ = ["load_dataset", "load_table", "read_table", "save_dataset", "table_files",
           "detect_encoding", "SUFFIXES"]



def _table_name_for(path: Path, table: str | None) -> str:
    name = table or path.stem.lower().replace(" ", "_").replace("-", "_")
    if name not in TABLES:
        raise CoachkitDataError(
            f"{path.name}: can't tell which table this file holds; name the file after a "
            f"table ({', '.join(TABLES)}) or pass table=...", file=str(path))
    return name


def _read_file(path: Path, name: str, sheet=None, *, label: str, time_zone=None):
    raw, unreadable = read_cells(path, sheet, label=label, table=name)
    return coerce_table(raw, name, file=label, time_zone=time_zone, read_problems=unreadable)


def read_table(path, table: str | None = None, *, errors: str = "raise", sheet=None,
               time_zone=None):
    """Read one table's file -> (typed DataFrame, rejected rows).

    ``time_zone`` (an IANA name; default the machine's zone) turns instants with an offset
    (``2025-10-03T20:30:00-07:00``) into the district's local dates."""
    check_errors(errors)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    name = _table_name_for(path, table)
    df, problems = _read_file(path, name, sheet, label=str(path), time_zone=time_zone)
    return finish(df, problems, errors, f"file {path.name}"), one_row_each(problems)


def load_table(path, table: str | None = None, *, errors: str = "raise",
               time_zone=None) -> pd.DataFrame:
    """Read one table's file; with errors='report' the rejected rows are in ``df.attrs['rejected']``."""
    df, rejected = read_table(path, table, errors=errors, time_zone=time_zone)
    df.attrs["rejected"] = rejected
    return df


def load_dataset(path, *, errors: str = "raise", time_zone=None) -> Dataset:
    """Load a dataset from a folder of table files, an Excel workbook, a OneRoster folder or
    zip, or a SQLAlchemy database URL.

    errors="raise" stops at the first bad cell with a CoachkitDataError naming the file,
    row, column, what was found and what was expected. errors="report" loads every good
    row and puts each bad one in ``ds.rejected`` with its reason.

    ``time_zone`` is the district's zone (an IANA name such as ``America/Los_Angeles``;
    default the machine's): a timestamp with an offset or ``Z`` becomes its local date there.
    A file that cannot be read at all is a CoachkitDataError naming it and the fix.
    """
    local_zone(time_zone)   # a wrong name fails here, before any file is read
    check_errors(errors)
    spec = str(path)
    if "://" in spec:
        return load_sql(spec, errors=errors, time_zone=time_zone)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if caching.keeping():      # the batch runner's kernels: loaded once per worker
        key = ("load_dataset", str(path.resolve()), errors, time_zone, _stamp(path))
        ds = caching.kept(key, lambda: _load_files(path, errors, time_zone),
                          fingerprint=fingerprint)
        return cow_copy(ds)
    return _load_files(path, errors, time_zone)


def _stamp(path: Path) -> tuple:
    """Every file that could feed the dataset, with its mtime and size: a changed,
    added or removed file is a new key."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def cow_copy(ds: Dataset) -> Dataset:
    """The dataset with every table a shallow copy-on-write copy (pandas 3): writing to
    one copies it first, so the original (a worker's kept tables) never changes."""
    return dataclasses.replace(ds, **{f.name: getattr(ds, f.name).copy(deep=False)
                                      for f in dataclasses.fields(ds)
                                      if isinstance(getattr(ds, f.name), pd.DataFrame)})


def fingerprint(ds: Dataset) -> tuple:
    """Shape, columns, dtypes and a hash of every value of every table: equal only if
    nothing in the dataset changed."""
    out = []
    for f in dataclasses.fields(ds):
        df = getattr(ds, f.name)
        if isinstance(df, pd.DataFrame):
            try:
                digest = int(pd.util.hash_pandas_object(df, index=True).sum()) if len(df) else 0
            except TypeError:     # cells no hash takes (lists in a rejected row's value)
                digest = hash(df.to_csv())
            out.append((f.name, df.shape, tuple(map(str, df.columns)),
                        tuple(map(str, df.dtypes)), digest))
    return tuple(out)


def _load_files(path: Path, errors: str, time_zone) -> Dataset:
    from .sources import source_for     # OneRoster, gradebook exports … (coachkit.io.sources)
    source = source_for(path)
    if source is not None:
        return source.load(path, errors=errors, time_zone=time_zone)
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            sheets = pd.ExcelFile(path).sheet_names
        except Exception as err:   # a damaged or renamed file: zip, xml or openpyxl errors
            raise CoachkitDataError(
                f"{path}: could not be read as an Excel workbook ({type(err).__name__}); open "
                f"it in Excel and save it again as .xlsx", file=str(path)) from None
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
        parsed[name] = (*_read_file(p, name, sheet, label=label, time_zone=time_zone), label)
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
