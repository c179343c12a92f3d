"""A table file's cells as they are: CSV (any encoding a spreadsheet writes), Excel, Parquet.

No coercion happens here; every reader hands the shared pipeline (``pipeline.coerce_table``)
text cells (or Parquet's typed columns).
"""
from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd

__all__ = ["read_raw", "detect_encoding", "EXCEL_SUFFIXES", "PARQUET_SUFFIXES"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")


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



def read_raw(path: Path, sheet=None) -> pd.DataFrame:
    """The file's cells as they are: text for CSV/Excel, typed columns for Parquet."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return pd.read_parquet(path)
    if suffix in EXCEL_SUFFIXES:
        return pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
    encoding = detect_encoding(path)
    try:   # pyarrow's reader is several times faster; cells are stripped later anyway
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding,
                           engine="pyarrow")
    except Exception:   # ragged rows and other oddities: the C reader says where
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
