"""The learner profile and the class data wall: one student a page, in the family's
language from the gettext catalogs, escaped, printable; the wall shows only what the
teacher chose."""
from __future__ import annotations

import html
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from coachkit import i18n, profile, wall

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"


@pytest.fixture(scope="module")
def school(ds):
    ids = ds.students.loc[ds.students["school_id"] == "S101", "student_id"].astype(str).tolist()
    return profile.learner_profiles(ds, 6, students=ids)


class Text(HTMLParser):
    """The text a reader sees: text nodes outside <style>, plus the <title>."""
    def __init__(self):
        super().__init__()
        self.nodes, self.skip = [], False

    def handle_starttag(self, tag, attrs):
        self.skip = tag == "style"

    def handle_endtag(self, tag):
        self.skip = False

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.nodes.append(data.strip())


def visible_text(page: str) -> list[str]:
    p = Text()
    p.feed(page)
    return p.nodes


def english_phrases() -> set[str]:
    from babel.messages.pofile import read_po
    with (i18n.LOCALE_DIR / "coachkit.pot").open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


# ------------------------------------------------------------------ catalogs

def test_every_catalog_is_complete():
    assert "es" in i18n.LANGUAGES
    for language in i18n.LANGUAGES[1:]:
        assert i18n.missing(language) == [], f"untranslated phrases in {language}"


def test_the_template_holds_every_phrase_the_code_uses(tmp_path):
    """A phrase added to the code or a template without refreshing the catalogs fails."""
    out = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "t", "-k", "tn:1,2", "-k", "N_",
                    "--no-location", "--omit-header", "-o", str(out), str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    from babel.messages.pofile import read_po
    with out.open("rb") as f:
        fresh = {m.id for m in read_po(f) if m.id}
    assert fresh - english_phrases() == set(), "run pybabel extract (see babel.cfg)"


def test_translation_dates_and_fallback():
    assert i18n.t("My goals", "es") == "Mis objetivos"
    assert i18n.t("a phrase nobody translated", "es") == "a phrase nobody translated"
    assert i18n.format_date(pd.Timestamp("2026-03-14"), "es") == "14 de marzo de 2026"
    assert i18n.format_date(pd.Timestamp("2026-03-14"), "en") == "March 14, 2026"
    assert i18n.format_date(pd.NaT, "es") == ""
    with pytest.raises(ValueError, match="expected one of en, es, got 'xx'"):
        i18n.t("My goals", "xx")


# ------------------------------------------------------------------ the page

def test_spanish_page_has_no_english_phrase_and_lang_es(school):
    english = {p for p in english_phrases() if i18n.t(p, "es") != p}
    page = profile.page(school[0], language="es")
    assert '<html lang="es">' in page
    assert "<title>Perfil del estudiante:" in page
    leftovers = [n for n in visible_text(page) if n.rstrip(":") in english]
    assert leftovers == []
    # and the English page does use them, so the check is not vacuous
    en = visible_text(profile.page(school[0], language="en"))
    assert "My learner profile" in en and '<html lang="en">' in profile.page(school[0])


def test_page_shows_continuum_statements_evidence_and_next_target(ds, school):
    p = next(x for x in school if len(x.frontier) and not x.frontier["complete"].all())
    page = profile.page(p, language="en")
    grade = int(p.student["grade"])
    t = ds.targets[ds.targets["grade"] == grade]
    for row in t.head(5).to_dict("records"):            # statements visible, not on hover:
        words = profile.statement(row, "en")[0]          # the student's words, else the formal
        assert words and html.escape(words) in page
    ev = ds.evidence[ds.evidence["student_id"].astype(str) == p.student_id]
    ev = ev[ev["date"] <= ds.cycles["end"].max()]
    assert page.count("<li") >= len(ev)                # every piece of evidence listed
    assert "does not count" in page                     # formative practice shown, not counted
    nxt = p.frontier[~p.frontier["complete"].astype(bool)]["target_id"].astype(str).iloc[0]
    code = ds.targets.set_index(ds.targets["target_id"].astype(str)).loc[nxt, "code"]
    assert re.search(r"My next target:</b>.*" + re.escape(code), page)
    assert "i-learn" in page and "How to read this page" in page


def test_every_page_of_a_school_holds_one_student_only(ds, school):
    full = (ds.students["first_name"] + " " + ds.students["last_name"]).astype(str)
    names = dict(zip(ds.students["student_id"].astype(str), full))
    for p in school:
        page = profile.page(p, language="en")
        mine = names[p.student_id]
        others = {n for sid, n in names.items() if sid != p.student_id and n != mine}
        text = " ".join(visible_text(page))
        assert mine in text
        leaked = [n for n in others if n in text]
        assert not leaked, f"{p.student_id}'s page names {leaked[:3]}"
        assert set(p.evidence["student_id"].astype(str)) <= {p.student_id}


def test_text_from_data_is_escaped(ds):
    evil = ds.students.copy()
    evil.loc[evil.index[0], "first_name"] = "<script>alert(1)</script>"
    tg = ds.targets.copy()
    tg["statement"] = tg["statement"].astype(str) + " <img src=x onerror=alert(2)>"
    bad = ds.replace(students=evil, targets=tg)
    p = profile.learner_profiles(bad, 6, students=[evil["student_id"].iloc[0]])[0]
    page = profile.page(p)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


def test_spanish_statements_used_where_the_data_has_them(ds):
    # one formal Spanish statement, no student's words: the formal one is used
    tg = ds.targets.drop(columns=["student_statement", "student_statement_es"], errors="ignore")
    tg["statement_es"] = None
    first = tg.index[tg["grade"] == 0][0]
    tg.loc[first, "statement_es"] = "Contar hasta 100 de uno en uno y de diez en diez"
    sid = ds.students.loc[ds.students["grade"] == 0, "student_id"].iloc[0]
    p = profile.learner_profiles(ds.replace(targets=tg), 6, students=[sid])[0]
    page = profile.page(p, language="es")
    assert "Contar hasta 100 de uno en uno" in page
    assert "Algunas metas aparecen en inglés" in page      # the friendly fallback note
    en = profile.page(p, language="en")
    assert "Contar hasta" not in en


def test_goals_plans_and_reflections_appear(ds):
    sid = str(ds.students["student_id"].iloc[0])
    tid = str(ds.targets.loc[ds.targets["grade"] == 0, "target_id"].iloc[3])
    code = ds.targets.set_index(ds.targets["target_id"].astype(str)).loc[tid, "code"]
    goals = pd.DataFrame({"student_id": [sid, "someone-else"], "target_id": [tid, tid],
                          "text": ["Read a whole chapter book", "NOT MINE"],
                          "date": pd.to_datetime(["2026-03-03", "2026-03-03"]),
                          "met_on": pd.to_datetime(["2026-03-30", None])})
    plans = pd.DataFrame({"student_id": [sid], "target_id": [tid], "actions": ["Practice with tens frames"],
                          "support": ["small group Tuesday"], "retake_date": pd.to_datetime(["2026-03-20"]),
                          "helpers": ["Ms. Rivera"], "date": pd.to_datetime(["2026-03-04"])})
    refl = pd.DataFrame({"student_id": [sid], "proud": ["I can count to 100"], "hard": ["word problems"],
                         "portrait_attribute": [None], "date": pd.to_datetime(["2026-03-31"])})
    p = profile.learner_profiles(ds, 6, students=[sid], goals=goals, plans=plans, reflections=refl)[0]
    page = profile.page(p, language="es")
    assert "Read a whole chapter book" in page and "NOT MINE" not in page
    assert "Practice with tens frames" in page and "20 de marzo de 2026" in page
    assert code in page and "I can count to 100" in page and "logrado el 30 de marzo de 2026" in page


def test_unknown_student_and_cycle_are_clear_errors(ds):
    with pytest.raises(ValueError, match="unknown"):
        profile.learner_profiles(ds, 6, students=["nobody"])
    with pytest.raises(ValueError, match="cycle: expected one of"):
        profile.learner_profiles(ds, 99)


# ------------------------------------------------------------------ the wall

def test_wall_shows_only_what_the_teacher_chose(ds):
    room = "S101-KA"
    students = ds.students[ds.students["classroom_id"] == room]
    goals = pd.DataFrame({"student_id": [students["student_id"].iloc[0]] * 3,
                          "met_on": pd.to_datetime(["2026-03-01", "2026-03-20", None])})
    page = wall.class_wall(ds, room, 6, goals=goals)
    text = " ".join(visible_text(page))
    for last in students["last_name"]:
        assert f" {last}" not in text or last in set(students["first_name"])
    assert page.count('class="sticker"') == 2 + 1          # two goals met, one in the legend
    numbered = wall.wall_rows(ds, room, 6, label="number", show=("goals_met", "targets_shown"))
    assert list(numbered.columns) == ["label", "goals_met", "targets_shown"]
    assert set(numbered["label"]) == {str(i) for i in range(1, len(students) + 1)}
    numbered_page = wall.class_wall(ds, room, 6, label="number")
    for first in students["first_name"]:
        assert first not in numbered_page
    with pytest.raises(ValueError, match="show: expected some of"):
        wall.wall_rows(ds, room, 6, show=("levels",))


# ------------------------------------------------------------------ print, in Chromium

@pytest.mark.browser
def test_print_layout_in_chromium(school, chromium_path, tmp_path):
    from playwright.sync_api import sync_playwright
    p = next(x for x in school if x.targets["subject"].nunique() == 2)
    file = tmp_path / "profile.html"
    file.write_text(profile.page(p, language="es"), encoding="utf-8")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = b.new_page(viewport={"width": 816, "height": 1056})    # US Letter at 96 dpi
        page.emulate_media(media="print")
        page.goto(file.as_uri())
        breaks = page.eval_on_selector_all(
            "section.subject", "els => els.map(e => getComputedStyle(e).breakAfter)")
        assert breaks == ["page", "page"]                 # one subject per printed page
        first = p.targets.sort_values(["subject", "sequence"])["statement"].iloc[0]
        box = page.get_by_text(first, exact=False).first.bounding_box()
        assert box and box["width"] > 50 and box["x"] >= 0 and box["x"] + box["width"] <= 816
        page.screenshot(path=str(tmp_path / "print.png"), full_page=False)
        pdf = page.pdf(format="Letter")
        b.close()
    assert pdf[:4] == b"%PDF" and (tmp_path / "print.png").stat().st_size > 10_000


def test_profiles_command_writes_a_classroom(ds, tmp_path):
    out = tmp_path / "profiles"
    run = subprocess.run([sys.executable, "-m", "coachkit", "profiles", "--data", str(DATA),
                          "--cycle", "6", "--classroom", "S101-4A", "--language", "es",
                          "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    room = ds.students[ds.students["classroom_id"] == "S101-4A"]
    pages = sorted(p for p in out.glob("*.html") if p.name != "index.html")
    assert len(pages) == len(room) and "learner profiles" in run.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "lang='es'" in index and "Perfiles de aprendizaje" in index
    for last in room["last_name"]:
        assert html.escape(last) in index
    assert all('<html lang="es">' in p.read_text(encoding="utf-8") for p in pages)
    bad = subprocess.run([sys.executable, "-m", "coachkit", "profiles", "--data", str(DATA),
                          "--cycle", "6", "--school", "NOPE", "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "school: expected a school_id" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_level_set_by_hand_reads_in_the_family_language(ds, tmp_path):
    from coachkit.store import MeetingLog, describe_override
    assert describe_override("Ms. Rivera", "2026-03-14", "observed in conference") == \
        "set by Ms. Rivera on 3/14: observed in conference"
    assert describe_override("Sra. Rivera", "2026-03-14", "lo vi", language="es") == \
        "nivel fijado por Sra. Rivera el 14/3: lo vi"
    assert describe_override("Sra. Rivera", "2026-11-03", language="es") == \
        "nivel fijado por Sra. Rivera el 3/11"
    sid = str(ds.students.loc[ds.students["grade"] == 0, "student_id"].iloc[0])
    tid = str(ds.targets.loc[ds.targets["grade"] == 0, "target_id"].iloc[2])
    log = MeetingLog(tmp_path / "log.db")
    log.set_level(sid, tid, 3, author="Sra. Rivera", reason="lo vi en la conferencia",
                  date="2026-03-14")
    p = profile.learner_profiles(ds, 6, students=[sid], overrides=log.level_overrides())[0]
    es = profile.page(p, language="es")
    assert "nivel fijado por Sra. Rivera el 14/3: lo vi en la conferencia" in es
    assert es.count('class="set-by-hand"') == 1
    english = {x for x in english_phrases() if i18n.t(x, "es") != x}
    assert [n for n in visible_text(es) if n.rstrip(":") in english] == []
    assert "set by Sra. Rivera on 3/14: lo vi en la conferencia" in profile.page(p, language="en")
    plain = profile.learner_profiles(ds, 6, students=[sid])[0]
    assert 'class="set-by-hand"' not in profile.page(plain, language="es")


def test_the_sample_district_speaks_spanish_where_it_has_the_words(ds):
    """The sample's elementary math targets carry statement_es and student_statement(_es):
    the Spanish page shows the student's words in Spanish; ELA falls back, with the note."""
    tg = ds.targets.set_index("target_id")
    assert tg.loc["MA00-01", "student_statement_es"] == "Puedo contar hasta 100 de uno en uno y de diez en diez"
    assert tg.loc["MA00-01", "student_statement"] == "I can count to 100 by ones and by tens"
    assert (tg.loc[tg["grade"] > 5, "statement_es"].fillna("") == "").all()
    sid = str(ds.students.loc[ds.students["grade"] == 0, "student_id"].iloc[0])
    p = profile.learner_profiles(ds, 6, students=[sid])[0]
    es, en = profile.page(p, language="es"), profile.page(p, language="en")
    assert "Puedo contar hasta 100 de uno en uno y de diez en diez" in es
    assert "I can count to 100 by ones and by tens" in en and "Puedo contar" not in en
    math, ela = es.split('<section class="subject">')[1:3]
    assert math.count("Puedo ") >= 10 and "Puedo " not in ela
    assert "Algunas metas aparecen en inglés" in ela       # ELA has no Spanish words yet
