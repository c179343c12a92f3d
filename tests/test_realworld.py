"""The realworld corpus (tests/data/realworld/, each folder with a SOURCE.md): every file loads
or fails naming file, row, column and the fix; rows in = loaded + rejected + skipped."""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import coachkit as ck
from coachkit.errors import CoachkitDataError
from coachkit.io import load_oneroster
from coachkit.io.gradebooks import READERS, detect, load_gradebook

DATA = Path(__file__).parent / "data" / "realworld"
GRADE3 = Path(__file__).parent / "data" / "case" / "grade3_math.json"


def quietly(fn, *args, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kw)
    return out, [str(w.message) for w in caught]


def rows_in(path: Path) -> int:
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def accounted(ds, file: Path) -> tuple[int, int, int]:
    """(loaded, rejected, skipped) evidence rows that came from FILE."""
    rej = ds.rejected[(ds.rejected["table"] == "evidence") &
                      ds.rejected["file"].astype(str).str.endswith(file.name)]
    skipped = ds.evidence.attrs.get("skipped", pd.DataFrame(columns=["file"]))
    skipped = skipped[skipped["file"].astype(str).str.endswith(file.name)] if len(skipped) else skipped
    return len(ds.evidence), len(rej), len(skipped)


def test_every_corpus_folder_has_a_source_note():
    folders = [p for p in DATA.iterdir() if p.is_dir()]
    assert len(folders) >= 7
    for p in folders:
        text = (p / "SOURCE.md").read_text()
        assert "Layout" in text or "layout" in text or "shape" in text, p.name
        assert "Expected" in text, p.name


def test_readers_are_detected_from_the_header():
    assert detect(DATA / "canvas_outcome_results" / "outcome_results.csv").name == "canvas-outcome-results"
    assert detect(DATA / "canvas_mastery_gradebook" / "learning_mastery_export.csv").name == \
        "canvas-mastery-gradebook"
    assert detect(DATA / "powerschool_standards" / "standard_grades.csv").name == "powerschool-standards"
    assert detect(DATA / "oneroster_11_bulk" / "users.csv") is None
    assert set(READERS) >= {"canvas-outcome-results", "canvas-mastery-gradebook", "powerschool-standards"}


def test_canvas_outcome_results_report():
    f = DATA / "canvas_outcome_results" / "outcome_results.csv"
    ds, notes = quietly(ck.load_dataset, f, errors="report")
    loaded, rejected, skipped = accounted(ds, f)
    assert (loaded, rejected, skipped) == (5, 1, 2)
    assert rows_in(f) == loaded + rejected + skipped
    bad = ds.rejected[ds.rejected["table"] == "evidence"].iloc[0]
    assert (bad["row"], bad["column"], bad["value"]) == (9, "outcome score", "5")
    assert "scale=" in bad["reason"]
    ev = ds.evidence.assign(date=ds.evidence["date"].dt.strftime("%Y-%m-%d"))
    retake = ev[ev["kind"] == "retake"].iloc[0]
    assert retake["date"] == "2025-10-10"            # 20:30 -07:00 keeps its local date
    assert set(ev["kind"]) == {"summative", "formative", "retake"}
    assert any("detected a Canvas Outcome Results report" in n for n in notes)
    assert any("'Unit 3 Test Retake' -> retake" in n for n in notes)
    with pytest.raises(CoachkitDataError) as err:
        ck.load_dataset(f)
    assert err.value.row == 9 and err.value.column == "outcome score"


def test_canvas_outcome_results_missing_column_names_the_file_header(tmp_path):
    f = DATA / "canvas_outcome_results" / "outcome_results.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False).drop(columns="outcome score")
    out = tmp_path / "report.csv"
    df.rename(columns={"Student Name": "student name"}).to_csv(out, index=False)
    with pytest.raises(CoachkitDataError, match=r"row 1 .*missing column 'outcome score'") as err:
        load_gradebook(out, reader="canvas-outcome-results")
    assert "learning outcome id" in str(err.value)      # found columns, as the file has them


def test_canvas_mastery_gradebook_is_dated_by_as_of():
    f = DATA / "canvas_mastery_gradebook" / "learning_mastery_export.csv"
    ds, notes = quietly(load_gradebook, f, errors="report", as_of="2025-10-31")
    loaded, rejected, skipped = accounted(ds, f)
    cells = 3 * 2
    assert (loaded, rejected, skipped) == (5, 0, 1) and cells == loaded + rejected + skipped
    assert (ds.evidence["date"] == pd.Timestamp("2025-10-31")).all()
    camila = ds.evidence[(ds.evidence["student_id"] == "1043") & (ds.evidence["target_id"] == "5.NF.A.1")]
    assert float(camila["score"].iloc[0]) == pytest.approx(4.2 * 3 / 4, abs=1e-5)
    plain, notes = quietly(ck.load_dataset, f, errors="report")     # no as_of: the file's date, said so
    assert any("snapshot without dates" in n and "as_of" in n for n in notes)


def test_powerschool_standards_grades_and_a_scale_for_marks():
    f = DATA / "powerschool_standards" / "standard_grades.csv"
    ds, notes = quietly(ck.load_dataset, f, errors="report")
    assert accounted(ds, f) == (3, 1, 2)
    assert ds.rejected.iloc[0]["value"] == "M" and "scale=" in ds.rejected.iloc[0]["reason"]
    ds2, _ = quietly(load_gradebook, f, errors="report", scale={"M": 3})
    assert accounted(ds2, f) == (4, 0, 2)
    assert (ds2.evidence["kind"] == "summative").all()
    assert (ds2.evidence["date"] == pd.Timestamp("2025-10-31")).all()


def test_gradebook_matched_to_a_roster_and_targets():
    f = DATA / "powerschool_standards" / "standard_grades.csv"
    targets = pd.DataFrame({"target_id": ["t-nf1", "t-nf3"], "subject": "math", "grade": 5,
                            "sequence": [1, 2], "unit": "Fractions", "code": ["5.NF.A.1", "5.NF.B.3"],
                            "statement": ["Add and subtract fractions", "Fractions as division"]})
    ds, _ = quietly(load_gradebook, f, errors="report", targets=targets, scale={"M": 3})
    assert set(ds.evidence["target_id"]) == {"t-nf1", "t-nf3"}


def test_oneroster_11_gradebook_through_title_codes():
    folder = DATA / "oneroster_11_bulk"
    ds, notes = quietly(load_oneroster, folder, errors="report", targets=GRADE3)
    loaded, rejected, skipped = accounted(ds, folder / "results.csv")
    assert rows_in(folder / "results.csv") == loaded + rejected + skipped == 7
    assert (loaded, rejected) == (4, 1)
    assert not any("academicSessionSourcedId" in n or "1.2" in n for n in notes)   # 1.1 rules
    kinds = next(n for n in notes if n.startswith("categories read as evidence kinds"))
    for title, kind in (("Summative Assessments", "summative"), ("Tests & Quizzes", "summative"),
                        ("Summative(SA)", "summative"), ("Homework", "formative")):
        assert f"{title!r} -> {kind}" in kinds
    assert set(ds.evidence["kind"]) == {"summative", "formative"}


def test_oneroster_11_gradebook_through_a_mapping_file_or_a_column(tmp_path):
    folder = DATA / "oneroster_11_bulk"
    ds, _ = quietly(load_oneroster, folder, errors="report", targets=GRADE3,
                    line_item_targets=folder / "line_item_targets.csv")
    codes = dict(zip(ck.io.load_case(GRADE3)["target_id"], ck.io.load_case(GRADE3)["code"]))
    assert [codes[t] for t in ds.evidence["target_id"]] == ["3.NBT.A.1"]
    copy = Path(shutil.copytree(folder, tmp_path / "x"))
    li = pd.read_csv(copy / "lineItems.csv", dtype=str, keep_default_na=False)
    li["metadata.standard"] = ["3.OA.A.1", "3.OA.A.1", "3.OA.A.2", "3.NBT.A.1"]
    li.to_csv(copy / "lineItems.csv", index=False)
    ds, _ = quietly(load_oneroster, copy, errors="report", targets=GRADE3,
                    line_item_targets="metadata.standard")
    assert len(ds.evidence) == 5
    ds, notes = quietly(load_oneroster, copy, errors="report", line_item_targets="metadata.standard")
    assert len(ds.evidence) == 5 and set(ds.targets["code"]) == {"3.OA.A.1", "3.OA.A.2", "3.NBT.A.1"}


def test_oneroster_11_roster_people_and_loose_references():
    ds, notes = quietly(load_oneroster, DATA / "oneroster_11_bulk", errors="report")
    assert len(ds.rejected) == 0
    assert list(ds.schools["school_id"]) == ["org-sch-100"]          # bad parent is a notice
    assert any("parentSourcedId that is not in orgs.csv" in n for n in notes)
    assert len(ds.classrooms) == 2 and len(ds.students) == 3         # teacher-less class kept
    assert dict(zip(ds.staff["staff_id"], ds.staff["role"])) == {"usr-t1": "teacher",
                                                                 "usr-a1": "administrator"}
    assert ds.guardians[["guardian_id", "student_id"]].values.tolist() == [["usr-p1", "usr-s1"]]
    assert "usr-t1" not in set(ds.students["student_id"])
    loaded, rejected, skipped = accounted(ds, DATA / "oneroster_11_bulk" / "results.csv")
    assert (loaded, rejected, skipped) == (0, 0, 7)        # no targets: skipped, and said how
    assert any("line_item_targets=" in n for n in notes)


def test_oneroster_11_bulk_then_delta():
    ds, _ = quietly(load_oneroster, [DATA / "oneroster_11_bulk", DATA / "oneroster_11_delta"],
                    errors="report", targets=GRADE3)
    ev = ds.evidence
    assert len(ev) == 3                                      # res-3 deleted by the delta
    ben = ev[ev["student_id"] == "usr-s2"]
    assert float(ben["score"].iloc[0]) == 3.0 and ben["date"].iloc[0] == pd.Timestamp("2025-10-06")


def test_oneroster_10_without_manifest():
    ds, notes = quietly(ck.load_dataset, DATA / "oneroster_10", errors="report")
    assert any("headers read as OneRoster 1.0" in n for n in notes)
    assert list(ds.students["student_id"]) == ["u-s1"]       # u-s2 is inactive (1.0: deleted)
    assert ds.students["birth_date"].iloc[0] == pd.Timestamp("2006-03-14")
    assert ds.classrooms["grade"].tolist() == [4] and ds.classrooms["teacher"].tolist() == ["Jane Doe"]
    assert ds.guardians["relationship"].tolist() == ["guardian"]
    assert len(ds.rejected) == 0


def test_oneroster_11_missing_column_is_judged_by_the_11_binding(tmp_path):
    copy = Path(shutil.copytree(DATA / "oneroster_11_bulk", tmp_path / "x"))
    li = pd.read_csv(copy / "lineItems.csv", dtype=str, keep_default_na=False)
    li.drop(columns="gradingPeriodSourcedId").to_csv(copy / "lineItems.csv", index=False)
    with pytest.raises(CoachkitDataError, match=r"missing column 'gradingPeriodSourcedId'.*"
                                                r"OneRoster 1.1 binding") as err:
        load_oneroster(copy)
    assert err.value.row == 1 and err.value.file.endswith("lineItems.csv")


@pytest.mark.parametrize("name", ["canvas_outcome_results/outcome_results.csv",
                                  "canvas_mastery_gradebook/learning_mastery_export.csv",
                                  "powerschool_standards/standard_grades.csv",
                                  "oneroster_11_bulk", "oneroster_10",
                                  "case_levels/sel_levels.json"])
def test_validate_says_what_it_detected_and_how_it_read_it(name):
    from coachkit.cli.validate import validate
    out = CliRunner().invoke(validate, [str(DATA / name)])
    assert "Traceback" not in out.output
    text = out.output
    assert ("detected a" in text) or ("OneRoster" in text) or ("categories read as" in text)
    if "oneroster_11" in name:
        assert "categories read as evidence kinds" in text and "'Tests & Quizzes' -> summative" in text
    if name.startswith("case_levels"):
        assert "detected a CASE 1.0 package" in text and "3 support items" in text
        assert "grade=3" in text and out.exit_code == 1
    if name.startswith("canvas_outcome"):
        assert "rows rejected" in text and "outcome score" in text and "rows skipped" in text


def test_a_dataset_folder_with_a_gradebook_export_in_place_of_evidence(tmp_path):
    (tmp_path / "schools.csv").write_text("school_id,name\nmv,Mesa Verde\n")
    (tmp_path / "classrooms.csv").write_text("classroom_id,school_id,grade,teacher\nc5,mv,5,Lena Begay\n")
    (tmp_path / "students.csv").write_text(
        "student_id,first_name,last_name,grade,classroom_id,school_id,ell,iep,home_language\n"
        "S1001,Ana,Soto,5,c5,mv,no,no,Spanish\nS1002,Leo,Begay,5,c5,mv,no,no,Navajo\n")
    (tmp_path / "targets.csv").write_text(
        "target_id,subject,grade,sequence,unit,code,statement\n"
        "t1,math,5,1,Fractions,5.NF.A.1,Add and subtract fractions\n"
        "t3,math,5,2,Fractions,5.NF.B.3,Interpret a fraction as division\n")
    shutil.copy(DATA / "powerschool_standards" / "standard_grades.csv", tmp_path / "q1_grades.csv")
    ds, notes = quietly(ck.load_dataset, tmp_path, errors="report")
    assert any("detected a PowerSchool" in n for n in notes)
    assert set(ds.evidence["target_id"]) == {"t1", "t3"}
    assert set(ds.evidence["student_id"]) == {"S1001", "S1002"}
    assert ds.students["home_language"].tolist() == ["Spanish", "Navajo"]     # the roster's
