"""The learner profile: one student's own page, for the student-led conference and every day.

For each subject the continuum in order, with the stage of every target, its statement in
student-friendly words (in the family's language where the data has it), the evidence
behind each level (dates, scores, retakes, which counted), the next target; the student's
goals, learning plans and reflections; progress toward the district's Portrait of a
Graduate. Pages are rendered from a Jinja2 template (autoescaped: text from data can never
become markup) with words from the gettext catalogs in ``coachkit.i18n``.

    profiles = ck.profile.learner_profiles(ds, cycle=6, students=["100001"])
    html = ck.profile.page(profiles[0], language="es")

Everything one student's page holds is that student's own: ``learner_profiles`` computes
mastery once for all the students asked for, then splits every table by student before a
page is built from it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import jinja2
import pandas as pd

from . import progress, talk
from .dataset import Dataset
from .i18n import LOCALE_DIR, check_language, format_date, t, translations
from .schema import STAGES, grade_label

TEMPLATES = LOCALE_DIR.parent / "templates"
SUBJECT_ORDER = ("math", "ela")


@dataclass
class LearnerProfile:
    student: pd.Series
    cycle: pd.Series
    last_cycle: bool
    targets: pd.DataFrame          # the grade's targets, in continuum order, with stage
    evidence: pd.DataFrame         # the student's evidence through the cycle
    newly_mastered: pd.DataFrame
    frontier: pd.DataFrame
    goals: pd.DataFrame = field(default_factory=pd.DataFrame)
    plans: pd.DataFrame = field(default_factory=pd.DataFrame)
    reflections: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def student_id(self) -> str:
        return str(self.student["student_id"])


def _for(table: pd.DataFrame | None, student_id: str) -> pd.DataFrame:
    if table is None or not len(table) or "student_id" not in table:
        return pd.DataFrame()
    return table[table["student_id"].astype(str) == student_id].reset_index(drop=True)


def learner_profiles(ds: Dataset, cycle: int, *, students=None, method: str | None = None,
                     kinds=progress.COUNTED, mastery_line: float | None = None, goals=None,
                     plans=None, reflections=None, overrides=None,
                     **method_params) -> list[LearnerProfile]:
    """The profiles of STUDENTS (ids; default every student) at the end of CYCLE.

    Mastery by the district policy (``coachkit.toml``: method, line, counted kinds and
    parameters); ``method``, ``kinds``, ``mastery_line`` and method parameters override it.
    goals, plans, reflections: the meeting log's tables of those records (any student's;
    each profile keeps only its own student's rows)."""
    args = talk.mastery_args(ds, method, kinds=kinds)
    if mastery_line is not None:
        args["mastery_line"] = mastery_line
    args.update(method_params)
    mastery_line = args["mastery_line"]
    cycles = ds.cycles.sort_values("start").set_index(ds.cycles["cycle_id"].astype(int))
    if int(cycle) not in cycles.index:
        raise ValueError(f"cycle: expected one of {list(cycles.index)}, got {cycle!r}")
    cyc = cycles.loc[int(cycle)]
    ids = ds.students["student_id"].astype(str)
    wanted = ds.students if students is None else ds.students[ids.isin([str(s) for s in students])]
    if students is not None and len(wanted) < len(set(map(str, students))):
        unknown = sorted(set(map(str, students)) - set(wanted["student_id"].astype(str)))
        raise ValueError(f"students: expected ids of the dataset, got unknown {unknown[:5]}")
    mine = ds.evidence[ds.evidence["student_id"].astype(str).isin(set(wanted["student_id"].astype(str)))]

    def mastery_through(end) -> pd.DataFrame:
        """Mastery on the evidence through END, with the levels set by hand by then."""
        table = progress.mastery(mine[mine["date"] <= end], **args)
        if overrides is None or not len(overrides):
            return table
        from .store import apply_overrides
        ov = overrides[pd.to_datetime(overrides["date"]) <= end]
        ov = ov[ov["student_id"].astype(str).isin(set(wanted["student_id"].astype(str)))]
        return apply_overrides(table, ov, mastery_line=mastery_line, students=wanted) if len(ov) else table
    ev = mine[mine["date"] <= cyc["end"]]
    m = mastery_through(cyc["end"])
    earlier = cycles.index[cycles.index < int(cycle)]
    # "newly mastered" is the one fact of coachkit.progress: mastered now, not at the end
    # of the cycle before
    before = mastery_through(cycles.loc[earlier.max(), "end"]) if len(earlier) else None
    grid = progress.stage(m, ds.targets, wanted)
    front = progress.frontier(m, ds.targets, wanted)
    words = [c for c in ds.targets.columns if c == "code" or "statement" in c]
    # the next target may lie in the next grade's continuum, so its words come from all targets
    front = front.assign(target_id=front["target_id"].astype(str)).merge(
        ds.targets[["target_id", *words]].astype({"target_id": str}), on="target_id", how="left")
    newly = progress.newly_mastered(m, before)
    counted = set(args["kinds"]) if args["kinds"] is not None else None
    # plain text columns once for the whole school, so each page's slice is cheap to walk
    ev = pd.DataFrame({"student_id": ev["student_id"].astype(str).to_numpy(),
                       "target_id": ev["target_id"].astype(str).to_numpy(),
                       "date": ev["date"].to_numpy(), "score": ev["score"].to_numpy(),
                       "kind": ev["kind"].astype(str).to_numpy()})
    ev["counted"] = ev["kind"].isin(counted) if counted else True
    targets = ds.targets.assign(target_id=ds.targets["target_id"].astype(str))
    grid = grid.assign(target_id=grid["target_id"].astype(str)).merge(
        targets.drop(columns=["subject", "grade", "sequence"]), on="target_id", how="left")
    by_hand = [c for c in ("override_author", "override_date", "override_reason") if c in m]
    if "overridden" in m and len(by_hand) == 3:     # levels set by hand: who, when, why
        m = m.assign(override_author=m["override_author"].where(m["overridden"].astype(bool)))
    mdates = m[["student_id", "target_id", "mastered_date", *by_hand]].astype(
        {"student_id": str, "target_id": str})
    grid = grid.merge(mdates, on=["student_id", "target_id"], how="left")
    grid["stage"] = grid["stage"].astype(str)
    by = {k: g for k, g in grid.groupby(grid["student_id"].astype(str), sort=False)}
    ev_by = {k: g for k, g in ev.groupby("student_id", sort=False)}
    new_by = {k: g for k, g in newly.groupby(newly["student_id"].astype(str), sort=False, observed=True)}
    fr_by = {k: g for k, g in front.groupby(front["student_id"].astype(str), sort=False)}
    last = int(cycle) == int(cycles.index.max())
    out = []
    for _, student in wanted.sort_values(["last_name", "first_name", "student_id"]).iterrows():
        sid = str(student["student_id"])
        out.append(LearnerProfile(
            student=student, cycle=cyc, last_cycle=last,
            targets=by.get(sid, grid.iloc[:0]), evidence=ev_by.get(sid, ev.iloc[:0]),
            newly_mastered=new_by.get(sid, newly.iloc[:0]), frontier=fr_by.get(sid, front.iloc[:0]),
            goals=_for(goals, sid), plans=_for(plans, sid), reflections=_for(reflections, sid)))
    return out


def statement(row, language: str) -> tuple[str, bool]:
    """The target's words for a student in LANGUAGE, and whether they are in that language.

    Prefers the student-friendly statement, then the formal one; in a language other than
    English, the columns ``student_statement_<lang>`` and ``statement_<lang>`` first."""
    def value(col):
        v = row.get(col) if hasattr(row, "get") else getattr(row, col, None)
        return None if v is None or v != v or str(v).strip() == "" else str(v)
    if language != "en":
        for col in (f"student_statement_{language}", f"statement_{language}"):
            if value(col):
                return value(col), True
    text = value("student_statement") or value("statement") or ""
    return text, language == "en"


@lru_cache(maxsize=None)
def environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=True, extensions=["jinja2.ext.i18n"],
                             trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)
    env.filters["date"] = lambda d: format_date(d, language)
    env.filters["shortdate"] = lambda d: format_date(d, language, format="medium")
    return env


def _plain(df: pd.DataFrame, columns) -> list[dict]:
    """Rows as dicts of plain Python values (categoricals as text): one pass per table."""
    cols = [c for c in columns if c in df.columns]
    out = df[cols].copy()
    for c in cols:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str)
    return out.to_dict("records")


def _subject_rows(p: LearnerProfile, language: str) -> list[dict]:
    """Per subject: the continuum rows with stage and evidence, and the next target."""
    evidence: dict[str, list] = {}
    for e in _plain(p.evidence.sort_values("date", kind="stable"),
                    ["target_id", "date", "score", "kind", "counted"]):
        evidence.setdefault(str(e["target_id"]), []).append(e)
    rows = _plain(p.targets.sort_values(["subject", "sequence"], kind="stable"),
                  ["target_id", "subject", "sequence", "code", "statement", "student_statement",
                   f"statement_{language}", f"student_statement_{language}", "stage",
                   "mastered_date", "override_author", "override_date", "override_reason"])
    next_rows = {str(f["subject"]): f for f in _plain(p.frontier, list(p.frontier.columns))
                 if not bool(f["complete"]) and f.get("code") == f.get("code")}
    subjects = [s for s in SUBJECT_ORDER if any(r["subject"] == s for r in rows)]
    subjects += sorted({r["subject"] for r in rows} - set(subjects))
    out = []
    for subject in subjects:
        items, next_target = [], None
        for r in (r for r in rows if r["subject"] == subject):
            words, translated = statement(r, language)
            tev = evidence.get(r["target_id"], [])
            items.append(dict(
                code=r["code"], statement=words, translated=translated, stage=r["stage"],
                stage_words=t(r["stage"], language), mastered_date=r.get("mastered_date"),
                set_by_hand=_override_words(r, language),
                evidence=[dict(date=e["date"], score=f"{float(e['score']):g}",
                               kind=t(e["kind"], language), counted=bool(e["counted"]))
                          for e in tev]))
        if subject in next_rows:
            nxt = next_rows[subject]
            next_target = dict(code=nxt["code"], statement=statement(nxt, language)[0])
        out.append(dict(key=subject, name=t(subject, language), rows=items,
                        shown=sum(1 for i in items if i["stage"] == "i-show"),
                        untranslated=language != "en" and not all(i["translated"] for i in items),
                        total=len(items), next_target=next_target))
    return out


def _override_words(row: dict, language: str) -> str | None:
    """"set by Ms. Rivera on 3/14: ..." in LANGUAGE for a level a teacher set by hand."""
    author = row.get("override_author")
    if author is None or author != author:
        return None
    from .store import describe_override
    return describe_override(author, row["override_date"], row.get("override_reason"), language)


def _portrait(p: LearnerProfile) -> list[dict]:
    if "portrait_attribute" not in p.targets or p.targets["portrait_attribute"].isna().all():
        return []
    out = []
    for attr, g in p.targets.dropna(subset=["portrait_attribute"]).groupby(
            p.targets["portrait_attribute"].astype(str), sort=True):
        out.append(dict(name=attr, shown=int((g["stage"].astype(str) == "i-show").sum()), total=len(g)))
    return out


def _records(df: pd.DataFrame) -> list[dict]:
    return [] if df is None or not len(df) else df.to_dict("records")


def _context(p: LearnerProfile, language: str) -> dict:
    check_language(language)
    s = p.student
    codes = dict(zip(p.targets["target_id"].astype(str), p.targets["code"].astype(str)))
    words = {tid: f"{statement(r, language)[0]} ({codes[tid]})"
             for tid, r in zip(p.targets["target_id"].astype(str), p.targets.to_dict("records"))}
    shown = dict(zip(p.targets["target_id"].astype(str), p.targets["stage"].astype(str) == "i-show"))
    return dict(
        lang=language, name=f"{s['first_name']} {s['last_name']}",
        grade=grade_label(s["grade"]), cycle_id=int(p.cycle.name), cycle_end=p.cycle["end"],
        last_cycle=p.last_cycle, stages=[(x, t(x, language)) for x in STAGES],
        subjects=_subject_rows(p, language),
        newly=[codes.get(str(x), str(x)) for x in p.newly_mastered["target_id"].astype(str)],
        goals=_records(p.goals), plans=_records(p.plans), reflections=_records(p.reflections),
        codes=codes, target_words=words, shown=shown, portrait=_portrait(p))


def page(p: LearnerProfile, *, language: str = "en") -> str:
    """The profile of one student as a whole HTML page in LANGUAGE."""
    return environment(language).get_template("profile.html.j2").render(**_context(p, language))


def scoped_css(css: str, scope: str) -> str:
    """CSS rules confined to the elements under SCOPE (a selector): ``body`` and ``main``
    become the scope itself, every other selector is prefixed with it."""
    def one(sel: str) -> str:
        sel = sel.strip()
        if sel in ("body", "main") or sel.startswith("main."):
            return scope + sel[4:] if sel.startswith("main.") else scope
        return f"{scope} {sel}"

    def rule(m: re.Match) -> str:
        return m.group(1) + ", ".join(one(x) for x in m.group(2).split(",")) + " {"
    return re.sub(r"(^|[}\n]\s*)([^{}@\n][^{}@]*?)\s*\{", rule, css)


def fragment(p: LearnerProfile, *, language: str = "en") -> str:
    """The same profile as a piece of a page (a live dashboard shows it among its
    widgets): the page's content in a ``<div class="ck-profile" lang=...>`` with its
    stylesheet confined to that div."""
    env = environment(language)
    css = env.get_template("profile.css.j2").render()
    body = env.get_template("profile_main.html.j2").render(**_context(p, language))
    return (f'<div class="ck-profile" lang="{language}"><style>'
            f'{scoped_css(css, ".ck-profile")}</style>{body}</div>')


def pages(profiles: list[LearnerProfile], *, language: str = "en") -> dict[str, str]:
    """student_id -> page, for many students at once."""
    return {p.student_id: page(p, language=language) for p in profiles}
