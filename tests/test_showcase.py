"""`coachkit showcase`: the de-identified inquiry-lab page for visiting educators.

One full build of the sample district's school S101 (module fixture, through the CLI);
the refusal tests build only the first cycle or two to stay quick.
"""
from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import coachkit.showcase as sc
from coachkit.cli import main
from coachkit.privacy import scan

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
SCHOOL = "S101"
KNOWN_KEY = "test-only-random-key-0123456789abcdef"
SECTIONS = ("progress", "growth", "groups", "retakes", "surveys")


@pytest.fixture(scope="module")
def real(ds):
    return ds


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The showcase as `coachkit showcase` builds it with no key given (a random one)."""
    out = tmp_path_factory.mktemp("showcase")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(sc.KEY_ENV, raising=False)
        mp.setattr(sc, "_random_key", lambda: KNOWN_KEY)
        result = CliRunner().invoke(main, ["showcase", "--data", str(DATA), "--school", SCHOOL,
                                           "--out", str(out)])
    return out, result


class _Links(HTMLParser):
    """Every src/href attribute of the page's tags (script bodies are not tags)."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        self.links += [(tag, k, v or "") for k, v in attrs if k in ("src", "href")]


def _count_cells(frame: pd.DataFrame, min_n: int) -> list:
    """Values under min_n in the columns that hold counts."""
    bad = []
    for col in frame.columns:
        if str(col) in sc.COUNT_COLUMNS or str(col) in ("n", "n_students"):
            v = pd.to_numeric(frame[col].replace({"": None, "*": None}), errors="coerce")
            bad += [f"{col}={x:g}" for x in v[v < min_n]]
    return bad


def _html_tables(page: str) -> list[pd.DataFrame]:
    out = []
    for t in re.findall(r"<table\b.*?</table>", page, re.S):
        rows = [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", tr, re.S)]
                for tr in re.findall(r"<tr>(.*?)</tr>", t, re.S)]
        out.append(pd.DataFrame(rows[1:], columns=rows[0]))
    return out


# ------------------------------------------------------------------------- the build

def test_cli_builds_one_offline_page_and_csvs(built):
    out, result = built
    assert result.exit_code == 0, result.output
    assert "nothing found" in result.output
    assert "random key" in result.output                     # said so, on stderr
    files = sorted(p.name for p in out.iterdir())
    assert [f for f in files if f.endswith(".html")] == [sc.HTML_NAME]
    csvs = [f for f in files if f.endswith(".csv")]
    assert len(csvs) >= 5 and all(f.startswith(sc.CSV_PREFIX) for f in csvs)
    assert set(files) == {sc.HTML_NAME, *csvs}                # no staging folder left behind

    page = (out / sc.HTML_NAME).read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(page)
    remote = [link for link in parser.links if re.match(r"\s*(https?:)?//", link[2])]
    assert not remote, remote
    assert not re.search(r"<script[^>]*\bsrc=", page)         # every script inline
    assert page.count("plotly.js v") == 1                     # plotly.js once
    assert page.count("Plotly.newPlot") >= 7                  # the figures
    for sid in SECTIONS:
        m = re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S)
        assert m, f"section {sid} missing"
        assert "Speaker notes" in m.group(1) and "<li>" in m.group(1)


def test_scan_finds_nothing_and_no_key_names_or_ids(built, real):
    out, _ = built
    found = scan([out], real, min_n=10)
    assert found.empty, found.to_string()
    text = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert KNOWN_KEY not in text
    assert "P-" not in re.sub(r"<script.*?</script>", "", text, flags=re.S)  # no pseudonyms
    for teacher in real.classrooms["teacher"]:
        assert teacher not in text                            # teachers are not shown
    for rid in real.students["student_id"].head(50):
        assert f",{rid}," not in text


def test_no_aggregate_shows_a_count_below_min_n(built):
    out, _ = built
    for path in sorted(out.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert not _count_cells(frame, 10), path.name
    page = (out / sc.HTML_NAME).read_text(encoding="utf-8")
    tables = _html_tables(page)
    assert len(tables) >= 8
    for t in tables:
        assert not _count_cells(t, 10), t.head().to_string()
    # percentages near 0 and 100 only as ranges
    pct = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
                     for p in out.glob("*.csv") if "percent" in p.read_text(encoding="utf-8-sig")
                     .splitlines()[0]])["percent"]
    shown = pct[pct.str.match(r"^\d+%$")].str.rstrip("%").astype(int)
    assert ((shown > 5) & (shown < 95)).all()


def test_a_higher_min_n_is_respected(tmp_path, real):
    page = sc.build_showcase(real, SCHOOL, tmp_path, key=KNOWN_KEY, cycle=2, min_n=20)
    assert page.exists()
    for path in tmp_path.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert not _count_cells(frame, 20), path.name
    assert scan([tmp_path], real, min_n=20).empty


# --------------------------------------------------------------------- the guards

def test_scan_catches_a_real_name_planted_in_an_artifact(built, real, tmp_path):
    out, _ = built
    s = real.students[real.students["school_id"] == SCHOOL].iloc[3]
    name = f"{s['first_name']} {s['last_name']}"
    page = (out / sc.HTML_NAME).read_text(encoding="utf-8")
    planted = tmp_path / "planted.html"
    planted.write_text(page.replace("<li>", f"<li>Ask {name} about her retakes. ", 1),
                       encoding="utf-8")
    table = tmp_path / "planted.csv"
    rows = list(csv.reader(io.StringIO((out / "showcase_progress_by_cycle.csv")
                                       .read_text(encoding="utf-8-sig"))))
    rows[1][0] = str(s["student_id"])
    table.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    found = scan([planted, table], real)
    assert {"name", "student_id"} <= set(found["kind"])
    assert name in set(found["value"])


def _no_output(out: Path):
    left = list(out.iterdir()) if out.exists() else []
    assert not left, left


def test_the_showcase_refuses_when_a_step_leaks_a_name(real, tmp_path, monkeypatch):
    s = real.students[real.students["school_id"] == SCHOOL].iloc[0]
    name = f"{s['first_name']} {s['last_name']}"
    render = sc._render

    def leaky(title, lede, sections, footer, min_n):
        sections[0].notes.append(f"Thank you, {name}!")
        return render(title, lede, sections, footer, min_n)

    monkeypatch.setattr(sc, "_render", leaky)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["showcase", "--data", str(DATA), "--school", SCHOOL,
                                       "--out", str(out), "--cycle", "1"],
                                env={sc.KEY_ENV: KNOWN_KEY})
    assert result.exit_code == 1, result.output
    assert "refused" in result.output and "name" in result.output
    _no_output(out)


def test_the_showcase_refuses_unsuppressed_counts(real, tmp_path, monkeypatch):
    # a broken suppression step that lets every cell through
    monkeypatch.setattr(sc, "suppress", lambda counts, min_n=10, **kw: counts.astype("Int64"))
    out = tmp_path / "out"
    with pytest.raises(sc.ShowcaseRefused) as err:
        sc.build_showcase(real, SCHOOL, out, key=KNOWN_KEY, cycle=2)
    assert set(err.value.findings["kind"]) == {"small_group"}
    _no_output(out)


def test_small_counts_check():
    t = sc.Table("x", "x", pd.DataFrame({"grade": ["3", "4"], "students": [12, 3]}),
                 count_columns=("students",))
    found = sc.small_counts([t], 10)
    assert found["value"].tolist() == ["students=3"]


def test_publish_counts_merges_and_drops_small_lines():
    counts = pd.DataFrame({"a": [20, 15, 1], "b": [2, 3, 0], "c": [30, 25, 2]},
                          index=["g1", "g2", "g3"])
    c, shown, pct, dropped = sc.publish_counts(counts, 10)
    assert dropped == ["g3"]                                  # total 3 < 10
    assert list(c.columns) == ["a or b", "c"]                 # b's total 5 < 10: merged
    assert (c.sum(axis=0) >= 10).all() and (c.sum(axis=1) >= 10).all()
    assert shown.to_numpy().tolist() == [[22, 30], [18, 25]]
    assert pct.to_numpy().tolist() == [["42%", "58%"], ["42%", "58%"]]


# ---------------------------------------------------------------------- usage

def test_usage_errors_exit_2(tmp_path):
    r = CliRunner()
    assert r.invoke(main, ["showcase", "--data", str(DATA)]).exit_code == 2      # no --school
    short = tmp_path / "key"
    short.write_text("too short\n")
    res = r.invoke(main, ["showcase", "--data", str(DATA), "--school", SCHOOL,
                          "--key-file", str(short), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "at least 16" in res.output
    res = r.invoke(main, ["showcase", "--data", str(DATA), "--school", "NOPE",
                          "--out", str(tmp_path / "o")], env={sc.KEY_ENV: KNOWN_KEY})
    assert res.exit_code == 2 and "unknown school" in res.output
    assert r.invoke(main, ["showcase", "--help"]).exit_code == 0


def test_doc_examples_run():
    doc = ROOT / "docs" / "showcase.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert blocks
    namespace: dict = {}
    for k, code in enumerate(blocks):
        exec(compile(code, f"{doc.name}[block {k}]", "exec"), namespace)


def test_showcase_principal_dashboard_and_data_talk_agree_on_the_lowest_group(built, real):
    """One grouping everywhere (by shared need): the same "lowest group 3+ cycles" count
    for S101 at cycle 6 in the showcase, the principal dashboard and the data talk."""
    from coachkit import talk
    from coachkit.widgets import data as D
    out, result = built
    assert result.exit_code == 0, result.output
    shown = pd.read_csv(out / "showcase_lowest_group.csv", encoding="utf-8-sig")
    col = "in the lowest group 3+ cycles running"
    showcase = {s: int(str(v).split()[0]) for s, v in zip(shown["subject"], shown[col])}
    path = D.resolve(DATA)
    f = D.school_grouping(path, SCHOOL, 6, D.policy_method(path))
    principal = f.groupby("subject")["n_stuck"].sum()
    rooms = real.classrooms.loc[real.classrooms["school_id"] == SCHOOL, "classroom_id"]
    data_talk = {}
    for cid in sorted(rooms):
        view = talk.classroom_view(real, cid, 6)
        for subj, st in view.stuck.items():
            data_talk[subj] = data_talk.get(subj, 0) + int(st["current"].sum())
    assert sum(data_talk.values()) > 0
    for subj, n in data_talk.items():
        assert int(principal[subj]) == n, (subj, int(principal[subj]), n)
        assert showcase[sc.SUBJECT_NAMES[subj]] == n, (subj, showcase, n)
