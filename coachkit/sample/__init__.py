"""The synthetic district: `make_district(n_students, seed)` and `write_district(...)`."""
from __future__ import annotations

from pathlib import Path

from .district import make_cycles, make_district

__all__ = ["make_district", "write_district", "make_cycles", "default_path"]


def default_path() -> Path:
    """Where the data lives when a notebook is given none: $COACHKIT_DATA, else the
    committed sample district."""
    import os
    env = os.environ.get("COACHKIT_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "sample_data" / "district"


def write_district(out, n_students: int = 600, seed: int = 0, *, format: str = "csv",
                   progress: bool = False) -> Path:
    """Generate a district and write one file per table into OUT."""
    from ..io import save_dataset
    ds = make_district(n_students, seed, progress=progress)
    return save_dataset(ds, out, format=format)
