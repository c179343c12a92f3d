"""Create or upgrade the meeting log's schema with Alembic, safely from many processes.

Opening a log checks ``alembic_version`` (one cheap query). Only when it is missing or
behind does it run ``alembic upgrade head``, inside a write transaction that first takes a
lock so that two kernels opening a new log at once do not both create the tables:
``BEGIN IMMEDIATE`` on SQLite (transactional DDL), ``pg_advisory_xact_lock`` on
PostgreSQL. The revision is re-read under the lock, so the second process finds the work
done.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from .engine import run_write
from .schema import SCHEMA_VERSION

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_KEY = 0x636B6C6F67   # "cklog": the advisory lock id on PostgreSQL


def alembic_config(url: str | None = None):
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def current_version(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the schema to ``revision``; return the version now in the database."""
    with engine.connect() as conn:
        version = current_version(conn)
        conn.rollback()
    if version == SCHEMA_VERSION and revision == "head":
        return version

    def run(conn):
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        if current_version(conn) == SCHEMA_VERSION and revision == "head":
            return SCHEMA_VERSION
        from alembic import command
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        return current_version(conn)

    return run_write(engine, run)
