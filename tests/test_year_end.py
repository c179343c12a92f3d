"""The end of the year is the end (issue 16.8): at the last cycle, commitments are due the
next school year and no "cycle 7" exists anywhere: not in the data talk's view, not in the
grade dashboard's due options, not in the meeting log, its export or `coachkit log`."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import text

import coachkit as ck
from coachkit import talk
from coachkit.cli import main
from coachkit.store import NEXT_YEAR, MeetingLog
from coachkit.store.migrate import upgrade

from store_helpers import db_url, pg_db  # noqa: F401  (fixtures)

DATA = Path(__file__).resolve().parents[1] / "sample_data" / "district"
ROOM, LAST = "S101-4A", 6
SEVEN = re.compile(r"cycle\W{0,3}7\b|due[_ ]?(?:by )?(?:cycle)?\W{0,3}7\b", re.I)


@pytest.fixture(scope="module")
def ds():
    return ck.load_dataset(DATA)


def _no_seven(obj, where):
    """No "cycle 7" in any text and no 7 in any column about cycles."""
    if isinstance(obj, pd.DataFrame):
        for c in obj.columns:
            if "cycle" in str(c) or "due" in str(c):
                vals = pd.to_numeric(obj[c], errors="coerce")
                assert not (vals == LAST + 1).any(), (where, c)
        for c in obj.select_dtypes(include=["object", "string"]).columns:
            bad = obj[c].astype(str).str.contains(SEVEN)
            assert not bad.any(), (where, c, obj.loc[bad, c].head(2).tolist())
    elif isinstance(obj, pd.Series):
        _no_seven(obj.to_frame().T.astype(object), where)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _no_seven(v, f"{where}[{k}]")
    elif isinstance(obj, str):
        assert not SEVEN.search(obj), (where, obj)


def _log_at_year_end(ds, url):
    log = MeetingLog(url, dataset=ds)
    m = log.start_meeting(school_id="S101", grade=4, classroom_id=ROOM, cycle=LAST,
                          attendees=["Ms. Rivera"])
    sid = str(ds.students.loc[ds.students["classroom_id"] == ROOM, "student_id"].iloc[0])
    default = log.add_commitment(m, action="Summer reading plan", owner="Ms. Rivera",
                                 student_ids=[sid])
    asked = log.add_commitment(m, action="Hand the groups to grade 5", owner="Coach Lee",
                               due_cycle=NEXT_YEAR)
    return log, m, default, asked


def test_the_data_talk_at_the_last_cycle_has_no_cycle_after_it(ds, tmp_path):
    view = talk.classroom_view(ds, ROOM, LAST)
    for f in dataclasses.fields(view):
        _no_seven(getattr(view, f.name), f.name)
    assert talk.next_period(ds.cycles, LAST) == "the next school year (after the summer)"
    log, *_ = _log_at_year_end(ds, f"sqlite:///{tmp_path / 'log.db'}")
    nxt = talk.classroom_view(ds, ROOM, LAST)
    c, changes = talk.last_time(nxt, log)               # nothing before cycle 6's meeting
    _no_seven(c, "last_time")


def test_commitments_at_the_last_cycle_are_due_next_year_in_the_log(ds, db_url):
    log, m, default, asked = _log_at_year_end(ds, db_url)
    c = log.commitments()
    assert c["due_cycle"].isna().all() and (c["due"] == NEXT_YEAR).all()
    _no_seven(c, "commitments")
    _no_seven(log.commitment_students(), "commitment_students")
    with pytest.raises(ck.CoachkitDataError, match="no cycle after the last"):
        log.add_commitment(m, action="x", owner="y", due_cycle=LAST + 1)
    # an earlier meeting still defaults to the next cycle
    m4 = log.start_meeting(school_id="S101", grade=4, classroom_id=ROOM, cycle=4)
    cid = log.add_commitment(m4, action="Reteach", owner="Ms. Rivera")
    row = log.commitments().set_index("commitment_id").loc[cid]
    assert row["due_cycle"] == 5 and row["due"] == "cycle 5"


def test_export_import_and_the_cli_say_next_school_year(ds, tmp_path):
    db = f"sqlite:///{tmp_path / 'log.db'}"
    log, *_ = _log_at_year_end(ds, db)
    log.export(tmp_path / "log.json")
    doc = json.loads((tmp_path / "log.json").read_text(encoding="utf-8"))
    assert [r["due_cycle"] for r in doc["tables"]["commitments"]] == [None, None]
    assert not SEVEN.search(json.dumps(doc))
    log.export(tmp_path / "csv")
    for f in (tmp_path / "csv").glob("*.csv"):
        assert not SEVEN.search(f.read_text(encoding="utf-8-sig")), f
    copy = MeetingLog(tmp_path / "copy.db", dataset=ds)
    copy.import_(tmp_path / "log.json")
    assert copy.commitments()["due"].tolist() == [NEXT_YEAR, NEXT_YEAR]
    run = CliRunner().invoke
    for fmt in ("table", "csv", "json"):
        r = run(main, ["log", "--db", db, "list", "commitments", "--format", fmt])
        assert r.exit_code == 0, r.output
        assert NEXT_YEAR in r.output and not SEVEN.search(r.output), r.output
        assert "<NA>" not in r.output and "NaN" not in r.output
    mid = log.meetings()["meeting_id"].iloc[0]
    r = run(main, ["log", "--db", db, "--dataset", str(DATA), "add", "commitment", mid,
                   "--action", "Plan the fall", "--owner", "Coach Lee", "--next-year"])
    assert r.exit_code == 0, r.output
    r = run(main, ["log", "--db", db, "--dataset", str(DATA), "add", "commitment", mid,
                   "--action", "x", "--owner", "y", "--due-cycle", "7"])
    assert r.exit_code == 1 and "next school year" in r.output
    assert MeetingLog(db).commitments()["due_cycle"].isna().all()


def test_the_grade_dashboard_offers_only_next_school_year_at_the_last_cycle(tmp_path):
    from coachkit.widgets.meeting import grade_meeting_app
    db = f"sqlite:///{tmp_path / 'log.db'}"
    app = grade_meeting_app(str(DATA), classroom=ROOM, cycle=LAST, db=db)
    assert app.record["due"].options == ((NEXT_YEAR, NEXT_YEAR),)
    assert app.record_commitment("Summer reading plan", "Ms. Rivera",
                                 app.record["due"].value).ok
    (c,) = MeetingLog(db).commitments().itertuples()
    assert pd.isna(c.due_cycle) and c.due == NEXT_YEAR
    _no_seven(app.record["adopt_label"].value, "adopt label")
    app.controls["cycle"].value = 5
    assert [v for _, v in app.record["due"].options] == [6]


def test_a_log_from_before_0005_that_stored_next_year_as_cycle_7_upgrades(db_url):
    log = MeetingLog(db_url)
    m6 = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=6)
    m3 = log.start_meeting(school_id="S1", grade=3, classroom_id="C2", cycle=3)
    year_end = log.add_commitment(m6, action="summer", owner="A", due_cycle=7)
    mid_year = log.add_commitment(m3, action="reteach", owner="A", due_cycle=4)
    with log.engine.begin() as c:                      # as 0004 left it
        c.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    assert upgrade(log.engine) == "0005"
    due = MeetingLog(db_url).commitments().set_index("commitment_id")["due"]
    assert due[year_end] == NEXT_YEAR and due[mid_year] == "cycle 4"
