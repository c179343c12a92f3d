"""CASE 1.0 packages <-> the targets table."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coachkit.errors import CoachkitDataError
from coachkit.io import load_case, write_case

FIXTURE = Path(__file__).parent / "data" / "case" / "grade3_math.json"
A, B = "3ebc9c31-4a5f-4d6e-9f2a-3b4c5d6e7f80", "4fcdad42-5b6a-4e7f-8a3b-4c5d6e7f8091"
C, D = "50debe53-6c7b-4f80-9b4c-5d6e7f8091a2", "61efcf64-7d8c-4091-8c5d-6e7f8091a2b3"


def test_reads_codes_statements_grades_and_order():
    t = load_case(FIXTURE)
    assert list(t["target_id"]) == [A, B, D, C]          # tree order, D precedes C
    assert list(t["sequence"]) == [1, 2, 3, 4]
    assert list(t["code"]) == ["3.OA.A.1", "3.OA.A.2", "3.NBT.A.1", "3.OA.A.3"]
    assert t.iloc[0]["statement"] == "Interpret products of whole numbers as equal groups"
    assert (t["grade"] == 3).all() and (t["subject"] == "math").all()
    assert t.iloc[2]["unit"] == "Use place value understanding to perform multi-digit arithmetic"
    assert t["portrait_attribute"].isna().all()
    assert list(load_case(FIXTURE, id_from="code")["target_id"])[:2] == ["3.OA.A.1", "3.OA.A.2"]


def test_case_targets_case_round_trip(tmp_path):
    t = load_case(FIXTURE)
    out = write_case(t, tmp_path / "out.json")
    back = load_case(out)
    pd.testing.assert_frame_equal(t, back)
    src, dst = json.loads(FIXTURE.read_text()), json.loads(out.read_text())
    assert dst["CFDocument"]["identifier"] == src["CFDocument"]["identifier"]
    assert dst["CFDocument"]["title"] == src["CFDocument"]["title"]
    fields = ("humanCodingScheme", "fullStatement", "educationLevel")
    leaves = {i["identifier"]: tuple(i[f] for f in fields) for i in src["CFItems"] if i["identifier"] in (A, B, C, D)}
    written = {i["identifier"]: tuple(i[f] for f in fields) for i in dst["CFItems"] if i["identifier"] in leaves}
    assert written == leaves
    kinds = {a["associationType"] for a in dst["CFAssociations"]}
    assert kinds == {"isChildOf", "precedes"}
    again = write_case(back, tmp_path / "again.json")
    assert json.loads(again.read_text()) == dst                # writing is stable


def test_canonical_targets_with_local_ids_round_trip(tmp_path):
    from coachkit.sample.continuum import make_targets
    from coachkit.sample.district import _typed
    t = _typed("targets", make_targets(np.random.default_rng(0)))
    t = t[t["grade"].isin([0, 3, 9])].reset_index(drop=True)
    # the CASE package carries the formal statement; its translations stay in targets.csv
    t = t.drop(columns=["statement_es", "student_statement", "student_statement_es"])
    back = load_case(write_case(t, tmp_path / "c.json"))
    pd.testing.assert_frame_equal(t, back)
    items = json.loads((tmp_path / "c.json").read_text())["CFItems"]
    assert {"Subject", "Grade Level", "Unit", "Standard"} == {i["CFItemType"] for i in items}
    assert any(i.get("educationLevel") == ["KG"] for i in items)


def _broken(tmp_path, change):
    pkg = json.loads(FIXTURE.read_text())
    change(pkg)
    p = tmp_path / "broken.json"
    p.write_text(json.dumps(pkg))
    return p


def test_bad_association_reference_names_file_row_and_field(tmp_path):
    def change(pkg):
        pkg["CFAssociations"][4]["destinationNodeURI"]["identifier"] = "00000000-0000-4000-8000-00000000dead"
    p = _broken(tmp_path, change)
    with pytest.raises(CoachkitDataError) as err:
        load_case(p)
    e = err.value
    assert e.file.endswith("#CFAssociations") and e.row == 5
    assert e.column == "destinationNodeURI.identifier" and "bad reference" in str(e)


def test_missing_statement_and_grade_are_reported(tmp_path):
    def change(pkg):
        del pkg["CFItems"][2]["fullStatement"]
        for i in pkg["CFItems"]:
            i.pop("educationLevel") if i["identifier"] == D or i.get("CFItemType") != "Standard" else None
    p = _broken(tmp_path, change)
    with pytest.raises(CoachkitDataError) as err:
        load_case(p)
    assert err.value.row == 3 and err.value.column == "fullStatement"
    t = load_case(p, errors="report")
    assert list(t["target_id"]) == [B, C]
    rej = t.attrs["rejected"]
    assert set(rej["row"]) == {3, 7} and "educationLevel" in set(rej["column"])


def test_not_a_case_package(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"items": []}')
    with pytest.raises(CoachkitDataError, match="no CFDocument"):
        load_case(p)


LEVELS = Path(__file__).parent / "data" / "realworld" / "case_levels" / "sel_levels.json"


def test_level_framework_reads_with_a_grade_map_and_skips_support_items():
    t = load_case(LEVELS, grades={"Level 1": 3, "Level 2": 4})
    items = json.loads(LEVELS.read_text())["CFItems"]
    skipped = t.attrs["skipped"]
    structure = 5     # two competencies, three levels
    assert len(items) == len(t) + len(t.attrs["rejected"]) + len(skipped) + structure
    assert sorted(skipped["value"]) == ["Accessibility Note", "Example", "Task"]
    grade_of = dict(zip(t["statement"], t["grade"]))
    assert grade_of["I can choose a strategy to manage strong feelings."] == 4
    assert grade_of["I can take turns in a small-group conversation."] == 3
    # items without humanCodingScheme get a code from the coded ancestor and their position
    assert set(t["code"]) >= {"SM.1", "SM.2", "SM.2.a"}
    again = load_case(LEVELS, grades={"Level 1": 3, "Level 2": 4})
    assert list(again["code"]) == list(t["code"])          # stable


def test_one_grade_for_a_framework_without_levels():
    t = load_case(LEVELS, grade="K")
    assert (t["grade"] == 0).all() and len(t) == 4


def test_missing_grade_names_the_fix():
    with pytest.raises(CoachkitDataError, match=r"grade=3.*grades="):
        load_case(LEVELS)
    t = load_case(LEVELS, errors="report")
    assert len(t) == 0 and len(t.attrs["rejected"]) == 4
    assert (t.attrs["rejected"]["column"] == "educationLevel").all()
