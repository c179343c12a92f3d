"""The data talk's one-screen summary and the one-page decision sheet (issue 19 items 1, 2),
checked on tables and in a real Chromium: the summary at 1366×768 fits one screen, and
every classroom's decision sheet of the sample district at cycle 6 prints on one Letter page.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import coachkit as ck
from coachkit import progress, sheet, summary, talk
from coachkit.store import MeetingLog
from browser_helpers import browser  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
SCREEN = {"width": 1366, "height": 768}
INTERNAL_ID = re.compile(r"\b(?:MA|EL)\d\d-\d\d\b")   # target ids of the sample district


@pytest.fixture(scope="module")
def ds():
    return ck.load_dataset(DATA)


@pytest.fixture(scope="module")
def views(ds):
    return {c: talk.classroom_view(ds, c, 6, history=False)
            for c in sorted(ds.classrooms["classroom_id"])}


def pdf_pages(pdf: bytes) -> int:
    assert pdf[:4] == b"%PDF"
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def report_like(block: str) -> str:
    """The block in a page as wide as a report's (the offline template: 1100 px)."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><style>body "
            "{ max-width: 1100px; margin: 0 auto; font-family: Helvetica, Arial, sans-serif; }"
            f"</style></head><body>{block}</body></html>")


# ------------------------------------------------------------------ the summary's facts

def test_what_changed_counts_by_newly_mastered(ds):
    v = talk.classroom_view(ds, "S101-4A", 6)
    room = ds.classroom("S101-4A")
    args = talk.mastery_args(ds)
    now = progress.mastery(room.through_cycle(6).evidence, **args)
    before = progress.mastery(room.through_cycle(5).evidence, **args)
    new = progress.newly_mastered(now, before).merge(ds.targets[["target_id", "subject"]])
    changed = summary.what_changed(v).set_index("subject")
    for subject in ("math", "ela"):
        n = new[new["subject"] == subject]
        assert changed.loc[subject, "newly_mastered"] == len(n) > 0
        assert changed.loc[subject, "students_with_new"] == n["student_id"].nunique()
    # the same count the pace table carries (one definition everywhere)
    assert changed["newly_mastered"].sum() == v.pace["mastered_cycle"].sum()
    first = summary.what_changed(talk.classroom_view(ds, "S101-4A", 1))
    assert first["first_cycle"].all()
    assert "in this first cycle" in summary.html(summary.summary(
        talk.classroom_view(ds, "S101-4A", 1), ds=ds))


def test_summary_names_students_groups_and_a_friendly_line_without_a_log(ds, views):
    v = views["S101-1A"]
    s = summary.summary(v, None, ds=ds)
    stuck = talk.who_is_stuck(v)
    assert set(s.needs_us["student"]) == set(stuck["student"]) and len(stuck)
    for subject in v.subjects:
        assert (s.groups["subject"] == subject).sum() == v.groups[subject]["group"].nunique()
    page = summary.html(s)
    for name in stuck["student"]:
        assert name.replace("'", "&#x27;") in page
    # focus targets by code and statement, never an internal id; extension groups say so
    codes = s.groups["code"][s.groups["code"] != ""]
    assert all(c in page for c in codes) and not INTERNAL_ID.search(page)
    assert "extension" in page
    assert "first data talk on record" in page
    assert "the next school year" in page and "cycle 7" not in page
    for word in ("NaT", "True", "False", "nan", "None"):
        assert not re.search(rf"\b{word}\b", re.sub(r"<[^>]+>", " ", page)), word


def test_summary_opens_with_last_times_commitments(ds, tmp_path):
    log = MeetingLog(f"sqlite:///{tmp_path / 'log.db'}")
    m = log.start_meeting(school_id="S101", grade=3, classroom_id="S101-3A", cycle=5,
                          date="2026-02-27", attendees=["Coach Lee"])
    log.add_commitment(m, action="Fraction strips <b>daily</b> with group 2",
                       owner="Ms. Walker", due_cycle=6)
    v = talk.classroom_view(ds, "S101-3A", 6)
    s = summary.summary(v, log, ds=ds)
    assert s.commitments[["owner", "due"]].values.tolist() == [["Ms. Walker", "cycle 6"]]
    page = summary.html(s)
    assert "Fraction strips &lt;b&gt;daily&lt;/b&gt;" in page and "<b>daily" not in page
    empty = MeetingLog(f"sqlite:///{tmp_path / 'empty.db'}")
    assert "Nothing was committed" in summary.html(summary.summary(v, empty, ds=ds))


def test_due_dates_past_the_years_last_cycle_read_next_school_year(ds):
    assert summary.due_text(ds.cycles, 5) == "cycle 5"
    assert summary.due_text(ds.cycles, 7) == "the next school year"


# ------------------------------------------------------------------ summary in Chromium

@pytest.mark.browser
def test_summary_fits_one_screen_in_chromium(ds, views, browser, tmp_path):
    """Every classroom's summary at cycle 6, at 1366×768: the block (heading included)
    is no taller than the screen."""
    page = browser.new_page(viewport=SCREEN)
    heights = {}
    log = MeetingLog(f"sqlite:///{tmp_path / 'log.db'}")
    for room in ("S101-1A", "S101-KA"):        # the largest classrooms, with 4 commitments
        r = ds.classrooms.set_index("classroom_id").loc[room]
        m = log.start_meeting(school_id=r["school_id"], grade=int(r["grade"]),
                              classroom_id=room, cycle=5, date="2026-02-27")
        for i in range(5):
            log.add_commitment(m, action=f"Commitment {i}: small-group re-teach of the "
                               "focus target with manipulatives, three times a week",
                               owner="Ms. Allen", due_cycle=6)
    for room, v in views.items():
        file = tmp_path / f"{room}.html"
        file.write_text(report_like(summary.html(summary.summary(v, log, ds=ds),
                                                 sheet="x.decision-sheet.html")),
                        encoding="utf-8")
        page.goto(file.as_uri())
        box = page.locator(".ck-summary-block").bounding_box()
        heights[room] = box["height"]
        assert box["width"] <= SCREEN["width"]
    page.close()
    assert max(heights.values()) <= SCREEN["height"], heights
    assert min(heights.values()) > 200, heights          # it drew something


# ------------------------------------------------------------------ the decision sheet

def test_decision_sheet_holds_groups_students_and_commitments(ds, views, tmp_path):
    v = views["S101-1A"]
    html = sheet.page(v, None, ds=ds)
    names = v.names()
    s = summary.summary(v, None, ds=ds)
    for r in s.groups.itertuples():
        assert r.statement.replace("'", "&#39;") in html or r.statement in html
        members = v.groups[r.subject]
        for sid in members.loc[members["group"] == r.group, "student_id"]:
            assert names[str(sid)] in html
    # one blank planned-action line per named student, three blank commitment rows
    assert html.count('class="line"></span>') == s.needs_us["student_id"].nunique()
    assert html.count('<td class="due">the next school year</td>') == 3
    assert "cycle 7" not in html and not INTERNAL_ID.search(html)
    mid = sheet.page(talk.classroom_view(ds, "S101-1A", 3), None, ds=ds)
    assert mid.count('<td class="due">cycle 4</td>') == 3


def test_decision_sheet_escapes_text_from_data(ds, tmp_path):
    log = MeetingLog(f"sqlite:///{tmp_path / 'log.db'}")
    m = log.start_meeting(school_id="S101", grade=3, classroom_id="S101-3A", cycle=5,
                          date="2026-02-27")
    log.add_commitment(m, action="<script>alert(1)</script> re-teach", owner="Mr. <i>Ruiz</i>",
                       due_cycle=6)
    v = talk.classroom_view(ds, "S101-3A", 6)
    html = sheet.page(v, log, ds=ds)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Mr. &lt;i&gt;Ruiz&lt;/i&gt;" in html and "cycle 6" in html


@pytest.mark.browser
def test_every_decision_sheet_prints_on_one_letter_page(ds, views, browser, tmp_path):
    page = browser.new_page()
    pages = {}
    for room, v in views.items():
        file = sheet.write(v, tmp_path / f"{room}.decision-sheet.html", None, ds=ds)
        page.goto(file.as_uri())
        pages[room] = pdf_pages(page.pdf(format="Letter"))
    page.close()
    assert len(pages) == len(ds.classrooms) == 26
    assert set(pages.values()) == {1}, {k: n for k, n in pages.items() if n != 1}


@pytest.mark.browser
def test_overflowing_sheet_would_be_caught(ds, views, browser, tmp_path):
    """The page count is real: the same sheet with 40 note lines takes two pages."""
    v = views["S101-1A"]
    old = sheet.NOTE_LINES
    try:
        sheet.NOTE_LINES = 40
        file = sheet.write(v, tmp_path / "long.html", None, ds=ds)
    finally:
        sheet.NOTE_LINES = old
    page = browser.new_page()
    page.goto(file.as_uri())
    assert pdf_pages(page.pdf(format="Letter")) == 2
    page.close()


# ------------------------------------------------------------------ through the runner

@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_cycle_writes_the_sheet_beside_the_report_and_links_it(browser, tmp_path):
    from coachkit.runner import run_cycle
    out = tmp_path / "reports"
    result = run_cycle(DATA, cycle=6, out=out, classrooms=["S101-1A"], workers=1,
                       progress=False)
    assert result.failed == 0, [o.error for o in result.outcomes]
    report = out / "S101" / "S101-1A.html"
    sheet_file = out / "S101" / "S101-1A.decision-sheet.html"
    assert sheet_file.exists()
    page = browser.new_page(viewport=SCREEN)
    page.goto(report.as_uri())
    box = page.locator(".ck-summary-block").bounding_box()
    assert box["height"] <= SCREEN["height"], box
    link = page.locator(".ck-sheet-link a")
    assert link.get_attribute("href") == "S101-1A.decision-sheet.html"
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith("S101-1A.decision-sheet.html")
    assert pdf_pages(page.pdf(format="Letter")) == 1
    page.close()
