"""The one small-group rule (coachkit.privacy.suppress_groups) on every surface, the audit
of pages published together, and a minimum n no page parameter can lower (issues 15, 17)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachkit as ck
from coachkit import privacy, surveys, talk
from coachkit.widgets import data as D
from coachkit.widgets import page
from coachkit.widgets import principal as P

DATA = str(Path(__file__).resolve().parents[1] / "sample_data" / "district")
FAMILIES = list(privacy.STUDENT_FAMILIES)


# ------------------------------------------------------------------------ helpers

def family_of_24() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One classroom of 24 students, home languages 20/2/2, as students and as the
    principal dashboard's student x subject rows."""
    n = 24
    lang = ["English"] * 20 + ["Spanish"] * 2 + ["O'odham"] * 2
    students = pd.DataFrame({
        "student_id": [f"s{i:02d}" for i in range(n)], "school_id": "S900",
        "classroom_id": "S900-3A", "grade": 3, "ell": [i >= 12 for i in range(n)],
        "iep": [i % 2 == 0 for i in range(n)], "home_language": lang})
    rng = np.random.default_rng(0)
    rows = pd.concat([students.assign(subject=s) for s in ("math", "ela")], ignore_index=True)
    rows["targets_total"] = 20
    rows["targets_mastered"] = rng.integers(0, 21, len(rows))
    rows["on_track"] = rng.random(len(rows)) < 0.5
    rows["share_mastered"] = rows["targets_mastered"] / rows["targets_total"]
    rows["pace"], rows["growth"] = 0.5, 1.0
    return students, rows


def page_table(level, keys: dict, shown: pd.DataFrame, value_of) -> pd.DataFrame:
    """What one page shows, as the audit reads it: level, keys, family, group, hidden."""
    out = []
    for r in shown.itertuples(index=False):
        family, group = value_of(r.group)
        out.append({"level": level, **keys, "family": family, "group": group,
                    "hidden": r.n_students == privacy.HIDDEN, "shown": r.n_students})
    return pd.DataFrame(out)


def reader(labels: dict):
    """Page label -> (family, value), the way a reader decodes the page."""
    back = {text: (fam, v) for fam, m in labels.items() for v, text in m.items()}

    def value_of(text):
        if text.startswith("home language: "):
            return "home_language", text[len("home language: "):]
        return back[text]
    return value_of


def principal_page(d, school) -> pd.DataFrame:
    e = P.equity(d, school)
    one = e[e["subject"] == e["subject"].iloc[0]].rename(columns={"n_label": "n_students_"})
    one = one.assign(n_students=one["n_students_"])
    return page_table("school_id", {"school_id": school}, one, reader(dict(D.SUBGROUPS)))


def check_shown_counts_are_true(people, table):
    """Every number on a page is the real count (the audit takes the pages at their word)."""
    for r in table[~table["hidden"]].itertuples(index=False):
        m = people[r.family] == r.group
        for k in ([] if r.level == "all" else r.level.split(", ")):
            m &= people[k] == getattr(r, k)
        assert int(r.shown) == int(m.sum()), r


# ------------------------------------------------------------- the rule on its own

def test_one_family_hides_a_small_group_and_enough_beside_it():
    # 20/2/2 of 24: showing the 20 leaves 4 for the two small groups, each 1 to 3
    assert privacy.suppress_family([20, 2, 2], min_n=10).tolist() == [True, True, True]
    # one small group: its smallest partner goes too, never only the small one
    assert privacy.suppress_family([132, 3, 143], min_n=10).tolist() == [True, True, False]
    assert not privacy.suppress_family([40, 30], min_n=10).any()
    # what the rule leaves can't be narrowed below protection (5), by an independent LP
    people = pd.DataFrame({"lang": ["a"] * 132 + ["b"] * 3 + ["c"] * 143})
    t = privacy.suppress_groups(people, families=["lang"], min_n=10)
    rep = privacy.audit_groups(people, t, protection=5)
    assert rep.ok and (rep.cells["width"] >= 5).all()
    # the naive pattern (only the small group hidden) is caught by the same audit
    naive = t.assign(hidden=t["n"] < 10)
    bad = privacy.audit_groups(people, naive, protection=1)
    assert not bad.ok and bad.failures["low"].tolist() == [3.0]
    with pytest.raises(privacy.DisclosureError, match="lang='b'"):
        privacy.audit_groups(people, naive, strict=True)


def test_counter_example_a_classroom_report_and_dashboard_agree():
    students, rows = family_of_24()
    proj = rows[["student_id", "subject", "targets_mastered", "targets_total", "on_track"]]
    classroom = talk.equity_table(proj, students)
    d = D.District(cycle=6, method="decaying_average", expected=0.5, students=rows)
    dash = P.equity(d, "S900")
    lang_c = classroom[classroom["group"].str.startswith("home language")]
    lang_d = dash[(dash["family"] == "home_language") & (dash["subject"] == "math")]
    hidden_c = dict(zip(lang_c["group"], lang_c["n_students"] == privacy.HIDDEN))
    hidden_d = dict(zip(lang_d["group"], lang_d["suppressed"]))
    assert hidden_c == hidden_d
    # and the answer is the safe one: with 20 shown, each small group would be 1 to 3
    assert all(hidden_c.values())
    people = students.drop(columns="classroom_id")
    shown_20 = privacy.suppress_groups(people, families=["home_language"], min_n=10)
    shown_20["hidden"] = shown_20["n"] < 10
    assert not privacy.audit_groups(people, shown_20, protection=5).ok


def test_counter_example_b_no_group_follows_by_subtraction_on_the_dashboard():
    d = D.district(D.resolve(DATA), 6, "decaying_average")
    people = d.students.drop_duplicates("student_id")
    for school in sorted(people["school_id"].unique()):
        e = P.equity(d, school)
        for (subj, fam), g in e.groupby(["subject", "family"]):
            hidden = g["suppressed"].astype(bool)
            # never exactly one hidden: the page total minus the others would give it
            assert hidden.sum() != 1, (school, subj, fam)
            # a hidden group's count is not on the page, whatever its size (17.7)
            assert (g.loc[hidden, "n_label"] == privacy.HIDDEN).all()
            assert g.loc[hidden, ["share_mastered", "share_on_track"]].isna().all().all()
        # the reported case: 192 + 86 - 132 - 143 = 3 recovers the O'odham speakers
        s101 = e[(e["subject"] == "math")]
        if school == "S101":
            shown = s101[~s101["suppressed"].astype(bool)]
            assert "home language: O'odham" in set(s101["group"])
            assert not shown["group"].str.startswith("home language").any() or \
                s101.loc[s101["family"] == "home_language", "suppressed"].sum() >= 2
            assert "132" not in set(s101.loc[s101["suppressed"].astype(bool), "n_label"])
        table = principal_page(d, school)
        check_shown_counts_are_true(people, table)
        assert privacy.audit_groups(people, table, protection=5).ok, school


def test_partner_and_small_group_read_alike():
    """17.7: a partner shown as "hidden" beside a small one shown as "<10" says it has
    >= 10; with a class of 12 (2 + 10) that pins the small group to 1 or 2."""
    students = pd.DataFrame({"student_id": [f"s{i}" for i in range(12)],
                             "ell": [True, True] + [False] * 10, "iep": False,
                             "home_language": "English"})
    proj = pd.DataFrame({"student_id": students["student_id"], "subject": "math",
                         "targets_mastered": 5, "targets_total": 10, "on_track": True})
    e = talk.equity_table(proj, students)
    ell = e[e["group"].str.contains("English learners")]
    assert ell["n_students"].tolist() == [privacy.HIDDEN, privacy.HIDDEN]
    assert ell["note"].nunique() == 1 and ell["note"].iloc[0]
    assert not e["n_students"].str.startswith("<").any()
    # iep family: nobody has an IEP; "0" would be a disclosure, so both are hidden too
    iep = e[e["group"].str.contains("IEP")]
    assert len(iep) == 2 and (iep["n_students"] == privacy.HIDDEN).all()


# ------------------------------------------------------------------ minimum n (17.6)

def test_minimum_n_is_the_policy_and_a_parameter_can_only_raise_it():
    policy = privacy.minimum_n()
    assert policy == privacy.DEFAULT_MIN_N == 10
    for low in (1, 0, -1, 5):
        assert privacy.minimum_n(low) == policy
    assert privacy.minimum_n(20) == 20
    for bad in ("ten", True, 2.5):
        with pytest.raises(ValueError, match="min_n"):
            privacy.minimum_n(bad)


@pytest.mark.parametrize("query", ["min_n=1", "min_n=0", "min_n=-1"])
def test_no_url_parameter_lowers_min_n_on_the_principal_dashboard(query):
    defaults = dict(school="S101", cycle=6, method="decaying_average", min_n=10)
    p = page.parameters(defaults, f"school=S101&{query}")
    extra = dict((k, x) for k, _, _, x in P.sections(D.resolve(DATA), p["school"], p["cycle"],
                                                     p["method"], min_n=p["min_n"]))["equity"]
    # O'odham speakers at S101: 3, never a number on the page
    assert "O&#x27;odham" in extra or "O'odham" in extra
    counts = [int(x) for x in re.findall(r"<td[^>]*>(\d+)</td>", extra)]
    assert counts and min(counts) >= 10
    d = D.district(D.resolve(DATA), 6, "decaying_average")
    assert P.equity(d, "S101", min_n=p["min_n"]).equals(P.equity(d, "S101"))


def test_no_parameter_lowers_min_n_in_the_views():
    students, rows = family_of_24()
    proj = rows[["student_id", "subject", "targets_mastered", "targets_total", "on_track"]]
    base = talk.equity_table(proj, students)
    for low in (1, 0, -1):
        assert talk.equity_table(proj, students, min_n=low).equals(base)


# ------------------------------------------- the sample district's pages, as one set

def test_every_wider_audience_page_of_the_sample_district_audited_as_one_set():
    """The principal dashboard of every school, the grade overview of every grade of every
    school (students), and the implementation review of the district beside every
    school's (survey respondents): each set audited together, protection ⌈10/2⌉ = 5."""
    ds = ck.load_dataset(DATA)
    d = D.district(D.resolve(DATA), 6, "decaying_average")
    people = d.students.drop_duplicates("student_id")
    pages = []
    for school in sorted(people["school_id"].unique()):
        pages.append(principal_page(d, school))
        table = privacy.student_groups(people[people["school_id"] == school])
        rows = d.students[d.students["school_id"] == school]
        for grade in sorted(rows["grade"].unique()):
            groups = privacy.shown_groups(table, {"school_id": school, "grade": int(grade)},
                                          level=("school_id", "grade"))
            g = rows[rows["grade"] == grade]
            shown = talk.equity_table(g, people[people["student_id"].isin(g["student_id"])],
                                      groups=groups)
            pages.append(page_table("school_id, grade",
                                    {"school_id": school, "grade": int(grade)}, shown,
                                    reader(talk.EQUITY_LABELS)))
    for t in pages:
        check_shown_counts_are_true(people, t)
    report = privacy.audit_groups(people, pages, protection=5)
    assert report.ok, report.failures.head()
    assert len(report.cells) > 20          # there is something to protect

    # what a reader would get without suppressing together: each page alone fails
    alone = []
    for school in sorted(people["school_id"].unique()):
        s = people[people["school_id"] == school]
        for lv in privacy.PUBLISHED_LEVELS:
            alone.append(privacy.suppress_groups(s, families=FAMILIES, levels=[lv]))
    assert not privacy.audit_groups(people, alone, protection=5).ok

    # the implementation review: the district beside every school, per year, respondent
    # type and construct the schools split the district's count
    resp, items = ds.survey_responses, ds.survey_items
    full = surveys.construct_scores(resp, items, by=("year", "respondent", "school_id"),
                                    min_n=0)
    keys = ["year", "respondent", "construct"]
    full = full.assign(school_id=full["school_id"].astype(str))
    respondents = full.loc[full.index.repeat(full["n"].astype(int)), keys + ["school_id"]]
    review = []
    for school in sorted(resp["school_id"].astype(str).unique()):
        sc = surveys.construct_scores(surveys.for_school(resp, school), items,
                                      by=("year", "respondent"), published_with=resp)
        shown = surveys.report_counts(sc)
        review.append(pd.DataFrame({"level": ", ".join(keys), **{k: sc[k] for k in keys},
                                    "family": "school_id", "group": school,
                                    "hidden": shown["n"] == privacy.HIDDEN}))
    rep = privacy.audit_groups(respondents.reset_index(drop=True), review, protection=5)
    assert rep.ok, rep.failures.head()


def test_school_review_beside_the_district_review_is_suppressed_with_it():
    """A school with 5 staff respondents: the district review shows the district's staff
    count, the other schools' reviews theirs; without suppressing together the 5 follows
    by subtraction."""
    ds = ck.load_dataset(DATA)
    resp, items = ds.survey_responses, ds.survey_items
    staff = resp[(resp["respondent"] == "staff") & (resp["school_id"].astype(str) == "S103")]
    keep_ids = pd.unique(staff["respondent_id"])[:5]
    resp = resp[~resp["respondent_id"].isin(staff["respondent_id"])
                | resp["respondent_id"].isin(keep_ids)].reset_index(drop=True)
    keys = ["year", "respondent", "construct"]
    full = surveys.construct_scores(resp, items, by=("year", "respondent", "school_id"),
                                    min_n=0).assign(school_id=lambda t: t["school_id"].astype(str))
    people = full.loc[full.index.repeat(full["n"].astype(int)), keys + ["school_id"]]
    people = people.reset_index(drop=True)

    def reviews(together):
        out = []
        for school in sorted(resp["school_id"].astype(str).unique()):
            sc = surveys.construct_scores(surveys.for_school(resp, school), items,
                                          published_with=resp if together else None)
            shown = surveys.report_counts(sc)
            assert not shown["n"].isin([str(k) for k in range(1, 10)]).any()
            out.append(pd.DataFrame({"level": ", ".join(keys), **{k: sc[k] for k in keys},
                                     "family": "school_id", "group": school,
                                     "hidden": shown["n"] == privacy.HIDDEN}))
        return out
    alone = privacy.audit_groups(people, reviews(False), protection=5)
    assert not alone.ok and set(alone.failures["group"]) == {"S103"}
    assert (alone.failures["low"] == alone.failures["high"]).all()      # exactly recovered
    assert privacy.audit_groups(people, reviews(True), protection=5).ok


def test_grade_overview_hides_what_the_set_hides():
    """talk.grade_equity given the roster uses the set's pattern for its grade, so the
    grade overview and the school dashboard read side by side stay safe."""
    ds = ck.load_dataset(DATA)
    views = talk.grade_views(ds, "S101", 4, 6)
    shown = talk.grade_equity(views, students=ds.students, min_n=1)
    table = privacy.student_groups(ds.students[ds.students["school_id"] == "S101"])
    want = privacy.shown_groups(table, {"school_id": "S101", "grade": 4},
                                level=("school_id", "grade"))
    value_of = reader(talk.EQUITY_LABELS)
    got = {value_of(g): n == privacy.HIDDEN for g, n in zip(shown["group"], shown["n_students"])}
    assert got == {(f, v): h for f, v, h in zip(want["family"], want["group"], want["hidden"])}
    assert any(got.values()) and not all(got.values())
    # min_n=1 asked for, the district's 10 used: the one O'odham speaker is hidden
    assert got[("home_language", "O'odham")]


def test_minimum_n_follows_a_district_policy_object():
    class Policy:
        min_n = 15
    assert privacy.minimum_n(policy=Policy()) == 15
    assert privacy.minimum_n(1, policy=Policy()) == 15
    assert privacy.minimum_n(30, policy=Policy()) == 30
    with pytest.raises(ValueError, match="policy min_n"):
        privacy.minimum_n(policy=0)
