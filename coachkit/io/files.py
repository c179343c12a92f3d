"""Read and write the canonical tables as CSV, Excel or Parquet files.

A dataset on disk is a folder holding one file per table, named after it
(``students.csv``, ``evidence.parquet``, ``targets.xlsx`` …), or one Excel workbook
with a sheet per table. Row numbers in messages are spreadsheet rows: the header is
row 1, the first data row is row 2.
"""
from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import (Dataset, no_problems, raise_first, reference_problems,
                       table_problems)
from ..errors import CoachkitDataError
from ..schema import CORE_TABLES, TABLES
from .coerce import coerce_column, expected, match_columns

SUFFIXES = (".csv", ".txt", ".parquet", ".pq", ".xlsx", ".xlsm", ".xls")
ERRORS = ("raise", "report")


def detect_encoding(path: Path, sample: int = 1 << 20) -> str:
    """utf-8-sig for a BOM, utf-8 when the bytes decode as such, else Windows-1252."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(sample):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            return "cp1252"


def read_raw(path: Path, sheet=None) -> pd.DataFrame:
    """The file's cells as they are: text for CSV/Excel, typed columns for Parquet."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
    encoding = detect_encoding(path)
    try:   # pyarrow's reader is several times faster; cells are stripped later anyway
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding,
                           engine="pyarrow")
    except Exception:   # ragged rows and other oddities: the C reader says where
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def _check_errors(errors: str):
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {ERRORS}; got {errors!r}")


def _table_name_for(path: Path, table: str | None) -> str:
    name = table or path.stem.lower().replace(" ", "_").replace("-", "_")
    if name not in TABLES:
        raise CoachkitDataError(
            f"{path.name}: can't tell which table this file holds; name the file after a "
            f"table ({', '.join(TABLES)}) or pass table=...", file=str(path))
    return name


def coerce_table(raw: pd.DataFrame, name: str, *, file: str | None = None,
                 first_row: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw cells -> (typed table, problems). Problems name the file row of each cell."""
    t = TABLES[name]
    label = file or name
    mapping = match_columns(list(raw.columns), t)
    renamed = [mapping[c] for c in raw.columns]
    dups = {c for c in renamed if renamed.count(c) > 1 and c in t.names}
    if dups:
        raise CoachkitDataError(
            f"{label}: more than one column reads as {sorted(dups)[0]!r} "
            f"(found columns: {', '.join(map(str, raw.columns))}); keep one",
            table=name, file=file, column=sorted(dups)[0])
    header = [str(c) for c in raw.columns]     # as the file has them, for messages
    raw = raw.set_axis(renamed, axis=1)
    missing = [c for c in t.required if c not in raw.columns]
    if missing:
        raise CoachkitDataError(
            f"{label}, row 1 (the header): missing column {missing[0]!r} (found columns: "
            f"{', '.join(header)}); add a {missing[0]!r} column with "
            f"{expected(t.column(missing[0]))}", table=name, file=file, row=1,
            column=missing[0], found=header, expected=t.required)
    raw.index = pd.RangeIndex(first_row, first_row + len(raw))
    typed, found = {}, []
    for col in t.columns:
        if col.name not in raw.columns:
            continue
        values, bad, empty = coerce_column(raw[col.name], t, col)
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
    extra = [c for c in raw.columns if c not in typed]
    df = pd.DataFrame(typed, index=raw.index)
    for c in extra:   # subgroup and vendor columns travel along untouched
        df[c] = raw[c]
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


def _finish(df: pd.DataFrame, problems: pd.DataFrame, errors: str, what: str):
    if errors == "raise":
        raise_first(problems, what)
    if len(problems):
        df = df.drop(index=problems["row"].unique())
    return df.reset_index(drop=True)


def read_table(path, table: str | None = None, *, errors: str = "raise", sheet=None):
    """Read one table's file -> (typed DataFrame, rejected rows)."""
    _check_errors(errors)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    name = _table_name_for(path, table)
    df, problems = coerce_table(read_raw(path, sheet), name, file=str(path))
    return _finish(df, problems, errors, f"file {path.name}"), one_row_each(problems)


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
    _check_errors(errors)
    spec = str(path)
    if "://" in spec:
        from .sql import load_sql
        return load_sql(spec, errors=errors)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    from .sources import source_for     # OneRoster, gradebook exports … (coachkit.io.sources)
    source = source_for(path)
    if source is not None:
        return source.load(path, errors=errors)
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
        tables[name] = _finish(df, problems, errors, f"{name} table")
        rejected.append(one_row_each(problems))
    rejected = pd.concat([r for r in rejected if len(r)] or [no_problems()], ignore_index=True)
    return Dataset(**tables, rejected=rejected, source=source)


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
