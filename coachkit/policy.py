"""The district's policy, set once: ``coachkit.toml`` in the data folder.

Which mastery method a district uses, its mastery line, which evidence counts toward
mastery, the smallest group shown to a wider audience, the time zone and the language
are decisions a district makes once; every view reads them from here instead of each
surface choosing its own default. A flag on one command overrides a value for one run
(``policy.replace(method="n_times")``).

    [mastery]
    method = "decaying_average"        # any registered mastery method
    line = 3.0                         # on the 1-4 proficiency scale
    kinds = ["summative", "retake", "observation"]   # formative and self are shown only

    [mastery.params]                   # the method's parameters
    weight = 0.65

    [privacy]
    min_n = 10                         # smallest group shown beyond the team

    [district]
    time_zone = "America/Denver"       # default: the machine's
    language = "en"                    # en or es

Every key is optional; a missing file is the defaults. Bad values raise
``CoachkitDataError`` naming the file, the key, what was expected and what was found.
This module is foundation: it knows the schema, not the analyses (an unknown method name
is reported by ``progress.mastery`` when the method is run).
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .errors import CoachkitDataError
from .schema import EVIDENCE_KINDS, MASTERY_LINE, SCALE_MAX, SCALE_MIN

FILE_NAME = "coachkit.toml"
LANGUAGES = ("en", "es")
COUNTED_KINDS = ("summative", "retake", "observation")


@dataclass(frozen=True)
class Policy:
    """A district's policy. ``kinds``: the evidence kinds that count toward mastery (the
    others are shown but do not count); ``min_n``: the smallest group shown to a wider
    audience; ``time_zone``: an IANA name, None = the machine's; ``source``: the file
    it was read from (None = the defaults)."""

    method: str = "decaying_average"
    params: Mapping = field(default_factory=lambda: MappingProxyType({}))
    mastery_line: float = MASTERY_LINE
    kinds: tuple = COUNTED_KINDS
    min_n: int = 10
    time_zone: str | None = None
    language: str = "en"
    source: Path | None = field(default=None, compare=False)

    def mastery_args(self) -> dict:
        """Keyword arguments for ``progress.mastery`` / ``growth``: method, mastery_line,
        kinds and the method's parameters."""
        return {"method": self.method, "mastery_line": self.mastery_line,
                "kinds": list(self.kinds), **dict(self.params)}

    def replace(self, **changes) -> "Policy":
        """This policy with some values overridden (a CLI flag for one run); the new
        values are checked like the file's."""
        bad = [k for k in changes if k not in _FIELDS]
        if bad:
            raise ValueError(f"policy: expected one of {', '.join(_FIELDS)}; got "
                             f"{', '.join(bad)}")
        checked = {k: _CHECKS[k](v, "override", k) for k, v in changes.items()}
        return dataclasses.replace(self, **checked)


DEFAULT = Policy()

# key in the file -> (section, key) and field
_LAYOUT = {
    ("mastery", "method"): "method",
    ("mastery", "line"): "mastery_line",
    ("mastery", "kinds"): "kinds",
    ("mastery", "params"): "params",
    ("privacy", "min_n"): "min_n",
    ("district", "time_zone"): "time_zone",
    ("district", "language"): "language",
}
_FIELDS = ("method", "params", "mastery_line", "kinds", "min_n", "time_zone", "language")


def _error(file, key, expected, got):
    return CoachkitDataError(f"{file}: {key}: expected {expected}, got {got!r}",
                             file=str(file), column=key, expected=expected, found=got)


def _method(v, file, key):
    if not isinstance(v, str) or not v.isidentifier():
        raise _error(file, key, "a mastery method name such as \"decaying_average\"", v)
    return v


def _params(v, file, key):
    if not isinstance(v, Mapping):
        raise _error(file, key, "a table of the method's parameters, e.g. weight = 0.65", v)
    for k, x in v.items():
        if not isinstance(x, (int, float, str, bool)):
            raise _error(file, f"{key}.{k}", "a number, text or true/false", x)
    return MappingProxyType(dict(v))


def _line(v, file, key):
    if isinstance(v, bool) or not isinstance(v, (int, float)) \
            or not SCALE_MIN <= v <= SCALE_MAX:
        raise _error(file, key, f"a number from {SCALE_MIN:g} to {SCALE_MAX:g}", v)
    return float(v)


def _kinds(v, file, key):
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, (list, tuple)) or not v or \
            any(k not in EVIDENCE_KINDS for k in v):
        raise _error(file, key, f"a list drawn from {', '.join(EVIDENCE_KINDS)}", v)
    return tuple(dict.fromkeys(v))


def _min_n(v, file, key):
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise _error(file, key, "a whole number of students >= 1", v)
    return v


def _time_zone(v, file, key):
    if v is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _error(file, key, "an IANA time zone such as \"America/Denver\"", v) from None
    return v


def _language(v, file, key):
    if v not in LANGUAGES:
        raise _error(file, key, f"one of {', '.join(LANGUAGES)}", v)
    return v


_CHECKS = {"method": _method, "params": _params, "mastery_line": _line, "kinds": _kinds,
           "min_n": _min_n, "time_zone": _time_zone, "language": _language}


def policy_file(data_path) -> Path | None:
    """The policy file for a data folder (or for the folder of a data file), if any."""
    if data_path is None:
        return None
    p = Path(data_path)
    folder = p if p.is_dir() else p.parent
    f = folder / FILE_NAME
    return f if f.is_file() else None


def load(data_path=None) -> Policy:
    """The policy in ``<data_path>/coachkit.toml`` (``data_path`` may also be the file
    itself or a data file beside it); the defaults when there is none."""
    if data_path is not None and Path(data_path).name == FILE_NAME:
        file = Path(data_path)
        if not file.is_file():
            raise CoachkitDataError(f"{file}: expected a policy file, got no such file",
                                    file=str(file), expected="a file", found=None)
    else:
        file = policy_file(data_path)
    if file is None:
        return DEFAULT
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise CoachkitDataError(f"{file}: expected TOML (key = value lines under "
                                f"[sections]), got a syntax error: {e}", file=str(file),
                                expected="TOML", found=str(e)) from None
    except UnicodeDecodeError:
        raise CoachkitDataError(f"{file}: expected UTF-8 text, got undecodable bytes",
                                file=str(file), expected="UTF-8", found="bytes") from None
    values = {}
    sections = {s for s, _ in _LAYOUT}
    for section, body in raw.items():
        if section not in sections:
            raise _error(file, section, f"a section [{'], ['.join(sorted(sections))}]",
                         section)
        if not isinstance(body, dict):
            raise _error(file, section, f"a [{section}] section", body)
        for key, v in body.items():
            name = _LAYOUT.get((section, key))
            if name is None:
                known = [k for s, k in _LAYOUT if s == section]
                raise _error(file, f"{section}.{key}", f"one of {', '.join(known)}", key)
            values[name] = _CHECKS[name](v, file, f"{section}.{key}")
    return dataclasses.replace(DEFAULT, **values, source=file)


def for_dataset(ds) -> Policy:
    """The policy of the folder a dataset was loaded from (``Dataset.source``); the
    defaults for a dataset built in memory or read from elsewhere."""
    src = getattr(ds, "source", None)
    if not src:
        return DEFAULT
    try:
        exists = Path(str(src)).exists()
    except (OSError, ValueError):
        exists = False
    return load(src) if exists else DEFAULT
