"""Partitioning for Dask: every student (or classroom) whole in one partition, and the
same pandas analysis run on each partition.

A leaf module: it knows pandas and (lazily) Dask, nothing of coachkit's analyses. The
analyses carry ``@dask_aware(key)``, so ``coachkit.progress.mastery(dask_frame)`` runs
partition by partition; ``coachkit.daskops`` is the user-facing guide and re-exports
this module's names. See ``coachkit.daskops`` for partitioning, results and categories.
"""
from __future__ import annotations

import functools
import inspect
import sys
from typing import Callable

import numpy as np
import pandas as pd

PREFIX = "__ck_"
ROW = "__ck_row"
# a partition by the key on the left also keeps whole each unit on the right
CONTAINS = {"student_id": ("classroom_id", "school_id"), "classroom_id": ("school_id",)}
ROW_BITS = 40          # row number inside an input partition (up to 10^12 rows)


# --------------------------------------------------------------------------- helpers
def is_dask(obj) -> bool:
    """True for a Dask DataFrame or Series (without importing dask)."""
    if "dask" not in sys.modules:
        return False
    mod = type(obj).__module__ or ""
    return mod.startswith("dask") and hasattr(obj, "map_partitions") \
        and hasattr(obj, "npartitions")


def partition_key(ddf) -> str | None:
    """The column DATA is partitioned by (see partition_by_student), or None."""
    name = getattr(ddf.index, "name", None) if is_dask(ddf) else None
    if isinstance(name, str) and name.startswith(PREFIX) and ddf.known_divisions:
        return name[len(PREFIX):]
    return None


def _covers(pkey: str | None, need: list[str]) -> bool:
    """Does a partition by PKEY keep every unit of NEED (one or more columns) whole?"""
    if pkey is None:
        return False
    if pkey in need:
        return True
    return any(pkey in CONTAINS.get(k, ()) for k in need)


def _is_cat(dtype) -> bool:
    return isinstance(dtype, pd.CategoricalDtype)


def _sorted_cats(cats: pd.Index) -> bool:
    return bool(cats.is_monotonic_increasing and cats.is_unique)


def known_categories(ddf, columns=None):
    """Make the category columns' categories known (one pass over each unknown column),
    sorted: the canonical form, the order pandas' ``astype("category")`` gives."""
    import dask.dataframe as dd
    meta = ddf._meta
    cols = [c for c in (columns or meta.columns)
            if c in meta.columns and _is_cat(meta[c].dtype)
            and not dd.utils.has_known_categories(ddf[c])]
    for c in cols:
        ddf = ddf.assign(**{c: ddf[c].cat.as_known()})
        cats = ddf._meta[c].cat.categories
        if not _sorted_cats(cats):        # the union comes in order of appearance
            ddf = ddf.assign(**{c: ddf[c].cat.set_categories(cats.sort_values())})
    return ddf


def _add_row(part: pd.DataFrame, partition_info=None) -> pd.DataFrame:
    n = (partition_info or {}).get("number", 0)
    out = part.copy(deep=False)
    out[ROW] = (np.int64(n) << ROW_BITS) + np.arange(len(part), dtype=np.int64)
    return out


def _keep_order(part: pd.DataFrame) -> pd.DataFrame:
    """After the shuffle: rows by key, then input order (the shuffle's sort is not stable)."""
    idx = part.index.to_numpy()
    order = np.lexsort((part[ROW].to_numpy(), idx))
    return part.iloc[order].drop(columns=ROW)


def _positions_of(values: pd.Series, cats: pd.Index | None) -> np.ndarray | pd.Series:
    """Partition coordinate of KEY values: category position (sorted categories) or the
    value itself for a text key."""
    if cats is None:
        return values.astype("str").to_numpy(dtype=object)
    if _is_cat(values.dtype) and values.cat.categories.equals(cats):
        return values.cat.codes.to_numpy().astype(np.int64)
    return np.searchsorted(cats.to_numpy(dtype=object),
                           values.astype("str").to_numpy(dtype=object)).astype(np.int64)


def _divisions(n_keys_or_values, npartitions: int):
    if isinstance(n_keys_or_values, (int, np.integer)):
        n = int(n_keys_or_values)
        if n == 0:
            return (0, 0)
        k = max(1, min(npartitions, n))
        cuts = np.unique(np.linspace(0, n, k + 1).round().astype(np.int64))
        return tuple(int(c) for c in cuts[:-1]) + (n - 1,)
    vals = list(n_keys_or_values)                 # sorted distinct text keys
    if not vals:
        return ("", "")
    k = max(1, min(npartitions, len(vals)))
    cuts = sorted(set(np.linspace(0, len(vals), k + 1).round().astype(int)[:-1]))
    return tuple(vals[c] for c in cuts) + (vals[-1],)


# ---------------------------------------------------------------------- partitioning
def partition_by_student(data, npartitions: int | None = None, *, by: str = "student_id",
                         categories=None):
    """Partition DATA (Dask or pandas) so that every ``by`` unit sits whole in one
    partition, partitions cover ranges of ``by`` in sorted order, and rows keep their input
    order within a unit. One shuffle (``set_index`` on the key's position with divisions
    computed from the categories, so no quantile pass); no-op when DATA is already
    partitioned by ``by`` into ``npartitions`` (or any number when None).

    by: ``"student_id"`` (default) or ``"classroom_id"``/``"school_id"`` (the column must be
        there: merge it from the students table first, see ``merge``).
    npartitions: partitions of the result; default: DATA's (for pandas input: one per
        ~1 million rows).
    categories: the key's categories, when the column is categorical with unknown ones
        and you know them (saves a pass); default: ``cat.as_known()``.

    A categorical key gets sorted categories (the canonical form; coachkit's loaders and
    sample generator produce sorted categories already). Returns a Dask DataFrame indexed
    by ``__ck_<by>``.
    """
    import dask.dataframe as dd
    if not is_dask(data):
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"partition_by_student expects a pandas or Dask DataFrame; "
                            f"got {type(data).__name__}")
        n = npartitions or max(1, -(-len(data) // 1_000_000))
        data = dd.from_pandas(data, npartitions=max(1, min(n, max(len(data), 1))), sort=False)
    if by not in data.columns:
        raise ValueError(f"cannot partition by {by!r}: the data has no such column "
                         f"(columns: {', '.join(map(str, data.columns))}); merge it in first, "
                         f"e.g. daskops.merge(ddf, students[['student_id', {by!r}]], "
                         f"on='student_id')")
    if partition_key(data) == by and (npartitions is None or npartitions == data.npartitions):
        return data
    if (getattr(data.index, "name", None) or "").startswith(PREFIX):
        data = data.reset_index(drop=True)
    nparts = npartitions or data.npartitions
    meta = data._meta
    name = PREFIX + by
    if _is_cat(meta[by].dtype):
        if categories is not None:
            data = data.assign(**{by: data[by].cat.set_categories(list(categories))})
        else:
            data = known_categories(data, [by])
        cats = data._meta[by].cat.categories
        if not _sorted_cats(cats):
            data = data.assign(**{by: data[by].cat.set_categories(sorted(cats))})
            cats = data._meta[by].cat.categories
        data = data.assign(**{name: data[by].cat.codes.astype("int64")})
        divisions = _divisions(len(cats), nparts)
    else:
        values = sorted(data[by].dropna().astype("str").unique().compute().tolist())
        data = data.assign(**{name: data[by].astype("str")})
        divisions = _divisions(values, nparts)
    data = known_categories(data)
    data = data.map_partitions(_add_row, meta=_add_row(data._meta))
    data = data.set_index(name, divisions=list(divisions), sort=True)
    return data.map_partitions(_keep_order, meta=_keep_order(data._meta))


def partition_by_classroom(data, npartitions: int | None = None, **kw):
    """``partition_by_student(data, npartitions, by="classroom_id")``."""
    return partition_by_student(data, npartitions, by="classroom_id", **kw)


def merge(ddf, table: pd.DataFrame, on, how: str = "left"):
    """Add a small pandas table's columns to a partitioned Dask DataFrame, partition by
    partition, keeping its index and divisions (so it stays partitioned; a plain
    ``ddf.merge`` drops the index)."""
    table = table.copy()

    def add(part):
        out = part.reset_index().merge(table, on=on, how=how, sort=False)
        return out.set_index(part.index.name or "index")
    return ddf.map_partitions(add, meta=add(ddf._meta))


# ------------------------------------------------------------------ per partition
def _index_for(out: pd.DataFrame, col: str, inputs) -> np.ndarray:
    """The partition coordinate of every output row, looked up through COL in the
    partition's input rows (every unit sits whole in one partition)."""
    keys, pos = [], []
    for df, p in inputs:
        if col not in df.columns or not len(df):
            continue
        s = df[col]
        if _is_cat(s.dtype):
            codes = s.cat.codes.to_numpy()
            u, first = np.unique(codes, return_index=True)
            ok = u >= 0
            keys.append(pd.Index(s.cat.categories[u[ok]]).astype("str"))
            pos.append(p[first[ok]])
        else:
            k = pd.Index(s.astype("str"))
            dup = k.duplicated()
            keys.append(k[~dup])
            pos.append(p[~dup])
    lookup = pd.Series(np.concatenate(pos), index=keys[0].append(keys[1:]))
    lookup = lookup[~lookup.index.duplicated()]
    s = out[col]
    if _is_cat(s.dtype):
        cat_pos = lookup.reindex(pd.Index(s.cat.categories).astype("str")).to_numpy()
        found = cat_pos[s.cat.codes.to_numpy()]
    else:
        found = lookup.reindex(pd.Index(s.astype("str"))).to_numpy()
    if pd.isna(found).any():
        raise RuntimeError(f"coachkit.daskops: output rows whose {col} is not in the "
                           "partition's input; the function does not keep units whole")
    return found


def _conform(out: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Give an (empty or unusual) partition's result the meta's columns and dtypes."""
    if list(out.columns) != list(meta.columns):
        extra = [c for c in out.columns if c not in meta.columns]
        if extra and len(out):
            raise RuntimeError(f"coachkit.daskops: a partition's result has column(s) "
                               f"{extra} that the inferred meta lacks; pass meta= (an empty "
                               f"DataFrame with the result's columns and dtypes)")
        out = out.reindex(columns=meta.columns)
    for c in meta.columns:
        if out[c].dtype != meta[c].dtype:
            if _is_cat(out[c].dtype) and _is_cat(meta[c].dtype) and len(out):
                raise RuntimeError(
                    f"coachkit.daskops: column {c!r} has other categories in a partition "
                    "than in the others; make the input's categories known and equal "
                    "(partition_by_student does) or pass meta=")
            try:
                out[c] = out[c].astype(meta[c].dtype)
            except (TypeError, ValueError):
                pass
    return out


_DASK_STRING = pd.StringDtype("pyarrow", na_value=pd.NA)


def as_pandas_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Dask stores text as ``string[pyarrow]`` (missing = pd.NA) where pandas 3 uses
    ``str`` (missing = NaN); give the pandas code the dtypes it gets from pandas, so it
    behaves, and answers, exactly as it does there."""
    cols = [c for c in df.columns if df[c].dtype == _DASK_STRING]
    if not cols:
        return df
    df = df.copy(deep=False)
    for c in cols:
        df[c] = df[c].astype("str")
    return df


def _run_part(part, *secondary, analysis, sig_args, frame_names, index_col, index_name, out_meta):
    pos = part.index.to_numpy()
    inputs = [(as_pandas_strings(part.reset_index(drop=True)), pos)]
    for s in secondary:
        inputs.append((as_pandas_strings(s.reset_index(drop=True)), s.index.to_numpy()))
    bound = dict(sig_args)
    for name, (df, _) in zip(frame_names, inputs):
        bound[name] = df
    out = analysis(**bound)
    out = out.reset_index(drop=True)
    idx = _index_for(out, index_col, inputs) if len(out) else pos[:0]
    out.index = pd.Index(idx, name=index_name, dtype=out_meta.index.dtype)
    return _conform(out, out_meta)


ATTR = "coachkit_partition_categories"


def _partition_categories(ddf, pkey: str):
    """The categories behind a categorical partition key's positions (None: text key,
    positions are the values)."""
    if pkey in ddf._meta.columns:
        col = ddf._meta[pkey]
        return col.cat.categories if _is_cat(col.dtype) else None
    if ddf._meta.index.dtype.kind not in "iu":
        return None
    cats = ddf._meta.attrs.get(ATTR)
    if cats is None:
        raise ValueError(f"the data is partitioned by {pkey!r} but no longer has that column "
                         "or its categories; keep the column, or partition by student")
    return pd.Index(cats, dtype="str")


def _aligned(table, main, pkey: str):
    """A small per-unit table (e.g. students) split along MAIN's divisions."""
    import dask.dataframe as dd
    if is_dask(table):
        if partition_key(table) == pkey and tuple(table.divisions) == tuple(main.divisions):
            return table
        table = table.compute()
    if pkey not in table.columns:
        raise ValueError(f"the data is partitioned by {pkey!r} but a table passed with it has "
                         f"no {pkey!r} column (columns: {', '.join(map(str, table.columns))})")
    cats = _partition_categories(main, pkey)
    pos = _positions_of(table[pkey], cats)
    lo, hi = main.divisions[0], main.divisions[-1]
    if cats is not None:
        pos = np.clip(pos, lo, hi)
    else:
        pos = np.where(pos < lo, lo, np.where(pos > hi, hi, pos))
    t = table.copy()
    t.index = pd.Index(pos, name=PREFIX + pkey)
    t = t.iloc[np.argsort(pos, kind="stable")]
    out = dd.from_pandas(t, npartitions=1, sort=True)
    return out.repartition(divisions=list(main.divisions))


def _key_cols(key, bound: dict) -> list[str] | None:
    cols = key(bound) if callable(key) else key
    if cols is None:
        return None
    return [cols] if isinstance(cols, str) else list(cols)


def _infer_meta(func, sig_args, frame, data, sec_names, secs) -> pd.DataFrame:
    """The result's columns and dtypes: the pandas function run on a two-row stand-in of
    the input (dask's ``meta_nonempty``: real categories, fake values), which shows the
    columns a method adds only when there is data (``fit`` for best_fit); if the function
    rejects the stand-in, on the empty input."""
    def run(which):
        args = dict(sig_args)
        args[frame] = as_pandas_strings(getattr(data, which).reset_index(drop=True))
        for n, s in zip(sec_names, secs):
            args[n] = as_pandas_strings(getattr(s, which).reset_index(drop=True))
        return func(**args)
    try:
        return run("_meta_nonempty").iloc[:0]
    except Exception:
        return run("_meta")


def run_partitioned(func: Callable, bound: dict, *, frame: str, key, aligned=(),
                    compute: bool = False, npartitions: int | None = None,
                    meta: pd.DataFrame | None = None):
    """Run ``func(**bound)`` on the Dask DataFrame ``bound[frame]``, one partition at a
    time (see module docstring). ``key``: the column(s) whose units must sit whole in a
    partition (or a callable of the bound arguments returning them; None = all rows in one
    partition). ``aligned``: other argument names holding per-unit tables to split along
    the same partitions (pandas or Dask)."""
    data = bound[frame]
    need = _key_cols(key, bound)
    if need is None:                                       # one block: one partition
        data = data.reset_index(drop=True).repartition(npartitions=1)
        data = data.map_partitions(lambda p: p.set_axis(
            pd.Index(np.zeros(len(p), np.int64), name=PREFIX + "all"), axis=0))
        data = data.clear_divisions()
        pkey = None
    else:
        pkey = partition_key(data)
        if not _covers(pkey, need):
            data = partition_by_student(data, npartitions, by=need[0])
            pkey = need[0]
    sec_names, secs = [], []
    for name in aligned:
        if bound.get(name) is not None:
            if pkey is None:
                t = bound[name].compute() if is_dask(bound[name]) else bound[name]
                import dask.dataframe as dd
                t = dd.from_pandas(t.reset_index(drop=True), npartitions=1, sort=False)
                secs.append(t.map_partitions(lambda p: p.set_axis(pd.Index(
                    np.zeros(len(p), np.int64), name=PREFIX + "all"), axis=0)).clear_divisions())
            else:
                secs.append(_aligned(bound[name], data, pkey))
            sec_names.append(name)
    index_name = data.index.name
    index_col = pkey if pkey is not None else None
    # output rows are located through the partition key if the output carries it,
    # otherwise through the function's own key (a finer unit inside the partition)
    sig_args = {k: v for k, v in bound.items() if k != frame and k not in sec_names}
    res_meta = meta if meta is not None else _infer_meta(func, sig_args, frame, data,
                                                         sec_names, secs)
    # text ids the pandas code turns into categories (mastery factorizes student_id and
    # target_id): each partition would number its own ids. Give them the global, sorted
    # categories first (one pass over those columns), as pandas' sorted factorize would.
    promote = [c for c in res_meta.columns if _is_cat(res_meta[c].dtype)
               and c in data.columns and not _is_cat(data._meta[c].dtype)]
    if promote:
        import dask
        found = dask.compute(*[data[c].dropna().unique() for c in promote])
        def cat_dtype(c, u):
            dt = data._meta[c].dtype
            dt = "str" if dt == _DASK_STRING else dt
            return pd.CategoricalDtype(pd.Index(pd.unique(np.asarray(u)), dtype=dt).sort_values())
        data = data.assign(**{c: data[c].astype(cat_dtype(c, u)) for c, u in zip(promote, found)})
        if meta is None:
            res_meta = _infer_meta(func, sig_args, frame, data, sec_names, secs)
    if not isinstance(res_meta, pd.DataFrame):
        raise TypeError(f"{getattr(func, '__name__', func)} does not return a DataFrame; "
                        "only table-returning analyses run on Dask")
    if pkey is not None:
        index_col = pkey if pkey in res_meta.columns else (need[0] if need[0] in res_meta.columns
                                                           else None)
        if index_col is None:
            raise ValueError(f"{func.__name__}'s result has neither {pkey!r} nor {need[0]!r}; "
                             "cannot keep it partitioned")
    meta = res_meta.iloc[:0].reset_index(drop=True)
    meta.index = pd.Index([], dtype=data._meta.index.dtype, name=index_name)
    if pkey is not None and pkey not in meta.columns:
        cats = _partition_categories(data, pkey)
        if cats is not None:                 # to split tables along these partitions later
            meta.attrs[ATTR] = [str(c) for c in cats]
    if pkey is None:
        def runner(part, *sec, **kw):
            bound2 = dict(sig_args)
            bound2[frame] = as_pandas_strings(part.reset_index(drop=True))
            for n, s in zip(sec_names, sec):
                bound2[n] = as_pandas_strings(s.reset_index(drop=True))
            out = func(**bound2).reset_index(drop=True)
            out.index = pd.Index(np.zeros(len(out), np.int64), name=index_name)
            return _conform(out, meta)
        result = data.map_partitions(runner, *secs, meta=meta, align_dataframes=False)
    else:
        result = data.map_partitions(
            _run_part, *secs, analysis=func, sig_args=sig_args, frame_names=[frame, *sec_names],
            index_col=index_col, index_name=index_name, out_meta=meta, meta=meta,
            align_dataframes=False)
    if compute:
        sort_col = need[0] if need else None
        exact = pkey is not None and pkey == (need[0] if need else None)
        return collect(result, sort_by=None if exact else sort_col)
    return result


def collect(result, sort_by: str | None = None) -> pd.DataFrame:
    """Compute a wrapped analysis' Dask result into the pandas function's exact table:
    concatenated partitions, a fresh RangeIndex; with ``sort_by`` (the function's key,
    needed only when the data was partitioned by a coarser unit) one stable sort on it,
    which is the pandas functions' own leading sort key."""
    out = result.compute() if is_dask(result) else result
    out = out.reset_index(drop=True)
    if sort_by is not None and sort_by in out.columns and len(out):
        out = out.sort_values(sort_by, kind="stable", ignore_index=True)
    return out


# --------------------------------------------------------------------------- decorator
def dask_aware(key="student_id", *, frame: str | None = None, aligned=(), prepare=None):
    """Let a pandas analysis take a Dask DataFrame as its first table argument.

    With pandas input the function runs as before (one cheap type check). With a Dask
    DataFrame it runs once per partition (see ``run_partitioned``) and returns a lazy Dask
    DataFrame; pass ``compute=True`` to get the pandas table, identical to the pandas
    result, ``npartitions=`` to choose the partitioning when it has to happen, and
    ``meta=`` to state the result's columns/dtypes instead of inferring them.

    key: column(s) whose units the function needs whole (``"student_id"``), or a callable
        of the bound arguments (``lambda a: a.get("by")`` for grouping; None there means
        the whole table is one block).
    frame: the argument holding the big table (default: the first parameter).
    aligned: argument names of small per-unit tables to split along the same partitions
        (``("students",)`` for frontier).
    prepare: ``prepare(bound_arguments) -> bound_arguments`` run before dispatching to Dask
        (e.g. ``ship_method`` so a custom mastery method registered in this process also
        exists on the workers).
    """
    def deco(func):
        sig = inspect.signature(func)
        fname = frame or next(iter(sig.parameters))

        @functools.wraps(func)
        def wrapper(*args, compute: bool = False, npartitions: int | None = None,
                    meta: pd.DataFrame | None = None, **kwargs):
            bound = sig.bind(*args, **kwargs)
            if not is_dask(bound.arguments.get(fname)):
                return func(*args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            # **params of the function travel as keywords
            for p in sig.parameters.values():
                if p.kind == p.VAR_KEYWORD and p.name in arguments:
                    arguments.update(arguments.pop(p.name))
            if prepare is not None:
                arguments = prepare(arguments)
            return run_partitioned(_call_with(func, sig), arguments, frame=fname, key=key,
                                   aligned=aligned, compute=compute, npartitions=npartitions,
                                   meta=meta)
        wrapper.__wrapped_pandas__ = func
        return wrapper
    return deco


class _call_with:
    """Picklable ``func(**arguments)`` that restores positional-only/var-positional use."""

    def __init__(self, func, sig):
        self.func, self.sig = func, sig
        self.__name__ = getattr(func, "__name__", "analysis")

    def __call__(self, **arguments):
        return self.func(**arguments)


__all__ = ["is_dask", "partition_by_student", "partition_by_classroom", "partition_key", "as_pandas_strings",
           "known_categories", "merge", "dask_aware", "run_partitioned", "collect"]
