"""Report query time on a realistic ledger: dashboard, ledger page, risk list, xlsx export.

    python benchmarks/reports.py [--complaints 20000] [--customers 4000] [--runs 5]
                                 [--database-url URL] [--postgres-server URL] [--skip-postgres]

Generates complaints spread over 90 days (categories, severities, channels, teams,
agents, workers, SLA deadlines with met or missed times, ratings), stored encrypted
through the real schema (migrations applied), once on a SQLite file and once on a fresh
PostgreSQL database (created on the server and dropped afterwards). Then times each
query `--runs` times and prints the median and the slowest, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.records import (  # noqa: E402
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Priority,
    Severity,
    SlaDeadlines,
    Status,
    Tier,
)
from intake.report_ports import ReportFilter  # noqa: E402
from intake.risk import rank  # noqa: E402
from storage.crypto import FieldCipher  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.sql.complaint_rows import complaint_values  # noqa: E402
from storage.sql.reports import SqlReports  # noqa: E402
from storage.sql.schema import complaints, customers  # noqa: E402
from storage.sql.store import SqlStore  # noqa: E402
from tousu.console.ledger_files import record, xlsx_bytes  # noqa: E402

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"
TEAMS = {
    "customer_service": ["zhang.min", "li.na", "zhao.lei", "sun.li"],
    "dispatch": ["wu.lei", "zhou.jie"],
    "quality": ["qian.hui", "feng.yu", "chen.jing"],
    "management": ["boss"],
}
WORKERS = [f"{surname}阿姨" for surname in "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"]
TEXTS = ["阿姨迟到了一个小时", "保洁员打碎了花瓶", "钟点工态度很差", "多收了两百块", "预约了没人来", "擦窗户很马虎"]


def generate(count: int, customer_count: int, seed: int = 7) -> tuple[list[dict[str, Any]], list[Complaint]]:
    rng = random.Random(seed)
    people = [
        {
            "id": str(uuid.uuid4()),
            "tier": rng.choices([Tier.VIP, Tier.REGULAR, Tier.NEW], [1, 6, 3])[0],
            "created_at": NOW - timedelta(days=rng.uniform(0, 400)),
            "first_service_at": NOW - timedelta(days=rng.uniform(0, 500)) if rng.random() < 0.6 else None,
            "order_count": rng.randint(0, 40),
        }
        for _ in range(customer_count)
    ]
    made: list[Complaint] = []
    for i in range(count):
        received = NOW - timedelta(days=rng.uniform(0, 90))
        severity = rng.choices(list(Severity), [80, 17, 3])[0]
        team = rng.choice(list(TEAMS))
        status = rng.choices(list(Status), [10, 15, 15, 55, 5])[0]
        responded = received + timedelta(minutes=rng.expovariate(1 / 25)) if status != Status.PENDING else None
        resolved = (
            received + timedelta(hours=rng.expovariate(1 / 30)) if status in (Status.RESOLVED, Status.CLOSED) else None
        )
        made.append(
            Complaint(
                number=f"TS-{received:%Y%m%d}-{i:06d}",
                customer_id=rng.choice(people)["id"],
                channel=rng.choice(list(ChannelName)),
                conversation=ConversationRef(ChannelName.WEBCHAT, f"bench-{i}"),
                received_at=received,
                content=rng.choice(TEXTS) + f"（第{i}号）",
                category=rng.choice(list(Category)),
                severity=severity,
                priority=rng.choice(list(Priority)),
                confidence=rng.random(),
                status=status,
                source="bench",
                team=team,
                assignee=rng.choice(TEAMS[team]),
                sla=SlaDeadlines(
                    first_response_due=received + timedelta(minutes=30),
                    first_feedback_due=received + timedelta(hours=24) if severity == Severity.NORMAL else None,
                    report_due=received + timedelta(days=9),
                    first_response_at=responded,
                    first_feedback_at=responded + timedelta(hours=rng.uniform(1, 30)) if responded else None,
                    resolved_at=resolved,
                ),
                worker_ref=rng.choice(WORKERS) if rng.random() < 0.7 else None,
                repeat_of=f"TS-x-{i}" if rng.random() < 0.05 else None,
                satisfaction=rng.choices([1, 2, 3, 4, 5], [5, 5, 10, 30, 50])[0] if status == Status.CLOSED else None,
                updated_at=received,
            )
        )
    return people, made


async def populate(store: SqlStore, people: list[dict[str, Any]], made: list[Complaint]) -> float:
    started = time.perf_counter()
    cipher = store.cipher
    async with store.transaction() as tx:
        rows = [
            {
                "id": p["id"],
                "name_enc": cipher.encrypt(f"客户{n}"),
                "phone_enc": cipher.encrypt(f"138{n:08d}"),
                "phone_hash": cipher.hash_phone(f"138{n:08d}"),
                "tier": str(p["tier"]),
                "order_count": p["order_count"],
                "reachable": True,
                "created_at": p["created_at"],
                "first_service_at": p["first_service_at"],
            }
            for n, p in enumerate(people)
        ]
        await tx.connection.execute(customers.insert(), rows)
    for start in range(0, len(made), 2000):
        async with store.transaction() as tx:
            batch = [{"id": str(uuid.uuid4()), **complaint_values(c, cipher)} for c in made[start : start + 2000]]
            await tx.connection.execute(complaints.insert(), batch)
    return time.perf_counter() - started


async def timed(runs: int, work: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = await work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


async def bench(url: str, label: str, args: argparse.Namespace) -> None:
    cipher = FieldCipher(os.urandom(32))
    await upgrade(url)
    store = SqlStore(url, cipher)
    people, made = generate(args.complaints, args.customers)
    seconds = await populate(store, people, made)
    reports = SqlReports.for_store(store)
    zone = ZoneInfo(ZONE)
    last_90 = ReportFilter(received_from=NOW - timedelta(days=90))
    last_30_team = ReportFilter(received_from=NOW - timedelta(days=30), team="customer_service")
    page = ReportFilter(received_from=NOW - timedelta(days=30))

    async def export_30_days() -> int:
        records = [record(r, zone, "zh", False) async for r in reports.ledger_rows(page, NOW)]
        return len(xlsx_bytes(records, "zh"))

    async def risk() -> int:
        return len(rank(await reports.risk_facts(last_90, NOW)))

    cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("dashboard, 90 days, all teams", lambda: reports.dashboard(last_90, NOW, ZONE)),
        ("dashboard, 30 days, one team", lambda: reports.dashboard(last_30_team, NOW, ZONE)),
        ("ledger count + page of 50", lambda: _ledger_page(reports, page)),
        ("customers at risk, 90 days (query + score)", risk),
        ("xlsx export, 30 days", export_30_days),
    ]
    print(f"\n{label}: {args.complaints} complaints, {args.customers} customers (loaded in {seconds:.1f} s)")
    for name, work in cases:
        median, worst, result = await timed(args.runs if "xlsx" not in name else max(1, args.runs // 2), work)
        extra = ""
        if isinstance(result, int):
            unit = "bytes" if "xlsx" in name else ("customers" if "risk" in name else "rows")
            extra = f"  ({result} {unit})"
        elif hasattr(result, "total"):
            extra = f"  ({result.total} complaints)"
        print(f"  {name:<44} median {median:8.1f} ms   max {worst:8.1f} ms{extra}")
    await reports.close()
    await store.close()


async def _ledger_page(reports: SqlReports, query: ReportFilter) -> int:
    count = await reports.ledger_count(query, NOW)
    await reports.ledger(query, NOW, limit=50)
    return count


async def postgres_database(server: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"tousu_bench_{uuid.uuid4().hex[:12]}"
    admin = server.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(admin, timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=4_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="benchmark this database only (must be empty)")
    parser.add_argument(
        "--postgres-server",
        default=os.environ.get("TOUSU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if args.database_url:
        await bench(args.database_url, args.database_url.split(":", 1)[0], args)
        return
    with tempfile.TemporaryDirectory() as folder:
        await bench(f"sqlite:///{folder}/bench.db", "SQLite", args)
    if not args.skip_postgres:
        url, drop = await postgres_database(args.postgres_server)
        try:
            await bench(url, "PostgreSQL", args)
        finally:
            await drop()


if __name__ == "__main__":
    asyncio.run(main())
