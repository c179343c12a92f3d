"""Every artifact coachkit makes for audiences wider than a classroom's own team is
scanned for real students (names, ids, birth dates) and for groups under min_n.

Wider audiences: the inquiry-lab showcase (visitors from other districts), the grade-level
overview (a grade team and its coach) and the principal's dashboard (school leaders).
The per-classroom data-talk reports and student binders that `make demo` and the runner
write are for the classroom's own team and family and carry names by design; they are
not in scope here (docs/privacy.md).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from coachkit.privacy import scan
from coachkit.showcase import build_showcase

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
SCHOOL, GRADE, CYCLE, MIN_N = "S101", 3, 6, 10

# notebook -> the parameters to give it (only those the notebook declares are passed)
AGGREGATE_NOTEBOOKS = {
    "notebooks/protocols/grade_overview.ipynb": dict(school=SCHOOL, grade=GRADE),
    "notebooks/dashboards/principal_dashboard.ipynb": dict(school=SCHOOL),
    "notebooks/protocols/implementation_review.ipynb": dict(school=SCHOOL),
}


@pytest.fixture(scope="module")
def real(ds):
    return ds


def _assert_clean(paths, real):
    found = scan(paths, real, min_n=MIN_N)
    assert found.empty, "leaks or small groups in artifacts for wider audiences:\n" + \
        found[["path", "kind", "value", "count", "context"]].to_string(index=False)


def test_showcase_is_clean(real, tmp_path):
    page = build_showcase(real, SCHOOL, tmp_path / "showcase", key="k" * 32, min_n=MIN_N)
    assert page.exists()
    _assert_clean([tmp_path / "showcase"], real)


def _parameters(nb: Path, wanted: dict) -> dict:
    import papermill
    declared = papermill.inspect_notebook(str(nb))
    common = dict(data=str(DATA), data_dir=str(DATA), data_path=str(DATA), cycle=CYCLE,
                  min_n=MIN_N, interactive=False, language="en", **wanted)
    missing = [k for k in wanted if k not in declared]
    if missing:
        pytest.fail(f"{nb.name} does not declare the parameter(s) {missing}; its parameters "
                    f"cell has {sorted(declared)}")
    return {k: v for k, v in common.items() if k in declared}


@pytest.mark.parametrize("notebook", sorted(AGGREGATE_NOTEBOOKS))
def test_aggregate_notebook_is_clean(notebook, real, tmp_path, monkeypatch):
    nb = ROOT / notebook
    # runs it with papermill (interactive=False), exports it with to_html and scans the HTML
    assert nb.exists(), f"{notebook} is an artifact for a wider audience and must be scanned"
    import papermill
    from coachkit.runner.export import to_html
    monkeypatch.setenv("PLOTLY_RENDERER", "notebook")
    monkeypatch.setenv("COACHKIT_RUNNER", "1")
    executed = tmp_path / nb.name
    papermill.execute_notebook(str(nb), str(executed), parameters=_parameters(
        nb, AGGREGATE_NOTEBOOKS[notebook]), cwd=str(ROOT), progress_bar=False,
        kernel_name="python3")
    import nbformat
    html = tmp_path / (nb.stem + ".html")
    html.write_text(to_html(nbformat.read(executed, as_version=4), title=nb.stem),
                    encoding="utf-8")
    _assert_clean([html], real)     # the HTML is what is shared; the .ipynb stays here
