"""The data talk's charts in a real Chromium, against committed reference images (issue 19
item 4): a legend that moves onto the title, labels that overlap or a chart that no longer
draws fail here.

Each chart of the data talk (S101-1A, math, cycle 6) is drawn as the reports draw it
(``charts.display.figure_html`` with the shared plotly.js), screenshot at a fixed size,
reduced to a half-size grey image and compared with ``tests/data/charts/<name>.png``:
at most ``MAX_CHANGED`` of the pixels may differ by more than ``LEVEL`` grey levels.
After an intended change of a chart, rewrite the references with
``COACHKIT_UPDATE_CHART_REFERENCES=1`` and look at them before committing.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import coachkit as ck
from coachkit import talk
from coachkit.charts import display
from coachkit.runner.export import write_assets
from browser_helpers import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
REFERENCES = ROOT / "tests" / "data" / "charts"
UPDATE = os.environ.get("COACHKIT_UPDATE_CHART_REFERENCES") == "1"
# pixel-stable screenshots: one device pixel per CSS pixel, no font hinting
SCREENSHOT_ARGS = [*CHROMIUM_ARGS, "--force-device-scale-factor=1", "--font-render-hinting=none"]
WIDTH = 1000
LEVEL = 48            # grey levels (of 255) a pixel may move before it counts as changed
MAX_CHANGED = 0.01    # share of the pixels that may change


@pytest.fixture(scope="module")
def figures():
    ds = ck.load_dataset(DATA)
    v = talk.classroom_view(ds, "S101-1A", 6)
    names = v.names()
    s = "math"
    return {
        "data_wall": ck.charts.data_wall(v.mastery, v.targets, v.students, subject=s),
        "stage_counts": ck.charts.stage_counts(v.mastery, v.targets, subject=s,
                                               n_students=len(v.students)),
        "continuum_progress": ck.charts.continuum_progress(v.projection, names, subject=s),
        "growth_bars": ck.charts.growth_bars(v.growth, names, subject=s),
        "retakes": ck.charts.retakes(v.attempts, v.targets, subject=s),
        "group_cards": ck.charts.group_cards(v.groups[s], v.students, label="name",
                                             composition=v.composition.get(s),
                                             title=f"Proposed groups: {s}"),
        "group_flow": ck.charts.group_flow(v.history[s],
                                           title=f"Group membership across cycles: {s}"),
    }


@pytest.fixture(scope="module")
def page(chromium_path, tmp_path_factory):
    from playwright.sync_api import sync_playwright
    folder = tmp_path_factory.mktemp("charts")
    write_assets(folder)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=SCREENSHOT_ARGS)
        pg = b.new_page(viewport={"width": WIDTH + 40, "height": 900})
        pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                 else r.abort())
        yield pg, folder
        b.close()


def draw(page, fig, name):
    pg, folder = page
    fig.update_layout(width=WIDTH)
    file = folder / f"{name}.html"
    file.write_text("<!doctype html><html><head><meta charset='utf-8'>"
                    "<script src='plotly.min.js'></script><style>body{margin:10px;"
                    "font-family:Helvetica,Arial,sans-serif}</style></head><body>"
                    f"{display.figure_html(fig)}</body></html>", encoding="utf-8")
    pg.goto(file.as_uri())
    pg.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot');"
                         " return g && g._fullLayout && document.querySelector('.main-svg'); }")
    pg.wait_for_timeout(300)
    return pg.locator(".js-plotly-plot").first


def grey(png: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(png)).convert("L")
    return np.asarray(img.resize((img.width // 2, img.height // 2), Image.LANCZOS),
                      dtype=np.int16)


def changed_share(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return 1.0
    return float((np.abs(a - b) > LEVEL).mean())


NAMES = ["data_wall", "stage_counts", "continuum_progress", "growth_bars", "retakes",
         "group_cards", "group_flow"]


@pytest.mark.parametrize("name", NAMES)
def test_chart_matches_its_reference(figures, page, name):
    shot = grey(draw(page, figures[name], name).screenshot())
    ref = REFERENCES / f"{name}.png"
    if UPDATE:
        REFERENCES.mkdir(parents=True, exist_ok=True)
        Image.fromarray(shot.astype(np.uint8)).save(ref, optimize=True)
    assert ref.exists(), (f"no reference image {ref.relative_to(ROOT)}: run with "
                          "COACHKIT_UPDATE_CHART_REFERENCES=1 and look at it")
    want = np.asarray(Image.open(ref).convert("L"), dtype=np.int16)
    share = changed_share(shot, want)
    assert share <= MAX_CHANGED, (f"{name}: {share:.1%} of the pixels differ from the "
                                  f"reference (shape {shot.shape} vs {want.shape})")


def test_references_are_small():
    sizes = {p.name: p.stat().st_size for p in REFERENCES.glob("*.png")}
    assert set(sizes) == {f"{n}.png" for n in NAMES}
    assert sum(sizes.values()) < 600_000, sizes


def test_a_legend_moved_onto_the_title_is_caught(figures, page):
    """The tolerance is not so wide that the overlap of issue 19 would pass."""
    broken = figures["continuum_progress"].to_dict()
    import plotly.graph_objects as go
    broken = go.Figure(broken)
    broken.update_layout(margin=dict(t=60), title=dict(y=None, yref="paper", yanchor="auto",
                                                       pad=dict(t=0)))
    shot = grey(draw(page, broken, "broken").screenshot())
    want = np.asarray(Image.open(REFERENCES / "continuum_progress.png").convert("L"),
                      dtype=np.int16)
    assert changed_share(shot, want) > MAX_CHANGED


def boxes(page, selector):
    pg, _ = page
    return pg.eval_on_selector_all(selector, "els => els.map(e => { const r = "
                                   "e.getBoundingClientRect(); return [r.left, r.top, "
                                   "r.right, r.bottom, e.textContent]; })")


def overlap(a, b) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


@pytest.mark.parametrize("name", ["continuum_progress", "stage_counts"])
def test_legend_names_every_colour_and_keeps_off_the_title(figures, page, name):
    draw(page, figures[name], name)
    title = boxes(page, ".gtitle")
    legend = boxes(page, ".legend .bg")
    assert title and legend and not overlap(title[0], legend[0]), (title, legend)
    fig = figures[name]
    colours = {tr.marker.color for tr in fig.data if isinstance(tr.marker.color, str)}
    named = [tr.name for tr in fig.data]
    assert len(colours) == len(fig.data) == len(set(named))       # one legend entry per colour
    if name == "continuum_progress":
        assert any("on track" in n for n in named) and any("not on track" in n for n in named)
        assert any("still to go" in n for n in named)
    assert ": math" in fig.layout.title.text                       # the subject in the title


def test_sankey_labels_do_not_overlap_and_red_is_explained(figures, page):
    draw(page, figures["group_flow"], "group_flow")
    labels = boxes(page, ".sankey .node-label")
    assert len(labels) == len(figures["group_flow"].data[0].node.label)
    clashes = [(a[4], b[4]) for i, a in enumerate(labels) for b in labels[i + 1:]
               if overlap(a, b)]
    assert not clashes, clashes
    headings = [b for b in boxes(page, ".annotation") if b[4].startswith("cycle ")]
    assert len(headings) == 6
    assert not [(a[4], b[4]) for i, a in enumerate(headings) for b in headings[i + 1:]
                if overlap(a, b)]
    notes = " ".join(a.text for a in figures["group_flow"].layout.annotations)
    assert "red: the lowest group" in notes and "cycle 6" in notes


def test_group_card_text_stays_inside_its_card(figures, page):
    draw(page, figures["group_cards"], "group_cards")
    cards = boxes(page, ".shapelayer path")
    texts = boxes(page, ".annotation .annotation-text")
    assert len(cards) == len(texts)
    assert len(texts) == len(figures["group_cards"].layout.annotations) >= 2
    for card, text in zip(cards, texts):
        assert card[0] <= text[0] and text[3] <= card[3] + 1, (text[4][:40], card, text)
