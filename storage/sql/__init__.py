"""The SQL store: SQLAlchemy 2 Core on its async engine, SQLite and PostgreSQL alike."""
