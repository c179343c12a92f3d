"""Engines that are safe with several writer processes, and the write-retry loop.

SQLite (the default, one file next to the data):
  * ``journal_mode=WAL``: readers never block the writer and the writer never blocks them;
  * ``synchronous=FULL``: a committed transaction survives power loss, not only a crash;
  * ``busy_timeout``: a writer waits for the lock instead of failing at once;
  * ``BEGIN IMMEDIATE`` for every write transaction. A deferred transaction that reads
    and then writes cannot be retried by the busy handler under WAL (SQLITE_BUSY_SNAPSHOT)
    whatever the timeout; taking the write lock at BEGIN avoids it. sqlite3's own
    transaction handling is switched off (``isolation_level=None``) and SQLAlchemy's
    ``begin`` event emits the BEGIN, as the SQLAlchemy SQLite documentation describes.
    Read transactions emit a plain (deferred) ``BEGIN`` so they see one snapshot.

PostgreSQL (a district): write transactions run at SERIALIZABLE; serialization failures
(SQLSTATE 40001) and deadlocks (40P01) are retried a bounded number of times with
exponential backoff and jitter. Lock-busy errors on SQLite are retried the same way.
A write that reads and then changes one hot record many writers touch at once (the level
set by hand on one student and target, the meeting of one classroom and cycle) names a
``lock``: on PostgreSQL it then takes a transaction advisory lock on that key first and
runs at READ COMMITTED, so those writers queue instead of failing serialization again
and again (each statement after the lock sees the previous writer's commit).
"""
from __future__ import annotations

import hashlib
import random
import time

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

WRITE = "coachkit_write"           # execution option marking a write connection
RETRY_SQLSTATES = {"40001", "40P01"}


class MeetingLogBusy(RuntimeError):
    """The database stayed busy (locked, or conflicting writers) after every retry."""


def safe_url(url) -> str:
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, *, busy_timeout: float = 30.0) -> Engine:
    """An engine for the meeting log with the settings above."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        engine = create_engine(u, connect_args={"timeout": busy_timeout})
        _sqlite_hooks(engine, busy_timeout)
    else:
        engine = create_engine(u, pool_pre_ping=True)
    return engine


def _sqlite_hooks(engine: Engine, busy_timeout: float):
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, record):
        dbapi_conn.isolation_level = None            # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if not memory:
            # Switching to WAL needs a moment's exclusive lock; once the file is in WAL
            # mode (it stays so) this is a read of the current mode.
            for attempt in range(50):
                try:
                    cur.execute("PRAGMA journal_mode = WAL")
                    break
                except Exception as e:                # sqlite3.OperationalError: locked
                    if "locked" not in str(e) or attempt == 49:
                        raise
                    time.sleep(0.05 + random.random() * 0.05)
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_retryable(exc: BaseException, dialect: str) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = getattr(exc, "orig", None)
    if dialect == "sqlite":
        msg = str(orig).lower()
        return isinstance(exc, OperationalError) and ("locked" in msg or "busy" in msg)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in RETRY_SQLSTATES


def lock_id(key: str) -> int:
    """A stable signed 64-bit advisory-lock id for a text key."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big",
                          signed=True)


def run_write(engine: Engine, fn, *, retries: int = 8, base_delay: float = 0.02,
              max_delay: float = 1.0, on_retry=None, lock: str | None = None):
    """Run ``fn(conn)`` in one write transaction, retrying transient conflicts.

    ``fn`` must be safe to run again from the start (it makes no changes outside the
    transaction; ids are chosen before calling). Returns what ``fn`` returns. Raises
    :class:`MeetingLogBusy` when the last retry fails too.
    """
    dialect = engine.dialect.name
    attempt = 0
    while True:
        try:
            with engine.connect() as conn:
                opts = {WRITE: True}
                if dialect == "postgresql":
                    opts["isolation_level"] = "READ COMMITTED" if lock else "SERIALIZABLE"
                conn.execution_options(**opts)
                with conn.begin():
                    if lock and dialect == "postgresql":
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)",
                                             (lock_id(lock),))
                    return fn(conn)
        except DBAPIError as e:
            if not is_retryable(e, dialect):
                raise
            attempt += 1
            if attempt > retries:
                raise MeetingLogBusy(
                    f"the meeting log at {safe_url(engine.url)} stayed busy after "
                    f"{retries} retries ({e.orig}); try again, or check for a stuck "
                    f"writer") from e
            if on_retry is not None:
                on_retry(attempt, e)
            delay = min(max_delay, base_delay * 2 ** (attempt - 1))
            time.sleep(delay * (0.5 + random.random()))


def read(engine: Engine, fn):
    """Run ``fn(conn)`` in one read transaction (one consistent snapshot)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            return fn(conn)
