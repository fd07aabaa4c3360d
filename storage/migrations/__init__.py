"""Alembic migrations of the tousu schema (applied by `storage.migrate.upgrade`)."""
