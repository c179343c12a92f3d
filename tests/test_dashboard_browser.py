"""`coachkit dashboard` in a real Chromium: pages draw, controls change what they show,
URL parameters pick the classroom, and the pages ask nothing of the internet.

The server is started once for the module (the real command, as a subprocess, on a free
loopback port); every request the browser makes to anything but 127.0.0.1 is refused and
fails the test (offline check).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coachkit import dashboard as dash
from browser_helpers import browser, keep_offline  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

WALL = ".ck-wall .js-plotly-plot"
WALL_META = "() => { const gd = document.querySelector('.ck-wall .js-plotly-plot');" \
            " return gd && gd._fullLayout ? {meta: gd.layout.meta," \
            " ticks: gd.querySelectorAll('.ytick').length} : null; }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`coachkit dashboard --no-browser --port P` on the sample district."""
    tmp = tmp_path_factory.mktemp("dashboard")
    port = dash.free_port()
    log = open(tmp / "cli.log", "wb")
    env = dict(os.environ, COACHKIT_DB=f"sqlite:///{tmp / 'log.db'}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "coachkit", "dashboard", "--no-browser", "--port", str(port),
         "--data", str(DATA), "--log", str(tmp / "voila.log")],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        dash.wait_until_up(url, proc, timeout=60)
        deadline = time.monotonic() + 90                 # both dashboards' kernels warm
        while "Dashboards warm" not in (tmp / "cli.log").read_text(errors="replace"):
            voila_log = (tmp / "voila.log").read_text(errors="replace")
            assert proc.poll() is None, voila_log[-3000:]
            assert "Error at server while executing cell" not in voila_log, voila_log[-3000:]
            assert time.monotonic() < deadline, "kernels did not warm within 90 s"
            time.sleep(0.3)
        yield url, tmp
    finally:
        os.kill(proc.pid, signal.SIGINT)                 # Ctrl-C stops it cleanly
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("coachkit dashboard did not stop on Ctrl-C")
        log.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    outside, errors = keep_offline(ctx, r"https?://127\.0\.0\.1[:/]|data:|blob:"), []
    pg = ctx.new_page()
    pg.on("console", lambda m: errors.append(m.text) if "require is not defined" in m.text else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not outside, f"the page tried to reach the internet: {outside}"
    assert not [e for e in errors if "require is not defined" in e], errors


def _students(classroom):
    import pandas as pd
    s = pd.read_csv(DATA / "students.csv", dtype=str)
    return int((s["classroom_id"] == classroom).sum())


def _wall(page, classroom, timeout=60_000):
    page.wait_for_function(
        "(c) => { const gd = document.querySelector('.ck-wall .js-plotly-plot');"
        " return gd && gd._fullLayout && gd.layout.meta && gd.layout.meta.classroom === c; }",
        arg=classroom, timeout=timeout)
    return page.evaluate(WALL_META)


def _marker_rows(page):
    return int(page.get_attribute(".ck-marker[data-chart=wall]", "data-rows"))


def test_root_links_to_the_dashboards(server, page):
    url, _ = server
    page.goto(url)
    hrefs = [a.get_attribute("href") for a in page.query_selector_all("a")]
    assert any("voila/render/principal_dashboard.ipynb" in h for h in hrefs), hrefs
    assert any("voila/render/grade_meeting.ipynb" in h for h in hrefs), hrefs


def test_grade_meeting_follows_the_classroom_dropdown(server, page, tmp_path):
    url, _ = server
    page.goto(dash.page_url(url, "grade meeting", "classroom=S101-3A"))
    first = _wall(page, "S101-3A")
    n = _students("S101-3A")
    assert first["meta"]["rows"] == n == first["ticks"] == _marker_rows(page)
    page.screenshot(path=str(tmp_path / "grade_meeting_S101-3A.png"))
    other = "S101-KA"
    assert _students(other) != n
    value = page.eval_on_selector(
        ".ck-classroom select",
        "(s, c) => [...s.options].find(o => o.textContent.startsWith(c)).value", other)
    page.select_option(".ck-classroom select", value)
    after = _wall(page, other, timeout=20_000)
    assert after["meta"]["rows"] == _students(other) == after["ticks"]
    page.wait_for_selector(f".ck-marker[data-classroom='{other}']")
    assert _marker_rows(page) == _students(other)
    assert page.inner_text(".ck-marker[data-chart=wall]").startswith(
        f"Data wall: {_students(other)} students")
    page.screenshot(path=str(tmp_path / f"grade_meeting_{other}.png"))


def test_url_picks_the_classroom_and_a_note_reaches_the_log(server, page, tmp_path):
    url, tmp = server
    page.goto(dash.page_url(url, "grade meeting", "classroom=S102-7A&cycle=4"))
    shown = _wall(page, "S102-7A")
    assert shown["meta"]["cycle"] == 4 and shown["meta"]["rows"] == _students("S102-7A")
    assert page.get_attribute(".ck-marker[data-chart=wall]", "data-classroom") == "S102-7A"
    page.screenshot(path=str(tmp_path / "grade_meeting_S102-7A.png"))
    page.fill(".ck-grade-meeting textarea", "We notice the class splits at 7.RP.A.2")
    page.click(".ck-observe button, button.ck-observe")
    page.wait_for_selector(".ck-message .ck-marker[data-ok='1']", timeout=20_000)
    from coachkit.store import MeetingLog
    obs = MeetingLog(f"sqlite:///{tmp / 'log.db'}").observations()
    assert "We notice the class splits at 7.RP.A.2" in obs["text"].tolist()


def test_principal_dashboard_draws_and_follows_the_school(server, page, tmp_path):
    url, _ = server
    page.goto(dash.page_url(url, "principal", "school=S101"))
    page.wait_for_selector(".ck-marker[data-chart=principal][data-school='S101']", timeout=60_000)
    page.wait_for_selector(".ck-takeaway")
    assert "year plan" in page.inner_text(".ck-principal")
    value = page.eval_on_selector(
        ".ck-principal select",
        "(s, c) => [...s.options].find(o => o.textContent.includes(c)).value", "(S103)")
    page.select_option(".ck-principal select >> nth=0", value)
    page.wait_for_selector(".ck-marker[data-chart=principal][data-school='S103']", timeout=20_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(gd => gd._fullLayout &&"
        " gd.data.some(t => (t.x || []).includes('Grade 12')))", timeout=20_000)
    page.screenshot(path=str(tmp_path / "principal_S103.png"), full_page=True)
