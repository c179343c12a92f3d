"""Which reader takes a path: a registry of the sources ``load_dataset`` recognizes by looking.

Each source says whether a path is its kind (``claims``) and loads it. ``load_dataset`` asks
them in order before falling back to a folder or workbook of canonical tables; a new kind of
export registers here instead of adding a branch there.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

__all__ = ["Source", "SOURCES", "register_source", "source_for"]


@dataclass(frozen=True)
class Source:
    name: str
    claims: Callable[[Path], bool]
    load: Callable[..., object]          # load(path, *, errors, time_zone) -> Dataset


SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    SOURCES[source.name] = source
    return source


def source_for(path) -> Source | None:
    path = Path(path)
    return next((s for s in SOURCES.values() if s.claims(path)), None)


def _is_oneroster(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    if not path.is_dir():
        return False
    if (path / "manifest.csv").exists():
        return True
    from .oneroster import Package, version_from_headers
    if (path / "students.csv").exists() or (path / "evidence.csv").exists():
        return False      # a folder of canonical tables
    pkg = Package(path, lambda m: None)
    try:
        return version_from_headers(pkg) is not None
    finally:
        pkg.close()


def _load_oneroster(path, *, errors, time_zone=None):
    from .oneroster import load_oneroster
    return load_oneroster(path, errors=errors, time_zone=time_zone)


def _gradebook_file(path: Path) -> bool:
    from .gradebooks import detect
    return path.is_file() and detect(path) is not None


def _load_gradebook(path, *, errors, time_zone=None):
    from .gradebooks import load_gradebook
    return load_gradebook(path, errors=errors)


def _gradebook_in_folder(path: Path) -> Path | None:
    """A dataset folder whose evidence is a gradebook export instead of evidence.csv."""
    if not path.is_dir() or any(path.glob("evidence.*")) or not (path / "students.csv").exists():
        return None
    from .gradebooks import detect
    return next((p for p in sorted(path.iterdir()) if p.is_file() and detect(p) is not None), None)


def _load_folder_with_gradebook(path, *, errors, time_zone=None):
    from .pipeline import assemble, coerce_table
    from .read import read_raw, table_files
    from .gradebooks import load_gradebook
    parsed = {name: (*coerce_table(read_raw(p), name, file=str(p), time_zone=time_zone), str(p))
              for name, p in table_files(Path(path)).items()}
    roster = assemble(parsed, errors="report", source=str(path))
    ds = load_gradebook(_gradebook_in_folder(Path(path)), errors=errors, roster=roster)
    import pandas as pd
    rejected = pd.concat([r for r in (roster.rejected, ds.rejected) if len(r)] or [ds.rejected],
                         ignore_index=True)
    return ds.replace(rejected=rejected)


register_source(Source("oneroster", _is_oneroster, _load_oneroster))
register_source(Source("gradebook export", _gradebook_file, _load_gradebook))
register_source(Source("dataset folder with a gradebook export",
                       lambda p: _gradebook_in_folder(p) is not None, _load_folder_with_gradebook))


def _is_case(path: Path) -> bool:
    if not (path.is_file() and path.suffix.lower() == ".json"):
        return False
    head = path.read_bytes()[:4096].decode("utf-8", "replace")
    return "CFDocument" in head or "CFPackage" in head


def _load_case(path, *, errors, time_zone=None):
    """A CASE framework alone: a dataset holding only its targets (for coachkit validate)."""
    import warnings

    from ..dataset import Dataset
    from .case import CaseWarning, load_case_details
    targets, rejected, _ = load_case_details(path, errors=errors)
    skipped = targets.attrs.get("skipped")
    warnings.warn(f"{path}: detected a CASE 1.0 package: {len(targets)} targets, {len(rejected)} "
                  f"rejected, {0 if skipped is None else len(skipped)} support items (examples, "
                  f"tasks, notes) skipped", CaseWarning, stacklevel=3)
    return Dataset(targets=targets, rejected=rejected, source=str(path))


register_source(Source("CASE package", _is_case, _load_case))
