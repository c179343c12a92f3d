"""Small copies of the sample district for the hostile-output tests: one school's grade 3,
a few students per classroom, and a script payload planted in every free-text column."""
from __future__ import annotations

import zlib
from pathlib import Path

import pandas as pd

from coachkit.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "district"
SCHOOL = "S101"
ROOMS = ("S101-3A", "S101-3B")

# Each payload, if it ever ran, would record its column in window.__pwned and say so on
# the console. {tag} is the table.column it was planted in.
_RECORD = "window.__pwned=(window.__pwned||[]).concat(['{tag}']);console.log('PWNED {tag}')"
PAYLOADS = (
    "<script>" + _RECORD + "</script>",
    '<img src=x onerror="' + _RECORD + '">',
    '"><svg onload="' + _RECORD + '">',
    "'><iframe srcdoc=\"<script>parent.__pwned=['{tag}']</script>\"></iframe>",
    "<b onmouseover=\"" + _RECORD + "\">**{tag}**</b> [link](javascript:window.__pwned=1)",
)

# Text columns not planted, and why: ids are the subject of issue 17 item 2 (file names);
# subject is a fixed vocabulary (math, ela) every analysis keys on.
NOT_PLANTED = {("targets", "subject"), ("diagnostics", "subject"), ("classrooms", "subject")}
EXTRA_TEXT = {"survey_responses": ["role"]}      # a subgroup column of the sample's surveys


def text_columns() -> dict[str, list[str]]:
    """Every free-text column of the canonical tables: text, and category without a fixed
    vocabulary (plus the sample's own extra text columns)."""
    out = {}
    for name, table in TABLES.items():
        cols = [c.name for c in table.columns
                if (c.kind == "text" or (c.kind == "category" and c.allowed is None))
                and (name, c.name) not in NOT_PLANTED]
        cols += EXTRA_TEXT.get(name, [])
        if cols:
            out[name] = cols
    return out


def payload(tag: str, original: str) -> str:
    """ORIGINAL with one payload appended; the same original gets the same payload, so
    values that were equal stay equal (home languages still group)."""
    kind = PAYLOADS[zlib.crc32(f"{tag}|{original}".encode()) % len(PAYLOADS)]
    return f"{original} {kind.replace('{tag}', tag)}"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)


def small_district(path: Path, *, per_room: int = 12, sizes: dict | None = None,
                   plant: bool = True) -> dict[str, list[str]]:
    """Write a small copy of the sample district to PATH: school S101, grade 3, PER_ROOM
    students in each classroom (or SIZES: classroom -> students, a missing classroom of
    the sample added empty). With PLANT, every text column gets payloads; returns the
    planted values by "table.column"."""
    path.mkdir(parents=True, exist_ok=True)
    sizes = sizes or {room: per_room for room in ROOMS}
    frames = {name: _read(name) for name in TABLES if (SAMPLE / f"{name}.csv").exists()}
    rooms = frames["classrooms"]
    base = rooms[rooms["classroom_id"] == ROOMS[0]].iloc[0]
    rows = []
    for room in sizes:
        found = rooms[rooms["classroom_id"] == room]
        rows.append(found.iloc[0] if len(found) else
                    base.copy().rename(None).pipe(lambda r: r.where(r.index != "classroom_id", room)))
    frames["classrooms"] = pd.DataFrame(rows).reset_index(drop=True)
    st = frames["students"]
    keep = [st[st["classroom_id"] == room].sort_values("student_id").head(n)
            for room, n in sizes.items()]
    frames["students"] = pd.concat(keep, ignore_index=True)
    ids = set(frames["students"]["student_id"])
    frames["schools"] = frames["schools"][frames["schools"]["school_id"] == SCHOOL]
    for name in ("evidence", "diagnostics"):
        frames[name] = frames[name][frames[name]["student_id"].isin(ids)]
    frames["survey_responses"] = frames["survey_responses"][
        frames["survey_responses"]["school_id"] == SCHOOL]
    frames["conditions"] = frames["conditions"][
        frames["conditions"]["school_id"].isin(["district", SCHOOL])]
    planted: dict[str, list[str]] = {}
    if plant:
        for name, cols in text_columns().items():
            df = frames.get(name)
            if df is None:
                continue
            for col in cols:
                if col not in df:
                    continue
                tag = f"{name}.{col}"
                filled = df[col] != ""
                df.loc[filled, col] = df.loc[filled, col].map(lambda v, t=tag: payload(t, v))
                planted[tag] = sorted(set(df.loc[filled, col]))
    for name, df in frames.items():
        df.to_csv(path / f"{name}.csv", index=False)
    return planted
