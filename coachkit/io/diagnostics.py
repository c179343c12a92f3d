"""Diagnostic assessment exports -> the ``diagnostics`` table, through a small mapping file.

A mapping (YAML ``.yaml``/``.yml`` or TOML ``.toml``; two ship in ``coachkit/io/mappings``)
says how a vendor's CSV or Excel export maps onto the canonical columns ``student_id,
subject, domain, date, scale_score, placement``:

``vendor``        who made the export (for messages)
``layout``        ``long`` (one row per student, test and domain) or ``wide`` (one row per
                  student and test, a group of columns per domain)
``columns``       canonical column -> the vendor's header (in ``wide``: the shared columns)
``domains``       ``wide`` only: a list of ``{domain, scale_score, placement}``, the domain's
                  name and its two vendor headers; a domain whose score and placement are
                  both blank (not tested) gives no row
``constants``     canonical column -> a fixed value (e.g. ``subject: math`` for a math-only file)
``defaults``      canonical column -> the value of a blank cell
``values``        canonical column -> {vendor value: coachkit value} recoding
``date_format``   a strptime format (``%m/%d/%Y``); default ISO or M/D/YYYY

Rows in = rows loaded + rows rejected, counted in the vendor file's rows: a vendor row with a
bad cell is rejected whole (every domain on it), with the file, the row, the vendor's column
name and the reason.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import no_problems, raise_first, reference_problems
from ..errors import CoachkitDataError
from ..schema import TABLES
from .pipeline import check_errors, coerce_table, one_row_each
from .read import read_cells

__all__ = ["load_diagnostics", "read_mapping", "mapping_names", "MAPPINGS_DIR"]

MAPPINGS_DIR = Path(__file__).with_name("mappings")
KEYS = {"vendor", "description", "layout", "columns", "domains", "constants", "defaults",
        "values", "date_format"}


def mapping_names() -> list[str]:
    """The mappings shipped with coachkit (pass one's name to load_diagnostics)."""
    return sorted(p.stem for p in MAPPINGS_DIR.iterdir() if p.suffix in (".yaml", ".yml", ".toml"))


def read_mapping(mapping) -> dict:
    """A mapping dict from a shipped name ('brightpath'), a .yaml/.yml/.toml path, or a dict;
    checked, with a CoachkitDataError naming the mapping file and key on a mistake."""
    if isinstance(mapping, dict):
        m, label = dict(mapping), "mapping"
    else:
        path = Path(mapping)
        if not path.suffix and not path.exists():
            found = [p for p in MAPPINGS_DIR.glob(f"{mapping}.*") if p.suffix in (".yaml", ".yml", ".toml")]
            if not found:
                raise CoachkitDataError(f"no mapping {mapping!r}; shipped mappings: "
                                        f"{', '.join(mapping_names())}, or give a .yaml/.toml path")
            path = found[0]
        label = str(path)
        if path.suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:      # Python 3.10
                import tomli as tomllib
            m = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            import yaml
            m = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = TABLES["diagnostics"].names

    def bad(key, why):
        raise CoachkitDataError(f"{label}: {key}: {why}", file=label, column=key)

    for k in m:
        if k not in KEYS:
            bad(k, f"unknown key; a mapping has {', '.join(sorted(KEYS))}")
    layout = m.setdefault("layout", "long")
    if layout not in ("long", "wide"):
        bad("layout", f"{layout!r}; expected long or wide")
    for key in ("columns", "constants", "defaults", "values"):
        m.setdefault(key, {})
        if not isinstance(m[key], dict):
            bad(key, "expected a table of canonical column -> value")
        for c in m[key]:
            if c not in names:
                bad(f"{key}.{c}", f"not a diagnostics column ({', '.join(names)})")
    if layout == "wide":
        doms = m.get("domains")
        if not doms or not isinstance(doms, list):
            bad("domains", "a wide layout needs a list of {domain, scale_score, placement}")
        for i, d in enumerate(doms, start=1):
            if not isinstance(d, dict) or "domain" not in d or "scale_score" not in d:
                bad(f"domains[{i}]", "needs domain and scale_score (and optionally placement)")
    covered = set(m["columns"]) | set(m["constants"]) | (
        {"domain", "scale_score", "placement"} if layout == "wide" else set())
    missing = [c.name for c in TABLES["diagnostics"].columns
               if c.required and not c.nullable and c.name not in covered]
    if missing:
        bad("columns", f"no source for {missing[0]!r}; map it to a vendor column or a constant")
    m["_label"] = label
    return m


def _recode(s: pd.Series, table: dict) -> pd.Series:
    if not table:
        return s
    exact = {str(k): str(v) for k, v in table.items()}
    folded = {str(k).strip().lower(): str(v) for k, v in table.items()}
    return s.map(lambda v: exact.get(v, folded.get(str(v).strip().lower(), v)))


def load_diagnostics(path, mapping, *, errors: str = "raise", students: pd.DataFrame | None = None,
                     sheet=None, time_zone=None) -> pd.DataFrame:
    """Read a vendor's diagnostic export into the ``diagnostics`` table.

    ``mapping`` is a shipped mapping's name (``"brightpath"``, ``"northstar"``), a path to a
    YAML/TOML mapping, or a dict. With ``students`` given, rows for unknown students are
    rejected too. errors="raise" stops at the first bad cell; errors="report" keeps the good
    rows and puts the rest in ``df.attrs["rejected"]`` (table, file, row, column, value, reason).
    """
    check_errors(errors)
    m = read_mapping(mapping)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    raw, unreadable = read_cells(path, sheet, table="diagnostics")
    raw.columns = [str(c).replace("\ufeff", "").strip() for c in raw.columns]
    label = str(path)
    vendor = m.get("vendor", "the vendor")
    blocks = [dict(m["columns"])]
    if m["layout"] == "wide":
        blocks = [{**m["columns"], "scale_score": d["scale_score"],
                   **({"placement": d["placement"]} if d.get("placement") else {}),
                   "_domain": d["domain"]} for d in m["domains"]]
    needed = {v for b in blocks for k, v in b.items() if k != "_domain"}
    lower = {c.lower(): c for c in raw.columns}
    for v in sorted(needed):
        if v not in raw.columns and v.lower() not in lower:
            raise CoachkitDataError(
                f"{label}, row 1: no column {v!r}, which the {vendor} mapping ({m['_label']}) "
                f"reads (found columns: {', '.join(raw.columns)}); check the export or the mapping",
                table="diagnostics", file=label, row=1, column=v, found=list(raw.columns))
    vendor_col = {}
    frames, problems = [], [unreadable] if unreadable is not None else []
    for k, block in enumerate(blocks):
        data = {}
        for canon, v in block.items():
            if canon == "_domain":
                continue
            col = v if v in raw.columns else lower[v.lower()]
            data[canon] = raw[col].astype(str).str.strip()
            vendor_col[canon if m["layout"] == "long" or canon not in ("scale_score", "placement")
                       else (canon, k)] = col
        if "_domain" in block:
            data["domain"] = pd.Series(str(block["_domain"]), index=raw.index)
        for canon, value in m["constants"].items():
            data[canon] = pd.Series(str(value), index=raw.index)
        df = pd.DataFrame(data, index=raw.index)
        if "placement" not in df.columns:          # a vendor without placements
            df["placement"] = ""
        skip = np.zeros(len(df), dtype=bool)
        if m["layout"] == "wide":
            blank = df["scale_score"].eq("")
            if "placement" in df.columns:
                blank &= df["placement"].eq("")
            skip = blank.to_numpy()
        for canon, value in m["defaults"].items():
            if canon in df.columns:
                df[canon] = df[canon].mask(df[canon] == "", str(value))
        for canon, table in m["values"].items():
            if canon in df.columns:
                df[canon] = _recode(df[canon], table)
        if m.get("date_format") and "date" in df.columns:
            fmt = m["date_format"]
            if "%z" in fmt or "%Z" in fmt:   # instants: the pipeline finds the local day
                parsed = pd.to_datetime(df["date"], format=fmt, errors="coerce", utc=True)
                text = parsed.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            else:
                parsed = pd.to_datetime(df["date"], format=fmt, errors="coerce")
                text = parsed.dt.strftime("%Y-%m-%d")
            df["date"] = text.where(parsed.notna(), df["date"])
        typed, found = coerce_table(df.reset_index(drop=True), "diagnostics", file=label, first_row=2,
                                    time_zone=time_zone)
        typed["_block"] = k
        keep = ~skip
        typed = typed[keep]
        if len(found):
            found = found[~found["row"].isin(np.flatnonzero(skip) + 2)]
            found["column"] = found["column"].map(
                lambda c: vendor_col.get((c, k), vendor_col.get(c, c)))
            problems.append(found)
        frames.append(typed)
    df = pd.concat(frames).sort_index(kind="stable") if frames else pd.DataFrame()
    problems = pd.concat([p for p in problems if len(p)] or [no_problems()], ignore_index=True)
    problems = problems.drop_duplicates(["row", "column", "reason"], ignore_index=True)
    if students is not None and len(df):
        refs = reference_problems("diagnostics", df, {"students": students}, file=label)
        problems = pd.concat([p for p in (problems, refs) if len(p)] or [no_problems()],
                             ignore_index=True)
    if errors == "raise":
        raise_first(problems, f"{vendor} export")
    if len(problems):
        df = df.drop(index=problems["row"].dropna().unique(), errors="ignore")
    df = df.drop(columns="_block").reset_index(drop=True)
    df.attrs["rejected"] = one_row_each(problems)
    df.attrs["vendor"] = vendor
    return df
