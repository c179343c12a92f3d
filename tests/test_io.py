"""Loading real-looking exports: encodings, dates, level words, bad rows, clear errors."""
import csv
import io

import numpy as np
import pandas as pd
import pytest

import coachkit as ck
from coachkit.io import save_dataset

NAMES = [("José", "Muñoz"), ("María", "Peña"), ("Iñaki", "Núñez"), ("Zoë", "Quiñones")]


def _students_csv(encoding: str) -> bytes:
    rows = ["student_id,first_name,last_name,grade,classroom_id,school_id,ell,iep,home_language"]
    rows += [f"{i},{f},{l},3,C1,S1,no,no,Spanish" for i, (f, l) in enumerate(NAMES, 1)]
    return "\r\n".join(rows).encode(encoding)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_names_come_through_exactly(tmp_path, encoding):
    p = tmp_path / "students.csv"
    p.write_bytes(_students_csv(encoding))
    df = ck.load_table(p)
    assert list(zip(df["first_name"], df["last_name"])) == NAMES
    assert df.columns[0] == "student_id"          # no BOM glued to the first header


def test_windows_1252_is_detected_not_guessed_as_utf8(tmp_path):
    p = tmp_path / "students.csv"
    p.write_bytes(_students_csv("cp1252"))
    assert ck.io.detect_encoding(p) == "cp1252"
    p.write_bytes(_students_csv("utf-8-sig"))
    assert ck.io.detect_encoding(p) == "utf-8-sig"


def test_headers_in_other_case_and_with_spaces(tmp_path):
    p = tmp_path / "evidence.csv"
    p.write_text("Student ID, Target-ID ,DATE,Score,Kind\n1,T1,2025-09-02,3,summative\n")
    df = ck.load_table(p)
    assert list(df.columns[:5]) == ["student_id", "target_id", "date", "score", "kind"]


def test_dates_iso_and_us_and_scores_as_numbers_words_and_stages(tmp_path):
    p = tmp_path / "evidence.csv"
    p.write_text(
        "student_id,target_id,date,score,kind\n"
        "1,T1,2025-09-02,3,summative\n"
        "1,T1,9/3/2025,3.0,retake\n"
        "1,T1,09/04/2025,2.5,formative\n"
        "1,T1,2025-09-05,Proficient,observation\n"
        "1,T1,2025-09-06,developing,self\n"
        "1,T1,2025-09-07,i-show,formative\n"
        "1,T1,2025-09-08,EXTENDING,formative\n")
    df = ck.load_table(p)
    assert df["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-09-02", "2025-09-03", "2025-09-04", "2025-09-05", "2025-09-06",
        "2025-09-07", "2025-09-08"]
    assert df["score"].tolist() == [3.0, 3.0, 2.5, 3.0, 2.0, 3.0, 4.0]


def _hundred_rows_three_bad(district_folder):
    ev = pd.read_csv(district_folder / "evidence.csv", dtype=str).head(100)
    ev.loc[10, "score"] = "seven"           # not a score
    ev.loc[40, "date"] = "2025-02-30"       # no such day
    ev.loc[70, "target_id"] = "NOT-A-TARGET"  # unknown reference
    ev.to_csv(district_folder / "evidence.csv", index=False)
    return ev


def test_three_bad_rows_of_a_hundred_load_97_and_report_3(district_folder):
    _hundred_rows_three_bad(district_folder)
    ds = ck.load_dataset(district_folder, errors="report")
    assert len(ds.evidence) == 97
    rej = ds.rejected[ds.rejected["table"] == "evidence"]
    assert len(rej) == 3
    # spreadsheet rows: header is row 1, data row i (0-based) is row i + 2
    assert rej["row"].tolist() == [12, 42, 72]
    assert rej["column"].tolist() == ["score", "date", "target_id"]
    assert rej["value"].tolist() == ["seven", "2025-02-30", "NOT-A-TARGET"]
    assert rej["reason"].str.len().min() > 20
    assert "unknown target_id" in rej["reason"].iloc[2]
    assert rej["file"].str.endswith("evidence.csv").all()


def test_rows_in_equal_rows_loaded_plus_rejected(district_folder):
    _hundred_rows_three_bad(district_folder)
    st = pd.read_csv(district_folder / "students.csv", dtype=str)
    st.loc[3, "grade"] = "13"   # beyond K-12? grade reads as a number; 13 passes parse
    st.loc[5, "ell"] = "maybe"
    st.to_csv(district_folder / "students.csv", index=False)
    ds = ck.load_dataset(district_folder, errors="report")
    for name in ck.TABLES:
        path = district_folder / f"{name}.csv"
        if path.exists():
            rows_in = len(pd.read_csv(path, dtype=str))
            rejected = (ds.rejected["table"] == name).sum()
            assert rows_in == len(getattr(ds, name)) + rejected, name


def test_raise_mode_names_file_row_column_found_and_expected(district_folder):
    _hundred_rows_three_bad(district_folder)
    with pytest.raises(ck.CoachkitDataError) as err:
        ck.load_dataset(district_folder)
    e = err.value
    assert e.file.endswith("evidence.csv") and e.row == 12 and e.column == "score"
    assert e.found == "seven"
    msg = str(e)
    assert "evidence.csv" in msg and "row 12" in msg and "'score'" in msg and "'seven'" in msg
    assert "expected a score 1-4" in msg


def test_unknown_target_error_names_file_row_and_column(district_folder):
    ev = pd.read_csv(district_folder / "evidence.csv", dtype=str)
    ev.loc[4, "target_id"] = "XX-01"
    ev.to_csv(district_folder / "evidence.csv", index=False)
    with pytest.raises(ck.CoachkitDataError) as err:
        ck.load_dataset(district_folder)
    msg = str(err.value)
    assert "evidence.csv" in msg and "row 6" in msg and "'target_id'" in msg and "XX-01" in msg
    assert "not in targets.target_id" in msg


def test_missing_column_error_names_file_column_and_the_fix(district_folder):
    ev = pd.read_csv(district_folder / "evidence.csv", dtype=str).drop(columns=["score"])
    ev.to_csv(district_folder / "evidence.csv", index=False)
    for errors in ("raise", "report"):   # a missing column can't be rejected row by row
        with pytest.raises(ck.CoachkitDataError) as err:
            ck.load_dataset(district_folder, errors=errors)
        msg = str(err.value)
        assert "evidence.csv" in msg and "missing column 'score'" in msg and "row 1" in msg
        assert err.value.column == "score" and err.value.row == 1
        assert "add a 'score' column" in msg


def test_missing_core_table_is_named(district_folder):
    (district_folder / "targets.csv").unlink()
    with pytest.raises(ck.CoachkitDataError, match="no targets table"):
        ck.load_dataset(district_folder)


def test_errors_argument_is_checked(district_folder):
    with pytest.raises(ValueError, match="errors must be one of"):
        ck.load_dataset(district_folder, errors="ignore")


def test_round_trip_csv_parquet_and_excel(tmp_path, small_district):
    csv_ds = ck.load_dataset(save_dataset(small_district, tmp_path / "csv"))
    pq_ds = ck.load_dataset(save_dataset(small_district, tmp_path / "pq", format="parquet"))
    for name in ("students", "evidence", "targets", "cycles"):
        a, b = getattr(csv_ds, name), getattr(pq_ds, name)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False)
    pd.testing.assert_series_equal(csv_ds.evidence["score"], small_district.evidence["score"])
    book = tmp_path / "district.xlsx"
    with pd.ExcelWriter(book) as xw:
        for name in ("schools", "classrooms", "students", "targets"):
            getattr(small_district, name).to_excel(xw, sheet_name=name, index=False)
        small_district.evidence.head(200).to_excel(xw, sheet_name="evidence", index=False)
    xl = ck.load_dataset(book)
    assert xl.students["last_name"].tolist() == small_district.students["last_name"].tolist()
    assert len(xl.evidence) == 200
