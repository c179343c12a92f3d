"""The student-led conference page: my learning targets, i-learn -> i-practice -> i-show.

One page per student, in English or Spanish, plain HTML that prints well (no figures to
load). It is built from that student's evidence alone, so a family's page can only ever
hold their own child's data.
"""
from __future__ import annotations

import html

import pandas as pd

from . import progress, talk
from .dataset import Dataset
from .i18n import N_, t
from .schema import STAGES, grade_label

# The page's phrases, marked for the catalogs (the f-strings below hide them from pybabel).
PHRASES = (N_("My learning targets"), N_("Each square is one of my learning targets, in the "
           "order we learn them."), N_("I mastered everything on my continuum!"),
           N_("What I mastered this cycle"), N_("of"), N_("What am I proud of?"),
           N_("What will I work on next, and how?"), N_("How can my family help?"))
STAGE_STYLE = {"i-learn": "#eeeeee", "i-practice": "#f8d48a", "i-show": "#9cc7e6"}
CSS = """
<style>
.ck-page { font-family: Segoe UI, Helvetica, Arial, sans-serif; max-width: 780px; }
.ck-page h2 { margin-bottom: .2em; } .ck-page .who { color: #555; margin-top: 0; }
.ck-strip { display: flex; flex-wrap: wrap; gap: 3px; margin: .4em 0 1em; }
.ck-strip span { display: inline-block; min-width: 4.6em; padding: .25em .3em; font-size: 11px;
  border-radius: 3px; text-align: center; border: 1px solid #ccc; }
.ck-legend span { padding: .15em .5em; margin-right: .6em; border-radius: 3px; font-size: 12px; }
.ck-next { border-left: 5px solid #2a7ab0; padding: .4em .8em; background: #f5f9fc; }
.ck-page li { margin: .15em 0; }
@media print { .ck-page { break-after: page; } }
</style>
"""


def student_summary(ds: Dataset, student_id: str, cycle: int, *,
                    method: str | None = None, kinds=progress.COUNTED) -> dict:
    """The tables a conference page needs for one student at the end of CYCLE."""
    st = ds.students[ds.students["student_id"].astype(str) == str(student_id)]
    if not len(st):
        raise ValueError(f"unknown student {student_id!r}")
    student = st.iloc[0]
    one = ds.replace(students=st,
                     evidence=ds.evidence[ds.evidence["student_id"].astype(str) == str(student_id)])
    cycles = ds.cycles.set_index(ds.cycles["cycle_id"].astype(int))
    now = one.through_cycle(cycle)
    targets = ds.targets[ds.targets["grade"] == int(student["grade"])]
    args = talk.mastery_args(ds, method, kinds=kinds)          # the district policy
    m = progress.mastery(now.evidence, **args)
    stages = progress.stage(m, targets, st)
    before = (progress.mastery(one.through_cycle(int(cycle) - 1).evidence, **args)
              if int(cycle) - 1 in cycles.index else None)
    new = progress.newly_mastered(m, before)
    front = progress.frontier(m, targets, st)
    return dict(student=student, targets=targets, stages=stages, new=new, frontier=front,
                cycle=cycles.loc[int(cycle)])


def _strip(stages: pd.DataFrame, targets: pd.DataFrame, subject: str, language: str) -> str:
    s = stages[stages["subject"] == subject].merge(targets[["target_id", "code", "statement"]],
                                                   on="target_id").sort_values("sequence")
    cells = "".join(
        f"<span style='background:{STAGE_STYLE[str(r.stage)]}' "
        f"title='{html.escape(str(r.statement))}'>{html.escape(str(r.code))}</span>"
        for r in s.itertuples())
    return f"<div class='ck-strip'>{cells}</div>"


def student_page(summary: dict, *, language: str = "en") -> str:
    """The conference page for one student as HTML."""
    s, targets, stages = summary["student"], summary["targets"], summary["stages"]
    code = dict(zip(targets["target_id"].astype(str), targets["code"].astype(str)))
    stmt = dict(zip(targets["target_id"].astype(str), targets["statement"].astype(str)))
    name = html.escape(f"{s['first_name']} {s['last_name']}")
    grade = grade_label(s["grade"])
    cyc = summary["cycle"]
    legend = "".join(f"<span style='background:{STAGE_STYLE[x]}'>{html.escape(t(x, language))}</span>"
                     for x in STAGES)
    parts = [CSS, "<div class='ck-page'>",
             f"<h2>{html.escape(t('My learning targets', language))}</h2>",
             f"<p class='who'>{name} · {t('Grade', language)} {grade} · "
             f"{t('Cycle', language)} {int(cyc.name)} ({cyc['end']:%Y-%m-%d})</p>",
             f"<p>{t('Each square is one of my learning targets, in the order we learn them.', language)}</p>",
             f"<p class='ck-legend'>{legend}</p>"]
    for subject in sorted(stages["subject"].astype(str).unique()):
        sub = stages[stages["subject"] == subject]
        shown = int((sub["stage"].astype(str) == "i-show").sum())
        parts.append(f"<h3>{html.escape(t(subject, language))}: {shown} {t('of', language)} "
                     f"{len(sub)} {t('targets mastered', language)}</h3>")
        parts.append(_strip(stages, targets, subject, language))
        f = summary["frontier"]
        f = f[f["subject"] == subject]
        if len(f) and not bool(f["complete"].iloc[0]):
            tid = str(f["target_id"].iloc[0])
            parts.append(f"<div class='ck-next'><b>{t('My next target', language)}:</b> "
                         f"{html.escape(code.get(tid, tid))} — {html.escape(stmt.get(tid, ''))}</div>")
        else:
            parts.append(f"<div class='ck-next'>{t('I mastered everything on my continuum!', language)}</div>")
    new = summary["new"]
    parts.append(f"<h3>{t('What I mastered this cycle', language)}</h3>")
    if len(new):
        items = "".join(f"<li>{html.escape(code.get(str(x), str(x)))} — "
                        f"{html.escape(stmt.get(str(x), ''))}</li>" for x in new["target_id"])
        parts.append(f"<ul>{items}</ul>")
    else:
        parts.append(f"<p>{t('Nothing new yet this cycle: keep practicing.', language)}</p>")
    qs = "".join(f"<li>{t(q, language)}</li>" for q in (
        "What am I proud of?", "What will I work on next, and how?", "How can my family help?"))
    parts.append(f"<h3>{t('Questions to talk about with my family', language)}</h3><ul>{qs}</ul>")
    parts.append("</div>")
    return "\n".join(parts)
