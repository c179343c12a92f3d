"""The implementation-review protocol notebook, end to end.

Runs it under papermill for the whole district, for one school, and for one school in
Spanish with a minimum n that suppresses its staff; checks what it says and that its HTML
report is offline, has its figures and shows no group under the minimum with a number.
Tables are read with BeautifulSoup (an nbconvert dependency): pandas.read_html would need
lxml or html5lib, which coachkit does not depend on.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
from bs4 import BeautifulSoup

import coachkit as ck
from coachkit.runner.export import to_html

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "protocols" / "implementation_review.ipynb"
DASH = "\u2014"
pytestmark = pytest.mark.slow            # three notebook runs, ~30 s together

RUNS = {
    "district": {},
    "school": {"school": "S101"},
    # S102 has 11 staff: under a minimum of 15 every staff result is suppressed
    "small-groups": {"school": "S102", "min_n": 15, "language": "es"},
}


@pytest.fixture(scope="module")
def constructs():
    items = ck.load_dataset(ck.sample.default_path()).survey_items
    return list(pd.unique(items["construct"]))


@pytest.fixture(scope="module", params=list(RUNS))
def run(request, tmp_path_factory):
    params = RUNS[request.param]
    out = tmp_path_factory.mktemp("implementation_review") / f"{request.param}.ipynb"
    nb = papermill.execute_notebook(str(NB), str(out), parameters=params,
                                    kernel_name="python3", progress_bar=False,
                                    cwd=str(NB.parent))
    return request.param, params, nb, to_html(nb, title="Implementation review")


def _output_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{out.get('ename')}: {out.get('evalue')}"
            if out.get("output_type") == "stream":
                parts.append(out["text"])
            parts.extend(str(v) for k, v in out.get("data", {}).items()
                         if k in ("text/plain", "text/html"))
    return "\n".join(parts)


def _tables(html: str) -> list[pd.DataFrame]:
    soup = BeautifulSoup(html, "html.parser")
    tables = []
    for t in soup.find_all("table"):
        head = [th.get_text(" ", strip=True) for th in t.select("thead th")]
        rows = [[td.get_text(" ", strip=True) for td in tr.find_all(["td", "th"])]
                for tr in t.select("tbody tr")]
        if head and rows and all(len(r) == len(head) for r in rows):
            tables.append(pd.DataFrame(rows, columns=head))
    return tables


def test_runs_and_reports_every_construct_and_alpha(run, constructs):
    name, params, nb, _ = run
    assert nb.metadata["papermill"]["exception"] is None
    text = _output_text(nb)
    for construct in constructs:
        assert construct in text, f"{name}: {construct!r} missing from the outputs"
    assert "alpha" in text
    assert "NaN" not in re.sub(r"<script.*?</script>", "", text, flags=re.S)
    if params.get("school") == "S101":
        assert "Peña Blanca Elementary" in text
        assert "Conditions for scaling: S101" in text     # the school's own radar


def test_html_is_offline_and_has_its_figures(run):
    _, _, _, html = run
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", html, re.I)
    assert html.count("Plotly.newPlot") >= 3


def test_no_group_under_min_n_shown_with_a_number(run):
    name, params, _, html = run
    min_n = params.get("min_n", 10)
    tables = _tables(html)
    with_n = [t for t in tables if any(re.fullmatch(r"n( \d{4})?|n_\w+( \d{4})?", c)
                                       for c in t.columns)]
    assert len(with_n) >= 4, f"{name}: expected the score, change, favorable and alpha tables"
    small = 0
    for t in with_n:
        for col in [c for c in t.columns if re.fullmatch(r"n( \d{4})?|n_\w+( \d{4})?", c)]:
            for cell in t[col]:
                if cell in ("hidden", DASH):       # one label for every hidden count
                    small += cell != DASH
                    continue
                assert cell.isdigit() and int(cell) >= min_n, f"{name}: {col}={cell!r}"
        for col in t.columns:
            assert not t[col].isin(["nan", "NaN", "<NA>", "None"]).any(), f"{name}: {col}"
    if name == "small-groups":
        assert small >= 8         # 4 staff constructs x 2 years in each table at least
    # the bar chart says so where a suppressed bar would be
    marks = re.findall(r'"text":\s*"n hidden"', html)
    assert len(marks) == (8 if name == "small-groups" else 0)


def test_notebook_as_committed():
    """Parameters the batch runner passes, papermill-parseable comments, no outputs."""
    nb = nbformat.read(NB, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    params = papermill.inspect_notebook(str(NB))
    defaults = {k: v["default"] for k, v in params.items()}
    # only what it uses: the runner passes a notebook only the parameters it declares
    assert defaults == {"data": "None", "school": "None", "language": '"en"', "min_n": "10",
                        "year": "None"}
    for line in tagged[0].source.splitlines():
        comment = line.partition("#")[2]
        assert not re.search(r"['\";]", comment), line
    assert all(not c.get("outputs") and not c.get("execution_count")
               for c in nb.cells if c.cell_type == "code")
    # the runner plans one job per school with these parameters
    from coachkit.runner.run import plan_jobs
    ds = ck.load_dataset(ck.sample.default_path())
    jobs = plan_jobs(ds, data="d", cycle=6, out=Path("o"), protocol="implementation_review")
    assert {j.parameters["school"] for j in jobs} == set(ds.schools["school_id"])
    assert all(set(j.parameters) <= set(defaults) for j in jobs)
