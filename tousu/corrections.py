"""Agents' classification corrections, read from the database for
`tousu classifier export-corrections` (the `CorrectionSource` of `tousu.cli_classifier`)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from typing import Any

from intake.console_ports import ConsoleStore
from storage.crypto import FieldCipher, load_or_create_key
from storage.migrate import upgrade
from storage.sql.console import SqlConsoleStore
from storage.sql.store import SqlStore
from tousu.config import Settings, load_settings


async def read_corrections(store: ConsoleStore) -> list[dict[str, Any]]:
    """Every stored correction as a mapping for `corrections_to_rows`, oldest first."""
    async with store.transaction() as tx:
        found = await tx.worklog.corrections()
    return [
        {
            "number": c.complaint_number,
            "text": c.text,
            "category": str(c.category),
            "severity": str(c.severity),
            "original_category": str(c.original_category),
            "original_severity": str(c.original_severity),
            "at": c.at.isoformat(),
        }
        for c in found
    ]


async def _from_settings(settings: Settings) -> list[dict[str, Any]]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    await upgrade(url)
    store = SqlStore(url, FieldCipher(load_or_create_key(settings.data_dir, settings.secret_key)))
    try:
        return await read_corrections(SqlConsoleStore(store))
    finally:
        await store.close()


def stored_corrections(args: argparse.Namespace) -> list[Mapping[str, Any]]:
    """The corrections in the configured database (TOUSU_DATABASE_URL / TOUSU_DATA_DIR)."""
    return list(asyncio.run(_from_settings(load_settings())))
