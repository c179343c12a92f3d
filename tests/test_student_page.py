"""The student's live page (coachkit.widgets.student): the profile and the kiosk form.
Values are set and buttons clicked as a student would; the records must land in the
meeting log with author and time and show on the profile at once; empty text is refused
in the student's language and writes nothing. The last test does the same in a real
Chromium against Voila serving notebooks/dashboards/learner_profile.ipynb."""
from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pandas as pd
import pytest

from coachkit import i18n
from coachkit.store import MeetingLog
from coachkit.widgets import learner_profile_app

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
SPANISH_STUDENT = "100001"         # home language Spanish in the sample district


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'log.db'}"


@pytest.fixture
def app(db):
    return learner_profile_app(DATA, student=SPANISH_STUDENT, db=db)


def _text(widget_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", widget_html))


def test_a_typed_goal_lands_in_the_log_and_on_the_page(app, db):
    assert app.language == "es"                                   # from the home language
    before = pd.Timestamp.now()
    app.goal["text"].value = "Leer 20 minutos cada noche 📚"
    app.goal["with_teacher"].value = True
    app.goal["save"].click()
    out = app.state["last_outcome"]
    assert out.ok and "data-ok=\"1\"" in app.message.value
    assert "¡Guardado!" in app.message.value
    goals = MeetingLog(db).goals(student_id=SPANISH_STUDENT)
    assert len(goals) == 1 and goals.loc[0, "goal_id"] == out.record_id
    g = goals.iloc[0]
    assert g["text"] == "Leer 20 minutos cada noche 📚" and g["set_by"] == "student and teacher"
    assert g["author"] == SPANISH_STUDENT and g["date"] == pd.Timestamp(dt.date.today())
    assert g["created_at"] >= before.floor("s") - pd.Timedelta("1min")
    assert "Leer 20 minutos cada noche 📚" in app.profile_view.value        # shown at once
    assert app.goal["text"].value == ""                                   # form cleared


def test_a_goal_on_a_target_not_yet_shown(app, db):
    options = app.goal["target"].options
    stages = dict(zip(app.current.targets["target_id"].astype(str),
                      app.current.targets["stage"].astype(str)))
    assert options[0][1] == "" and len(options) > 1
    assert all(stages[tid] != "i-show" for _, tid in options[1:])         # only open targets
    assert options[1][0].startswith("matemáticas")                       # math first, in Spanish
    tid = options[1][1]
    app.goal["target"].value = tid
    app.goal["save"].click()
    goals = MeetingLog(db).goals(student_id=SPANISH_STUDENT)
    assert goals["target_id"].tolist() == [tid] and goals["text"].isna().all()
    code = app.current.targets.set_index(app.current.targets["target_id"].astype(str)).loc[tid, "code"]
    section = app.profile_view.value.split('class="goals"')[1].split("</section>")[0]
    assert code in section


def test_a_plan_and_a_reflection(app, db):
    tid = app.plan["target"].options[2][1]
    app.show("plan")
    assert app.form_area.children == (app.plan["box"],)
    app.plan["target"].value = tid
    app.plan["actions"].value = "Practicar con bloques 10 minutos al día"
    app.plan["support"].value = "grupo pequeño los martes"
    app.plan["retake_date"].value = dt.date(2026, 4, 1)
    app.plan["helpers"].value = "Sra. Rivera, mi hermana"
    app.plan["save"].click()
    assert app.state["last_outcome"].ok
    app.choose["reflection"].click()
    assert app.form_area.children == (app.reflection["box"],)
    app.reflection["proud"].value = "Puedo explicar mi razonamiento"
    attr = app.reflection["portrait"].options[1][1]
    app.reflection["portrait"].value = attr
    app.reflection["save"].click()
    log = MeetingLog(db)
    plan = log.plans(student_id=SPANISH_STUDENT).iloc[0]
    assert (plan["target_id"], plan["retake_date"]) == (tid, pd.Timestamp("2026-04-01"))
    assert plan["helpers"] == "Sra. Rivera, mi hermana" and plan["author"] == SPANISH_STUDENT
    refl = log.reflections(student_id=SPANISH_STUDENT).iloc[0]
    assert refl["proud"] == "Puedo explicar mi razonamiento" and refl["portrait_attribute"] == attr
    assert pd.isna(refl["hard"])
    page = app.profile_view.value
    assert "Practicar con bloques" in page and "1 de abril de 2026" in page
    assert "Puedo explicar mi razonamiento" in page and attr in page


def test_empty_text_is_refused_kindly_and_nothing_is_written(app, db, tmp_path):
    app.goal["text"].value = "   "
    app.goal["save"].click()
    assert not app.state["last_outcome"].ok
    assert "Primero elige una meta o escribe tu objetivo." in _text(app.message.value)
    app.plan["target"].value = app.plan["target"].options[1][1]
    app.save_plan()
    assert "Primero escribe lo que vas a hacer." in _text(app.message.value)
    app.plan["target"].value = ""
    app.plan["actions"].value = "algo"
    app.save_plan()
    assert "Elige la meta de tu plan." in _text(app.message.value)
    app.save_reflection()
    assert "qué fue difícil" in _text(app.message.value)
    assert "Traceback" not in app.message.value and "column" not in app.message.value
    # reading and refusing never created the database
    assert not (tmp_path / "log.db").exists()


def test_what_the_store_refuses_is_a_friendly_message_too(app, db):
    app.goal["text"].value = "bad \x00 text"                 # NUL: refused by the store
    app.goal["save"].click()
    assert not app.state["last_outcome"].ok
    assert "Pide ayuda a tu maestro" in _text(app.message.value)
    assert MeetingLog(db).goals().empty


def test_the_spanish_form_has_no_english_phrase():
    app = learner_profile_app(DATA, student=SPANISH_STUDENT, db="sqlite:///:memory:")
    english = {p for p in _catalog_phrases() if i18n.t(p, "es") != p}
    import ipywidgets as W
    seen = []

    def walk(w):
        if w is app.profile_view:
            return
        if isinstance(w, W.HTML):
            seen.extend(html.unescape(x).strip() for x in re.split(r"<[^>]+>", w.value)
                        if x.strip() and "{" not in x)          # text nodes, not the <style>
        if isinstance(w, (W.Button, W.Checkbox)):
            seen.append(w.description)
        if isinstance(w, W.Dropdown) and w.options:
            seen.append(w.options[0][0])
        for c in getattr(w, "children", ()):
            walk(c)
    for form in (app.goal, app.plan, app.reflection):
        walk(form["box"])
    walk(app)
    assert "Guardar mi objetivo" in seen and "¿Qué quieres hacer?" in seen
    assert [s for s in seen if s in english] == []
    en = learner_profile_app(DATA, student=SPANISH_STUDENT, language="en", db="sqlite:///:memory:")
    assert en.goal["save"].description == "Save my goal"


def _catalog_phrases() -> set[str]:
    from babel.messages.pofile import read_po
    with (i18n.LOCALE_DIR / "coachkit.pot").open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_no_student_or_an_unknown_one():
    page = learner_profile_app(DATA, db="sqlite:///:memory:", language="es")
    assert "Pide a tu maestro" in page.children[1].value
    with pytest.raises(ValueError, match="student: expected a student_id"):
        learner_profile_app(DATA, student="nobody", db="sqlite:///:memory:")


def test_the_page_shows_only_its_student(db):
    log = MeetingLog(db)
    log.add_goal("100002", text="SOMEONE ELSE'S GOAL", author="100002")
    app = learner_profile_app(DATA, student=SPANISH_STUDENT, db=db)
    assert "SOMEONE ELSE" not in app.profile_view.value
    assert "Fernando Sánchez" in app.profile_view.value


def test_language_for_home_languages():
    assert i18n.language_for("Spanish") == "es" and i18n.language_for("español") == "es"
    assert i18n.language_for("English") == "en" and i18n.language_for("Vietnamese") == "en"
    assert i18n.language_for(None) == "en"


# ------------------------------------------------------------------ Voila, in Chromium

@pytest.fixture(scope="module")
def voila_server(tmp_path_factory):
    """Voila serving the dashboards folder (learner_profile.ipynb among them), started by
    the test on a free loopback port, with a meeting log of its own."""
    from coachkit import dashboard as dash
    tmp = tmp_path_factory.mktemp("learner")
    log = open(tmp / "voila.log", "wb")
    db = f"sqlite:///{tmp / 'log.db'}"
    proc, url = dash.start(DATA, preheat=False, log=log, env={"COACHKIT_DB": db})
    try:
        dash.wait_until_up(url, proc, timeout=60)
        yield url, db, tmp
    finally:
        dash.stop(proc)
        log.close()


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_in_chromium_a_typed_goal_is_saved_and_shows_on_the_page(voila_server, chromium_path,
                                                                 tmp_path):
    from playwright.sync_api import sync_playwright

    from coachkit import dashboard as dash
    url, db, tmp = voila_server
    outside = []
    goal = "Quiero leer un libro entero 📖"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        ctx = b.new_context(viewport={"width": 1024, "height": 900})

        def route(r):
            if re.match(r"^https?://127\.0\.0\.1[:/]", r.request.url) or \
                    r.request.url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()
        ctx.route("**/*", route)
        page = ctx.new_page()
        page.goto(dash.page_url(url, "learner_profile.ipynb", f"student={SPANISH_STUDENT}"))
        page.wait_for_selector(".ck-student .ck-profile", timeout=120_000)
        assert page.get_attribute(".ck-profile", "lang") == "es"
        assert goal not in page.inner_text(".ck-profile-view")
        page.fill(".ck-student textarea >> nth=0", goal)
        page.get_by_role("button", name="Guardar mi objetivo").click()
        page.wait_for_selector(".ck-message .ck-marker[data-ok='1']", timeout=30_000)
        page.wait_for_function(
            "(g) => document.querySelector('.ck-profile-view .goals').innerText.includes(g)",
            arg=goal, timeout=30_000)
        page.screenshot(path=str(tmp_path / "learner_profile.png"), full_page=True)
        ctx.close()
        b.close()
    assert not outside, f"the page tried to reach the internet: {outside}"
    goals = MeetingLog(db).goals(student_id=SPANISH_STUDENT)
    assert goals["text"].tolist() == [goal] and goals["author"].tolist() == [SPANISH_STUDENT]
    assert "Error at server while executing cell" not in (tmp / "voila.log").read_text(errors="replace")


@pytest.mark.slow
def test_the_notebook_runs_static_under_papermill(tmp_path, db):
    import json

    import papermill as pm
    MeetingLog(db).add_goal(SPANISH_STUDENT, text="Contar hasta 100", author=SPANISH_STUDENT)
    out = tmp_path / "learner_profile.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "dashboards" / "learner_profile.ipynb"), str(out),
                        parameters=dict(data=str(DATA), student=SPANISH_STUDENT, db=db,
                                        interactive=False),
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    nb = json.loads(out.read_text())
    shown = "".join("".join(o.get("data", {}).get("text/html", ""))
                    for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []))
    assert 'class="ck-profile" lang="es"' in shown and "Contar hasta 100" in shown
    assert "Fernando Sánchez" in shown
    assert not [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
                if o.get("output_type") == "error"]
