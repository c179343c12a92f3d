"""scan: planted names, ids and birth dates are caught in every artifact format, and a
clean pseudonymized artifact gives no findings."""
from __future__ import annotations

import json
import time

import nbformat
import pandas as pd
import plotly.express as px
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from coachkit.privacy import FINDING_COLUMNS, png_text, pseudonymize, scan
from coachkit.sample import make_district
from privacy_helpers import KEY, tiny_dataset

FORMATS = ["html", "ipynb", "csv", "json", "png"]


def records(ds, n=None) -> pd.DataFrame:
    st = ds.students if n is None else ds.students.head(n)
    out = pd.DataFrame({"name": st["first_name"] + " " + st["last_name"],
                        "student_id": st["student_id"].astype(str),
                        "grade": st["grade"].astype(int)})
    if st["birth_date"].notna().any():
        out["birth_date"] = st["birth_date"]
    return out


def write(fmt: str, path, rec: pd.DataFrame):
    """One artifact of the given format showing the records."""
    if fmt == "html":
        fig = px.bar(rec, x="name", y="grade", hover_data=[c for c in rec.columns
                                                          if c not in ("name", "grade")])
        body = fig.to_html(include_plotlyjs=True, full_html=False)
        path.write_text(f"<html><body><h1>Report</h1>{rec.to_html()}{body}</body></html>",
                        encoding="utf-8")
    elif fmt == "ipynb":
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_markdown_cell("# Cycle 3 data talk"))
        code = nbformat.v4.new_code_cell("show(table)")
        fig = px.bar(rec, x="name", y="grade", hover_data=["student_id"])
        code.outputs = [
            nbformat.v4.new_output("display_data", data={"text/html": rec.to_html(),
                                                         "text/plain": rec.to_string()}),
            nbformat.v4.new_output("display_data", data={
                "application/vnd.plotly.v1+json": json.loads(fig.to_json())}),
        ]
        nb.cells.append(code)
        nbformat.write(nb, str(path))
    elif fmt == "csv":
        rec.to_csv(path, index=False)
    elif fmt == "json":
        rec.to_json(path, orient="records", date_format="iso")
    elif fmt == "png":
        info = PngInfo()
        info.add_text("Title", "Roster: " + "; ".join(rec["name"]))
        info.add_text("Comment", " ".join(rec["student_id"]), zip=True)
        if "birth_date" in rec:
            info.add_itxt("Description", "born " + " ".join(
                rec["birth_date"].dropna().dt.strftime("%m/%d/%Y")), lang="en", tkey="Beschreibung")
        Image.new("RGB", (4, 4), "white").save(path, pnginfo=info)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_planted_leak_is_caught(tmp_path, fmt):
    ds = tiny_dataset()
    anon = pseudonymize(ds, KEY)
    # a clean artifact of pseudonyms, with one real student planted in it
    rec = pd.concat([records(anon).drop(columns="birth_date", errors="ignore"),
                     records(ds).iloc[[0]]], ignore_index=True)
    path = write(fmt, tmp_path / f"report.{fmt}", rec)
    found = scan(path, ds)
    assert list(found.columns) == FINDING_COLUMNS
    kinds = set(found["kind"])
    assert {"name", "student_id", "birth_date"} <= kinds, found
    assert "María Villaseñor" in set(found["value"])
    assert "S-1001" in set(found["value"])
    assert "2015-03-09" in set(found["value"])
    # only the planted student is reported
    other = found[~found["value"].isin(["María Villaseñor", "S-1001", "2015-03-09",
                                        "Villaseñor", "María"])]
    assert other.empty, other


@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_pseudonymized_artifact_has_no_findings(tmp_path, fmt):
    ds = tiny_dataset()
    anon = pseudonymize(ds, KEY, shift_dates=True)
    rec = records(anon).assign(last_date=anon.evidence.groupby(
        "student_id", observed=True)["date"].max().reindex(anon.students["student_id"]).to_numpy())
    path = write(fmt, tmp_path / f"clean.{fmt}", rec)
    found = scan(path, ds)
    assert found.empty, found


def test_clean_sample_district_report(tmp_path):
    ds = make_district(300, seed=4)
    anon = pseudonymize(ds, KEY)
    for fmt in FORMATS:
        write(fmt, tmp_path / f"district.{fmt}", records(anon))
    found = scan(tmp_path, ds)
    assert found.empty, found


def test_names_in_disguise(tmp_path):
    ds = tiny_dataset()
    p = tmp_path / "notes.html"
    p.write_text(
        "<p>MARIA VILLASENOR</p><p>Jos&eacute; Luis C&aacute;zares</p>"
        '<script>var d = {"x": ["Ximena Qui\\u00f1ones"]};</script>'
        "<li>Bórquez, Itzel</li>", encoding="utf-8")
    found = scan(p, ds)
    names = set(found.loc[found["kind"] == "name", "value"])
    assert names == {"María Villaseñor", "José Luis Cázares", "Ximena Quiñones",
                     "Itzel Bórquez"}


def test_first_and_last_cells_of_one_table_row(tmp_path):
    ds = tiny_dataset()
    p = tmp_path / "roster.csv"
    pd.DataFrame({"last": ["Thompson"], "first": ["Liam"], "score": [3]}).to_csv(p, index=False)
    found = scan(p, ds, single_names=False)
    assert set(found["value"]) == {"Liam Thompson"}


def test_single_names_only_when_distinctive(tmp_path):
    ds = tiny_dataset()
    p = tmp_path / "speaker_notes.md"
    p.write_text("Quiñones moved two targets. Grace and Young showed their work.\n"
                 "The grace period ends. quiñones in lower case is a word here.\n"
                 "Ms. Hernández's class; Castillo and Torres are pseudonyms.\n", encoding="utf-8")
    found = scan(p, ds)
    assert set(zip(found["kind"], found["value"])) == {("last_name", "Quiñones")}
    assert scan(p, ds, single_names=False).empty
    # alone, a name must be spelled as on the roster: capitals count, a lost accent doesn't
    p.write_text("QUIÑONES led the talk. Quinones is another spelling.", encoding="utf-8")
    assert set(zip(scan(p, ds)["value"], scan(p, ds)["count"])) == {("Quiñones", 1)}


def test_ids_as_whole_tokens_only(tmp_path):
    ds = tiny_dataset()
    p = tmp_path / "ids.txt"
    p.write_text("S-10012 XS-1001 S-1001x ok\n", encoding="utf-8")
    assert scan(p, ds).empty
    p.write_text("student (S-1002), row S-1003.\n", encoding="utf-8")
    assert set(scan(p, ds)["value"]) == {"S-1002", "S-1003"}
    # numeric ids: not inside decimals or longer numbers
    num = ds.replace(students=ds.students.assign(student_id=[str(100231 + i) for i in range(6)]))
    p.write_text("y: 100231.5, .100231, 1002311, 3100231 and x=100232\n", encoding="utf-8")
    assert set(scan(p, num)["value"]) == {"100232"}


def test_birth_date_formats(tmp_path):
    ds = tiny_dataset()
    p = tmp_path / "dates.txt"
    for text in ["born 2015-03-09T00:00:00", "born 3/9/2015", "born 03/09/2015",
                 "born March 9, 2015", "born Mar 9 2015",
                 '{"birth_date": 1425859200000}']:      # pandas' old epoch-ms JSON dates
        p.write_text(text, encoding="utf-8")
        assert set(scan(p, ds)["value"]) == {"2015-03-09"}, text
    p.write_text("evidence on 2025-03-09 and 3/9/2016; 12/31/2015", encoding="utf-8")
    assert scan(p, ds).empty


def test_small_groups(tmp_path):
    ds = tiny_dataset()
    (tmp_path / "a.csv").write_text("grade,stage,n\n3,i-show,3\n4,i-show,25\n", encoding="utf-8")
    counts = pd.DataFrame({"group": ["A", "B"], "count": [12, 4]})
    (tmp_path / "b.html").write_text(counts.to_html(index=False)
                                     + "<p>Grade 5 (n=7) moved fastest. Grade 6 (n=31).</p>"
                                     + "<pre>mastery(ev, method='n_times', n=3)</pre>"
                                     + "<pre>f(n=3)</pre>", encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps(
        {"groups": [{"target": "3.OA.A.1", "students": 4}, {"target": "x", "students": 40}]}))
    found = scan(tmp_path, ds)
    got = set(zip(found["path"].str.rsplit("/", n=1).str[-1], found["kind"], found["value"]))
    assert got == {("a.csv", "small_group", "n=3"), ("b.html", "small_group", "count=4"),
                   ("b.html", "small_group", "n=7"), ("c.json", "small_group", "students=4")}
    assert scan(tmp_path, ds, min_n=3).empty
    assert scan(tmp_path, ds, small_groups=False).empty


def test_unreadable_files_are_reported(tmp_path):
    (tmp_path / "deck.pdf").write_bytes(b"%PDF-1.7 ...")
    found = scan(tmp_path, tiny_dataset())
    assert found["kind"].tolist() == ["unscanned"]
    with pytest.raises(FileNotFoundError):
        scan(tmp_path / "missing.html", tiny_dataset())


def test_png_text_chunks(tmp_path):
    info = PngInfo()
    info.add_text("Author", "plain")
    info.add_text("Software", "zipped text", zip=True)
    info.add_itxt("Title", "título ñ", lang="es", tkey="Titel", zip=True)
    Image.new("L", (2, 2)).save(tmp_path / "x.png", pnginfo=info)
    text = png_text((tmp_path / "x.png").read_bytes())
    assert "Author: plain" in text and "zipped text" in text and "título ñ" in text


def test_fast_on_big_html_reports(tmp_path):
    ds = make_district(600, seed=1)
    anon = pseudonymize(ds, KEY)
    for k in range(4):
        write("html", tmp_path / f"r{k}.html", records(anon).sample(200, random_state=k))
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) > 4 * 3_000_000
    t0 = time.perf_counter()
    found = scan(tmp_path, ds)
    assert time.perf_counter() - t0 < 4
    assert found.empty, found
