"""Past one machine: the analyses on Dask equal the pandas ones exactly; evidence
partitioned by school round-trips; the cycle runner's Dask path builds the same reports
and index as the local process pool."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import coachkit.daskops as ckd  # noqa: E402
import coachkit.grouping as G  # noqa: E402
import coachkit.progress as P  # noqa: E402
from coachkit.io.dask import read_evidence_dask, write_evidence_partitioned  # noqa: E402
from coachkit.sample import make_district  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def ds():
    return make_district(600, seed=5)


@pytest.fixture(scope="module")
def pev(ds, client):
    """Evidence partitioned by student: the one shuffle."""
    return ckd.partition_by_student(dd.from_pandas(ds.evidence, npartitions=3, sort=False),
                                    npartitions=5)


def _shuffles(obj) -> set:
    """Distinct shuffle operations in a Dask collection's graph."""
    keys = obj.__dask_graph__().keys()
    names = {k[0] if isinstance(k, tuple) else k for k in keys}
    return {m.group(1) for n in names if (m := re.search(r"shuffle\w*-(?:\w+-)*([0-9a-f]{32})",
                                                         str(n)))}


def test_is_dask(ds):
    assert not ckd.is_dask(ds.evidence)
    assert ckd.is_dask(dd.from_pandas(ds.evidence.head(), npartitions=1))
    assert not ckd.is_dask(3)


def test_partitioning_keeps_students_whole_and_input_order(ds, pev):
    assert ckd.partition_key(pev) == "student_id" and pev.npartitions == 5
    import dask
    parts = dask.compute(*pev.to_delayed())
    seen = [set(p["student_id"].astype(str)) for p in parts]
    assert sum(map(len, seen)) == len(set.union(*seen)) == ds.evidence["student_id"].nunique()
    back = pd.concat(parts).reset_index(drop=True)
    # within a student, rows keep the input order (same-day scores: input order wins)
    ev = ds.evidence.reset_index(drop=True)
    want = ev.sort_values("student_id", kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(back, want)


@pytest.mark.parametrize("method,params", [
    ("most_recent", {}), ("decaying_average", {}), ("decaying_average", {"weight": 0.75}),
    ("highest", {}), ("mode", {}), ("n_times", {"n": 2}), ("best_fit", {}),
])
def test_mastery_equals_pandas(ds, pev, method, params):
    want = P.mastery(ds.evidence, method=method, **params)
    lazy = ckd.mastery(pev, method=method, **params)
    assert ckd.is_dask(lazy) and ckd.partition_key(lazy) == "student_id"
    pd.testing.assert_frame_equal(lazy.compute().reset_index(drop=True), want, check_exact=True)
    pd.testing.assert_frame_equal(ckd.mastery(pev, method=method, compute=True, **params), want,
                                  check_exact=True)


def test_mastery_kinds_and_mastery_line(ds, pev):
    want = P.mastery(ds.evidence, method="mean", kinds=["summative", "retake"], mastery_line=2.5)
    got = ckd.mastery(pev, method="mean", kinds=["summative", "retake"], mastery_line=2.5,
                      compute=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_knowledge_tracing_with_fitted_params(ds, pev):
    prm = P.fit_knowledge_tracing(ds.evidence)
    want = P.mastery(ds.evidence, method="knowledge_tracing", params=prm)
    got = ckd.mastery(pev, method="knowledge_tracing", params=prm, compute=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_knowledge_tracing_fits_on_the_cluster_equal_to_pandas(ds, pev, client):
    """EM on Dask: the E-step per partition, expected counts summed on the client, the
    M-step there; the parameters, likelihoods, iterations and the mastery table equal the
    pandas fit to 1e-9."""
    want = P.fit_knowledge_tracing(ds.evidence)
    with distributed.get_task_stream(client) as ts:
        got = P.fit_knowledge_tracing(pev)
    estep = [t for t in ts.data if "_part_counts" in str(t["key"])]
    assert len(estep) >= pev.npartitions * int(want["iterations"].max())   # per partition
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=1e-9)
    assert got["iterations"].tolist() == want["iterations"].tolist()
    m_want = P.mastery(ds.evidence, method="knowledge_tracing")
    m_got = ckd.mastery(pev, method="knowledge_tracing", compute=True)
    pd.testing.assert_frame_equal(m_got, m_want, check_exact=False, rtol=1e-9, atol=1e-9)
    assert m_got["mastered"].any() and (m_got["mastered"] == m_want["mastered"]).all()


def test_knowledge_tracing_on_dask_text_ids_unpartitioned_and_options(ds, client):
    ev = ds.evidence.astype({"student_id": "str", "target_id": "str"})
    dev = dd.from_pandas(ev, npartitions=3, sort=False)        # not partitioned yet
    opts = dict(mastery_line=2.5, kinds=["summative", "retake"], max_iter=4,
                init={"learn": 0.3})
    want = P.fit_knowledge_tracing(ev, **opts)
    got = P.fit_knowledge_tracing(dev, **opts)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=1e-9)
    assert (got["iterations"] == 4).all() and not got["converged"].any()
    kw = dict(mastery_line=2.5, kinds=["summative", "retake"], max_iter=4, mastery_threshold=0.9)
    pd.testing.assert_frame_equal(
        ckd.mastery(dev, method="knowledge_tracing", compute=True, **kw),
        P.mastery(ev, method="knowledge_tracing", **kw), check_exact=False, rtol=1e-9,
        atol=1e-9)


def test_expected_counts_of_parts_add_up_to_the_whole(ds):
    """The reason the E-step can run per partition: expected counts are sums over
    sequences, so the counts of disjoint sets of students add up to the counts of all."""
    from coachkit.progress.prepare import prepare
    from coachkit.progress.tracing import Sequences, expected_counts, start_params
    ev = ds.evidence
    codes = ev["student_id"].cat.codes.to_numpy()
    whole = prepare(ev).pairs
    prm, _ = start_params(whole.n_targets)
    total = expected_counts(Sequences(whole), prm)
    parts = sum(expected_counts(Sequences(prepare(ev[codes % 3 == i]).pairs), prm)
                for i in range(3))
    np.testing.assert_allclose(parts, total, rtol=1e-10, atol=1e-9)
    assert total[1].sum() > 0


def test_custom_method_travels_to_the_workers(ds, pev):
    @P.register_method("ck_test_median", per_pair=True)
    def median(scores):
        return float(np.median(scores))
    try:
        want = P.mastery(ds.evidence, method="ck_test_median")
        got = ckd.mastery(pev, method="ck_test_median", compute=True)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    finally:
        P.METHODS.pop("ck_test_median", None)


def test_unpartitioned_dask_input_is_partitioned_once(ds, client):
    ev = dd.from_pandas(ds.evidence, npartitions=4, sort=False)
    got = ckd.mastery(ev, method="most_recent", npartitions=3)
    assert len(_shuffles(got)) == 1
    pd.testing.assert_frame_equal(got.compute().reset_index(drop=True),
                                  P.mastery(ds.evidence, method="most_recent"))


def test_frontier_chains_without_another_shuffle(ds, pev):
    m = ckd.mastery(pev)
    pm = P.mastery(ds.evidence)
    f = ckd.frontier(m, ds.targets)
    f2 = ckd.frontier(m, ds.targets, ds.students)
    assert len(_shuffles(f2)) == 1                 # the partitioning step only
    pd.testing.assert_frame_equal(f.compute().reset_index(drop=True), P.frontier(pm, ds.targets))
    pd.testing.assert_frame_equal(ckd.frontier(m, ds.targets, ds.students, compute=True),
                                  P.frontier(pm, ds.targets, ds.students))
    pd.testing.assert_frame_equal(f2.compute().reset_index(drop=True),
                                  P.frontier(pm, ds.targets, ds.students))


def _frontier_with_rooms(ds, f):
    one = f[(f["subject"] == "math") & f["target_id"].notna()]
    return one.merge(ds.students[["student_id", "classroom_id"]], on="student_id")


def test_flexible_groups_equal_pandas(ds, client):
    pf = _frontier_with_rooms(ds, P.frontier(P.mastery(ds.evidence), ds.targets, ds.students))
    want = G.flexible_groups(pf, by="classroom_id", targets=ds.targets)
    got = ckd.flexible_groups(dd.from_pandas(pf, npartitions=3), by="classroom_id",
                              targets=ds.targets, compute=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    room = pf[pf["classroom_id"] == pf["classroom_id"].iloc[0]].drop(columns="classroom_id")
    pd.testing.assert_frame_equal(
        ckd.flexible_groups(dd.from_pandas(room, npartitions=2), min_size=2, max_size=5,
                            compute=True),
        G.flexible_groups(room, min_size=2, max_size=5), check_exact=True)


def test_partitioned_by_classroom_one_shuffle_for_the_whole_chain(ds, client):
    """Evidence partitioned by classroom: mastery, frontier and grouping all run on it."""
    ev = ds.evidence.merge(ds.students[["student_id", "classroom_id"]], on="student_id",
                           how="left")
    pc = ckd.partition_by_classroom(dd.from_pandas(ev, npartitions=3, sort=False), 4)
    pm = P.mastery(ds.evidence)
    m = ckd.mastery(pc)
    pd.testing.assert_frame_equal(ckd.mastery(pc, compute=True), pm)
    f = ckd.frontier(m, ds.targets, ds.students)
    pf = P.frontier(pm, ds.targets, ds.students)
    pd.testing.assert_frame_equal(ckd.frontier(m, ds.targets, ds.students, compute=True), pf)
    fr = f[(f["subject"] == "math") & ~f["target_id"].isna()]
    fr = ckd.merge(fr, ds.students[["student_id", "classroom_id"]], on="student_id")
    g = ckd.flexible_groups(fr, by="classroom_id", targets=ds.targets)
    assert len(_shuffles(g)) == 1
    want = G.flexible_groups(_frontier_with_rooms(ds, pf), by="classroom_id", targets=ds.targets)
    pd.testing.assert_frame_equal(g.compute().reset_index(drop=True), want, check_exact=True)


def test_different_categories_per_partition(ds, client, tmp_path):
    """Files written separately carry their own categories (codes differ per file); the
    result still equals pandas on the whole table."""
    ev = ds.evidence
    for i, chunk in enumerate(np.array_split(np.arange(len(ev)), 3)):
        part = ev.iloc[chunk].copy()
        for c in ("student_id", "target_id"):
            part[c] = part[c].astype("str").astype("category")     # own, smaller categories
        part.to_parquet(tmp_path / f"part{i}.parquet", index=False)
    raw = dd.read_parquet(str(tmp_path))
    got = ckd.mastery(raw, method="decaying_average", compute=True)
    pd.testing.assert_frame_equal(got, P.mastery(ev, method="decaying_average"),
                                  check_exact=True)


def test_evidence_parquet_partitioned_by_school(ds, client, tmp_path):
    folder = write_evidence_partitioned(ds, tmp_path, rows_per_file=30_000)
    schools = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert schools == [f"school_id={s}" for s in sorted(ds.schools["school_id"])]
    assert any(len(list((folder / s).glob("*.parquet"))) > 1 for s in schools)
    ev = read_evidence_dask(tmp_path)
    got = ev.compute()
    assert list(got.columns) == [*ds.evidence.columns, "school_id"]
    for c in ds.evidence.columns:
        assert got[c].dtype == ds.evidence[c].dtype, c
    # same rows; each student's rows in their original order, under the student's school
    a = got.drop(columns="school_id").sort_values("student_id", kind="stable", ignore_index=True)
    b = ds.evidence.sort_values("student_id", kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
    school_of = dict(zip(ds.students["student_id"], ds.students["school_id"]))
    assert (got["school_id"].astype(str) == got["student_id"].astype(str).map(school_of)).all()
    pd.testing.assert_frame_equal(ckd.mastery(ev, method="most_recent", compute=True),
                                  P.mastery(ds.evidence, method="most_recent"), check_exact=True)
    one = read_evidence_dask(tmp_path / "evidence", schools=["S101"],
                             columns=["student_id", "date", "score"])
    part = one.compute()
    assert set(part["school_id"].astype(str)) == {"S101"}
    assert list(part.columns) == ["student_id", "date", "score", "school_id"]
    assert part["student_id"].dtype == ds.evidence["student_id"].dtype


# ------------------------------------------------------------------- the cycle runner
PROBE = """{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "p", "metadata": {"tags": ["parameters"]},
   "outputs": [], "source": "data = None\\ncycle = 6\\nlanguage = 'en'\\nmethod = 'decaying_average'\\nschool = None\\ngrade = None\\nclassroom = None"},
  {"cell_type": "code", "execution_count": null, "id": "a", "metadata": {}, "outputs": [],
   "source": "import pandas as pd, plotly.graph_objects as go\\nfrom coachkit.charts import show\\nst = pd.read_parquet(f'{data}/students.parquet')\\nmine = st[st['classroom_id'] == classroom]\\nif classroom == FAILING:\\n    raise ValueError(f'probe failure in {classroom}')\\nprint(classroom, len(mine), sorted(mine['grade'].unique().tolist()))\\nshow(go.Figure(go.Bar(x=mine['home_language'].astype(str).value_counts().index.tolist(), y=mine['home_language'].astype(str).value_counts().tolist())))"}
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
              "language_info": {"name": "python"}},
 "nbformat": 4, "nbformat_minor": 5
}"""


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*.html"))}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_cycle_on_dask_equals_local(tmp_path):
    """``coachkit cycle --scheduler local`` == the local process pool: same outcomes (in job
    order), same reports and index, byte for byte. Runs the real data_talk protocol when
    it is there, else a probe notebook in which one classroom fails."""
    from coachkit import save_dataset
    from coachkit.runner import run_cycle
    small = make_district(150, seed=11)
    data = save_dataset(small, tmp_path / "district", format="parquet")
    rooms = small.classrooms.sort_values("classroom_id")["classroom_id"].tolist()[:3]
    if (ROOT / "notebooks" / "protocols" / "data_talk.ipynb").exists():
        protocol = "data_talk"
    else:
        protocol = str(tmp_path / "probe.ipynb")
        Path(protocol).write_text(PROBE.replace("FAILING", repr(rooms[1])), encoding="utf-8")
    kw = dict(cycle=6, protocol=protocol, classrooms=rooms, progress=False)
    local = run_cycle(data, out=tmp_path / "local", workers=2, **kw)
    dask_ = run_cycle(data, out=tmp_path / "dask", scheduler="local", **kw)
    assert [o.key for o in dask_.outcomes] == [j.key for j in dask_.jobs] == rooms
    assert [(o.key, o.ok, o.error) for o in dask_.outcomes] == \
        [(o.key, o.ok, o.error) for o in local.outcomes]
    if protocol != "data_talk":
        assert [o.ok for o in local.outcomes] == [True, False, True]
    a, b = _tree(tmp_path / "local"), _tree(tmp_path / "dask")
    assert sorted(a) == sorted(b) and "index.html" in a
    reports = [n for n in a if n != "index.html" and not n.endswith(".decision-sheet.html")]
    assert len(reports) == sum(o.ok for o in local.outcomes)
    for name in a:
        assert a[name] == b[name], name                      # byte for byte


class _FakeKernel:
    """Stands in for a WarmKernel: no Jupyter kernel, instant."""
    def execute(self, notebook, parameters):
        import nbformat
        from nbformat.v4 import new_code_cell, new_notebook, new_output
        if parameters.get("fail"):
            raise ValueError(f"boom in {parameters['classroom']}\nsecond line")
        cell = new_code_cell("print(1)")
        cell.outputs = [new_output("stream", name="stdout", text=f"room {parameters['classroom']}")]
        return nbformat.from_dict(new_notebook(cells=[cell]))


def test_failures_never_stop_the_run_and_results_keep_job_order(client, tmp_path, monkeypatch):
    import coachkit.runner.distributed as rd
    from coachkit.runner import Job
    monkeypatch.setattr(rd, "_kernel_for", lambda key, cwd: (_FakeKernel(), rd.threading.Lock()))
    real = rd._job_on_worker

    def flaky(job, cwd, write):
        if job.key == "lost":                      # as if the worker died under the job
            raise RuntimeError("worker lost")
        return real(job, cwd, write)
    monkeypatch.setattr(rd, "_job_on_worker", flaky)
    jobs = [Job(k, "nb.ipynb", {"classroom": k, "fail": k == "bad"}, str(tmp_path / f"{k}.html"),
                f"Data talk: {k}") for k in ["a", "bad", "lost", "b", "c"]]
    (tmp_path / "bad.html").write_text("stale")
    for write in ("client", "worker"):
        out = rd.run_jobs_dask(jobs, scheduler=client, progress=False, write=write)
        assert [o.key for o in out] == [j.key for j in jobs]
        assert [o.ok for o in out] == [True, False, False, True, True]
        assert out[1].error == "ValueError: second line"
        assert out[2].error == "RuntimeError: worker lost"
        assert "room a" in (tmp_path / "a.html").read_text()
        assert not (tmp_path / "bad.html").exists()
    with pytest.raises(ValueError, match="scheduler"):
        rd.run_jobs_dask(jobs, scheduler="nowhere", progress=False)


def test_the_public_functions_themselves_take_dask(ds, pev):
    """ck.progress.mastery / frontier and ck.grouping.flexible_groups accept Dask input
    directly (not only through coachkit.daskops)."""
    want_m = P.mastery(ds.evidence)
    lazy_m = P.mastery(pev)
    assert ckd.is_dask(lazy_m)
    pd.testing.assert_frame_equal(lazy_m.compute().reset_index(drop=True), want_m, check_exact=True)
    want_f = P.frontier(want_m, ds.targets, ds.students)
    got_f = P.frontier(lazy_m, ds.targets, ds.students, compute=True)
    pd.testing.assert_frame_equal(got_f, want_f, check_exact=True)
    pf = _frontier_with_rooms(ds, want_f)
    want_g = G.flexible_groups(pf, by="classroom_id", targets=ds.targets)
    got_g = G.flexible_groups(dd.from_pandas(pf, npartitions=3), by="classroom_id",
                              targets=ds.targets, compute=True)
    pd.testing.assert_frame_equal(got_g, want_g, check_exact=True)


def test_partitioning_is_a_leaf_and_the_analyses_do_not_import_daskops():
    """Imports run one way: partitioning <- progress, grouping <- daskops (issue 15)."""
    import ast
    root = Path(__file__).resolve().parents[1] / "coachkit"

    def imports(path):
        out = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                out.add(("." * node.level) + (node.module or ""))
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
        return out

    leaf = imports(root / "partitioning.py")
    assert not [m for m in leaf if m.startswith(".") or m.startswith("coachkit")], leaf
    for pkg in ("progress", "grouping"):
        for f in (root / pkg).glob("*.py"):
            assert not [m for m in imports(f) if "daskops" in m], f
    assert ckd.mastery is P.mastery and ckd.frontier is P.frontier
    assert ckd.flexible_groups is G.flexible_groups
