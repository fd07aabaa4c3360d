"""`tousu customers import` and `tousu ledger export` as a user runs them: a real process, a real database."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from tousu.bootstrap import Runtime
from tousu.demo import run_demo

ROOT = Path(__file__).resolve().parents[2]


def tousu(data_dir: Path, *args: str, locale: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_")}
    env |= {"TOUSU_DATA_DIR": str(data_dir), "TOUSU_LOG_LEVEL": "WARNING"}
    if locale is not None:
        env["TOUSU_LOCALE"] = locale
    return subprocess.run(
        [sys.executable, "-m", "tousu", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


async def test_import_then_export(runtime: Runtime, tmp_path: Path) -> None:
    data_dir = runtime.settings.data_dir
    await run_demo(runtime)
    names = tmp_path / "customers.csv"
    names.write_text("姓名,电话,等级\n张丽,13800138000,VIP\n李雷,12345,老客户\n", encoding="utf-8-sig")
    loaded = tousu(data_dir, "customers", "import", str(names))
    assert loaded.returncode == 0, loaded.stderr
    assert "拒绝 1 行" in loaded.stdout and "3\t电话号码格式不正确：12345" in loaded.stdout
    async with runtime.store.transaction() as tx:
        assert (await tx.customers.find_by_phone("13800138000")) is not None

    workbook = tmp_path / "ledger.xlsx"
    exported = tousu(data_dir, "ledger", "export", str(workbook))
    assert exported.returncode == 0, exported.stderr
    rows = list(load_workbook(workbook).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "投诉编号" and len(rows) > 1
    assert exported.stdout == f"已导出 {len(rows) - 1} 行 → {workbook}\n"
    assert all("****" in str(r[6]) for r in rows[1:] if r[6])  # phones masked by default

    text_file = tmp_path / "ledger.csv"
    in_english = tousu(data_dir, "ledger", "export", str(text_file), "--show-phones", locale="en")
    assert in_english.returncode == 0 and in_english.stdout == f"{len(rows) - 1} rows exported → {text_file}\n"
    data = text_file.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) == len(rows)

    missing = tousu(data_dir, "customers", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and f"无法读取 {tmp_path / 'nope.csv'}" in missing.stderr
    assert "Traceback" not in missing.stderr
    missing = tousu(data_dir, "customers", "import", str(tmp_path / "nope.csv"), locale="en")
    assert missing.returncode == 2 and f"cannot read {tmp_path / 'nope.csv'}" in missing.stderr
    bad_day = tousu(data_dir, "ledger", "export", str(workbook), "--from", "yesterday")
    assert bad_day.returncode == 2 and "--from：不是日期（应为 YYYY-MM-DD）" in bad_day.stderr
    assert "Traceback" not in bad_day.stderr
    bad_day = tousu(data_dir, "ledger", "export", str(workbook), "--from", "yesterday", locale="en")
    assert bad_day.returncode == 2 and "--from: not a date (YYYY-MM-DD)" in bad_day.stderr
    unwritable = tousu(data_dir, "ledger", "export", str(tmp_path / "no-such-dir" / "ledger.csv"))
    assert unwritable.returncode == 2 and "无法写入" in unwritable.stderr
