"""Routing and SLA watcher costs, in one process on a temporary SQLite file (or --database-url).

    python benchmarks/routing.py [--decisions 5000] [--complaints 300] [--database-url URL]

1. Router decisions per second (rules, SLA deadlines on the business calendar, agent choice)
   over the shipped rules, with the load and duty switches in memory.
2. Complaints routed, stored and tracked (timers scheduled) per second through the workflow.
3. SLA steps carried out per second by the watcher (one transaction, audit event and notice
   each), all deadlines missed at once.
4. Lateness of the watcher loop on the real clock: timers due 1 s after scheduling, time from
   the due moment to the recorded step (p50/max).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.ports import PastComplaint, RoutingRequest  # noqa: E402
from intake.records import Category, ChannelName, Severity, Status, Tier  # noqa: E402
from router import load_router  # noqa: E402
from storage.crypto import FieldCipher  # noqa: E402
from tests.unit.router.harness import build_stack  # noqa: E402
from tests.unit.router.helpers import MONDAY_11, FixedClock, Loads  # noqa: E402

CATEGORIES = list(Category)


async def decisions(count: int) -> float:
    router = load_router(clock=FixedClock())
    old = PastComplaint("TS-20250101-000001", Status.CLOSED, datetime(2025, 1, 1, tzinfo=UTC))
    loads = Loads({"sun.li": 1, "ma.jun": 2})
    start = time.perf_counter()
    for i in range(count):
        request = RoutingRequest(
            f"TS-20261123-{i:06d}",
            CATEGORIES[i % len(CATEGORIES)],
            Severity.NORMAL if i % 5 else Severity.SERIOUS,
            ChannelName.WEBCHAT,
            MONDAY_11,
            f"c-{i}",
            Tier.VIP if i % 7 == 0 else Tier.REGULAR,
            (old,),
        )
        await router.route(request, loads)
    return count / (time.perf_counter() - start)


async def watcher(url: str, complaints: int) -> dict[str, float]:
    stack = await build_stack(url, FieldCipher(os.urandom(32)))
    try:
        start = time.perf_counter()
        made = [await stack.complaint(CATEGORIES[i % 4]) for i in range(complaints)]
        routed = complaints / (time.perf_counter() - start)
        latest = max(c.sla.first_response_due for c in made if c.sla.first_response_due)
        stack.clock.at = latest
        start = time.perf_counter()
        steps = await stack.run()
        fired = steps / (time.perf_counter() - start)
    finally:
        await stack.store.close()
    return {"routed_per_s": routed, "steps": steps, "steps_per_s": fired}


async def lateness(url: str, count: int = 20) -> dict[str, float]:
    stack = await build_stack(url, FieldCipher(os.urandom(32)))
    real = type("RealClock", (), {"now": staticmethod(lambda: datetime.now(UTC))})()
    stack.watcher._clock = real
    stack.router.clock = real
    stack.clock.at = datetime.now(UTC)  # complaints are received now; only first responses fall due
    delays: list[float] = []
    try:
        await stack.watcher.start()
        made = [await stack.complaint(Category.QUALITY) for _ in range(count)]
        due = datetime.now(UTC) + timedelta(seconds=1)
        for complaint in made:  # move each first-response deadline to one second from now
            async with stack.store.transaction() as tx:
                stored = await tx.complaints.get(complaint.number, with_transcript=False)
                assert stored is not None
                stored.sla = type(stored.sla)(**{**_sla(stored.sla), "first_response_due": due})
                await tx.complaints.save(stored)
                await stack.watcher.track(stored)
        await asyncio.sleep(2.5)
        for complaint in made:
            stored = await stack.get(complaint.number)
            if stored.escalations:
                delays.append((stored.escalations[0].at - due).total_seconds() * 1000)
    finally:
        await stack.watcher.stop()
        await stack.store.close()
    return {"fired": len(delays), "p50_ms": statistics.median(delays), "max_ms": max(delays)}


def _sla(sla: object) -> dict[str, object]:
    return {name: getattr(sla, name) for name in sla.__slots__}  # type: ignore[attr-defined]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--complaints", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        url2 = args.database_url or f"sqlite:///{folder}/bench2.db"
        rate = await decisions(args.decisions)
        flow = await watcher(url, args.complaints)
        late = await lateness(url2)
    print(f"router decisions/s (memory load):        {rate:10.0f}")
    print(f"complaints routed+stored+tracked/s:      {flow['routed_per_s']:10.1f}")
    print(f"SLA steps carried out/s ({flow['steps']:.0f} steps):     {flow['steps_per_s']:10.1f}")
    print(f"watcher lateness p50/max (ms, {late['fired']:.0f} timers): {late['p50_ms']:7.1f} / {late['max_ms']:.1f}")
    print(json.dumps({"decisions_per_s": rate, **flow, "lateness": late}))


if __name__ == "__main__":
    asyncio.run(main())
