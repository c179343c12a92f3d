"""Shared fixtures. Under CI=true, tests that need Chromium or PostgreSQL fail, never skip."""
from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(what: str, why: str):
    """Skip locally, fail in CI, when a service the test needs is missing."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true: {why}")
    pytest.skip(f"{what} not available: {why}")


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL SQLAlchemy URL from COACHKIT_TEST_PG_URL (.ci/postgres.sh sets one up)."""
    url = os.environ.get("COACHKIT_TEST_PG_URL")
    if not url:
        need("PostgreSQL", "set COACHKIT_TEST_PG_URL (run `source .ci/postgres.sh`)")
    return url


@pytest.fixture(scope="session")
def chromium_path():
    path = os.environ.get("COACHKIT_CHROMIUM", "/usr/bin/chromium")
    if not (Path(path).exists() or shutil.which(path)):
        need("Chromium", f"{path} not found (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def sample_district():
    """The sample district, read once a session; tests take their own copy (``ds``)."""
    import coachkit as ck
    return ck.load_dataset(ROOT / "sample_data" / "district")


@pytest.fixture(scope="module")
def ds(sample_district):
    """A copy of the sample district for one test module, so no module sees another's edits."""
    return copy.deepcopy(sample_district)


@pytest.fixture(scope="session")
def small_district():
    """A small generated district (40 students), made once a session; don't change it."""
    from coachkit.sample import make_district
    return make_district(40, seed=11)


@pytest.fixture
def district_folder(tmp_path, small_district):
    """The small district written as CSV files in a fresh folder, for tests that edit files."""
    from coachkit.io import save_dataset
    return save_dataset(small_district, tmp_path / "district")
