"""Report paths come from safe, collision-free slugs of the ids, always inside --out, with
the original id (escaped) in the index; the same for student binders."""
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import coachkit as ck
from coachkit.runner import plan_jobs, run_cycle
from coachkit.runner.paths import inside, slug, unique_slugs

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ["../../x", "/abs/x", "./S101-3A", "S101-3A", "<script>alert(1)</script>", "..", ""]


def test_slugs_are_file_names_and_never_paths():
    for v in HOSTILE + ["CON", "a/b\\c", "Peña 3B", "x" * 500, "\x00nul"]:
        s = slug(v)
        assert s and "/" not in s and "\\" not in s and not s.startswith(".") and len(s) <= 80
        assert s.upper() != "CON"
    assert slug("S101-3A") == "S101-3A" and slug("Peña 3B") == "Pena-3B"


def test_ids_that_slug_alike_get_distinct_names_and_ordinary_ids_keep_theirs():
    s = unique_slugs(["./S101-3A", "S101-3A", "s101-3a", "S101-3B"])
    assert s["S101-3A"] == "S101-3A" and s["S101-3B"] == "S101-3B"
    assert len({v.lower() for v in s.values()}) == 4          # also on case-blind disks
    assert s["./S101-3A"].startswith("S101-3A-") and s["s101-3a"].startswith("s101-3a-")
    s = unique_slugs(["../../x", "/abs/x", "x"])
    assert s["x"] == "x" and s["/abs/x"] == "abs-x"
    assert s["../../x"].startswith("x-") and len(s["../../x"]) == len("x-") + 8


def test_inside_refuses_a_path_that_leaves_the_folder(tmp_path):
    assert inside(tmp_path, "S1", "a") == (tmp_path / "S1" / "a.html").resolve()
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path, "..", "x")


def _hostile(ds, students=True):
    """Three classrooms of the sample renamed ../../x, /abs/x and ./S101-3A (beside the
    real S101-3A)."""
    rooms = ds.classrooms.copy()
    chosen = list(rooms[rooms["school_id"] == "S101"]["classroom_id"].head(4))
    chosen = [c for c in chosen if c != "S101-3A"][:3]
    rename = dict(zip(chosen, ["../../x", "/abs/x", "./S101-3A"]))
    rooms["classroom_id"] = rooms["classroom_id"].replace(rename)
    st = ds.students.copy()
    st["classroom_id"] = st["classroom_id"].astype(str).replace(rename)
    if students:
        st.loc[st.index[:2], "student_id"] = ["../../evil", "/abs/evil"]
    return ds.replace(classrooms=rooms, students=st,
                      evidence=ds.evidence[ds.evidence["student_id"].isin(st["student_id"])]), rename


def test_hostile_classroom_and_student_ids_stay_inside_out(tmp_path):
    ds, rename = _hostile(ck.load_dataset(ROOT / "sample_data" / "district"))
    out = (tmp_path / "reports").resolve()
    for protocol in ("data_talk", "student_binder", "grade_overview", "implementation_review"):
        jobs = plan_jobs(ds, data="d", cycle=6, out=out, protocol=protocol, school="S101")
        paths = [Path(j.out) for j in jobs]
        assert all(p.resolve().is_relative_to(out) for p in paths), protocol
        assert len({str(p).lower() for p in paths}) == len(paths), protocol    # no overwrite
    talk = plan_jobs(ds, data="d", cycle=6, out=out, school="S101")
    by_id = {j.parameters["classroom"]: Path(j.out) for j in talk}
    assert by_id["S101-3A"].name == "S101-3A.html"
    assert by_id["./S101-3A"] != by_id["S101-3A"] and by_id["./S101-3A"].parent == out / "S101"
    assert by_id["../../x"].parent == out / "S101" and by_id["/abs/x"].parent == out / "S101"
    binders = plan_jobs(ds, data="d", cycle=6, out=out, protocol="student_binder", school="S101")
    evil = [Path(j.out) for j in binders if j.parameters["student"] in ("../../evil", "/abs/evil")]
    assert len(evil) == 2 and all(p.is_relative_to(out / "S101") for p in evil)


def test_a_run_writes_every_hostile_report_inside_out_and_names_the_original_id(tmp_path):
    ds, rename = _hostile(ck.load_dataset(ROOT / "sample_data" / "district"), students=False)
    data = tmp_path / "district"
    ck.save_dataset(ds, data)
    probe = tmp_path / "probe.ipynb"
    p = new_code_cell("data = None\nclassroom = None\ncycle = 1")
    p.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[p, new_code_cell("print('report for', classroom)")],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    nb.metadata["coachkit"] = {"unit": "classroom", "title": "Probe {classroom}",
                               "label": "{classroom}"}
    nbformat.write(nb, probe)
    out = tmp_path / "a" / "b" / "reports"
    ids = list(rename.values()) + ["S101-3A"]
    result = run_cycle(data, cycle=2, out=out, protocol=str(probe), classrooms=ids,
                       workers=1, progress=False)
    assert result.ok == 4 and result.failed == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert len(written) == 5 and "index.html" in written               # 4 reports + index
    assert not (tmp_path / "x.html").exists() and not Path("/abs/x.html").exists()
    assert not list((tmp_path / "a").glob("*.html")) and not list(tmp_path.glob("*.html"))
    index = (out / "index.html").read_text()
    for cid in ids:                                   # the original ids, escaped, in the index
        assert f">{cid}</a>" in index
    for job in result.jobs:                          # each report is its own classroom's
        assert f"report for {job.parameters['classroom']}" in Path(job.out).read_text()
