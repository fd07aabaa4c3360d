"""The one MetaData every table of tousu belongs to, and the loader of all schema modules.

Each feature keeps its tables in its own module named `storage/sql/schema*.py`
(`schema.py` for the core, `schema_routing.py`, `schema_console.py` …) that imports
`metadata` from here and adds its tables to it. `load_all()` imports every such module,
so Alembic (`storage/migrations/env.py`) and the tests see the complete schema without
a central list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def load_all() -> MetaData:
    """Import every `storage.sql.schema*` module and return the shared MetaData."""
    package = importlib.import_module("storage.sql")
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name.startswith("schema"):
            importlib.import_module(f"storage.sql.{module.name}")
    return metadata
