"""Vendor diagnostic exports through the shipped mapping files."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coachkit.errors import CoachkitDataError
from coachkit.io import load_diagnostics, mapping_names, read_mapping

DATA = Path(__file__).parent / "data" / "diagnostics"


def test_shipped_mappings_are_valid():
    assert mapping_names() == ["brightpath", "northstar"]
    for name in mapping_names():
        m = read_mapping(name)
        assert m["layout"] in ("wide", "long") and "student_id" in m["columns"]


def test_northstar_long_layout_cp1252():
    d = load_diagnostics(DATA / "northstar_export.csv", "northstar")
    assert list(d.columns) == ["student_id", "subject", "domain", "date", "scale_score", "placement"]
    assert list(d["domain"]) == ["overall", "Operations and Algebraic Thinking", "Geometry", "overall"]
    assert list(d["subject"]) == ["math", "math", "math", "ela"]
    assert d["date"].iloc[0] == pd.Timestamp("2025-09-15") and d["scale_score"].iloc[2] == 207


def test_brightpath_wide_layout_and_rejections():
    with pytest.raises(CoachkitDataError) as err:
        load_diagnostics(DATA / "brightpath_export.csv", "brightpath")
    assert err.value.row == 5 and err.value.column == "Completion Date"
    d = load_diagnostics(DATA / "brightpath_export.csv", "brightpath", errors="report")
    # rows in (4 vendor rows) = loaded vendor rows (3) + rejected (1); untested domains give no row
    assert d["student_id"].tolist() == ["S1"] * 3 + ["S2"] * 2 + ["S1"] * 3
    assert d.attrs["rejected"]["row"].tolist() == [5]
    assert d["placement"].iloc[0] == "on grade level"
    students = pd.DataFrame({"student_id": ["S1"]})
    d2 = load_diagnostics(DATA / "brightpath_export.csv", "brightpath", errors="report", students=students)
    assert set(d2["student_id"]) == {"S1"} and set(d2.attrs["rejected"]["row"]) == {3, 5}


def test_mapping_mistakes_are_named(tmp_path):
    with pytest.raises(CoachkitDataError, match="columns.grade: not a diagnostics column"):
        read_mapping({"columns": {"grade": "Grade"}})
    bad = tmp_path / "m.toml"
    bad.write_text('layout = "long"\n[columns]\nstudent_id = "SIS ID"\nsubject = "Discipline"\n'
                   'date = "TestStartDate"\ndomain = "Goal"\nscale_score = "RIT"\n')
    with pytest.raises(CoachkitDataError, match="no column 'SIS ID'") as err:
        load_diagnostics(DATA / "northstar_export.csv", bad)
    assert err.value.row == 1
