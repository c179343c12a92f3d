"""Export the meeting log to CSV or JSON and import it back, exactly.

Values are written as text in one canonical form: dates ``2025-10-10``, timestamps
``2025-10-10T14:03:07.123456`` (naive UTC), integers in decimal, text verbatim. An empty
CSV cell is NULL; the log never stores empty optional text (it stores NULL), so the round
trip is exact. JSON keeps NULL as ``null``.

Export -> import into an empty log -> export gives byte-identical files.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Date, DateTime, Integer, insert, select, tuple_

from ..errors import CoachkitDataError
from . import validate as v
from .engine import read
from .schema import COMMITMENT_STATUSES, OBSERVATION_KINDS, SCHEMA_VERSION, TABLES

FORMAT = "coachkit-meeting-log"


def _dump(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


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
            return int(value)
    except (TypeError, ValueError):
        v.fail(where[0], col.name, value, f"a {type(col.type).__name__.lower()} value",
               row=where[1])
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


def export(log, path) -> Path:
    path = Path(path)
    tables = dump_tables(log)
    manifest = {"format": FORMAT, "schema_version": SCHEMA_VERSION,
                "tables": {n: len(rows) for n, rows in tables.items()}}
    if path.suffix.lower() == ".json":
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {**manifest, "tables": tables}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path
    path.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        cols = [c.name for c in TABLES[name].c]
        with open(path / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow(cols)
            for r in rows:
                w.writerow(["" if r[c] is None else r[c] for c in cols])
    (path / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return path


def read_export(path) -> dict[str, list[dict]]:
    """The rows of an export, parsed and checked (raises CoachkitDataError)."""
    path = Path(path)
    if path.is_dir():
        mpath = path / "manifest.json"
        if not mpath.exists():
            raise CoachkitDataError(f"{path} has no manifest.json: not a meeting-log export",
                                    file=str(path))
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        raw = {}
        for name in TABLES:
            f = path / f"{name}.csv"
            if not f.exists():
                raw[name] = []
                continue
            with open(f, encoding="utf-8", newline="") as fh:
                raw[name] = list(csv.DictReader(fh))
    elif path.exists():
        manifest = json.loads(path.read_text(encoding="utf-8"))
        raw = manifest.get("tables", {})
    else:
        raise CoachkitDataError(f"{path} does not exist", file=str(path))
    if manifest.get("format") != FORMAT:
        raise CoachkitDataError(f"{path} is not a meeting-log export (format "
                                f"{manifest.get('format')!r}, expected {FORMAT!r})",
                                file=str(path))
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise CoachkitDataError(
            f"{path} was exported from schema {manifest.get('schema_version')!r}; this "
            f"coachkit reads {SCHEMA_VERSION!r}. Import it with the coachkit that wrote it, "
            f"upgrade that log, and export again.", file=str(path))
    out = {}
    for name, t in TABLES.items():
        rows = []
        for i, r in enumerate(raw.get(name, [])):
            unknown = set(r) - set(t.c.keys())
            if unknown:
                v.fail(name, sorted(unknown)[0], sorted(unknown), "only the columns " +
                       ", ".join(t.c.keys()), row=i)
            rows.append({c.name: _load(r.get(c.name), c, (name, i)) for c in t.c})
        out[name] = rows
    return out


def _check_rows(log, tables):
    """The same rules as the API: vocabularies, text limits, known classrooms/students."""
    for i, r in enumerate(tables["meetings"]):
        v.grade(r["grade"], row=i)
        v.integer(r["cycle"], "meetings", "cycle", low=1, row=i)
        try:
            json.loads(r["attendees"])
        except ValueError:
            v.fail("meetings", "attendees", r["attendees"], "a JSON list of names", row=i)
        log.check_classroom(r["classroom_id"], r["school_id"], r["grade"], row=i)
    for i, r in enumerate(tables["observations"]):
        v.choice(r["kind"], OBSERVATION_KINDS, "observations", "kind", row=i)
        log.check_text(r["text"], "observations", "text", row=i)
    for i, r in enumerate(tables["commitments"]):
        v.choice(r["status"], COMMITMENT_STATUSES, "commitments", "status", row=i)
        log.check_text(r["action"], "commitments", "action", row=i)
        log.check_text(r["follow_up"], "commitments", "follow_up", required=False, row=i)
    for i, r in enumerate(tables["commitment_updates"]):
        v.choice(r["status"], COMMITMENT_STATUSES, "commitment_updates", "status", row=i)
        log.check_text(r["note"], "commitment_updates", "note", required=False, row=i)
    for i, r in enumerate(tables["group_decisions"]):
        for c in ("reason", "note"):
            log.check_text(r[c], "group_decisions", c, required=False, row=i)
    log.check_students([r["student_id"] for r in tables["commitment_students"]],
                        "commitment_students")
    log.check_students([r["student_id"] for r in tables["group_decisions"]],
                        "group_decisions")


def import_(log, path) -> dict:
    tables = read_export(path)
    _check_rows(log, tables)

    def write(conn):
        added = {}
        for name, t in TABLES.items():
            rows = tables[name]
            pk = list(t.primary_key.columns)
            existing = {}
            keys = [tuple(r[c.name] for c in pk) for r in rows]
            for i in range(0, len(keys), 400):
                chunk = keys[i:i + 400]
                cond = (pk[0].in_([k[0] for k in chunk]) if len(pk) == 1
                        else tuple_(*pk).in_(chunk))
                for r in conn.execute(select(t).where(cond)).mappings():
                    existing[tuple(r[c.name] for c in pk)] = dict(r)
            new = []
            for i, (k, r) in enumerate(zip(keys, rows)):
                if k in existing:
                    if existing[k] != r:
                        diff = sorted(c for c in r if existing[k][c] != r[c])
                        v.fail(name, diff[0], r[diff[0]], f"{existing[k][diff[0]]!r} as "
                               f"already stored for {'/'.join(map(str, k))}",
                               "The same record id holds different content; this export "
                               "does not belong with this log", row=i)
                    continue
                new.append(r)
            if new:
                conn.execute(insert(t), new)
            added[name] = len(new)
        return added
    return log.write(write)
