"""What a warm worker keeps between classrooms: the district's tables, read-only, and
nothing else. A notebook that edits its tables edits a copy; the kept tables themselves
changing is detected and they are loaded afresh; no variable of one classroom survives
into the next, and a report holds only its own students."""
import json
import os
import shutil

import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import coachkit as ck
from coachkit import caching
from coachkit.io.files import fingerprint
from coachkit.runner.kernel import WarmKernel
from coachkit.sample import make_district


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kept") / "district"
    ck.io.save_dataset(make_district(60, seed=5), folder)
    return folder


@pytest.fixture
def keeping():
    caching.keep(True)
    yield
    caching.keep(False)


def _mutate(ds):
    """Every ordinary way a notebook could change its tables."""
    ds.students.loc[ds.students.index[0], "first_name"] = "Changed"
    ds.students.drop(index=ds.students.index[1], inplace=True)
    ds.evidence["score"] = 0.0
    ds.evidence.iloc[0, ds.evidence.columns.get_loc("kind")] = ds.evidence["kind"].iloc[-1]
    ds.targets["extra"] = 1
    ds.classrooms.sort_values("classroom_id", ascending=False, inplace=True)
    ds.cycles.attrs["note"] = "changed"
    with pytest.raises(ValueError, match="read-only"):
        ds.evidence["date"].to_numpy()[0] = ds.evidence["date"].to_numpy()[-1]


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_loaded_once_and_edits_reach_only_the_copy(data):
    fresh = fingerprint(ck.load_dataset(data))      # not kept: read from the files
    caching.keep(True)
    try:
        _loaded_once_and_edits_reach_only_the_copy(data, fresh)
    finally:
        caching.keep(False)


def _loaded_once_and_edits_reach_only_the_copy(data, fresh):
    first = ck.load_dataset(data)
    _mutate(first)
    assert first.students["first_name"].iloc[0] == "Changed"     # the copy did change
    second = ck.load_dataset(data)
    assert len(caching.kept_keys()) == 1                         # loaded once
    assert fingerprint(second) == fresh                          # as on disk
    assert "extra" not in second.targets and second.evidence["score"].gt(0).all()
    assert caching.check_kept() == []                            # nothing detected


def test_a_change_to_the_kept_tables_is_detected_and_reloaded(data, keeping):
    ck.load_dataset(data)
    (key,) = caching.kept_keys()
    kept_ds = caching._kept[key][0]          # reaching past the copy, as no notebook should
    kept_ds.students.loc[kept_ds.students.index[0], "first_name"] = "Changed"
    assert caching.check_kept() == [key] and caching.kept_keys() == []
    again = ck.load_dataset(data)
    assert "Changed" not in set(again.students["first_name"])


def test_a_changed_file_is_a_new_load(data, keeping, tmp_path):
    copy = tmp_path / "district"
    shutil.copytree(data, copy)
    before = ck.load_dataset(copy)
    students = pd.read_csv(copy / "students.csv")
    students.loc[0, "first_name"] = "Renamed"
    students.to_csv(copy / "students.csv", index=False)
    os.utime(copy / "students.csv", ns=(1, 1))    # even with an older mtime: size differs
    after = ck.load_dataset(copy)
    assert "Renamed" not in set(before.students["first_name"])
    assert "Renamed" in set(after.students["first_name"])


def test_without_keeping_nothing_is_kept(data):
    assert not caching.keeping()
    ck.load_dataset(data)
    assert caching.kept_keys() == []


def _nb(*cells, params):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    p = new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells.insert(0, p)
    return nb


def _stdout(nb):
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")


ROOM = ("import json, coachkit as ck, coachkit.caching\n"
        "from coachkit.io.files import fingerprint\n"
        "ds = ck.load_dataset(data)\n"
        "room = ds.classroom(classroom)\n"
        "mine = sorted(room.students['student_id'].astype(str))\n"
        "print(json.dumps({'left': sorted(k for k in globals() if k.startswith('secret')),\n"
        "                  'kept': len(coachkit.caching.kept_keys()),\n"
        "                  'print': str(fingerprint(ds)), 'students': mine}))\n"
        "secret_students = mine\n"
        "ds.students.loc[ds.students.index[0], 'first_name'] = 'Changed'\n"
        "ds.evidence['score'] = 0.0\n")


def test_in_the_warm_kernel_one_classroom_leaves_nothing_for_the_next(data):
    ds = ck.load_dataset(data)
    rooms = sorted(ds.classrooms["classroom_id"])[:3]
    k = WarmKernel()
    try:
        seen = [json.loads(_stdout(k.execute(
            _nb(ROOM, params="data = None\nclassroom = None"),
            {"data": str(data), "classroom": room}))) for room in rooms]
    finally:
        k.shutdown()
    assert [s["left"] for s in seen] == [[], [], []]        # no variable survived
    assert [s["kept"] for s in seen] == [1, 1, 1]           # the tables were kept
    assert len({s["print"] for s in seen}) == 1             # and unchanged by the edits
    assert seen[0]["print"] == str(fingerprint(ds))         # equal to the files on disk
    for room, s in zip(rooms, seen):                        # each only its own students
        own = ds.students.loc[ds.students["classroom_id"] == room, "student_id"]
        assert s["students"] == sorted(own.astype(str)) and s["students"]
    assert not set(seen[0]["students"]) & set(seen[1]["students"])


def test_the_grade_suppression_table_is_made_once_per_grade_and_equal():
    from pathlib import Path

    from coachkit import talk
    data = Path(__file__).resolve().parents[1] / "sample_data" / "district"
    ds = ck.load_dataset(data)
    first, second = "S101-3A", "S101-3B"          # two classrooms of one grade
    alone = [talk.grade_equity_view(ds, talk.classroom_view(ds, r, 3, history=False), min_n=3)
             for r in (first, second)]
    caching.keep(True)
    try:
        kept = [talk.grade_equity_view(d, talk.classroom_view(d, r, 3, history=False), min_n=3)
                for d, r in ((ck.load_dataset(data), first), (ck.load_dataset(data), second))]
        tables = [k for k in caching.kept_keys() if k[0] == "suppression_table"]
        assert len(tables) == 1                                   # once for the grade
        assert caching.check_kept() == []
    finally:
        caching.keep(False)
    for a, b in zip(alone, kept):
        pd.testing.assert_frame_equal(a, b)
