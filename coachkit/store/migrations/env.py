"""Alembic environment for the meeting log.

``coachkit.store.migrate.upgrade`` passes an open connection (inside a write transaction
that already holds the migration lock) as ``config.attributes["connection"]``. Run by the
``alembic`` command line instead, it connects to ``sqlalchemy.url`` from the config.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from coachkit.store.schema import metadata

config = context.config


def run(connection):
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        run(conn)
