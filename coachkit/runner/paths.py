"""Report file names from ids: safe, collision-free, always inside the output folder.

Ids come from other systems and may hold anything (``../../x``, ``/abs/x``, ``./S101-3A``
beside ``S101-3A``). A file name is the id's *slug*: ASCII letters, digits, ``.``, ``_``
and ``-`` only, no leading dot; when two ids of one run slug alike (compared
case-insensitively, as macOS and Windows file systems do), each gets a short hash of its
original id, so no report ever replaces another. The original id is shown in the index.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

MAX_LENGTH = 80
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
             *(f"lpt{i}" for i in range(10))}      # device names Windows will not create


def slug(value) -> str:
    """A safe file-name stem for VALUE (never empty, never a path)."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip(".-_")[:MAX_LENGTH].rstrip(".-_")
    if not text:
        text = "id"
    if text.split(".")[0].lower() in _RESERVED:
        text = f"_{text}"
    return text


def short_hash(value) -> str:
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:8]


def unique_slugs(values) -> dict:
    """{value: slug} for VALUES, unique: ids whose slugs collide get ``-<hash>``. An id
    that is its own slug keeps it, so ordinary ids give ordinary names."""
    values = list(dict.fromkeys(str(v) for v in values))
    base = {v: slug(v) for v in values}
    groups: dict[str, list] = {}
    for v, s in base.items():
        groups.setdefault(s.lower(), []).append(v)
    out = {}
    for members in groups.values():
        keep = [v for v in members if base[v] == v][:1] if len(members) > 1 else members
        for v in members:
            out[v] = base[v] if v in keep else f"{base[v][:MAX_LENGTH - 9]}-{short_hash(v)}"
    taken: dict[str, str] = {}
    for v, s in out.items():                     # a hashed name equal to another id's slug
        if s.lower() in taken:
            s = out[v] = f"{base[v][:MAX_LENGTH - 17]}-{hashlib.sha256(v.encode()).hexdigest()[:16]}"
        taken[s.lower()] = v
    return out


def inside(out: Path, *parts: str, suffix: str = ".html") -> Path:
    """OUT/part/.../last+suffix, each part already a slug; ValueError if it would leave OUT."""
    out = Path(out).resolve()
    path = out.joinpath(*parts[:-1], parts[-1] + suffix).resolve()
    if not path.is_relative_to(out):
        raise ValueError(f"report path {path} is outside the output folder {out}")
    return path


__all__ = ["slug", "unique_slugs", "inside", "short_hash"]
