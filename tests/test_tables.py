"""coachkit.tables (tables for people, escaped) and coachkit.agenda (the data talk's times)."""
from __future__ import annotations

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from coachkit import agenda, tables


def _cells(html: str) -> tuple[list[str], list[list[str]]]:
    soup = BeautifulSoup(html, "html.parser")
    head = [th.get_text() for th in soup.select("thead th")]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in soup.select("tbody tr")]
    return head, rows


def test_text_from_data_is_escaped_everywhere():
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    df = pd.DataFrame({evil: [evil], "teacher": [evil]})
    html = tables.to_html(df, caption=evil, targets=None)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None
    head, rows = _cells(html)
    assert head == [evil, "teacher"] and rows == [[evil, evil]]        # shown as text
    assert soup.find("caption").get_text() == evil
    para = BeautifulSoup(tables.text_html(evil, heading=evil, strong=True), "html.parser")
    assert para.find("script") is None and para.find("h3").get_text() == evil


def test_tables_read_like_words():
    df = pd.DataFrame({
        "student": ["Ana Ruiz", "Luis Flores"],
        "mastered_cycle": [2, 0],
        "projected_date": [pd.Timestamp("2026-05-04"), pd.NaT],
        "on_track": [True, False],
        "share_mastered": [0.5, float("nan")],
        "focus_target_id": ["MA03-01", None],
    }, index=[17, 42])
    targets = pd.DataFrame({"target_id": ["MA03-01"], "code": ["3.OA.A.1"],
                            "statement": ["Interpret products of whole numbers"]})
    html = tables.to_html(df, targets=targets, na={"projected_date": "no pace yet"})
    head, rows = _cells(html)
    assert head == ["student", "targets mastered this cycle", "projected to finish the continuum",
                    "on track", "share of the grade's targets mastered", "focus target"]
    assert rows[0] == ["Ana Ruiz", "2", "May 4, 2026", "yes", "50%",
                       "3.OA.A.1 Interpret products of whole numbers"]
    assert rows[1] == ["Luis Flores", "0", "no pace yet", "no", "—", "—"]
    for word in ("NaT", "NaN", "True", "False", "None", "17", "42", "MA03-01"):
        assert word not in BeautifulSoup(html, "html.parser").get_text()


def test_long_names_are_never_cut():
    who = ", ".join(f"Student Number{i} Withaverylonglastname" for i in range(20))
    _, rows = _cells(tables.to_html(pd.DataFrame({"who": [who]})))
    assert rows == [[who]]


def test_empty_table_says_so_and_bad_input_is_refused():
    html = tables.to_html(pd.DataFrame(columns=["a"]), empty="Nobody yet.")
    assert "Nobody yet." in html and "<table" not in html
    with pytest.raises(ValueError, match="expected a DataFrame"):
        tables.to_html([1, 2])


def test_agenda_fits_the_meeting_and_takes_other_times():
    a = agenda.agenda()
    assert a["part"].tolist()[0] == "Get grounded" and a["minutes"].tolist() == [5, 10, 15, 10, 5]
    assert a["when"].iloc[-1] == "40–45 min"
    b = agenda.agenda({"interpret": 20})
    assert b["minutes"].sum() == 50 and b["when"].iloc[2] == "15–35 min"
    h = agenda.heading_html("interpret", {"interpret": 20})
    assert "3. Interpret" in h and "20 min" in h and "Prompt:" in h
    with pytest.raises(ValueError, match="expected parts"):
        agenda.durations({"lunch": 5})
    with pytest.raises(ValueError, match="whole number"):
        agenda.durations({"describe": 0})
