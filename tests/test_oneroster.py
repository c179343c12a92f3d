"""OneRoster 1.2 CSV: hand-made spec-following exports, deviations, malformed files, round trips."""
from __future__ import annotations

import shutil
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import coachkit as ck
from coachkit.errors import CoachkitDataError
from coachkit.io.oneroster import (OneRosterNotice, OneRosterWarning, load_oneroster,
                                   read_manifest, write_oneroster)

pytestmark = [pytest.mark.filterwarnings("ignore::coachkit.io.oneroster.OneRosterWarning"),
              pytest.mark.filterwarnings("ignore::coachkit.io.oneroster.OneRosterNotice")]
DATA = Path(__file__).parent / "data" / "oneroster"
A = "3ebc9c31-4a5f-4d6e-9f2a-3b4c5d6e7f80"   # 3.OA.A.1 in tests/data/case/grade3_math.json
B = "4fcdad42-5b6a-4e7f-8a3b-4c5d6e7f8091"   # 3.OA.A.2
C = "50debe53-6c7b-4f80-9b4c-5d6e7f8091a2"   # 3.OA.A.3
D = "61efcf64-7d8c-4091-8c5d-6e7f8091a2b3"   # 3.NBT.A.1


@pytest.fixture
def bulk(tmp_path) -> Path:
    return Path(shutil.copytree(DATA / "bulk", tmp_path / "bulk"))


def load(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_oneroster(path, **kw)
    return ds, [str(w.message) for w in caught if issubclass(w.category, (OneRosterWarning, OneRosterNotice))]


def edit(path: Path, old: str, new: str):
    raw = path.read_bytes()
    assert old.encode() in raw, old
    path.write_bytes(raw.replace(old.encode(), new.encode()))


def test_manifest_follows_the_binding():
    props = read_manifest(DATA / "bulk")
    assert props["manifest.version"] == "1.0" and props["oneroster.version"] == "1.2"
    assert props["file.users"] == "bulk" and props["file.userProfiles"] == "absent"
    assert sum(k.startswith("file.") for k in props) == 21


def test_bulk_export_into_canonical_tables():
    ds, warned = load(DATA / "bulk")
    assert len(ds.rejected) == 0
    assert ds.schools.to_dict("records") == [{"school_id": "org-mv", "name": "Mesa Verde Elementary"}]
    rooms = ds.classrooms.set_index("classroom_id")
    assert rooms.loc["cls-hr3a", "teacher"] == "Lena Begay" and pd.isna(rooms.loc["cls-hr3a", "subject"])
    assert rooms.loc["cls-m3a", "subject"] == "math" and (rooms["grade"] == 3).all()
    st = ds.students.set_index("student_id")
    assert list(st.index) == ["u-s1", "u-s2", "u-s3"]            # the teacher is no student
    assert (st["classroom_id"] == "cls-hr3a").all()                # the homeroom wins
    assert st.loc["u-s2", "first_name"] == "Ben"                   # preferredGivenName
    assert st.loc["u-s1", "ell"] and not st.loc["u-s1", "iep"] and st.loc["u-s2", "iep"]
    assert st.loc["u-s2", "home_language"] == "Navajo"
    assert st.loc["u-s3", "birth_date"] == pd.Timestamp("2015-11-30")
    # targets from the CASE package in the export, ordered by the tree and `precedes`
    assert list(ds.targets["target_id"]) == [A, B, D, C]
    assert list(ds.targets["sequence"]) == [1, 2, 3, 4]
    # evidence: rubric text and percent scores mapped through the score scales,
    # result-level objectives override the line item's, exempt and unaligned results skipped
    ev = ds.evidence
    got = [(s, t, float(x), k) for s, t, x, k in zip(ev["student_id"], ev["target_id"], ev["score"], ev["kind"])]
    assert got == [("u-s1", A, 3.0, "formative"), ("u-s2", A, 2.0, "formative"),
                   ("u-s1", B, 3.0, "summative"), ("u-s1", C, 3.0, "summative"),
                   ("u-s3", B, 4.0, "summative"), ("u-s3", C, 2.0, "summative")]
    assert (ev["source"] == "Mesa SIS").all()
    assert ds.cycles["end"].tolist() == [pd.Timestamp("2025-09-14"), pd.Timestamp("2025-10-26")]
    assert any("exempt" in w for w in warned) and any("no target for its line item" in w for w in warned)
    ds.validate()
    with warnings.catch_warnings():                 # the fixture follows the binding strictly
        warnings.simplefilter("error", OneRosterWarning)
        load_oneroster(DATA / "bulk")


def test_zip_and_load_dataset_dispatch(tmp_path):
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as out:
        for p in (DATA / "bulk").iterdir():
            out.write(p, p.name)
    ds = ck.load_dataset(z, errors="report")
    assert len(ds.students) == 3 and len(ds.evidence) == 6
    assert ck.load_dataset(DATA / "bulk").summary().set_index("table").at["evidence", "rows"] == 6


def test_delta_after_bulk_adds_and_deletes():
    ds, warned = load([DATA / "bulk", DATA / "delta"])
    assert list(ds.students["student_id"]) == ["u-s1", "u-s2", "u-s4"]   # u-s3 tobedeleted
    new = ds.students.set_index("student_id").loc["u-s4"]
    assert new["classroom_id"] == "cls-hr3a" and new["ell"] and new["home_language"] == "Navajo"
    assert "u-s3" not in set(ds.evidence["student_id"])                    # removed with her
    last = ds.evidence.iloc[-1]
    assert (last["student_id"], last["target_id"], float(last["score"])) == ("u-s4", A, 4.0)
    assert len(ds.rejected) == 0 and any("tobedeleted" in w for w in warned)


def test_crlf_bom_file_is_read(bulk):
    raw = (bulk / "users.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsourcedId,") and b"\r\n" in raw
    ds, _ = load(bulk)
    assert ds.students["student_id"].iloc[0] == "u-s1"


def test_optional_columns_absent(bulk):
    users = pd.read_csv(bulk / "users.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    users[["sourcedId", "enabledUser", "username", "givenName", "familyName"]].to_csv(
        bulk / "users.csv", index=False)
    (bulk / "demographics.csv").unlink()
    edit(bulk / "manifest.csv", "file.demographics,bulk", "file.demographics,absent")
    ds, warned = load(bulk)
    assert list(ds.students["student_id"]) == ["u-s1", "u-s2", "u-s3"]
    assert (ds.students["grade"] == 3).all()                       # from the class
    assert not ds.students["ell"].any() and (ds.students["home_language"] == "unknown").all()
    assert any("optional columns absent" in w for w in warned)
    assert any("no ell, iep, home_language column" in w for w in warned)


def test_extra_vendor_columns_and_header_case(bulk):
    edit(bulk / "classes.csv", "sourcedId,status", "SourcedId,status")
    text = (bulk / "orgs.csv").read_text().splitlines()
    (bulk / "orgs.csv").write_text("\n".join([text[0] + ",NCES_Locale"] + [r + ",41" for r in text[1:]]) + "\n")
    ds, warned = load(bulk)
    assert len(ds.classrooms) == 2 and len(ds.rejected) == 0
    assert any("header case differs" in w for w in warned)
    assert any("NCES_Locale" in w and "metadata." in w for w in warned)


def test_windows_1252_export_is_read_with_a_warning(bulk):
    edit(bulk / "users.csv", "Yazzie", "Pe\xf1a")
    (bulk / "users.csv").write_bytes((bulk / "users.csv").read_bytes().decode("utf-8-sig").encode("cp1252"))
    ds, warned = load(bulk)
    assert "Peña" in set(ds.students["last_name"])
    assert any("Windows-1252" in w for w in warned)


def test_bad_guid_reference_names_file_row_and_field(bulk):
    edit(bulk / "enrollments.csv", "e-u-s2-m,,,cls-m3a", "e-u-s2-m,,,cls-nope")
    with pytest.raises(CoachkitDataError) as err:
        load_oneroster(bulk)
    e = err.value
    assert e.file.endswith("enrollments.csv") and e.row == 6 and e.column == "classSourcedId"
    assert e.found == "cls-nope" and "bad GUID reference" in str(e) and "enrollments.csv, row 6" in str(e)
    ds, _ = load(bulk, errors="report")          # the rest still loads
    assert len(ds.students) == 3
    rej = ds.rejected.iloc[0]
    assert (rej["table"], rej["row"], rej["column"]) == ("enrollments", 6, "classSourcedId")


def test_unknown_score_scale_names_file_row_and_field(bulk):
    edit(bulk / "lineItemScoreScales.csv", "li-2,ss-percent", "li-2,ss-nope")
    with pytest.raises(CoachkitDataError) as err:
        load_oneroster(bulk)
    e = err.value
    assert e.file.endswith("lineItemScoreScales.csv") and e.row == 3
    assert e.column == "scoreScaleSourcedId" and "scoreScales.csv" in str(e)


def test_score_not_on_the_scale_rejects_the_result(bulk):
    edit(bulk / "results.csv", "Meets", "Meets!!")
    with pytest.raises(CoachkitDataError, match=r"results.csv, row 2, column 'textScore'.*ss-rubric"):
        load_oneroster(bulk)
    (bulk / "lineItemScoreScales.csv").write_text(
        "sourcedId,status,dateLastModified,title,lineItemSourcedId,scoreScaleSourcedId\n"
        "lss-1,,,,li-1,ss-rubric\n")
    edit(bulk / "results.csv", "Meets!!", "Meets")
    ds, _ = load(bulk, errors="report")           # li-2 now has two scales on its class: none applies
    rej = ds.rejected[ds.rejected["table"] == "evidence"]
    assert set(rej["row"]) == {5, 6} and rej["reason"].str.contains("0-100 line item").all()
    assert len(ds.evidence) == 2 and len(ds.evidence) + len(rej) == 4


def test_missing_manifest_reads_the_version_from_the_headers(bulk, tmp_path):
    (bulk / "manifest.csv").unlink()
    ds, warned = load(bulk, errors="report")
    assert any("no manifest.csv; the headers read as OneRoster 1.2" in w for w in warned)
    full, _ = load(DATA / "bulk", errors="report")
    assert (len(ds.students), len(ds.evidence)) == (len(full.students), len(full.evidence))
    z = tmp_path / "nomanifest.zip"
    with zipfile.ZipFile(z, "w") as out:
        out.write(bulk / "case.json", "notes.json")     # nothing OneRoster in it
    with pytest.raises(CoachkitDataError, match="no manifest.csv") as err:
        ck.load_dataset(z)
    assert err.value.file.endswith("manifest.csv") and err.value.column == "propertyName"


def test_wrong_version_and_listed_file_missing(bulk):
    edit(bulk / "manifest.csv", "oneroster.version,1.2", "oneroster.version,2.0")
    with pytest.raises(CoachkitDataError) as err:
        load_oneroster(bulk)
    assert (err.value.row, err.value.column, err.value.found) == (3, "value", "2.0")
    edit(bulk / "manifest.csv", "oneroster.version,2.0", "oneroster.version,1.2")
    (bulk / "categories.csv").unlink()
    with pytest.raises(CoachkitDataError, match="lists categories.csv as bulk"):
        load_oneroster(bulk)


def test_missing_required_column(bulk):
    df = pd.read_csv(bulk / "results.csv", dtype=str, keep_default_na=False).drop(columns="scoreDate")
    df.to_csv(bulk / "results.csv", index=False)
    with pytest.raises(CoachkitDataError, match="missing column 'scoreDate'") as err:
        load_oneroster(bulk)
    assert err.value.row == 1 and err.value.file.endswith("results.csv")


def test_delta_rows_need_status(tmp_path):
    delta = Path(shutil.copytree(DATA / "delta", tmp_path / "delta"))
    edit(delta / "roles.csv", "r-u-s4,active,", "r-u-s4,,")
    with pytest.raises(CoachkitDataError, match="required in a delta file") as err:
        load_oneroster([DATA / "bulk", delta])
    assert err.value.file.endswith("roles.csv") and err.value.column == "status"


def test_without_case_package_targets_come_from_line_items(bulk):
    (bulk / "case.json").unlink()
    ds, warned = load(bulk)
    assert set(ds.targets["target_id"]) == {A, B, C}
    assert ds.targets.set_index("target_id").at[A, "statement"] == "Equal groups exit ticket"
    assert any("no CASE package" in w for w in warned)
    ds2, _ = load(bulk, targets=Path(__file__).parent / "data" / "case" / "grade3_math.json")
    assert list(ds2.targets["code"]) == ["3.OA.A.1", "3.OA.A.2", "3.NBT.A.1", "3.OA.A.3"]


CANONICAL = ["schools", "classrooms", "students", "targets", "evidence", "cycles"]


@pytest.mark.parametrize("target", ["folder", "export.zip"])
def test_round_trip_canonical_oneroster_canonical(tmp_path, target):
    from coachkit.sample import make_district
    ds = make_district(13, seed=3)
    out = write_oneroster(ds, tmp_path / target)
    manifest = read_manifest(out)
    assert manifest["oneroster.version"] == "1.2" and manifest["file.results"] == "bulk"
    users = pd.read_csv(out / "users.csv" if out.is_dir() else zipfile.ZipFile(out).open("users.csv"),
                        dtype=str, keep_default_na=False)
    assert "role" not in users.columns                       # 1.2: roles live in roles.csv
    back, warned = load(out)
    warned = [w for w in warned if not w.startswith("categories read as evidence kinds")]
    assert not warned and len(back.rejected) == 0
    for name in CANONICAL:
        a = getattr(ds, name).reset_index(drop=True)
        if name == "targets":       # OneRoster has no place for a statement's translations
            a = a.drop(columns=["statement_es", "student_statement", "student_statement_es"])
        pd.testing.assert_frame_equal(a, getattr(back, name)[list(a.columns)], obj=name)


def test_a_bad_optional_reference_is_a_notice_not_a_cascade(bulk):
    edit(bulk / "orgs.csv", "school,040000100123,org-district", "school,040000100123,org-gone")
    ds, warned = load(bulk, errors="report")
    full, _ = load(DATA / "bulk", errors="report")
    assert len(ds.rejected) == 0
    for name in ("schools", "classrooms", "students", "evidence"):
        assert len(getattr(ds, name)) == len(getattr(full, name)), name
    assert any("parentSourcedId that is not in orgs.csv" in w and "'org-gone'" in w for w in warned)


def test_a_student_whose_enrollments_were_rejected_is_rejected_for_that_reason(bulk):
    # u-s2's two enrollments both point at a class that is not there
    edit(bulk / "enrollments.csv", "e-u-s2-m,,,cls-m3a", "e-u-s2-m,,,cls-nope")
    edit(bulk / "enrollments.csv", "e-u-s2-hr,,,cls-hr3a", "e-u-s2-hr,,,cls-nope")
    ds, _ = load(bulk, errors="report")
    st = ds.rejected[ds.rejected["table"] == "students"]
    assert len(st) == 1 and st.iloc[0]["value"] == "u-s2"
    assert "enrollment" in st.iloc[0]["reason"] and "enrollments.csv row" in st.iloc[0]["reason"]
    assert not ds.rejected["reason"].str.contains("classroom_id: empty cell").any()


def test_teachers_are_staff_not_students(bulk):
    ds, _ = load(bulk, errors="report")
    assert "u-t1" in set(ds.staff["staff_id"]) and "u-t1" not in set(ds.students["student_id"])
    assert set(ds.enrollments["role"]) == {"teacher", "student"}
    users = pd.read_csv(bulk / "users.csv", dtype=str, keep_default_na=False)
    users.loc[users["sourcedId"] == "u-t1", "givenName"] = ""
    users.to_csv(bulk / "users.csv", index=False)
    ds, _ = load(bulk, errors="report")
    rej = ds.rejected[ds.rejected["column"] == "givenName"]     # a teacher's row: not "students"
    assert set(rej["table"]) == {"users"} and len(rej) == 1


def test_a_district_kind_file_overrides_the_word_map(bulk):
    ds, warned = load(bulk, errors="report")
    assert any("'Homework' -> formative (word 'homework')" in w for w in warned)
    (bulk / "category_kinds.csv").write_text("category,kind\nHOMEWORK!,observation\n")
    ds, warned = load(bulk, errors="report")
    assert any("'Homework' -> observation (district map" in w for w in warned)
    (bulk / "category_kinds.csv").write_text("category,kind\nHomework,quiz-ish\n")
    with pytest.raises(CoachkitDataError, match=r"row 2, column 'kind'.*quiz-ish"):
        load_oneroster(bulk)


def test_score_dates_with_an_offset_become_the_districts_local_day(tmp_path):
    """A retake submitted at 20:30 -07:00 keeps its day in Los Angeles and is the next day
    in Berlin; a Z instant likewise follows the district's zone (issue: real exports)."""
    import shutil
    from pathlib import Path
    src = Path(__file__).parent / "data" / "oneroster" / "bulk"
    export = tmp_path / "bulk"
    shutil.copytree(src, export)
    results = export / "results.csv"
    lines = results.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("2025-08-19", "2025-10-03T20:30:00-07:00")
    lines[2] = lines[2].replace("2025-08-19", "2025-10-04T02:00:00.000Z")
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        la = ck.load_dataset(export, errors="report", time_zone="America/Los_Angeles")
        berlin = ck.load_dataset(export, errors="report", time_zone="Europe/Berlin")

    def days(ds, student):
        ev = ds.evidence[ds.evidence["student_id"].astype(str) == student]
        return sorted(ev["date"].dt.strftime("%Y-%m-%d"))
    for student in ("u-s1", "u-s2"):
        a, b = days(la, student), days(berlin, student)
        assert len(a) == len(b)
        # the only day that differs is the planted instant's
        assert [x for x in a if x not in b] == ["2025-10-03"]
        assert [x for x in b if x not in a] == ["2025-10-04"]
    with pytest.raises(ValueError, match="time_zone: expected an IANA time zone name"):
        ck.load_dataset(export, time_zone="Mars/Olympus")
