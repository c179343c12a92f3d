"""Run coachkit's pandas analyses on Dask DataFrames, partition by partition.

Past one machine, the evidence of a district (or a state network) lives in a Dask
DataFrame. coachkit does not rewrite its analyses for Dask: it partitions the data ONCE
so that every student (or classroom) sits whole in one partition, then runs the very
same vectorized pandas function on each partition with ``map_partitions`` and an
explicit ``meta``::

    import coachkit.daskops as ckd
    from coachkit.io.dask import read_evidence_dask

    ev = read_evidence_dask("district/evidence")          # parquet, hive-partitioned by school
    ev = ckd.partition_by_student(ev, npartitions=16)     # the one shuffle
    m = ckd.mastery(ev, method="decaying_average")        # Dask DataFrame, lazy
    f = ckd.frontier(m, ds.targets, ds.students)          # no shuffle: m stays partitioned
    f.compute()                                           # == ck.progress.frontier(...) on pandas
    m_pd = ckd.mastery(ev, method="most_recent", compute=True)   # pandas, exactly as pandas

How partitioning is recorded
----------------------------
``partition_by_student(data, by=KEY)`` sets the index to ``__ck_<KEY>``: the position of
each row's KEY in the sorted KEY values (the category code for a categorical id with
sorted categories; the id itself for a text id), with known divisions. Inside each
partition, rows are grouped by KEY and keep their input order within a KEY, so
"same-day scores in input order" means what it meant in pandas. A function that needs
its rows grouped by KEY accepts data partitioned by KEY or by a coarser unit that
contains it (``classroom_id`` or ``school_id`` contain ``student_id``; ``school_id``
contains ``classroom_id``); anything else is partitioned first (that is the one shuffle).

Results
-------
A wrapped function returns a Dask DataFrame by default (lazy; chain it into the next
analysis without another shuffle). Its index is the partition index of the input
(``__ck_<KEY>``), its divisions the input's, so ``frontier(mastery(ev))`` needs no
shuffle. ``compute=True`` returns the pandas table, identical to the pandas function's
result: same rows, same order, same dtypes, a fresh RangeIndex. For a lazy result,
``collect(result)`` does the same. When the data is partitioned by the function's own
key (the default), ``result.compute().reset_index(drop=True)`` is already identical;
partitioned by a coarser unit, ``collect``/``compute=True`` puts rows back in the pandas
order with one stable sort by the function's key.

Categories
----------
Ids in big tables are ``category``. Every partition must carry the SAME categories, or
the pandas code (which works on category codes) would number students differently per
partition and the pieces would not concatenate. ``partition_by_student`` makes the key
column's categories known (``cat.as_known()``: one pass over that column when unknown)
and sorted; other category columns with unknown categories are made known too.
``coachkit.io.dask.read_evidence_dask`` sets the dataset's own categories without a pass.

Dask is optional: this module imports it only when a Dask object is passed.

The pieces: ``coachkit.partitioning`` (a leaf the analyses use) does the partitioning and
runs a function per partition; the analyses carry ``@dask_aware`` themselves, so the
names below are the analyses as they are (``ckd.mastery is coachkit.progress.mastery``);
shipping a notebook's own mastery method to the workers is ``progress.ship_method``.
"""
from __future__ import annotations

from .grouping import flexible_groups
from .partitioning import (collect, dask_aware, is_dask, known_categories, merge,
                           partition_by_classroom, partition_by_student, partition_key,
                           run_partitioned)
from .progress import frontier, mastery, ship_method

__all__ = ["is_dask", "partition_by_student", "partition_by_classroom", "partition_key",
           "known_categories", "merge", "dask_aware", "run_partitioned", "collect",
           "ship_method", "mastery", "frontier", "flexible_groups"]
