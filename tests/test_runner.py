"""The batch runner: offline reports, one classroom's students per report, failures
listed, re-runs identical, and `coachkit cycle` exit codes."""
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook

import coachkit as ck
from coachkit.cli import main
from coachkit.runner import run_cycle

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
ROOMS = ["S101-3A", "S101-3B", "S102-7A"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = run_cycle(DATA, cycle=4, out=out, classrooms=ROOMS, workers=2, progress=False)
    return out, result


def _outside_plotly(html: str) -> str:
    """The report without its embedded plotly.js bundle (4 MB of someone else's code)."""
    return re.sub(r"<script[^>]*>(?:(?!</script>).){0,300}plotly\.js v.*?</script>", "",
                  html, count=1, flags=re.S)


def _html(out, room):
    return (out / room.split("-")[0] / f"{room}.html").read_text(encoding="utf-8")


def test_every_classroom_gets_a_report_and_the_index_links_it(reports):
    out, result = reports
    assert result.failed == 0 and result.ok == len(ROOMS)
    index = (out / "index.html").read_text()
    for room in ROOMS:
        assert f"href='{room.split('-')[0]}/{room}.html'" in index
        assert (out / room.split("-")[0] / f"{room}.html").stat().st_size > 100_000


def test_reports_open_with_no_network_and_hold_the_figures(reports):
    out, _ = reports
    html = _html(out, "S101-3A")
    # no script or stylesheet fetched from anywhere
    assert not re.search(r"<script[^>]+src=[\"']?https?:", html, re.I)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html, re.I)
    # the one script loaded by address is the folder's shared plotly.js, by a relative
    # path to the file beside the index (no require.js, MathJax or widget manager)
    assert re.findall(r"<script[^>]*\bsrc=[\"']?([^\"' >]+)", html, re.I) == ["../plotly.min.js"]
    assert re.findall(r"<link[^>]*rel=[\"']?stylesheet", html, re.I) == []
    shared = (out / "plotly.min.js").read_text(encoding="utf-8")
    assert "plotly.js v" in shared and len(shared) > 1_000_000
    # small: the report itself does not carry plotly.js (issue 19: at most 1.5 MB)
    assert "plotly.js v" not in html
    assert len(html.encode("utf-8")) <= 1_500_000
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html, re.I)
    assert html.count("Plotly.newPlot(") >= 8
    assert "Data wall" in html and "Proposed groups" in html
    # code is hidden: the source of the setup cell does not appear
    assert "talk.classroom_view(ds" not in html


def test_each_report_names_only_its_own_students(reports, ds):
    out, _ = reports
    full = ds.students["first_name"] + " " + ds.students["last_name"]
    for room in ROOMS:
        html = _outside_plotly(_html(out, room))
        mine = set(full[ds.students["classroom_id"] == room])
        others = set(full[ds.students["classroom_id"] != room]) - mine
        assert any(name in html for name in mine)            # the report does name its students
        leaked = [name for name in others if name in html]
        assert leaked == [], f"{room} report names other classrooms' students: {leaked[:5]}"
        ids = set(ds.students.loc[ds.students["classroom_id"] != room, "student_id"])
        assert not [i for i in ids if re.search(rf"(?<![\w.]){i}(?![\w.])", html)]


def test_reruns_give_identical_reports(reports, tmp_path):
    out, _ = reports
    again = run_cycle(DATA, cycle=4, out=tmp_path, classrooms=ROOMS[:1], workers=1, progress=False)
    assert again.failed == 0
    assert _html(tmp_path, ROOMS[0]) == _html(out, ROOMS[0])


def _probe(path: Path) -> Path:
    """A protocol that fails for one classroom, to check failures don't stop the rest."""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    p = new_code_cell("data = None\nschool = None\ngrade = None\nclassroom = None\ncycle = 1\n"
                      "language = 'en'\nmethod = 'x'")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, new_code_cell("if classroom == 'S101-3B':\n    raise RuntimeError('planted failure')\n"
                                 "print('report for', classroom)")]
    nbformat.write(nb, path)
    return path


def test_one_failing_classroom_is_listed_and_the_command_exits_1(tmp_path):
    probe = _probe(tmp_path / "probe.ipynb")
    out = tmp_path / "out"
    from coachkit.runner import run as run_mod
    r = CliRunner().invoke(main, ["cycle", "--data", str(DATA), "--cycle", "2", "--school", "S101",
                                  "--protocol", str(probe), "--out", str(out), "--workers", "2"])
    assert r.exit_code == 1, r.output
    index = (out / "index.html").read_text()
    assert "failed: " in index and "planted failure" in index
    assert "1 failed" in index.replace("<b>", "").replace("</b>", "")
    built = list((out / "S101").glob("*.html"))
    assert len(built) == 11 and not (out / "S101" / "S101-3B.html").exists()


def test_cycle_usage_errors_exit_2(tmp_path):
    r = CliRunner().invoke(main, ["cycle", "--data", str(DATA), "--cycle", "9", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "unknown cycle 9" in r.output
    r = CliRunner().invoke(main, ["cycle", "--data", str(DATA), "--cycle", "1", "--school", "NOPE",
                                  "--out", str(tmp_path)])
    assert r.exit_code == 2 and "unknown school" in r.output


def test_binder_in_spanish_for_another_classroom(tmp_path, ds):
    import papermill
    nb = papermill.execute_notebook(str(ROOT / "notebooks/protocols/student_binder.ipynb"), None,
                                    parameters={"classroom": "S102-7A", "language": "es", "cycle": 3},
                                    progress_bar=False, kernel_name="python3")
    html = ck.runner.to_html(nb)
    assert "Mis metas de aprendizaje" in html and "Mi próxima meta" in html
    first = ds.students[ds.students["classroom_id"] == "S102-7A"].sort_values("student_id").iloc[0]
    assert f"{first['first_name']} {first['last_name']}" in html
    # a family's page holds one student: no classmate is named
    classmates = ds.students[(ds.students["classroom_id"] == "S102-7A")
                             & (ds.students["student_id"] != first["student_id"])]
    assert not [n for n in classmates["first_name"] + " " + classmates["last_name"] if n in html]
    # the analyst's notes (report-hide cells) stay out of the family's page
    assert "report-hide" not in html


def test_grade_overview_names_no_student(tmp_path, ds):
    import papermill
    nb = papermill.execute_notebook(str(ROOT / "notebooks/protocols/grade_overview.ipynb"), None,
                                    parameters={"school": "S102", "grade": 7, "cycle": 5},
                                    progress_bar=False, kernel_name="python3")
    html = ck.runner.to_html(nb)
    assert "S102-7A" in html and "S102-7B" in html
    names = ds.students["first_name"] + " " + ds.students["last_name"]
    assert not [n for n in names if n in html]


@pytest.mark.parametrize("template,params", [
    ("analysis_starter", {"data": str(DATA), "method": "power_law"}),
    ("custom_mastery_method", {"data": str(DATA)}),
])
def test_templates_run_with_other_parameters(template, params):
    import papermill
    nb = papermill.execute_notebook(str(ROOT / f"notebooks/templates/{template}.ipynb"), None,
                                    parameters=params, progress_bar=False, kernel_name="python3")
    text = "".join(str(o.get("data", o.get("text", ""))) for c in nb.cells
                   for o in c.get("outputs", []))
    assert "Error" not in text
    if template == "analysis_starter":
        assert "power_law" in text      # the chosen method is compared with the others
    else:
        assert "mean_of_last_two" in text and "disagree about mastery" in text
