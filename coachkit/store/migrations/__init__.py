"""Alembic migrations of the meeting log (run by ``coachkit.store.migrate``; no alembic.ini)."""
