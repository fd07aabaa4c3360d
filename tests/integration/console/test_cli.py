"""`tousu user create` and `tousu classifier export-corrections` against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.console.conftest import Console

ROOT = Path(__file__).resolve().parents[3]


def tousu(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_")}
    env |= {"TOUSU_DATA_DIR": str(data_dir), "TOUSU_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "tousu", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


async def test_user_create_then_login_and_export_corrections(console: Console, tmp_path: Path) -> None:
    data_dir = console.runtime.settings.data_dir
    made = tousu(
        data_dir, "user", "create", "first.admin", "--role", "admin", "--password-stdin", stdin="a long enough secret\n"
    )
    assert made.returncode == 0, made.stderr
    again = tousu(
        data_dir, "user", "create", "first.admin", "--role", "admin", "--password-stdin", stdin="a long enough secret\n"
    )
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    bad_role = tousu(
        data_dir, "user", "create", "x", "--role", "king", "--password-stdin", stdin="a long enough secret\n"
    )
    assert bad_role.returncode == 2 and "unknown role" in bad_role.stderr
    short = tousu(data_dir, "user", "create", "y", "--role", "agent", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "Traceback" not in short.stderr
    _, response = await console.login("first.admin", "a long enough secret")
    assert response.status == 303

    number = await console.complaint("阿姨迟到了十分钟")
    await console.assign(number, "customer_service", "zhang.min")
    browser = console.browsers["agent"]
    await browser.post(f"/console/tickets/{number}/classify", {"category": "damage", "severity": "serious"})
    await browser.post(f"/console/tickets/{number}/classify", {"category": "punctuality", "severity": "normal"})
    out = tmp_path / "corrections.jsonl"
    exported = tousu(data_dir, "classifier", "export-corrections", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"text": "阿姨迟到了十分钟", "category": "punctuality", "severity": "normal", "number": number}]
