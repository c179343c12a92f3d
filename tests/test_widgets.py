"""The dashboard apps without a browser: build them, move their controls, read their
state; the dashboard notebooks under papermill; the dashboard command's pieces."""
from __future__ import annotations

import json

import pandas as pd
import pytest

import coachkit
import coachkit.caching
from coachkit import dashboard as dash
from coachkit.widgets import data as D
from coachkit.widgets import page
from coachkit.widgets.meeting import grade_meeting_app
from coachkit.widgets.principal import equity, principal_app

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DATA = str(ROOT / "sample_data" / "district")
PLOTLY = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="module")
def ds():
    return D.load(D.resolve(DATA))


def _spec(out):
    (o,) = out.outputs
    return o["data"][PLOTLY]


def _count(ds, classroom):
    return int((ds.students["classroom_id"] == classroom).sum())


def test_grade_meeting_follows_the_classroom(ds, tmp_path):
    app = grade_meeting_app(DATA, classroom="S101-3A", cycle=4, db=tmp_path / "log.db")
    assert app.state["rows"] == _count(ds, "S101-3A")
    assert f'data-rows="{_count(ds, "S101-3A")}"' in app.marker.value
    spec = _spec(app.outputs["wall"])
    assert spec["layout"]["meta"]["classroom"] == "S101-3A"
    assert len(spec["data"][0]["y"]) == _count(ds, "S101-3A")
    assert "scores" in str(spec["data"][0]["text"])                 # hover shows the evidence
    before = app.state["version"]
    app.controls["classroom"].value = "S101-KA"
    assert app.state["version"] == before + 1                       # one redraw, not several
    assert app.state["rows"] == _count(ds, "S101-KA") != _count(ds, "S101-3A")
    assert _spec(app.outputs["wall"])["layout"]["meta"]["classroom"] == "S101-KA"
    app.controls["school"].value = "S102"                           # school moves the classroom
    assert app.state["classroom"].startswith("S102-")
    app.controls["subject"].value = "ela"
    assert 'data-subject="ela"' in app.marker.value


def test_sliders_regroup_and_say_when_sizes_do_not_fit(tmp_path):
    app = grade_meeting_app(DATA, classroom="S101-3A", cycle=4, db=tmp_path / "log.db")
    wall_version = app.state["version"]
    app.controls["n_groups"].value = 5
    g = app.state["groups"]
    assert g["group"].nunique() == 5 and g.groupby("group").size().between(3, 6).all()
    assert app.state["version"] == wall_version                     # a slider leaves the wall
    assert "5 groups" in app.groups_text.value and "changed group" in app.groups_text.value
    assert "lowest group" in app.tracking.value
    app.controls["n_groups"].value = 2                              # 23 students, max 6: no
    assert app.state["groups"] is None and "do not work" in app.groups_text.value
    assert app.outputs["groups"].outputs == ()
    app.controls["min_size"].value = 8                              # min above max drags max
    assert app.controls["max_size"].value >= 8


def test_meeting_log_records_from_the_dashboard(tmp_path):
    from coachkit.store import MeetingLog
    db = f"sqlite:///{tmp_path / 'log.db'}"
    app = grade_meeting_app(DATA, classroom="S101-3A", cycle=4, db=db)
    app.record["attendees"].value = "Ms. Rivera, Coach Lee"
    assert app.record_observation("We notice most are on the third target", "notice").ok
    assert not app.record_observation("   ").ok
    assert "Not saved" in app.message.value
    assert app.record_commitment("Reteach 3.OA.A.3 in a small group", "Ms. Rivera", 5,
                                 [str(app.record["students"].options[0][1])]).ok
    assert app.adopt_groups().ok and 'data-ok="1"' in app.message.value
    log = MeetingLog(db)
    (m,) = log.find_meetings(classroom_id="S101-3A")
    assert m.cycle == 4 and m.attendees == ("Ms. Rivera", "Coach Lee")
    assert log.observations()["text"].tolist() == ["We notice most are on the third target"]
    assert len(log.commitments()) == 1
    assert len(log.group_decisions()) == len(app.state["groups"])
    app.controls["cycle"].value = 5                                 # next cycle opens with it
    assert "Reteach 3.OA.A.3" in app.last_time.value


def test_principal_dashboard_sections_and_takeaways(ds):
    app = principal_app(DATA, school="S101", cycle=6)
    t = app.state["takeaways"]
    assert set(t) == {"progress", "on_track", "growth", "equity", "fluidity", "survey"}
    # cycle 6 is the last of the year: a year-end result, not a plan still running
    assert t["progress"].startswith("At the end of the year")
    assert "expects" not in t["progress"]
    assert all(t.values())
    for key in ("progress", "on_track", "growth", "equity", "fluidity"):
        assert app.outputs[key].outputs, key
    app.controls["school"].value = "S103"
    assert 'data-school="S103"' in app.marker.value
    spec = _spec(app.outputs["progress"])
    grades = set(ds.classrooms.loc[ds.classrooms["school_id"] == "S103", "grade"])
    assert {x for tr in spec["data"] for x in tr["x"]} == {f"Grade {g}" for g in grades}
    app.controls["cycle"].value = 1
    assert "first cycle" in app.state["takeaways"]["growth"]


def test_principal_takeaway_matches_the_numbers():
    path = D.resolve(DATA)
    d = D.district(path, 3, "decaying_average")
    assert d.expected == pytest.approx(0.5, abs=0.02)               # 3 of 6 equal cycles
    from coachkit.widgets.principal import by_grade, progress_takeaway
    t = by_grade(d, "S101")
    s = d.students[(d.students["school_id"] == "S101")]
    g3 = s[(s["grade"] == 3) & (s["subject"] == "math")]
    row = t[(t["grade"] == 3) & (t["subject"] == "math")].iloc[0]
    assert row["share_mastered"] == pytest.approx(g3["share_mastered"].mean())
    assert row["n_students"] == g3["student_id"].nunique()
    text = progress_takeaway(t)
    assert "%" in text and "year plan" in text


def test_equity_view_suppresses_small_groups_and_their_complement():
    d = D.district(D.resolve(DATA), 6, "decaying_average")
    e = equity(d, "S101", min_n=10)
    small = e["n_students"] < 10
    assert small.any()                                              # O'odham speakers: 2
    assert (e.loc[small, "n_label"] == "hidden").all()
    assert e.loc[small, ["share_mastered", "share_on_track"]].isna().all().all()
    for (subj, fam), g in e.groupby(["subject", "family"]):
        if (g["n_students"] < 10).any():                            # its complement hidden too
            assert g["suppressed"].sum() >= 2
    # a hidden group's real count is never on the page, small or not (issue 17.7)
    assert (e.loc[e["suppressed"], "n_label"] == "hidden").all()
    shown = e[~e["suppressed"]]
    assert (shown["n_students"] >= 10).all() and shown["share_mastered"].notna().all()
    assert (shown["n_label"] == shown["n_students"].astype(str)).all()


def test_caches_are_registered_and_cleared():
    principal_app(DATA, school="S102", cycle=6)
    assert D.load in coachkit.caching.registered() and D.district in coachkit.caching.registered()
    assert D.load.cache_info().currsize >= 1
    coachkit.caching.clear()
    assert D.load.cache_info().currsize == 0 and D.district.cache_info().currsize == 0


def test_parameters_from_the_query_string(monkeypatch):
    defaults = dict(data=None, classroom=None, cycle=6, method="decaying_average", db=None)
    p = page.parameters(defaults, "classroom=S102-7A&cycle=4&data=/etc&db=sqlite:///x&evil=1")
    assert p == dict(defaults, classroom="S102-7A", cycle=4)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    for k in ("VOILA_KERNEL_ID", "VOILA_REQUEST_URL", "VOILA_APP_PORT"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("QUERY_STRING", "classroom=S102-7A")
    assert page.parameters(defaults) == defaults                  # not under Voila: no URL
    page.wait_for_request()                                         # returns at once
    assert page.warm(DATA, dashboard="principal") is None           # only preheated kernels warm


def test_bad_url_values_become_a_message():
    with pytest.raises(ValueError, match="unknown classroom"):
        grade_meeting_app(DATA, classroom="NOPE")
    box = page.error_box(ValueError("unknown classroom 'NOPE'"))
    assert "unknown classroom" in box.value


def test_voila_command_binds_loopback_and_needs_a_token_elsewhere(tmp_path):
    cmd = dash.voila_command(port=1234)
    assert "--Voila.ip=127.0.0.1" in cmd and "--preheat_kernel=True" in cmd
    with pytest.raises(ValueError, match="token"):
        dash.voila_command(port=1234, ip="0.0.0.0")
    assert "--token=abc" in dash.voila_command(port=1234, ip="0.0.0.0", token="abc")
    assert "--show_tracebacks=False" in dash.voila_command(port=1, ip="0.0.0.0", token="t")
    out = dash.offline_template(tmp_path) / "voila" / "templates" / "coachkit"
    assert {"conf.json", "index.html.j2", "page.html", "base_page.html"} <= {p.name for p in out.iterdir()}
    assert not any("cdn.jsdelivr" in p.read_text() for p in out.iterdir())


def test_dashboard_command_help():
    from click.testing import CliRunner

    from coachkit.cli import main
    r = CliRunner().invoke(main, ["dashboard", "--help"])
    assert r.exit_code == 0 and "--no-browser" in r.output and "--base-url" in r.output


@pytest.mark.slow
@pytest.mark.parametrize("name,params,expect", [
    ("principal_dashboard", {"school": "S102", "cycle": 5}, 'data-school="S102"'),
    ("grade_meeting", {"classroom": "S102-7A", "cycle": 4}, 'data-classroom="S102-7A"'),
])
def test_dashboard_notebooks_run_static_under_papermill(tmp_path, name, params, expect):
    import papermill as pm
    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "dashboards" / f"{name}.ipynb"), str(out),
                        parameters=dict(params, data=DATA, interactive=False),
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any(PLOTLY in o.get("data", {}) for o in outputs)         # static figures
    assert any(expect in "".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


def test_dashboard_notebooks_are_committed_without_outputs():
    for path in (ROOT / "notebooks" / "dashboards").glob("*.ipynb"):
        nb = json.loads(path.read_text())
        cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells), path
        assert "parameters" in cells[0]["metadata"].get("tags", []), path


def test_dashboards_use_the_policy_method_and_say_it_in_words(tmp_path):
    import shutil
    # the sample district: decaying average, no method picker on either page
    app = principal_app(DATA, school="S101", cycle=6)
    assert "method" not in app.controls
    assert "Mastery: decaying average, as set in the district policy" in app.method_note.value
    meet = grade_meeting_app(DATA, classroom="S101-3A", cycle=4, db=tmp_path / "log.db")
    assert "method" not in meet.controls
    assert "as set in the district policy" in meet.method_note.value
    assert 'data-method="decaying_average"' in meet.marker.value
    # a district whose policy says "highest": both pages follow it
    d = tmp_path / "district"
    d.mkdir()
    for f in Path(DATA).glob("*.csv"):
        shutil.copy(f, d / f.name)
    (d / "coachkit.toml").write_text('[mastery]\nmethod = "highest"\n', encoding="utf-8")
    app = principal_app(d, school="S101", cycle=3)
    assert app.state["method"] == "highest" and 'data-method="highest"' in app.marker.value
    assert "Mastery: highest, as set in the district policy" in app.method_note.value
    meet = grade_meeting_app(d, classroom="S101-3A", cycle=3, db=tmp_path / "log2.db")
    assert meet.state["method"] == "highest"
    want = coachkit.progress.mastery(
        D.room(D.resolve(d), "S101-3A").evidence.pipe(
            lambda e: e[e["date"] <= D.cycle_end(D.load(D.resolve(d)), 3)]), method="highest")
    assert D.room_mastery(D.resolve(d), "S101-3A", 3, "highest")["mastered"].sum() \
        == want["mastered"].sum()
    # the comparison stays available to an analyst, and says it is not the policy's
    an = principal_app(d, school="S101", cycle=3, analyst=True)
    an.controls["method"].value = "decaying_average"
    assert an.state["method"] == "decaying_average"
    assert "chosen for this comparison (the district policy uses highest)" in an.method_note.value


def test_grade_dashboard_sets_and_removes_a_level_by_hand(tmp_path):
    from coachkit.store import MeetingLog
    db = f"sqlite:///{tmp_path / 'log.db'}"
    app = grade_meeting_app(DATA, classroom="S101-4A", cycle=6, db=db)
    before_groups = app.state["groups"].copy()
    before_wall = _spec(app.outputs["wall"])
    row = before_groups[before_groups["focus_target_id"].notna()].iloc[0]
    sid, tid = str(row["student_id"]), str(row["focus_target_id"])
    # pickers work by id; labels are names told apart, and code + statement
    assert sid in {v for _, v in app.record["level_student"].options}
    label = dict((v, k) for k, v in app.record["level_target"].options)[tid]
    code = D.load(D.resolve(DATA)).targets.set_index("target_id").loc[tid, "code"]
    assert label.startswith(f"{code} ") and len(label) > len(code) + 5
    assert not app.set_level(sid, tid, 3.5, author="", reason="observed in conference").ok
    out = app.set_level(sid, tid, 3.5, author="Ms. Rivera", reason="observed in conference")
    assert out.ok and 'data-ok="1"' in app.message.value
    (ov,) = MeetingLog(db).level_overrides().itertuples()
    assert (ov.student_id, ov.target_id, ov.level, ov.author) == (sid, tid, 3.5, "Ms. Rivera")
    day = pd.Timestamp(ov.date)
    note = f"set by Ms. Rivera on {day.month}/{day.day}: observed in conference"
    # the data wall shows the override as such, in the i-show colour
    spec = _spec(app.outputs["wall"])
    assert note in str(spec["data"][0]["text"]) and note not in str(before_wall["data"][0]["text"])
    assert note in app.record["levels"].value
    m = D.room_mastery(D.resolve(DATA), "S101-4A", 6, app.method, app.state["overrides"])
    hit = m[(m["student_id"].astype(str) == sid) & (m["target_id"].astype(str) == tid)].iloc[0]
    assert hit["stage"] == "i-show" and hit["mastery"] == 3.5
    # the groups no longer ask the student to work on it
    g = app.state["groups"]
    assert not ((g["student_id"].astype(str) == sid) & (g["focus_target_id"] == tid)).any()
    # removing it restores the computed level everywhere
    assert app.remove_level(sid, tid, by="Ms. Rivera").ok
    assert not len(MeetingLog(db).level_overrides())
    assert note not in str(_spec(app.outputs["wall"])["data"][0]["text"])
    pd.testing.assert_frame_equal(app.state["groups"], before_groups)
    assert app.record["levels"].value == ""
