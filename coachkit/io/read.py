"""A table file's cells as they are: CSV (any encoding a spreadsheet writes), Excel, Parquet.

No coercion happens here: ``read_cells`` hands the shared pipeline (``pipeline.coerce_table``)
text cells (or Parquet's typed columns) plus the rows it could not split into cells. A file
that cannot be read at all (empty, binary, a corrupt workbook or Parquet file, a folder, a
quote that never closes) is a CoachkitDataError naming the file, the row and the fix.

Encodings are judged line by line: a UTF-8 file with one row re-saved in Windows-1252 keeps
every name (each line is decoded as UTF-8 when it is valid UTF-8, else as Windows-1252), and a
mixed file is reported with an ``EncodingNotice`` warning.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CoachkitDataError
from ..schema import TABLES

__all__ = ["read_cells", "read_raw", "detect_encoding", "decode", "EncodingNotice",
           "EXCEL_SUFFIXES", "PARQUET_SUFFIXES", "REPLACEMENT"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUFFIXES = (".csv", ".txt") + PARQUET_SUFFIXES + EXCEL_SUFFIXES
REPLACEMENT = "\ufffd"      # stands in for bytes neither UTF-8 nor Windows-1252
_HIGH_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")
_MAGIC = {b"PK\x03\x04": "a zip archive (an Excel workbook?)", b"PAR1": "a Parquet file",
          b"\xd0\xcf\x11\xe0": "an old Excel (.xls) workbook", b"%PDF": "a PDF document"}
# From this many commas in the header on, rows are read into one object block: pandas' text
# columns cost milliseconds each, so a 100,000-column header would take minutes.
WIDE = 1000
SAVE_AS_CSV = "open it in your spreadsheet and save it as CSV UTF-8 (comma delimited)"


class EncodingNotice(UserWarning):
    """A file read with more than one text encoding (each row decoded on its own)."""


def decode(data: bytes) -> tuple[str, str, bool]:
    """Bytes -> (text, encoding, any undecodable bytes). Encoding is utf-8, utf-8-sig,
    cp1252 (no line was UTF-8 beyond ASCII) or mixed (some lines each)."""
    if data.startswith(codecs.BOM_UTF8):
        text, enc, bad = decode(data[len(codecs.BOM_UTF8):])
        return text, "utf-8-sig" if enc == "utf-8" else enc, bad
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    parts, last, utf8_lines, other_lines = [], 0, 0, 0
    for m in _HIGH_LINE.finditer(data):   # only the lines holding non-ASCII bytes
        parts.append(data[last:m.start()].decode("ascii"))
        line = m.group()
        try:
            parts.append(line.decode("utf-8"))
            utf8_lines += 1
        except UnicodeDecodeError:
            parts.append(line.decode("cp1252", errors="replace"))
            other_lines += 1
        last = m.end()
    parts.append(data[last:].decode("ascii"))
    text = "".join(parts)
    return text, "mixed" if utf8_lines else "cp1252", REPLACEMENT in text


def detect_encoding(path: Path) -> str:
    """utf-8-sig for a BOM, utf-8 when the bytes decode as such, cp1252 when no line does,
    mixed when some lines are UTF-8 and some Windows-1252."""
    return decode(Path(path).read_bytes())[1]


def _fail(label: str, why: str, fix: str, **where):
    raise CoachkitDataError(f"{label}: {why}; {fix}", file=label, **where)


def read_raw(path: Path, sheet=None) -> pd.DataFrame:
    """The file's cells as they are (rows the reader could not split are left in, padded)."""
    return read_cells(path, sheet)[0]


def read_cells(path: Path, sheet=None, *, label: str | None = None,
               table: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(the file's cells, problems of rows that could not be split into cells or decoded).

    Text for CSV/Excel, typed columns for Parquet; problems use spreadsheet row numbers
    (header = row 1) and the columns of the shared problem table."""
    path = Path(path)
    label = label or str(path)
    if path.is_dir():
        _fail(label, "is a folder, not a table file", "rename the folder or move it out")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        try:
            import pyarrow.parquet as pq
            table = pq.read_table(path)
            table.validate(full=True)   # damaged text otherwise fails later, mid-coercion
            return table.to_pandas(), None
        except Exception as err:   # pyarrow raises several kinds for a damaged file
            _fail(label, f"could not be read as a Parquet file ({_first_line(err)})",
                  "write it again from its source, or save the table as CSV")
    if suffix in EXCEL_SUFFIXES:
        try:
            raw = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
        except Exception as err:   # zip, xml and openpyxl errors for a damaged or renamed file
            _fail(label, f"could not be read as an Excel workbook ({_first_line(err)})",
                  "open it in Excel and save it again as .xlsx, or save the sheet as CSV")
        return raw, None
    return read_csv_cells(path.read_bytes(), label, table=table)


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:200]}" if text else type(err).__name__


def read_csv_cells(data: bytes, label: str, *, table: str | None = None):
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    if not body.strip():
        _fail(label, "the file is empty", "export the table again with its header row "
              "and one row per record", row=1)
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            _fail(label, f"this is {what}, not a CSV text file",
                  "give the file its real extension, or " + SAVE_AS_CSV, row=1)
    if b"\x00" in data[:1 << 16]:
        _fail(label, "holds binary data, not CSV text", SAVE_AS_CSV, row=1)
    text, encoding, undecodable = decode(data)
    if encoding == "mixed":
        warnings.warn(f"{label}: some rows are UTF-8 and some Windows-1252; each row was "
                      f"decoded on its own (save the file as CSV UTF-8 to avoid this)",
                      EncodingNotice, stacklevel=3)
    if text.count('"') % 2:   # maybe a quote that never closes (or a literal inch mark)
        _check_quotes(text, label)
    raw = problems = None
    first = text[:text.find("\n")] if "\n" in text else text
    if first.count(",") < WIDE:
        try:   # pyarrow's reader is several times faster; cells are stripped later anyway
            utf8 = body if encoding in ("utf-8", "utf-8-sig") else text.encode("utf-8")
            raw = pd.read_csv(io.BytesIO(utf8), dtype=str, keep_default_na=False,
                              encoding="utf-8", engine="pyarrow")
        except Exception:   # ragged rows, odd quoting: read row by row below
            raw = None
    if raw is None:
        raw, problems = _split_rows(text, label, table)
    if undecodable:
        bad = raw.apply(lambda c: c.str.contains(REPLACEMENT, regex=False)).any(axis=1)
        for i in bad.to_numpy().nonzero()[0]:
            problems = _add(problems, table, label, int(i) + 2, None, None,
                            "bytes that are neither UTF-8 nor Windows-1252 text; "
                            + SAVE_AS_CSV)
    return raw, problems


def _add(problems, table, label, row, column, value, reason):
    p = pd.DataFrame([{"table": table, "file": label, "row": row, "column": column,
                       "value": value, "reason": reason}])
    return p if problems is None else pd.concat([problems, p], ignore_index=True)


def _check_quotes(text: str, label: str):
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            _unclosed_quote(text, label)


def _split_rows(text: str, label: str, table: str | None):
    """The standard library's CSV reader, row by row: a row with more cells than the header
    is a rejected row (its cells would land in the wrong columns); a shorter one is padded.
    Cells are held in one object block, so a file with 100,000 columns stays fast."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 28))
    records = list(csv.reader(io.StringIO(text, newline="")))
    records = [r for r in records if r]          # pandas skips blank lines too
    header = records[0]
    n = len(header)
    rows, problems = [], None
    for i, r in enumerate(records[1:], start=2):
        if len(r) > n:
            problems = _add(problems, table, label, i, None, ", ".join(r[n:])[:200],
                            f"the row has {len(r)} cells but the header has {n} columns; "
                            f"put quotes around a value that holds a comma, or remove the "
                            f"extra cells")
            r = r[:n]
        elif len(r) < n:
            r = r + [""] * (n - len(r))
        rows.append(r)
    cells = np.array(rows, dtype=object).reshape(len(rows), n)
    raw = pd.DataFrame(cells, columns=header, dtype=object)
    return raw, problems


def _unclosed_quote(text: str, label: str):
    """Find the row and column where a quote opened and never closed, then refuse the file."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header, done, line = None, 0, 0
    try:
        for r in reader:
            header = header or r
            done += bool(r)
            line = reader.line_num
    except csv.Error:
        pass
    lines = text.splitlines()
    start = lines[line] if line < len(lines) else ""
    n = len(next(csv.reader([start]), []))
    column = header[n - 1] if header and 0 < n <= len(header) else None
    row = done + 1            # the header is row 1
    where = f"row {row}" + (f", column {column!r}" if column else "")
    raise CoachkitDataError(
        f"{label}, {where}: a quote (\") opens a value that never closes, so the rest of "
        f"the file would be read as one cell; close the quote or remove it",
        file=label, row=row, column=column)


def table_files(folder: Path) -> dict[str, Path]:
    """The table files in a folder, by table name (first suffix in SUFFIXES wins)."""
    found = {}
    for p in sorted(folder.iterdir(), key=lambda p: (SUFFIXES.index(p.suffix.lower())
                                                     if p.suffix.lower() in SUFFIXES else 99)):
        stem = p.stem.lower().replace(" ", "_").replace("-", "_")
        if p.suffix.lower() in SUFFIXES and stem in TABLES and stem not in found:
            found[stem] = p
    return found
