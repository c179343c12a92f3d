"""Protocols describe themselves: the notebook's metadata names its unit and title; the
runner reads it (no branching on protocol names) and passes only the parameters the
notebook declares, so a notebook declares only parameters it uses."""
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import coachkit as ck
from coachkit.runner import describe, plan_jobs
from coachkit.runner.run import UNITS

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = sorted((ROOT / "notebooks" / "protocols").glob("*.ipynb"))
EXPECTED_UNITS = {"data_talk": "classroom", "grade_overview": "grade",
                  "student_binder": "student", "implementation_review": "school"}


@pytest.fixture(scope="module")
def ds():
    return ck.load_dataset(ROOT / "sample_data" / "district")


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_each_protocol_names_its_unit_and_title(path):
    meta = nbformat.read(path, as_version=4).metadata["coachkit"]
    assert meta["unit"] == EXPECTED_UNITS[path.stem] and meta["unit"] in UNITS
    assert meta["title"].strip()


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_every_declared_parameter_is_used(path):
    nb = nbformat.read(path, as_version=4)
    declared = describe(path)["parameters"]
    body = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                     and "parameters" not in c.metadata.get("tags", []))
    unused = [p for p in declared if not re.search(rf"\b{p}\b", body)]
    assert not unused, f"{path.name} declares parameters it never uses: {unused}"


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_the_runner_passes_only_declared_parameters(path, ds):
    jobs = plan_jobs(ds, data="d", cycle=6, out=Path("o"), protocol=str(path), school="S102")
    declared = describe(path)["parameters"]
    assert jobs and all(set(j.parameters) <= declared for j in jobs)
    assert all(j.parameters["school"] == "S102" for j in jobs)


def test_a_new_protocol_needs_only_metadata_not_runner_code(tmp_path, ds):
    p = new_code_cell("school = None\ngrade = None")
    p.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[p, new_code_cell("print(school, grade)")])
    nb.metadata["coachkit"] = {"unit": "grade", "title": "Grade {grade_label} at {school_name}",
                               "label": "grade {grade_label}"}
    path = tmp_path / "my_grade_protocol.ipynb"
    nbformat.write(nb, path)
    jobs = plan_jobs(ds, data="d", cycle=6, out=tmp_path, protocol=str(path), school="S101")
    grades = sorted(ds.classrooms.loc[ds.classrooms["school_id"] == "S101", "grade"].unique())
    assert [j.parameters for j in jobs] == [{"school": "S101", "grade": int(g)} for g in grades]
    assert jobs[0].title == f"Grade K at {ds.schools.set_index('school_id').loc['S101', 'name']}"
    nb.metadata["coachkit"]["unit"] = "district"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="unit: expected one of classroom, grade"):
        plan_jobs(ds, data="d", cycle=6, out=tmp_path, protocol=str(path))
