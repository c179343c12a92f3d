"""Export the meeting log to CSV, Excel or JSON and import it back, exactly and safely.

Values are written as text in one canonical form: dates ``2025-10-10``, timestamps
``2025-10-10T14:03:07.123456`` (naive UTC), numbers in decimal, text verbatim. An empty
CSV or Excel cell is NULL; the log never stores empty optional text (it stores NULL), so
the round trip is exact. JSON keeps NULL as ``null``.

**Spreadsheet safety** (OWASP, CSV injection): in CSV and Excel files a text cell starting
with ``=``, ``+``, ``-``, ``@``, TAB or CR is written with a leading ``'`` so a spreadsheet
shows it as text instead of running it as a formula; a cell that already starts with ``'``
gets one more. Import removes exactly one leading ``'`` from such cells, so the text comes
back as typed. JSON is not a spreadsheet format and holds the text unchanged.

**The manifest** (``manifest.json`` in a CSV folder, the top of a JSON file, the
``manifest`` sheet of a workbook) gives the format, the schema version, the row count and
a SHA-256 checksum of every table. Import refuses an export whose counts or checksums do
not match (a truncated or edited file), then applies the same rules as the API to every
row, then writes everything in one transaction, or nothing.

Export -> import into an empty log -> export gives byte-identical CSV and JSON files.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

from sqlalchemy import Date, DateTime, Float, Integer, String, insert, select, tuple_

from ..errors import CoachkitDataError
from . import validate as v
from .engine import read
from .schema import (COMMITMENT_STATUSES, GOAL_SETTERS, OBSERVATION_KINDS, SCHEMA_VERSION,
                     ADDED_LATER, TABLES, meetings)

FORMAT = "coachkit-meeting-log"
# Exports of schema 0001 (before the student tables) had counts but no checksums and held
# CSV text verbatim; they are still read, so a log exported last year can come back.
LEGACY = {"0001"}
# Exports of schema 0002 lack the ``author`` of observations and commitments (ADDED_LATER);
# their checksums cover the columns they had.
BEFORE_AUTHORS = {"0001", "0002"}
# Exports of schemas 0002 and 0003 (before the targeted-time block's table) have checksums
# for the tables they hold; a table they do not hold is empty.
OLDER = {"0002", "0003"}
# Exports from before schema 0005 kept "next school year" as the cycle after the year's
# last (due_cycle was required); they are converted on reading (next_year_as_empty).
BEFORE_NEXT_YEAR = LEGACY | OLDER | {"0004"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_CELL = 32_767        # characters Excel keeps in one cell


# ---- spreadsheet safety ------------------------------------------------------------------
def spreadsheet_safe(value):
    """Text a spreadsheet will show, never run: a leading ``'`` before a formula start (or
    before a leading ``'``). Other values pass unchanged. :func:`from_spreadsheet` undoes it."""
    if isinstance(value, str) and value[:1] in (*FORMULA_START, "'"):
        return "'" + value
    return value


def from_spreadsheet(value):
    """The text as typed, from a cell written by :func:`spreadsheet_safe`."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def spreadsheet_safe_frame(df):
    """A copy of a table with every text cell made spreadsheet-safe (for CSV listings)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) in ("string", "str"):
            out[c] = out[c].map(spreadsheet_safe)
    return out


# XML (inside .xlsx) cannot hold most control characters and turns CR into LF; OOXML's own
# escape (_xHHHH_, with "_x" itself escaped as _x005F_x) keeps them, and Excel reads it.
_XML_UNSAFE = re.compile(r"_x|[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")
_XML_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _xml_escape(value: str) -> str:
    return _XML_UNSAFE.sub(lambda m: "_x005F_x" if m[0] == "_x" else f"_x{ord(m[0]):04X}_",
                           value)


def _xml_unescape(value: str) -> str:
    return _XML_ESCAPED.sub(lambda m: chr(int(m[1], 16)), value)


def _is_text(col) -> bool:
    return isinstance(col.type, String)           # Text is a String too


# ---- canonical values and checksums ------------------------------------------------------
def _dump(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _cell(value) -> str:
    return "" if value is None else str(value)


def table_checksum(name: str, rows, version: str = SCHEMA_VERSION) -> str:
    """SHA-256 of a table's rows in canonical text form (the same for CSV, Excel, JSON),
    over the columns the schema ``version`` had."""
    cols = [c.name for c in TABLES[name].c
            if not (version in BEFORE_AUTHORS and (name, c.name) in ADDED_LATER)]
    body = json.dumps([[_cell(r.get(c)) for c in cols] for r in rows], ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


TYPE_WORDS = {DateTime: "a date and time (2025-10-10T14:03:07.000000)",
              Date: "a date (2025-10-10)", Integer: "a whole number", Float: "a number"}


def _load(value, col, where):
    if value is None or value == "":
        if not col.nullable:
            v.fail(where[0], col.name, value, "a value (the column is required)", row=where[1])
        return None
    try:
        if isinstance(col.type, DateTime):
            return dt.datetime.fromisoformat(value)
        if isinstance(col.type, Date):
            return dt.date.fromisoformat(value)
        if isinstance(col.type, Integer):
            if isinstance(value, bool) or isinstance(value, float):
                raise ValueError(value)
            return int(value)
        if isinstance(col.type, Float):
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
    except (TypeError, ValueError, OverflowError):
        v.fail(where[0], col.name, value, TYPE_WORDS[type(col.type)], row=where[1])
    if not isinstance(value, str):
        v.fail(where[0], col.name, value, "text", row=where[1])
    return value


def dump_tables(log) -> dict[str, list[dict]]:
    def q(conn):
        out = {}
        for name, t in TABLES.items():
            order = [t.c.created_at] if "created_at" in t.c else []
            rows = conn.execute(select(t).order_by(*order, *t.primary_key.columns)).mappings()
            out[name] = [{k: _dump(val) for k, val in r.items()} for r in rows]
        return out
    return read(log.engine, q)


# ---- export --------------------------------------------------------------------------------
def _manifest(tables) -> dict:
    return {"format": FORMAT, "schema_version": SCHEMA_VERSION,
            "counts": {n: len(rows) for n, rows in tables.items()},
            "checksums": {n: table_checksum(n, rows) for n, rows in tables.items()}}


def _sheet_rows(name, rows):
    """A table's rows as spreadsheet cells: text made safe, NULL as an empty cell."""
    cols = list(TABLES[name].c)
    for r in rows:
        yield [("" if r[c.name] is None else
                spreadsheet_safe(r[c.name]) if _is_text(c) else r[c.name]) for c in cols]


def export(log, path) -> Path:
    path = Path(path)
    tables = dump_tables(log)
    manifest = _manifest(tables)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {**manifest, "tables": tables}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path
    if suffix == ".xlsx":
        return _export_xlsx(tables, manifest, path)
    path.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with open(path / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow([c.name for c in TABLES[name].c])
            w.writerows(_sheet_rows(name, rows))
    (path / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return path


def _export_xlsx(tables, manifest, path: Path) -> Path:
    from openpyxl import Workbook
    sheets = {}
    for name, rows in tables.items():           # check every cell before writing any
        sheet = sheets[name] = []
        for i, cells in enumerate(_sheet_rows(name, rows)):
            # every cell as text: Excel must not read "3.0" or a date as a number
            cells = ["" if x == "" else _xml_escape(str(x)) for x in cells]
            for c, cell in zip(TABLES[name].c, cells):
                if len(cell) > EXCEL_MAX_CELL:
                    raise CoachkitDataError(
                        f"{path.name}: {name}, row {i}, column {c.name!r}: expected text an "
                        f"Excel cell can hold (at most {EXCEL_MAX_CELL:,} characters), got "
                        f"{len(cell):,}. Nothing was written: export to a folder of CSV "
                        f"files or to .json instead.", file=str(path), table=name, row=i,
                        column=c.name)
            sheet.append(cells)
    wb = Workbook(write_only=True)
    wb.create_sheet("manifest").append([json.dumps(manifest)])
    for name, sheet in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([c.name for c in TABLES[name].c])
        for cells in sheet:
            ws.append(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# ---- reading an export -------------------------------------------------------------------
def _refuse(path, problem, fix="", **where):
    raise CoachkitDataError(f"{path}: {problem}" + (f". {fix}" if fix else ""),
                            file=str(path), **where)


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        _refuse(path, f"expected UTF-8 text, got byte 0x{data[e.start]:02x} on line {line} "
                      f"(the file was probably re-saved by a spreadsheet as Windows-1252 / "
                      f"ANSI)", "Import the files exactly as `coachkit log export` wrote "
                      "them, or export again", row=line)


def _json(path: Path, text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        _refuse(path, f"expected JSON, got a syntax error on line {e.lineno}, column "
                      f"{e.colno} ({e.msg})", "The file is damaged or was edited; export "
                      "again", row=e.lineno)


def _read_csv(path: Path, name: str, *, unescape=True) -> list[dict]:
    text = _decode(path, path.read_bytes())
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as e:
        _refuse(path, f"expected CSV, got {e}", "The file is damaged; export again")
    if not rows:
        _refuse(path, "expected a header row, got an empty file", "Export again")
    return _records(path, name, rows[0], rows[1:], unescape=unescape)


def _records(path, name, header, rows, *, unescape) -> list[dict]:
    cols = {c.name: c for c in TABLES[name].c}
    header = [str(h) if h is not None else "" for h in header]
    unknown = [h for h in header if h not in cols]
    missing = [c for c in cols if c not in header and (name, c) not in ADDED_LATER]
    if unknown or missing:
        _refuse(path, f"{name}: expected the columns {', '.join(cols)}, got "
                      f"{', '.join(header)}", "Import the files exactly as exported",
                table=name, column=(unknown or missing)[0])
    out = []
    for i, r in enumerate(r for r in rows if r):     # a blank line is no row
        if len(r) != len(header):
            _refuse(path, f"{name}, row {i}: expected {len(header)} cells, got {len(r)}",
                    "The file is damaged; export again", table=name, row=i)
        rec = {}
        for h, val in zip(header, r):
            val = None if val is None or val == "" else val
            if unescape and _is_text(cols[h]):
                val = from_spreadsheet(val)
            rec[h] = val
        out.append(rec)
    return out


def _read_xlsx(path: Path):
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        _refuse(path, f"expected an Excel workbook written by `coachkit log export`, got a "
                      f"file that cannot be opened as one ({e.__class__.__name__})",
                "Export again")
    try:
        if "manifest" not in wb.sheetnames:
            _refuse(path, "expected a 'manifest' sheet: not a meeting-log export")
        manifest = _json(path, str(next(wb["manifest"].iter_rows(values_only=True))[0]))
        raw = {}
        for name in TABLES:
            if name not in wb.sheetnames:
                raw[name] = []
                continue
            rows = [["" if x is None else _xml_unescape(str(x)) for x in r]
                    for r in wb[name].iter_rows(values_only=True)]
            raw[name] = _records(path, name, rows[0], rows[1:], unescape=True) if rows else []
        return manifest, raw
    finally:
        wb.close()


def _read_raw(path: Path):
    if path.is_dir():
        mpath = path / "manifest.json"
        if not mpath.exists():
            _refuse(path, "expected a manifest.json: not a meeting-log export")
        manifest = _json(mpath, _decode(mpath, mpath.read_bytes()))
        if not isinstance(manifest, dict):
            _refuse(mpath, "expected a JSON object (the manifest)")
        unescape = manifest.get("schema_version") not in LEGACY
        raw = {name: _read_csv(path / f"{name}.csv", name, unescape=unescape)
               if (path / f"{name}.csv").is_file() else None for name in TABLES}
        return manifest, raw
    if not path.exists():
        _refuse(path, "does not exist")
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    doc = _json(path, _decode(path, path.read_bytes()))
    if not isinstance(doc, dict) or not isinstance(doc.get("tables", {}), dict):
        _refuse(path, "expected a JSON object with a 'tables' object: not a meeting-log "
                      "export")
    raw = {}
    for name, rows in doc.get("tables", {}).items():
        if name not in TABLES:
            continue                          # reported against the manifest below
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            _refuse(path, f"{name}: expected a list of records", table=name)
        cols = {c.name for c in TABLES[name].c}
        for i, r in enumerate(rows):
            unknown = sorted(set(r) - cols)
            if unknown:
                v.fail(name, unknown[0], unknown, "only the columns " +
                       ", ".join(c.name for c in TABLES[name].c), row=i)
        raw[name] = [{c: (None if r.get(c) == "" else r.get(c)) for c in cols} for r in rows]
    return doc, raw


def read_export(path) -> dict[str, list[dict]]:
    """The rows of an export, its manifest checked, each value parsed (raises
    CoachkitDataError naming the file, table, row and column)."""
    path = Path(path)
    manifest, raw = _read_raw(path)
    if manifest.get("format") != FORMAT:
        _refuse(path, f"expected a meeting-log export (format {FORMAT!r}), got format "
                      f"{manifest.get('format')!r}")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION and version not in BEFORE_NEXT_YEAR:
        _refuse(path, f"was exported from schema {version!r}; this coachkit reads "
                      f"{SCHEMA_VERSION!r} (and {', '.join(sorted(BEFORE_NEXT_YEAR))})",
                "Import it with the coachkit that wrote it, upgrade that log, and export "
                "again")
    counts, sums = manifest.get("counts"), manifest.get("checksums")
    if version in LEGACY:
        counts = manifest.get("tables") if path.is_dir() else \
            {n: len(rows) for n, rows in raw.items() if rows is not None}
        sums = None
    if not isinstance(counts, dict) or not (isinstance(sums, dict) or version in LEGACY):
        _refuse(path, "expected row counts and checksums in the manifest, got none",
                "Export again with this coachkit")
    stray = sorted(set(counts) - set(TABLES))
    if stray:
        _refuse(path, f"expected only the tables {', '.join(TABLES)}, the manifest lists "
                      f"{', '.join(stray)}", table=stray[0])
    out = {}
    for name, t in TABLES.items():
        rows = raw.get(name)
        want = counts.get(name, 0)
        if rows is None:
            if want:
                _refuse(path, f"{name}: the manifest lists {want} rows, the file is missing",
                        "Copy the whole export folder", table=name)
            rows = []
        if len(rows) != want:
            _refuse(path, f"{name}: the manifest lists {want} rows, the file has {len(rows)} "
                          f"(truncated or edited after export)",
                    "Nothing was imported; export again", table=name)
        absent = version in OLDER and name not in sums and not rows
        if sums is not None and not absent and table_checksum(name, rows, version) != sums.get(name):
            _refuse(path, f"{name}: the checksum differs from the manifest's (the file was "
                          f"changed after export)", "Nothing was imported; export again",
                    table=name)
        out[name] = [{c.name: _load(r.get(c.name), c, (name, i)) for c in t.c}
                     for i, r in enumerate(rows)]
    if version in BEFORE_NEXT_YEAR:
        next_year_as_empty(out)
    return out


def next_year_as_empty(tables) -> None:
    """Commitments of an export from before schema 0005 that were due "the next school
    year", stored then as the cycle after the year's last, get an empty due_cycle (the
    rule of migration 0005: due in the cycle right after the meeting's, past every
    meeting of the export and past cycle 6)."""
    cycles = {r["meeting_id"]: r["cycle"] for r in tables.get("meetings", [])}
    if not cycles:
        return
    top = max(6, max(cycles.values()))
    for r in tables.get("commitments", []):
        c = cycles.get(r["meeting_id"])
        if c is not None and r["due_cycle"] == c + 1 and r["due_cycle"] > top:
            r["due_cycle"] = None


# ---- the API's rules, applied to every imported row --------------------------------------
VOCABULARIES = {("observations", "kind"): OBSERVATION_KINDS,
                ("commitments", "status"): COMMITMENT_STATUSES,
                ("commitment_updates", "status"): COMMITMENT_STATUSES,
                ("goals", "set_by"): GOAL_SETTERS}


def check_rows(log, tables):
    """Every rule the API applies when it writes, on every row: text and id lengths, no
    NUL, vocabularies, grades, cycles, attendees as a list of names, levels on the
    scale, and (when the log knows the dataset) known classrooms and students."""
    for name, rows in tables.items():
        t = TABLES[name]
        for i, r in enumerate(rows):
            for c in t.c:
                if _is_text(c) and r[c.name] is not None:
                    limit = getattr(c.type, "length", None) or log.max_text
                    v.text(r[c.name], name, c.name, max_len=limit, required=not c.nullable,
                           row=i)
                if (name, c.name) in VOCABULARIES:
                    v.choice(r[c.name], VOCABULARIES[name, c.name], name, c.name, row=i)
            ROW_RULES.get(name, lambda log, r, i: None)(log, r, i)
        ids = [r["student_id"] for r in rows if "student_id" in t.c]
        if ids:
            log.check_students(ids, name)


def _meeting_rule(log, r, i):
    v.grade(r["grade"], row=i)
    v.integer(r["cycle"], "meetings", "cycle", low=1, row=i)
    try:
        names = json.loads(r["attendees"])
    except ValueError:
        names = None
    if not isinstance(names, list):
        v.fail("meetings", "attendees", r["attendees"], "a JSON list of names", row=i)
    for n in names:
        if not isinstance(n, str):
            v.fail("meetings", "attendees", n, "a name (text) in the attendees list", row=i)
        v.name(n, "meetings", "attendees", row=i)
    if len(set(names)) < len(names):
        v.fail("meetings", "attendees", names, "each name once", row=i)
    log.check_classroom(r["classroom_id"], r["school_id"], r["grade"], row=i)


def _commitment_rule(log, r, i):
    if r["due_cycle"] is not None:          # empty: due the next school year
        v.integer(r["due_cycle"], "commitments", "due_cycle", low=1, row=i)
        if log.last_cycle is not None and r["due_cycle"] > log.last_cycle:
            v.fail("commitments", "due_cycle", r["due_cycle"],
                   f"a cycle up to {log.last_cycle} (the year's last), or empty for the "
                   "next school year", "There is no cycle after the last", row=i)


def _override_rule(log, r, i):
    v.level(r["level"], "level_overrides", "level", row=i)


def _goal_rule(log, r, i):
    if r["target_id"] is None and r["text"] is None:
        v.fail("goals", "text", None, "a target_id or the goal in the student's own words",
               row=i)


def _reflection_rule(log, r, i):
    if r["proud"] is None and r["hard"] is None:
        v.fail("reflections", "proud", None, "what the student is proud of, what was hard, "
               "or both", row=i)


ROW_RULES = {"meetings": _meeting_rule, "commitments": _commitment_rule,
             "level_overrides": _override_rule, "goals": _goal_rule,
             "reflections": _reflection_rule}


# ---- rules that need the log's own rows (run inside the import transaction) ---------------
def _existing(conn, t, rows):
    pk = list(t.primary_key.columns)
    keys = [tuple(r[c.name] for c in pk) for r in rows]
    found = {}
    for i in range(0, len(keys), 400):
        chunk = keys[i:i + 400]
        cond = (pk[0].in_([k[0] for k in chunk]) if len(pk) == 1
                else tuple_(*pk).in_(chunk))
        for r in conn.execute(select(t).where(cond)).mappings():
            found[tuple(r[c.name] for c in pk)] = dict(r)
    return keys, found


def _check_meetings(conn, rows):
    """One meeting per classroom (or whole grade) and cycle: an imported meeting may not
    sit beside another one, so no student is in two current groups."""
    seen = {}
    for i, r in enumerate(rows):
        key = (r["school_id"], r["grade"], r["classroom_id"], r["cycle"])
        room = (meetings.c.classroom_id.is_(None) if r["classroom_id"] is None
                else meetings.c.classroom_id == r["classroom_id"])
        other = conn.execute(select(meetings.c.meeting_id, meetings.c.date).where(
            meetings.c.school_id == r["school_id"], meetings.c.grade == r["grade"], room,
            meetings.c.cycle == r["cycle"],
            meetings.c.meeting_id != r["meeting_id"])).first()
        if other is None and key in seen and seen[key] != r["meeting_id"]:
            other = (seen[key], None)
        if other is not None:
            where = r["classroom_id"] or f"grade {r['grade']} of {r['school_id']}"
            v.fail("meetings", "meeting_id", r["meeting_id"],
                   f"one meeting for {where} in cycle {r['cycle']}",
                   f"The log (or this export) already has meeting {other[0]} for it. "
                   f"Nothing was imported: record the second session in the first meeting "
                   f"(start_meeting returns it), or import into a separate log", row=i)
        seen[key] = r["meeting_id"]


def _check_references(conn, tables):
    """Every foreign key names a record in the export or the log; a commitment is not due
    before its meeting's cycle."""
    cycles = {r["meeting_id"]: r["cycle"] for r in tables["meetings"]}
    known = {"meetings": set(cycles),
             "commitments": {r["commitment_id"] for r in tables["commitments"]}}
    for name, t in TABLES.items():
        for fk in t.foreign_keys:
            parent = fk.column.table
            col = fk.parent.name
            want = {r[col] for r in tables[name]} - known[parent.name]
            if want:
                pkc = fk.column
                q = select(pkc, *([meetings.c.cycle] if parent is meetings else []))
                for found in conn.execute(q.where(pkc.in_(sorted(want)))):
                    known[parent.name].add(found[0])
                    if parent is meetings:
                        cycles[found[0]] = found[1]
            for i, r in enumerate(tables[name]):
                if r[col] not in known[parent.name]:
                    v.fail(name, col, r[col], f"a {parent.name[:-1]} in this export or log",
                           "The export is incomplete", row=i)
    for i, r in enumerate(tables["commitments"]):
        cycle = cycles[r["meeting_id"]]
        if r["due_cycle"] is not None and r["due_cycle"] < cycle:
            v.fail("commitments", "due_cycle", r["due_cycle"],
                   f"cycle {cycle} (the meeting's) or later",
                   "A commitment cannot be due in a cycle that is already over", row=i)


def _check_overrides(conn, rows):
    """At most one level set by hand in force per student and target."""
    from .schema import level_overrides as lo
    current = {}
    for i, r in enumerate(rows):
        if r["removed_at"] is not None:
            continue
        key = (r["student_id"], r["target_id"])
        other = conn.execute(select(lo.c.override_id).where(
            lo.c.student_id == key[0], lo.c.target_id == key[1], lo.c.removed_at.is_(None),
            lo.c.override_id != r["override_id"])).scalar()
        other = other or (current.get(key) if current.get(key) != r["override_id"] else None)
        if other:
            v.fail("level_overrides", "override_id", r["override_id"],
                   f"one level set by hand in force for {key[0]} on {key[1]}",
                   f"Override {other} is already in force; remove one of them first", row=i)
        current[key] = r["override_id"]


def import_(log, path) -> dict:
    tables = read_export(path)
    check_rows(log, tables)

    def write(conn):
        added = {}
        fresh = {}
        for name, t in TABLES.items():
            keys, existing = _existing(conn, t, tables[name])
            new = []
            for i, (k, r) in enumerate(zip(keys, tables[name])):
                if k in existing:
                    if existing[k] != r:
                        diff = sorted(c for c in r if existing[k][c] != r[c])
                        v.fail(name, diff[0], r[diff[0]], f"{existing[k][diff[0]]!r} as "
                               f"already stored for {'/'.join(map(str, k))}",
                               "The same record id holds different content; this export "
                               "does not belong with this log", row=i)
                    continue
                new.append(r)
            fresh[name] = new
        _check_meetings(conn, fresh["meetings"])
        _check_references(conn, fresh)
        _check_overrides(conn, fresh["level_overrides"])
        for name, t in TABLES.items():
            if fresh[name]:
                conn.execute(insert(t), fresh[name])
            added[name] = len(fresh[name])
        return added
    return log.write(write)
