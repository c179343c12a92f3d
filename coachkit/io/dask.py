"""Evidence as Parquet partitioned by school, read into Dask.

    from coachkit.io.dask import write_evidence_partitioned, read_evidence_dask
    write_evidence_partitioned(ds, "district")       # district/evidence/school_id=S101/part-00000.parquet …
    ev = read_evidence_dask("district")              # Dask DataFrame, canonical dtypes + school_id
    ev = read_evidence_dask("district", schools=["S101", "S102"])   # only those folders are read

The folder is hive-style (``evidence/school_id=<id>/part-NNNNN.parquet``), so Spark,
DuckDB, pyarrow and Dask all read it as one table with a ``school_id`` column. Each file
holds whole students (a student's rows are never split over files) in the input order, so
"same-day scores in input order" survives the round trip, and files stay below
``rows_per_file``. A small ``evidence/_coachkit.json`` (ignored by Parquet readers: its
name starts with an underscore) keeps the dataset's category lists, so the reader gives
every partition the same, known categories without a pass over the data.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CoachkitDataError
from ..schema import TABLES, dtype_for

SIDECAR = "_coachkit.json"
ROWS_PER_FILE = 2_000_000


def _evidence_dtypes() -> dict:
    t = TABLES["evidence"]
    return {c.name: dtype_for(t, c) for c in t.columns}


def write_evidence_partitioned(dataset, folder, *, rows_per_file: int = ROWS_PER_FILE,
                               overwrite: bool = True) -> Path:
    """Write ``dataset.evidence`` to ``FOLDER/evidence/school_id=<id>/part-NNNNN.parquet``.

    dataset: a Dataset (its students table gives each student's school) or an evidence
        DataFrame that already has a ``school_id`` column.
    Files hold whole students and at most ``rows_per_file`` rows (a student with more
    rows gets a file alone). Returns the ``evidence`` folder.
    """
    if isinstance(dataset, pd.DataFrame):
        ev, students = dataset, None
    else:
        ev, students = dataset.evidence, dataset.students
    if "school_id" not in ev.columns:
        if students is None:
            raise CoachkitDataError("evidence has no school_id column; pass the Dataset so the "
                                    "students table can give each student's school",
                                    table="evidence", column="school_id")
        sid = ev["student_id"].astype("str")
        school = sid.map(dict(zip(students["student_id"].astype("str"),
                                  students["school_id"].astype("str"))))
        if school.isna().any():
            bad = sid[school.isna()].iloc[0]
            raise CoachkitDataError(f"evidence names student {bad!r}, who is not in the students "
                                    "table; validate the dataset first", table="evidence",
                                    column="student_id", found=bad)
    else:
        school = ev["school_id"].astype("str")
        ev = ev.drop(columns="school_id")
    out = Path(folder) / "evidence"
    if out.exists():
        if not overwrite:
            raise FileExistsError(f"{out} exists; pass overwrite=True to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    school_codes, schools = pd.factorize(school, sort=True)
    scode = ev["student_id"].cat.codes.to_numpy() if isinstance(
        ev["student_id"].dtype, pd.CategoricalDtype) else pd.factorize(ev["student_id"])[0]
    order = np.argsort(school_codes, kind="stable")      # by school, input order inside
    bounds = np.flatnonzero(np.diff(school_codes[order])) + 1
    for rows in np.split(order, bounds) if len(order) else []:
        sname = schools[school_codes[rows[0]]]
        sub = ev.iloc[rows]
        # whole students per file: cut the school's students (first-seen order) into runs
        st = scode[rows]
        u, first, counts = np.unique(st, return_index=True, return_counts=True)
        seq = np.argsort(first, kind="stable")
        cum = np.cumsum(counts[seq])
        cut_at = []
        start = 0
        for i, c in enumerate(cum):
            if c - start > rows_per_file and i and cum[i - 1] > start:
                cut_at.append(i)
                start = cum[i - 1]
        part_of_student = np.zeros(len(u), dtype=np.int64)
        part_of_student[seq] = np.searchsorted(np.array(cut_at, dtype=np.int64),
                                               np.arange(len(u)), side="right")
        file_no = part_of_student[np.searchsorted(u, st)]
        d = out / f"school_id={sname}"
        d.mkdir()
        for k in range(int(file_no.max()) + 1):
            piece = sub.iloc[np.flatnonzero(file_no == k)]
            piece.to_parquet(d / f"part-{k:05d}.parquet", index=False)
    cats = {c: [str(x) for x in ev[c].cat.categories] for c in ev.columns
            if isinstance(ev[c].dtype, pd.CategoricalDtype)}
    cats["school_id"] = [str(s) for s in schools]
    (out / SIDECAR).write_text(json.dumps({"table": "evidence", "partitioned_by": "school_id",
                                           "whole_students_per_file": True,
                                           "categories": cats}), encoding="utf-8")
    return out


def _evidence_folder(path) -> Path:
    path = Path(path)
    if (path / "evidence").is_dir():
        path = path / "evidence"
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such folder (expected a folder of Parquet files "
                                "partitioned by school, e.g. district/evidence/school_id=S101/)")
    return path


def _canonical(part: pd.DataFrame, dtypes: dict) -> pd.DataFrame:
    out = {}
    for c, dt in dtypes.items():
        if c not in part.columns:
            continue
        s = part[c]
        if isinstance(dt, pd.CategoricalDtype):
            if not isinstance(s.dtype, pd.CategoricalDtype):
                s = s.astype(dt)
            elif s.dtype != dt:
                if len(s.cat.categories) and not isinstance(s.cat.categories[0], str):
                    s = s.cat.rename_categories([str(x) for x in s.cat.categories])
                s = s.cat.set_categories(dt.categories)      # same labels, global codes
        elif str(s.dtype) != str(dt):
            s = s.astype(dt)
        out[c] = s
    extra = [c for c in part.columns if c not in dtypes]
    df = pd.DataFrame(out, index=part.index)
    for c in extra:
        df[c] = part[c]
    return df


def read_evidence_dask(path, *, schools=None, columns=None, categories: dict | None = None):
    """Read evidence written by :func:`write_evidence_partitioned` (or any hive-style
    Parquet folder ``school_id=<id>/``) into a Dask DataFrame.

    path: the dataset folder (holding ``evidence/``) or the evidence folder itself.
    schools: read only these schools' folders (Parquet partition pruning).
    columns: the columns to read (default all); ``school_id`` is always there.
    categories: ``{column: [categories]}`` to use instead of the stored lists.

    Columns have the canonical dtypes (ids and kinds ``category`` with the SAME known
    categories in every partition, date ``datetime64[ns]``, score ``float32``) plus
    ``school_id`` (category). One partition per file (whole students each). Rows come
    school by school; within a student, in the order they were written.
    """
    import dask.dataframe as dd
    folder = _evidence_folder(path)
    stored = {}
    if (folder / SIDECAR).exists():
        stored = json.loads((folder / SIDECAR).read_text(encoding="utf-8")).get("categories", {})
    stored.update(categories or {})
    filters = None
    if schools is not None:
        schools = [schools] if isinstance(schools, str) else list(schools)
        filters = [("school_id", "in", schools)]
    want = None if columns is None else list(dict.fromkeys([*columns, "school_id"]))
    ddf = dd.read_parquet(str(folder), filters=filters, columns=want, dataset={
        "partitioning": "hive"}, split_row_groups=False)
    dtypes = {c: dt for c, dt in _evidence_dtypes().items() if c in ddf.columns}
    dtypes["school_id"] = "category"
    resolved = {}
    for c, dt in dtypes.items():
        if dt != "category":
            resolved[c] = pd.api.types.pandas_dtype(dt)
            continue
        cats = stored.get(c)
        if cats is None:                                   # not stored: one pass, sorted
            col = ddf[c].astype("str").dropna().unique().compute()
            cats = sorted(col.tolist())
        if c == "school_id" and schools is not None:
            cats = [s for s in cats if s in set(schools)] or sorted(schools)
        resolved[c] = pd.CategoricalDtype(pd.Index(cats, dtype="str"))
    meta = _canonical(ddf._meta, resolved)
    order = [c for c in _evidence_dtypes() if c in meta.columns] + \
        [c for c in meta.columns if c not in _evidence_dtypes()]
    meta = meta[order]
    return ddf.map_partitions(lambda p: _canonical(p, resolved)[order], meta=meta)


__all__ = ["write_evidence_partitioned", "read_evidence_dask"]
