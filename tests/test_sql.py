"""The canonical tables in SQL: SQLite always, PostgreSQL through the pg_url fixture."""
from __future__ import annotations

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

import coachkit as ck
from coachkit.errors import CoachkitDataError
from coachkit.io import load_sql, save_sql

CORE = ["schools", "classrooms", "students", "targets", "evidence", "cycles", "diagnostics",
        "survey_items", "conditions"]


@pytest.fixture(scope="module")
def district():
    from coachkit.sample import make_district
    return make_district(13, seed=5)


def same(a, b, names=CORE):
    for name in names:
        x = getattr(a, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, getattr(b, name)[list(x.columns)], obj=name)


def test_sqlite_round_trip_and_load_dataset(tmp_path, district):
    url = f"sqlite:///{tmp_path / 'district.db'}"
    save_sql(district, url)
    same(district, load_sql(url))
    ds = ck.load_dataset(url)                            # "://" dispatches to load_sql
    assert len(ds.evidence) == len(district.evidence) and ds.source == url
    back = ds.survey_responses
    assert len(back) == len(district.survey_responses)


def test_views_named_like_the_tables(tmp_path, district):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    save_sql(district, url, prefix="raw_")
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE gradebook AS SELECT student_id AS sis_id, target_id AS std, "
                          "date AS scored_on, score AS pts, kind, source, coachkit_row FROM raw_evidence"))
        for t in ("schools", "classrooms", "students", "targets"):
            c.execute(sa.text(f"CREATE VIEW {t} AS SELECT * FROM raw_{t}"))
        c.execute(sa.text("CREATE VIEW evidence AS SELECT sis_id AS \"Student ID\", std AS target_id, "
                          "scored_on AS date, pts AS score, kind, source FROM gradebook ORDER BY coachkit_row"))
    eng.dispose()
    ds = load_sql(url)
    same(district, ds, ["schools", "classrooms", "students", "targets", "evidence"])


def test_bad_rows_name_table_row_and_column(tmp_path, district):
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    save_sql(district, url)
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("UPDATE evidence SET score = 7 WHERE coachkit_row = 2"))
        c.execute(sa.text("UPDATE evidence SET student_id = 'nobody' WHERE coachkit_row = 4"))
    eng.dispose()
    with pytest.raises(CoachkitDataError) as err:
        load_sql(url)
    e = err.value
    assert e.table == "evidence" and e.row == 3 and e.column == "score" and "evidence" in e.file
    ds = load_sql(url, errors="report")
    assert len(ds.evidence) + ds.rejected["row"].nunique() == len(district.evidence)
    assert set(ds.rejected["row"]) == {3, 5}


def test_missing_core_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE schools (school_id TEXT, name TEXT)"))
    eng.dispose()
    with pytest.raises(CoachkitDataError, match="no classrooms table or view"):
        ck.load_dataset(url)


@pytest.mark.postgres
def test_postgresql_round_trip(pg_url, district):
    schema = f"ck_{uuid.uuid4().hex[:10]}"                # unique per run: reruns never collide
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        save_sql(district, eng, schema=schema)
        same(district, load_sql(eng, schema=schema))
        # load_dataset takes the plain URL; point the search_path at the schema
        sep = "&" if "?" in pg_url else "?"
        ds = ck.load_dataset(f"{pg_url}{sep}options=-csearch_path%3D{schema}", errors="report")
        assert len(ds.rejected) == 0 and len(ds.evidence) == len(district.evidence)
        with eng.begin() as c:
            c.execute(sa.text(f'CREATE VIEW "{schema}".evidence_v AS SELECT * FROM "{schema}".evidence'))
        assert len(load_sql(eng, schema=schema).evidence) == len(district.evidence)
    finally:
        with eng.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        eng.dispose()
