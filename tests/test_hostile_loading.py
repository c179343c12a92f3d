"""Hostile and broken files at every loader door (issues 17.3-17.5, 18.1).

Each unreadable file is a CoachkitDataError naming the file, the row and the fix; each
unreadable value is a rejected row naming file, row, column and value, and rows in = rows
loaded + rows rejected. No pandas, pyarrow or zip error reaches the caller.
"""
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import coachkit as ck
from coachkit.io import save_dataset
from coachkit.io.pipeline import MAX_COLUMNS, coerce_table
from coachkit.io.read import EncodingNotice

LA = "America/Los_Angeles"
EVIDENCE_HEADER = "student_id,target_id,date,score,kind\n"


def _evidence(district_folder, small_district, dates):
    """An evidence file whose rows use real students and targets, one per date."""
    sid, tid = small_district.students["student_id"].iloc[0], small_district.targets["target_id"].iloc[0]
    body = "".join(f"{sid},{tid},{d},3,retake\n" for d in dates)
    (district_folder / "evidence.csv").write_text(EVIDENCE_HEADER + body, encoding="utf-8")
    return len(dates)


def _rows_balance(ds, table, rows_in):
    rejected = int((ds.rejected["table"] == table).sum())
    assert rows_in == len(getattr(ds, table)) + rejected


# --- issue 18.1: instants with offsets become the district's local date -------------------

def test_offsets_and_z_become_local_dates(district_folder, small_district):
    dates = ["2025-10-03T20:30:00-07:00",      # a retake at 20:30 in Los Angeles
             "2025-09-01T00:00:00.000Z",       # midnight UTC is still Aug 31 in LA
             "2025-10-03T14:05:00-07:00",
             "2025-10-04T05:00:00+02:00",      # mixed offsets in one column
             "2025-10-05"]
    n = _evidence(district_folder, small_district, dates)
    ds = ck.load_dataset(district_folder, errors="report", time_zone=LA)
    assert ds.evidence["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-10-03", "2025-08-31", "2025-10-03", "2025-10-03", "2025-10-05"]
    assert str(ds.evidence["date"].dtype) == "datetime64[ns]"
    _rows_balance(ds, "evidence", n)
    berlin = ck.load_dataset(district_folder, time_zone="Europe/Berlin")
    # the same 20:30 retake is already the next morning in Berlin
    assert berlin.evidence["date"].dt.strftime("%Y-%m-%d").iloc[0] == "2025-10-04"


def test_a_wrong_time_zone_name_is_refused(district_folder):
    with pytest.raises(ValueError, match="time_zone: expected an IANA time zone"):
        ck.load_dataset(district_folder, time_zone="Mars/Olympus")


def test_bad_and_out_of_range_dates_are_rejected_rows_not_raises(district_folder, small_district):
    dates = ["2025-10-03", "9999-12-31", "0001-01-01", "2025-13-45T10:00:00Z", "soon"]
    n = _evidence(district_folder, small_district, dates)
    ds = ck.load_dataset(district_folder, errors="report", time_zone=LA)
    rej = ds.rejected[ds.rejected["table"] == "evidence"]
    assert rej["row"].tolist() == [3, 4, 5, 6]
    assert (rej["column"] == "date").all()
    assert rej["value"].tolist() == dates[1:]
    assert rej["file"].str.endswith("evidence.csv").all()
    assert rej["reason"].str.contains("YYYY-MM-DD").all()
    _rows_balance(ds, "evidence", n)
    with pytest.raises(ck.CoachkitDataError) as err:
        ck.load_dataset(district_folder, time_zone=LA)
    assert err.value.row == 3 and err.value.column == "date" and err.value.found == "9999-12-31"


def test_time_zone_aware_and_out_of_range_parquet_dates(tmp_path, small_district):
    district_folder = save_dataset(small_district, tmp_path / "pq", format="parquet")
    ev = pd.read_parquet(district_folder / "evidence.parquet").head(3)
    ev["date"] = pd.to_datetime(["2025-10-04T03:30:00Z", "2025-09-01T00:00:00Z",
                                 "2025-09-02T12:00:00Z"], utc=True)
    ev.to_parquet(district_folder / "evidence.parquet")
    ds = ck.load_dataset(district_folder, errors="report", time_zone=LA)
    assert ds.evidence["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-10-03", "2025-08-31", "2025-09-02"]
    ev["date"] = pd.Series(pd.to_datetime(["2025-10-04", "9999-12-31", "0001-01-01"],
                                          format="ISO8601")).astype("datetime64[s]")
    ev.to_parquet(district_folder / "evidence.parquet")
    ds = ck.load_dataset(district_folder, errors="report", time_zone=LA)
    rej = ds.rejected[ds.rejected["table"] == "evidence"]
    assert rej["row"].tolist() == [3, 4] and (rej["column"] == "date").all()
    _rows_balance(ds, "evidence", 3)


def test_sql_timestamps_with_time_zone_become_local_dates(tmp_path, small_district):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    ev = small_district.evidence.head(2).copy()
    ev["date"] = ["2025-10-03T20:30:00-07:00", "2025-09-01T00:00:00Z"]
    ck.io.save_sql(small_district.replace(evidence=ev), url)
    ds = ck.io.load_sql(url, time_zone=LA)
    assert ds.evidence["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-10-03", "2025-08-31"]


# --- issue 17.3: unreadable files are clear errors -----------------------------------------

def _broken(district_folder, name, data: bytes | None):
    path = district_folder / name
    for old in district_folder.glob(path.stem + ".*"):
        old.unlink()
    if data is None:
        path.mkdir()
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("name, data, says", [
    ("students.csv", b"", "the file is empty"),
    ("students.csv", b"\xef\xbb\xbf\r\n  \n", "the file is empty"),
    ("students.csv", bytes(range(256)) * 40, "binary data"),
    ("students.csv", b"PK\x03\x04" + b"\x00" * 200, "zip archive"),
    ("students.xlsx", b"PK\x03\x04 not really a workbook", "Excel workbook"),
    ("students.xlsx", b"student_id,first_name\n1,Ana\n", "Excel workbook"),
    ("evidence.parquet", b"PAR1" + b"\x13" * 100 + b"PAR1", "Parquet file"),
    ("cycles.csv", None, "is a folder"),
])
@pytest.mark.parametrize("errors", ["raise", "report"])
def test_unreadable_files_are_clear_errors(district_folder, name, data, says, errors):
    path = _broken(district_folder, name, data)
    with pytest.raises(ck.CoachkitDataError) as err:
        ck.load_dataset(district_folder, errors=errors)
    assert says in str(err.value)
    assert err.value.file == str(path)
    assert str(path) in str(err.value)
    assert "; " in str(err.value)       # the fix follows the finding


def test_a_workbook_that_is_not_one_is_a_clear_error(tmp_path):
    book = tmp_path / "district.xlsx"
    book.write_bytes(b"\x00\x01garbage")
    with pytest.raises(ck.CoachkitDataError, match="save it again as .xlsx"):
        ck.load_dataset(book, errors="report")


def test_an_unclosed_quote_names_its_row_and_column(district_folder):
    (district_folder / "schools.csv").write_text(
        'school_id,name\nS1,"Lincoln\nS2,Adams\nS3,Grant\n', encoding="utf-8")
    with pytest.raises(ck.CoachkitDataError) as err:
        ck.load_dataset(district_folder, errors="report")
    e = err.value
    assert (e.row, e.column) == (2, "name")
    assert "never closes" in str(e) and "schools.csv, row 2, column 'name'" in str(e)


def test_ragged_rows_are_rejected_rows(district_folder):
    st = pd.read_csv(district_folder / "students.csv", dtype=str, keep_default_na=False)
    lines = (district_folder / "students.csv").read_text(encoding="utf-8").splitlines()
    lines[3] += ",surplus,cells"              # row 4: two cells too many
    lines[5] = ",".join(lines[5].split(",")[:-2])   # row 6: two short: padded
    (district_folder / "students.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = ck.load_dataset(district_folder, errors="report")
    rej = ds.rejected[ds.rejected["table"] == "students"]
    assert 4 in rej["row"].tolist()
    four = rej[rej["row"] == 4].iloc[0]
    assert "header has" in four["reason"] and four["value"] == "surplus, cells"
    assert four["file"].endswith("students.csv")
    _rows_balance(ds, "students", len(st))


def test_load_table_and_validate_cli_never_show_a_traceback(district_folder):
    from click.testing import CliRunner

    from coachkit.cli import main
    _broken(district_folder, "targets.csv", bytes(range(256)) * 10)
    with pytest.raises(ck.CoachkitDataError):
        ck.load_table(district_folder / "targets.csv", errors="report")
    res = CliRunner().invoke(main, ["validate", str(district_folder)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "targets.csv" in res.output and "binary data" in res.output


# --- issue 17.4: a wide header is linear, with a documented bound -------------------------

def _wide_evidence(path, n_extra):
    names = [f"c{i:06d}" for i in range(n_extra)]
    path.write_text(EVIDENCE_HEADER.strip() + "," + ",".join(names) + "\n"
                    + "1,T,2025-09-01,3,retake" + ",x" * n_extra + "\n"
                    + "2,T,2025-09-02,2,retake" + ",y" * n_extra + "\n", encoding="utf-8")
    return names


def test_a_hundred_thousand_columns_load_in_under_five_seconds(tmp_path):
    p = tmp_path / "evidence.csv"
    names = _wide_evidence(p, MAX_COLUMNS - 5)
    start = time.perf_counter()
    df = ck.load_table(p, errors="report")
    took = time.perf_counter() - start
    assert df.shape == (2, MAX_COLUMNS) and not len(df.attrs["rejected"])
    assert df[names[-1]].tolist() == ["x", "y"] and df["score"].tolist() == [3.0, 2.0]
    assert took < 5, f"{took:.1f} s"


def test_coercion_is_linear_in_columns():
    def timed(n):
        raw = pd.DataFrame(np.full((50, n), "x", dtype=object),
                           columns=["student_id", "target_id", "date", "score", "kind"]
                           + [f"v{i}" for i in range(n - 5)], dtype=object)
        raw["date"], raw["score"], raw["kind"] = "2025-09-01", "3", "retake"
        start = time.perf_counter()
        df, _ = coerce_table(raw, "evidence", file="wide.csv")
        assert df.shape == (50, n)
        return time.perf_counter() - start
    small_district, big = timed(2_000), timed(40_000)
    assert big < 2 and big < 40 * max(small_district, 0.005), (small_district, big)


def test_a_one_megabyte_header_is_refused_quickly(tmp_path):
    p = tmp_path / "evidence.csv"
    _wide_evidence(p, 150_000)                    # a header of about 1.2 MB
    assert p.stat().st_size > 1_000_000
    start = time.perf_counter()
    with pytest.raises(ck.CoachkitDataError) as err:
        ck.load_table(p, errors="report")
    assert time.perf_counter() - start < 5
    assert f"at most {MAX_COLUMNS:,} columns" in str(err.value) and err.value.row == 1


def test_messages_list_headers_as_the_file_has_them_and_cut_short(tmp_path):
    p = tmp_path / "evidence.csv"
    p.write_text("Student ID,Target-ID,Score,Kind," + ",".join(f"x{i}" for i in range(500))
                 + "\n", encoding="utf-8")
    with pytest.raises(ck.CoachkitDataError) as err:
        ck.load_table(p)
    msg = str(err.value)
    assert "missing column 'date'" in msg and "Student ID, Target-ID" in msg
    assert "(504 columns)" in msg and len(msg) < 1000


# --- issue 17.5: mixed encodings and thousands separators ---------------------------------

def test_one_windows_1252_row_does_not_garble_the_utf8_rows(district_folder):
    text = (district_folder / "students.csv").read_text(encoding="utf-8").splitlines()
    header, rows = text[0], text[1:]
    cut = [r.split(",") for r in rows]
    i_fn, i_ln = header.split(",").index("first_name"), header.split(",").index("last_name")
    cut[0][i_ln], cut[1][i_ln], cut[2][i_fn] = "Hernández", "Muñoz", "Zoë"
    data = (header + "\n").encode("utf-8")
    for k, r in enumerate(cut):
        data += (",".join(r) + "\n").encode("cp1252" if k == 1 else "utf-8")
    (district_folder / "students.csv").write_bytes(data)
    assert ck.io.detect_encoding(district_folder / "students.csv") == "mixed"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = ck.load_dataset(district_folder, errors="report")
    names = ds.students.set_index("student_id")
    ids = [r[header.split(",").index("student_id")] for r in cut[:3]]
    assert names.loc[ids[0], "last_name"] == "Hernández"
    assert names.loc[ids[1], "last_name"] == "Muñoz"
    assert names.loc[ids[2], "first_name"] == "Zoë"
    assert not ds.students["last_name"].str.contains("Ã").any()
    assert any(issubclass(w.category, EncodingNotice) and "students.csv" in str(w.message)
               for w in caught)
    _rows_balance(ds, "students", len(rows))


def test_bytes_neither_utf8_nor_windows_1252_reject_their_row(district_folder):
    lines = (district_folder / "schools.csv").read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b",", b",\x81\x8d", 1)   # undefined in Windows-1252
    (district_folder / "schools.csv").write_bytes(b"".join(lines))
    ds = ck.load_dataset(district_folder, errors="report")
    rej = ds.rejected[ds.rejected["table"] == "schools"]
    assert rej["row"].tolist() == [2]
    assert "neither UTF-8 nor Windows-1252" in rej["reason"].iloc[0]


@pytest.mark.parametrize("cell, value", [("1,364", 1364.0), ("12,345.5", 12345.5),
                                         ("1.364,5", 1364.5), ("1364", 1364.0),
                                         ("205,5", 205.5)])
def test_thousands_separators_are_read_not_misread(tmp_path, cell, value):
    p = tmp_path / "diagnostics.csv"
    p.write_text(f'student_id,subject,domain,date,scale_score,placement\n'
                 f'1,math,number,2025-09-01,"{cell}",on grade\n', encoding="utf-8")
    df = ck.load_table(p)
    assert df["scale_score"].iloc[0] == pytest.approx(value)


@pytest.mark.parametrize("cell", ["1,36,4", "12,34,567", "2,500"])
def test_ambiguous_or_out_of_range_comma_numbers_are_rejected(tmp_path, cell):
    p = tmp_path / "evidence.csv"
    p.write_text(f'{EVIDENCE_HEADER}1,T1,2025-09-01,"{cell}",retake\n', encoding="utf-8")
    df = ck.load_table(p, errors="report")
    assert len(df) == 0
    rej = df.attrs["rejected"]
    assert rej["row"].tolist() == [2] and rej["column"].tolist() == ["score"]
    # a misplaced comma does not parse; "2,500" reads as 2,500, far above the scale
    assert rej["value"].tolist() == [2500.0 if cell == "2,500" else cell]


def test_a_file_that_is_not_a_database_and_a_broken_view_are_clear_errors(tmp_path, small_district):
    import sqlalchemy as sa
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ck.CoachkitDataError, match="could not read the database"):
        ck.load_dataset(f"sqlite:///{junk}", errors="report")
    url = f"sqlite:///{tmp_path / 'd.db'}"
    ck.io.save_sql(small_district, url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE targets"))
        conn.execute(sa.text("CREATE TABLE gone (target_id TEXT)"))
        conn.execute(sa.text("CREATE VIEW targets AS SELECT * FROM gone"))
        conn.execute(sa.text("DROP TABLE gone"))
    engine.dispose()
    with pytest.raises(ck.CoachkitDataError) as err:
        ck.load_dataset(url, errors="report")
    assert "could not read targets" in str(err.value) and err.value.table == "targets"


# --- mutations: whatever the bytes, a result or a CoachkitDataError, never a raw error -----

STUDENTS = ("student_id,first_name,last_name,grade,classroom_id,school_id,ell,iep,"
            "home_language,birth_date\n1,Ana,Hernández,3,C1,S1,no,no,Spanish,2015-03-09\n"
            "2,Bo,\"Lee, Jr\",K,C1,S1,yes,no,English,3/9/2015\n").encode("utf-8")
PIECES = [b",", b"\"", b"\n", b"\r", b"\x00", b"\xff", b"\xe9", b"\xc3", b"T20:30:00-07:00",
          b"9999-12-31", b"Z", b"\t", b";", b"1,364", bytes(range(128, 160))]


def _mutate(data: bytes, seed: int) -> bytes:
    import random
    rnd, out = random.Random(seed), bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        i = rnd.randrange(len(out) + 1)
        if rnd.random() < 0.6:
            out[i:i] = rnd.choice(PIECES)
        else:
            del out[i:i + rnd.randint(1, 5)]
    return bytes(out)


def _damage(data: bytes, seed: int) -> bytes:
    import random
    rnd, out = random.Random(seed), bytearray(data)
    if seed % 3 == 0:
        return bytes(out[:rnd.randrange(len(out))])
    for _ in range(rnd.randint(1, 10)):
        out[rnd.randrange(len(out))] = rnd.randrange(256)
    return bytes(out)


def _load_or_clear_error(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = ck.load_table(path, errors="report")
        except ck.CoachkitDataError as err:
            assert err.file == str(path) and str(path) in str(err)
            return None
    rej = df.attrs["rejected"]
    assert rej["file"].eq(str(path)).all() and rej["row"].notna().all()
    return df


def test_mutated_csv_files_load_or_fail_clearly(tmp_path):
    p = tmp_path / "students.csv"
    for seed in range(120):
        p.write_bytes(_mutate(STUDENTS, seed))
        _load_or_clear_error(p)


@pytest.mark.parametrize("suffix", ["parquet", "xlsx"])
def test_damaged_parquet_and_workbooks_load_or_fail_clearly(tmp_path, suffix):
    df = pd.DataFrame({"school_id": ["S1", "S2"], "name": ["Adams", "Núñez"]})
    good = tmp_path / f"good.{suffix}"
    df.to_parquet(good) if suffix == "parquet" else df.to_excel(good, index=False)
    p = tmp_path / f"schools.{suffix}"
    for seed in range(60):
        p.write_bytes(_damage(good.read_bytes(), seed))
        _load_or_clear_error(p)


def test_diagnostics_with_offsets_in_a_custom_date_format(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text("ID,When,Score\n1,03/10/2025 20:30 -0700,401\n2,01/09/2025 00:00 +0000,\"1,364\"\n"
                 "3,someday,400\n", encoding="utf-8")
    mapping = {"vendor": "Acme", "columns": {"student_id": "ID", "date": "When",
                                             "scale_score": "Score"},
               "constants": {"subject": "math", "domain": "overall"},
               "date_format": "%d/%m/%Y %H:%M %z"}
    df = ck.io.load_diagnostics(p, mapping, errors="report", time_zone=LA)
    assert df["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-10-03", "2025-08-31"]
    assert df["scale_score"].tolist() == [401.0, 1364.0]
    rej = df.attrs["rejected"]
    assert rej["row"].tolist() == [4] and rej["column"].tolist() == ["When"]
    assert rej["value"].tolist() == ["someday"]


def test_validate_notes_a_mixed_encoding_file(district_folder):
    from click.testing import CliRunner

    from coachkit.cli import main
    lines = (district_folder / "schools.csv").read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].rstrip(b"\r\n") + " Peña".encode("cp1252") + b"\n"
    lines[2] = lines[2].rstrip(b"\r\n") + " Núñez".encode("utf-8") + b"\n"
    (district_folder / "schools.csv").write_bytes(b"".join(lines))
    res = CliRunner().invoke(main, ["validate", str(district_folder)])
    assert "Traceback" not in res.output
    assert "schools.csv: some rows are UTF-8 and some Windows-1252" in res.output
    ds = ck.load_dataset(district_folder, errors="report")
    assert ds.schools["name"].str.endswith(" Peña").sum() == 1
    assert ds.schools["name"].str.endswith(" Núñez").sum() == 1
