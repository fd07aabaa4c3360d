"""`tousu duty on|off|auto AGENT` and `tousu agents list`: who is on duty, and their load.

`on`/`off` are manual switches that win over the shifts of the routing rules; `auto` hands
the agent back to their shift. Coming on duty assigns the complaints waiting in the team
queue at once. Errors end in one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from intake.errors import NotFound
from intake.messages import register as register_messages
from intake.messages import text
from intake.routing_ports import DutyRoster
from router.choice import AgentChooser
from tousu.bootstrap import build_runtime
from tousu.config import Settings
from tousu.routing_wiring import routing_of

MESSAGES = {
    "zh": {
        "duty.on": "{agent}（{name}）已上岗。",
        "duty.off": "{agent}（{name}）已离岗。",
        "duty.auto": "{agent}（{name}）恢复按排班上岗。",
        "duty.assigned": "从等待队列指派：{number} → {agent}",
        "agents.header": "客服\t姓名\t团队\t组长\t班次\t开关\t当前在岗\t负载",
        "agents.switch_on": "上岗",
        "agents.switch_off": "离岗",
        "agents.switch_auto": "按排班",
        "agents.yes": "是",
        "agents.no": "否",
        "agents.none": "没有客服。请检查路由规则中的 [[teams]]。",
    },
    "en": {
        "duty.on": "{agent} ({name}) is on duty.",
        "duty.off": "{agent} ({name}) is off duty.",
        "duty.auto": "{agent} ({name}) follows their shift again.",
        "duty.assigned": "assigned from the queue: {number} → {agent}",
        "agents.header": "agent\tname\tteam\tlead\tshift\tswitch\ton duty now\tload",
        "agents.switch_on": "on",
        "agents.switch_off": "off",
        "agents.switch_auto": "shift",
        "agents.yes": "yes",
        "agents.no": "no",
        "agents.none": "No agents. Check the [[teams]] of the routing rules.",
    },
}

_SWITCH = {"on": True, "off": False, "auto": None}


def register(subparsers: Any) -> None:
    """Add `duty` and `agents` to the `tousu` command."""
    for locale, entries in MESSAGES.items():
        register_messages(locale, entries)
    duty = subparsers.add_parser("duty", help="switch an agent on or off duty (auto: back to the shift)")
    duty.add_argument("state", choices=sorted(_SWITCH), help="on, off or auto")
    duty.add_argument("agent", help="the agent id, e.g. ma.jun")
    duty.set_defaults(run=run_duty)
    agents = subparsers.add_parser("agents", help="agents of the routing teams")
    commands = agents.add_subparsers(dest="agents_command", required=True, metavar="ACTION")
    listing = commands.add_parser("list", help="every agent with duty and open load")
    listing.add_argument("--team", help="only this team")
    listing.set_defaults(run=run_agents_list)


async def run_duty(args: argparse.Namespace, settings: Settings) -> int:
    """`tousu duty on|off|auto AGENT`."""
    runtime = await build_runtime(settings)
    try:
        routing = routing_of(runtime)
        member = routing.config.agent(args.agent)
        if member is None:
            known = ", ".join(sorted(routing.config.agent_names()))
            raise NotFound(f"no agent {args.agent!r}; known agents: {known}", detail=f"{args.agent} ({known})")
        assigned = await routing.workflow.set_duty(args.agent, _SWITCH[args.state], "cli")
    finally:
        await runtime.close()
    locale = settings.locale
    print(text(f"duty.{args.state}", locale, agent=member.id, name=member.name))
    for number, agent in assigned:
        print(text("duty.assigned", locale, number=number, agent=agent))
    return 0


async def run_agents_list(args: argparse.Namespace, settings: Settings) -> int:
    """`tousu agents list [--team T]`."""
    runtime = await build_runtime(settings)
    try:
        routing = routing_of(runtime)
        if args.team and args.team not in routing.config.teams:
            known = ", ".join(sorted(routing.config.teams))
            raise NotFound(f"no team {args.team!r}; teams: {known}", detail=f"{args.team} ({known})")
        records = [a for a in await routing.registry.list_agents() if a.active]
        if args.team:
            records = [a for a in records if a.team == args.team]
        chooser = AgentChooser(routing.config.calendar)
        now = runtime.clock.now()
        present: set[str] = set()
        loads: dict[str, int] = {}
        async with runtime.store.transaction() as tx:
            for code in {a.team for a in records}:
                roster = tx.agents if isinstance(tx.agents, DutyRoster) else routing.registry
                present |= {a.id for a in await chooser.on_duty(routing.config.teams[code], now, roster)}
                loads |= await tx.agents.open_load(code)
    finally:
        await runtime.close()
    locale = settings.locale
    if not records:
        print(text("agents.none", locale), file=sys.stderr)
        return 0
    print(text("agents.header", locale))
    yes, no = text("agents.yes", locale), text("agents.no", locale)
    for agent in records:
        switch = {True: "on", False: "off", None: "auto"}[agent.on_duty]
        cells = [
            agent.id,
            agent.name,
            agent.team,
            yes if agent.is_lead else no,
            agent.shift or "-",
            text(f"agents.switch_{switch}", locale),
            yes if agent.id in present else no,
            f"{loads.get(agent.id, 0)}/{agent.capacity}",
        ]
        print("\t".join(cells))
    return 0
