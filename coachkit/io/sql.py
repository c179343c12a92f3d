"""The canonical tables in any SQL database SQLAlchemy can reach.

``load_sql(url)`` reads the tables (or views) named like the canonical tables —
``schools``, ``classrooms``, ``students``, ``targets``, ``evidence`` and, when present,
``cycles``, ``diagnostics``, ``survey_items``, ``survey_responses``, ``conditions`` —
through the same checks as the file loaders: columns are matched by name (case,
spaces and underscores ignored), cells parsed into the canonical types, bad rows
rejected with the table, row (1-based, in the order the database returned them) and
column. A district usually points coachkit at *views* over its warehouse, e.g.::

    CREATE VIEW evidence AS
      SELECT sis_id AS student_id, standard_id AS target_id, scored_on AS date,
             score, kind, 'gradebook' AS source
      FROM gradebook.scores ORDER BY scored_on, score_id;

Evidence order within a day is the order the database returns; give views an ORDER BY.
A table with a ``coachkit_row`` column (``save_sql`` writes one) is read in that order and
the column is dropped.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..dataset import Dataset
from ..errors import CoachkitDataError
from ..schema import CORE_TABLES, TABLES
from .pipeline import assemble, check_errors, coerce_table

__all__ = ["load_sql", "save_sql", "sql_tables", "ORDER_COLUMN"]

# save_sql writes each row's position here; load_sql orders by it (SQL tables have no order).
ORDER_COLUMN = "coachkit_row"


def _engine(url):
    import sqlalchemy as sa
    if isinstance(url, sa.engine.Engine):
        return url, False
    return sa.create_engine(str(url)), True


def _label(engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def sql_tables(url, *, schema: str | None = None, prefix: str = "") -> dict[str, str]:
    """{canonical table: database table or view name} for the ones present."""
    import sqlalchemy as sa
    engine, own = _engine(url)
    try:
        insp = sa.inspect(engine)
        names = list(insp.get_table_names(schema=schema)) + list(insp.get_view_names(schema=schema))
    finally:
        if own:
            engine.dispose()
    lower = {n.lower(): n for n in names}
    return {t: lower[(prefix + t).lower()] for t in TABLES if (prefix + t).lower() in lower}


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Database values -> text cells as a CSV would give them (NULL -> empty)."""
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):   # an instant: the pipeline finds its local day
            text = s.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif pd.api.types.is_datetime64_any_dtype(s):
            text = s.dt.strftime("%Y-%m-%d")
        else:
            text = s.astype(object).map(lambda v: "" if v is None else
                                        (v.isoformat() if hasattr(v, "isoformat") else str(v)))
        out[c] = text.where(s.notna(), "")
    return pd.DataFrame(out, index=df.index)


def load_sql(url, errors: str = "raise", *, schema: str | None = None, prefix: str = "",
             time_zone=None) -> Dataset:
    """Load a Dataset from a SQLAlchemy URL (``sqlite:///district.db``,
    ``postgresql+psycopg://user@host/db``) or Engine.

    Tables or views are found by canonical name (optionally in ``schema`` and starting with
    ``prefix``). errors="raise" stops at the first bad cell with a CoachkitDataError naming
    the table, row, column, what was found and what was expected; errors="report" loads
    every good row and lists the rest in ``ds.rejected``. ``time_zone`` (default the
    machine's) turns timestamps with a time zone into the district's local dates.
    """
    import sqlalchemy as sa

    check_errors(errors)
    engine, own = _engine(url)
    label = _label(engine)
    try:
        try:
            found = sql_tables(engine, schema=schema, prefix=prefix)
        except sa.exc.SQLAlchemyError as err:
            raise CoachkitDataError(f"{label}: could not read the database ({err.__class__.__name__}: "
                                    f"{str(err).splitlines()[0]})", file=label) from err
        absent = [t for t in CORE_TABLES if t not in found]
        if absent:
            raise CoachkitDataError(
                f"{label}: no {prefix}{absent[0]} table or view"
                f"{f' in schema {schema}' if schema else ''}; a dataset needs "
                f"{', '.join(prefix + t for t in CORE_TABLES)} (tables or views named like them)",
                file=label, table=absent[0])
        parsed = {}
        with engine.connect() as conn:
            for name, real in found.items():
                query = sa.select(sa.text("*")).select_from(sa.table(real, schema=schema))
                try:
                    raw = pd.read_sql_query(query, conn)
                except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as err:   # a view over a dropped table
                    raise CoachkitDataError(
                        f"{label}: could not read {real} ({err.__class__.__name__}: "
                        f"{str(err).splitlines()[0][:200]}); check that the table or view "
                        f"can be queried", file=label, table=name) from None
                order = [c for c in raw.columns if c.lower() == ORDER_COLUMN]
                if order:
                    raw = raw.sort_values(order[0], kind="stable").drop(columns=order)
                    raw = raw.reset_index(drop=True)
                where = f"{label} {(schema + '.') if schema else ''}{real}"
                df, problems = coerce_table(_as_text(raw), name, file=where, first_row=1,
                                           time_zone=time_zone)
                for c in df.columns:      # subgroup columns keep the database's types
                    if c not in TABLES[name].names and c in raw.columns:
                        df[c] = raw[c].to_numpy()
                parsed[name] = (df, problems, where)
    finally:
        if own:
            engine.dispose()
    return assemble(parsed, errors=errors, source=label)


def save_sql(dataset: Dataset, url, *, schema: str | None = None, prefix: str = "",
             if_exists: str = "replace", tables=None) -> str:
    """Write each non-empty table (and every core table) to the database as
    ``<prefix><table>``; returns the URL with the password hidden. Categories are written as
    text, dates as dates, booleans as booleans."""
    engine, own = _engine(url)
    try:
        for name, df in dataset.tables.items():
            if tables and name not in tables:
                continue
            if not len(df) and name not in CORE_TABLES:
                continue
            out = df.copy()
            out[ORDER_COLUMN] = range(len(out))
            for c in out.columns:
                if isinstance(out[c].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(out[c]):
                    out[c] = out[c].astype(object).where(out[c].notna(), None)
            out.to_sql(prefix + name, engine, schema=schema, index=False, if_exists=if_exists,
                       chunksize=10_000, method="multi" if engine.dialect.name != "sqlite" else None)
        return _label(engine)
    finally:
        if own:
            engine.dispose()
