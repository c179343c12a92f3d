"""Who looked at which student's page, and who changed which record: one table.

    rows = audit.trail(ds, audit_path="hub/audit.jsonl", log=MeetingLog(url),
                       known=access.scopes(ds, roles=access.load_roles("roles.toml")),
                       person="allen", student="100001", since="2026-11-01")

Two sources. The Hub service's audit file (JSON lines, one per page opened or refused
and per write refused or not saved: ``coachkit.hub.service``), and the meeting log's own
rows, each of which carries who wrote it and when (observations, commitments and their
updates, levels set by hand and removed, goals and goals met, learning plans,
reflections, group moves). People are named as pages name them
(``coachkit.access.display_name``: the roles file's name, the roster's, else the sign-in
name); students by name and classroom, not by id. ``coachkit audit`` prints it.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from . import access
from .dataset import Dataset
from .errors import CoachkitDataError

COLUMNS = ["when", "who", "did", "what", "about", "detail"]
SHORT = 80          # characters of a record's text shown in the detail


def _short(text) -> str:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    text = " ".join(str(text).split())
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"


def read_audit_file(path) -> list[dict]:
    """The audit file's lines (none if the file does not exist yet). A damaged line is
    an error naming the file and line."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or not {"at", "person", "page", "id"} <= set(rec):
                raise ValueError("missing at, person, page or id")
        except ValueError as e:
            raise CoachkitDataError(f"{path}, line {i}: expected one JSON audit record, got "
                                    f"{line[:60]!r} ({e}); remove or repair that line") from None
        out.append(rec)
    return out


class Namer:
    """Words for people and places, from the dataset (and the scopes' names)."""

    def __init__(self, ds: Dataset, known: dict | None = None):
        self.ds, self.known = ds, known or {}
        st = ds.students
        self.students = {str(r.student_id): (f"{r.first_name} {r.last_name}".strip(),
                                             str(r.classroom_id))
                         for r in st.itertuples()}
        self.schools = dict(zip(ds.schools["school_id"].astype(str), ds.schools["name"].astype(str)))
        self._people: dict = {}

    def person(self, sign_in) -> str:
        if sign_in is None or (isinstance(sign_in, float) and pd.isna(sign_in)) or sign_in == "":
            return "(not recorded)"
        key = str(sign_in)
        if key not in self._people:
            self._people[key] = access.display_name(self.ds, key, self.known)
        return self._people[key]

    def student(self, sid) -> str:
        name, room = self.students.get(str(sid), (None, None))
        return f"{name}, classroom {room}" if name else "a student no longer in the roster"

    def page(self, kind, item) -> str:
        if kind == "student":
            return self.student(item)
        if kind == "school":
            return self.schools.get(str(item), f"school {item}")
        return f"{kind} {item}"


def _rows_from_file(lines, namer: Namer) -> list[dict]:
    out = []
    for r in lines:
        action, outcome = r.get("action"), r.get("outcome", "")
        if action and outcome == "recorded":
            continue            # the log's own row says it, with the record
        did = ({"opened": "opened", "refused": "was refused"}.get(outcome, outcome)
               if not action else f"was refused writing a {action}" if outcome == "refused"
               else f"tried to write a {action} ({outcome})")
        when = pd.Timestamp(r["at"])
        when = when.tz_convert(None) if when.tzinfo else when
        out.append({"when": when, "who": namer.person(r["person"]), "sign_in": r["person"],
                    "did": did, "what": f"{r['page']} page", "about": namer.page(r["page"], r["id"]),
                    "detail": "", "students": [str(r["id"])] if r["page"] == "student" else []})
    return out


def _rows_from_log(log, namer: Namer) -> list[dict]:
    out = []

    def add(when, who, did, what, about, detail="", students=()):
        if when is None or pd.isna(when):
            return
        out.append({"when": pd.Timestamp(when), "who": namer.person(who),
                    "sign_in": None if who is None or pd.isna(who) else str(who), "did": did,
                    "what": what, "about": about, "detail": detail, "students": list(students)})
    for r in log.observations().itertuples():
        add(r.created_at, r.author, "recorded", "observation", f"classroom {r.classroom_id}"
            if isinstance(r.classroom_id, str) else f"grade {r.grade}, {namer.page('school', r.school_id)}",
            f"we {r.kind}: {_short(r.text)}")
    coms = log.commitments()
    rooms = {}
    for r in coms.itertuples():
        about = f"classroom {r.classroom_id}" if isinstance(r.classroom_id, str) else \
            f"grade {r.grade}, {namer.page('school', r.school_id)}"
        rooms[r.commitment_id] = (about, list(r.student_ids))
        add(r.created_at, r.author, "recorded", "commitment", about,
            f"{_short(r.owner)} will: {_short(r.action)}", r.student_ids)
    for r in log.commitment_updates().itertuples():
        about, sts = rooms.get(r.commitment_id, ("a commitment", []))
        add(r.created_at, r.updated_by, "updated", "commitment", about,
            f"now {r.status}" + (f": {_short(r.note)}" if isinstance(r.note, str) else ""), sts)
    for r in log.level_overrides(current=False).itertuples():
        add(r.created_at, r.author, "set by hand", "level", namer.student(r.student_id),
            f"target {r.target_id} at {r.level:g}: {_short(r.reason)}", [r.student_id])
        if isinstance(r.removed_by, str):
            add(r.removed_at, r.removed_by, "removed", "level set by hand",
                namer.student(r.student_id), f"target {r.target_id}", [r.student_id])
    for r in log.goals().itertuples():
        add(r.created_at, r.author, "wrote", "goal", namer.student(r.student_id),
            _short(r.text) if isinstance(r.text, str) else f"target {r.target_id}", [r.student_id])
        if isinstance(r.met_noted_by, str):
            add(r.met_on, r.met_noted_by, "marked met", "goal", namer.student(r.student_id),
                "", [r.student_id])
    for r in log.plans().itertuples():
        add(r.created_at, r.author, "wrote", "learning plan", namer.student(r.student_id),
            f"target {r.target_id}: {_short(r.actions)}", [r.student_id])
    for r in log.reflections().itertuples():
        add(r.created_at, r.author, "wrote", "reflection", namer.student(r.student_id),
            _short(" / ".join(x for x in (r.proud, r.hard) if isinstance(x, str))), [r.student_id])
    for r in log.group_decisions(current=False).itertuples():
        if isinstance(r.changed_by, str):
            add(r.created_at, r.changed_by, "placed", "group", namer.student(r.student_id),
                f"group {r.group}" + (f": {_short(r.note)}" if isinstance(r.note, str) else ""),
                [r.student_id])
    return out


def _since(value) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(value)))
    except ValueError:
        raise ValueError(f"since: expected a date like 2026-11-01, got {value!r}") from None


def trail(ds: Dataset, *, audit_path=None, log=None, known: dict | None = None,
          person: str | None = None, student: str | None = None, since=None) -> pd.DataFrame:
    """The audit trail, oldest first: when (UTC), who, did, what, about, detail.

    person: a sign-in name or a name as shown (case-insensitive); student: a student id or
    name (the pages and the records about that student); since: a date (from that day on)."""
    namer = Namer(ds, known)
    rows = _rows_from_file(read_audit_file(audit_path), namer) if audit_path else []
    if log is not None:
        rows += _rows_from_log(log, namer)
    df = pd.DataFrame(rows, columns=[*COLUMNS, "sign_in", "students"])
    df["when"] = pd.to_datetime(df["when"]) if len(df) else pd.Series([], dtype="datetime64[ns]")
    if person:
        p = str(person).strip().lower()
        df = df[(df["sign_in"].fillna("").str.lower() == p) | (df["who"].str.lower() == p)]
    if student:
        s = str(student).strip().lower()
        ids = {sid for sid, (name, _) in namer.students.items()
               if sid.lower() == s or name.lower() == s}
        if not ids:
            raise ValueError(f"student: expected a student id or name in the roster, got {student!r}")
        df = df[df["students"].map(lambda xs: bool(ids & set(map(str, xs))))]
    start = _since(since)
    if start is not None:
        df = df[df["when"] >= start]
    return df.sort_values("when", kind="stable")[COLUMNS].reset_index(drop=True)


def as_text(df: pd.DataFrame) -> str:
    """The trail as a plain table for a terminal (times to the minute, UTC)."""
    if not len(df):
        return "Nothing recorded for that choice of person, student and date."
    shown = df.assign(when=df["when"].dt.strftime("%Y-%m-%d %H:%M"))
    return shown.to_string(index=False, justify="left")


def as_csv(df: pd.DataFrame) -> str:
    """The trail as CSV (UTC times); text that a spreadsheet would run as a formula is
    made inert, as the meeting log's exports do."""
    from .store.transfer import spreadsheet_safe
    out = df.assign(when=df["when"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for c in ("who", "did", "what", "about", "detail"):
        out[c] = out[c].map(spreadsheet_safe)
    return out.to_csv(index=False)
