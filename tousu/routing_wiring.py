"""Wiring of the routing layer (issue 5): rules, agents, versioned scripts, notifiers, SLA watcher.

`build_routing` is the one builder `tousu.bootstrap` calls. It loads and validates the
routing rules, seeds the stored agents from the rules' teams, loads the operators'
script versions, picks the notifiers the settings ask for, and builds the SLA watcher
and the workflow API. `Routing.start()` (from `Runtime.start_background`, under `tousu serve`
and `tousu telegram poll`) rebuilds the SLA timers from the database and runs the watcher;
`Routing.stop()` ends it.

Settings (also as `TOUSU_*` environment variables):
- `routing_rules` (TOUSU_ROUTING_RULES): the rules TOML; unset, `<data_dir>/routing.toml` (saved
  from the console's rules page) when it exists, else the shipped one.
- `scripts_path` (TOUSU_SCRIPTS_PATH): a TOML file of reply scripts replacing shipped ones.
- `TOUSU_WECOM_ROBOT_URL`: WeCom group robot webhook for agent notices.
- `TOUSU_TELEGRAM_AGENT_TOKEN` + `TOUSU_TELEGRAM_AGENT_CHAT`: Telegram bot and agents' chat id;
  `TOUSU_TELEGRAM_API_BASE` points the bot at another Bot API server.
- `TOUSU_COMPANY_NAME`: the company name the scripts use ({{ company }}).

Saves in one process reach the others (`tousu.broadcast.SaveBroadcast`, followed from
`Routing.start`): `Routing.scripts_saved` publishes a new script version (topic
`SCRIPTS_TOPIC`) and every other process reloads its book from the repository;
`Routing.rules_saved` publishes a rules save (topic `tousu.tuning.RULES_TOPIC`) and every
other process re-reads `<data_dir>/routing.toml`, validates it and swaps it in with
`reload_rules` (a file that does not load, or is not the one announced, is logged and the
running rules stay). With memory coordination there is one process and nothing to reach.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bots.notifiers import ConsoleFeedNotifier, TelegramAgentNotifier, WeComRobotNotifier
from intake.errors import ConfigError
from intake.pipeline import IntakeResult
from intake.ports import Clock, EventBus, Notifier, Store, Timers
from intake.records import Status
from intake.routing_ports import AgentRegistry, ScriptRepository, ScriptVersion
from router import load_rules, load_scripts, parse_rules
from router.config import RoutingConfig
from router.engine import RulesRouter
from router.notices import NoticeMaker, fan_out
from router.scripts import ScriptBook
from router.watcher import SlaWatcher
from router.workflow import RoutingWorkflow
from storage.memory_routing import MemoryAgentRegistry, MemoryScriptRepository
from storage.sql.routing import SqlAgentRegistry, SqlScriptRepository
from storage.sql.store import SqlStore
from tousu.broadcast import SaveBroadcast
from tousu.config import Settings
from tousu.tuning import RULES_FILE, RULES_TOPIC, read_announced, rules_path

log = logging.getLogger(__name__)

SCRIPTS_TOPIC = "routing:scripts"


@dataclass(slots=True)
class Routing:
    """The routing layer of a running tousu."""

    config: RoutingConfig
    router: RulesRouter
    scripts: ScriptBook
    registry: AgentRegistry
    repository: ScriptRepository
    notices: NoticeMaker
    watcher: SlaWatcher
    workflow: RoutingWorkflow
    notifiers: list[Notifier] = field(default_factory=list)
    running: bool = False
    pending: set[asyncio.Task[None]] = field(default_factory=set)
    bus: EventBus | None = None
    clock: Clock | None = None
    saved_rules: Path | None = None
    script_saves: SaveBroadcast = field(init=False)
    rule_saves: SaveBroadcast = field(init=False)

    def __post_init__(self) -> None:
        self.script_saves = SaveBroadcast(self.bus, SCRIPTS_TOPIC, "script_saved", self._script_announced)
        self.rule_saves = SaveBroadcast(self.bus, RULES_TOPIC, "rules_saved", self._rules_announced)

    async def start(self) -> None:
        """Rebuild the SLA timers from the database, run the watcher, follow script and rules saves."""
        await self.watcher.start()
        await self.script_saves.start()
        await self.rule_saves.start()
        self.running = True

    async def stop(self) -> None:
        """Stop the watcher and the save followers, release the notifiers' connections."""
        await self.settle()
        await self.unfollow_saves()
        await self.watcher.stop()
        self.running = False
        for notifier in self.notifiers:
            close = getattr(notifier, "close", None)
            if close is not None:
                await close()

    async def after_intake(self, result: IntakeResult) -> None:
        """Commit hook of the intake pipeline: a new complaint is notified and its SLA timers start.

        The follow-up runs in the background, so the customer's answer never waits for it. A new
        complaint's follow-up gets the routing decision's `notify` list from `result`, so it does
        not read the audit trail intake has just written.
        """
        complaint = result.complaint
        if result.duplicate or complaint is None:
            return
        if result.created:
            self._background(self.workflow.on_new_complaint(complaint.number, result.notify), complaint.number)
        elif complaint.status == Status.REOPENED:
            self._background(self.workflow.on_reopened(complaint.number), complaint.number)
        elif complaint.status == Status.CLOSED and complaint.team:  # its agent has room again
            self._background(self.workflow.serve_queue(complaint.team), complaint.number)

    async def reload_rules(self, config: RoutingConfig, at: datetime) -> None:
        """Swap the live routing rules for `config` (already validated by `router.parse_rules`).

        The router (and so the workflow and the SLA watcher, which read its rules), the
        notices, the scripts' team and agent names and this object use it from the next
        complaint on, and the agent registry is seeded with its teams' members (at `at`). Open
        complaints keep the team, priority and deadlines they were given. Only this process
        changes; the console's save then calls `rules_saved`, which brings the others along.
        """
        await self.registry.seed(config.agent_records(), at)
        self.router.replace_config(config)
        self.notices.replace_config(config)
        self.scripts.directory = replace(
            self.scripts.directory,
            teams={code: {"zh": team.name, "en": team.name_en} for code, team in config.teams.items()},
            agents=config.agent_names(),
            tz=config.tz,
        )
        self.config = config

    async def scripts_saved(self, version: ScriptVersion) -> None:
        """Tell the other processes that a script version was saved (they reload their book)."""
        await self.script_saves.announce({"key": version.key, "version": version.version})

    async def rules_saved(self, announced: dict[str, Any]) -> None:
        """Tell the other processes that this one saved and swapped in new rules
        (`tousu.tuning.announcement`); they re-read the file and swap it in too."""
        await self.rule_saves.announce(announced)

    async def follow_saves(self) -> None:
        """Apply the other processes' script and rules saves; returns once subscribed."""
        await self.script_saves.follow()
        await self.rule_saves.follow()

    async def unfollow_saves(self) -> None:
        """Stop following script and rules saves."""
        await self.script_saves.stop()
        await self.rule_saves.stop()

    async def _script_announced(self, announced: dict[str, Any]) -> None:
        await self.scripts.reload()

    async def _rules_announced(self, announced: dict[str, Any]) -> None:
        if self.saved_rules is None or self.clock is None:
            raise ConfigError("this process does not know where saved rules are written")
        config = parse_rules(read_announced(self.saved_rules, announced), str(self.saved_rules))
        previous = self.config.source
        await self.reload_rules(config, self.clock.now())
        log.info(
            "routing rules saved by %s reloaded from %s (sha256 %s; was %s)",
            announced.get("actor"),
            self.saved_rules,
            announced.get("sha256"),
            previous,
        )

    async def settle(self) -> None:
        """Wait for the follow-ups still running (tests, shutdown)."""
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    def _background(self, work: Coroutine[Any, Any, object], number: str) -> None:
        task = asyncio.create_task(_logged(work, number))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)


async def _logged(work: Coroutine[Any, Any, object], number: str) -> None:
    try:
        await work
    except Exception:  # the complaint is safe in the database; the watcher's rebuild catches up
        log.exception("routing follow-up of %s failed", number)


def setting(settings: Settings, name: str) -> str | None:
    """A setting by name: the `Settings` field when it exists, else `TOUSU_<NAME>` from the environment."""
    value = getattr(settings, name, None) or settings.env.get(f"TOUSU_{name.upper()}")
    return str(value) if value else None


def build_notifiers(settings: Settings, bus: EventBus) -> list[Notifier]:
    """The console feed always; WeCom and Telegram when configured."""
    notifiers: list[Notifier] = [ConsoleFeedNotifier(bus)]
    robot = setting(settings, "wecom_robot_url")
    if robot:
        notifiers.append(WeComRobotNotifier(robot))
    token, chat = setting(settings, "telegram_agent_token"), setting(settings, "telegram_agent_chat")
    if token and chat:
        notifiers.append(TelegramAgentNotifier(token, chat, api_base=setting(settings, "telegram_api_base")))
    return notifiers


async def build_routing(settings: Settings, store: Store, timers: Timers, bus: EventBus, clock: Clock) -> Routing:
    """Build the routing layer (see the module docstring)."""
    config = load_rules(rules_path(settings))
    registry: AgentRegistry
    repository: ScriptRepository
    if isinstance(store, SqlStore):
        registry, repository = SqlAgentRegistry(store.engine), SqlScriptRepository(store.engine)
    else:
        registry, repository = MemoryAgentRegistry(), MemoryScriptRepository()
    await registry.seed(config.agent_records(), clock.now())
    router = RulesRouter(config, clock=clock)
    company = setting(settings, "company_name")
    scripts = load_scripts(
        repository,
        config=config,
        company={"zh": company, "en": company} if company else None,
        clock=clock,
        scripts_path=settings.scripts_path,
    )
    await scripts.reload()
    notices = NoticeMaker(scripts, config, settings.locale)
    notifiers = build_notifiers(settings, bus)
    send = fan_out(notifiers)
    watcher = SlaWatcher(store, timers, router, notices, send, clock=clock)
    workflow = RoutingWorkflow(store, router, notices, send, registry=registry, watcher=watcher)
    watcher.on_tick = workflow.serve_all_queues
    return Routing(
        config,
        router,
        scripts,
        registry,
        repository,
        notices,
        watcher,
        workflow,
        notifiers,
        bus=bus,
        clock=clock,
        saved_rules=settings.data_dir / RULES_FILE,
    )


def routing_of(runtime: Any) -> Routing:
    """The routing layer of a runtime (for the CLI and the console)."""
    routing = getattr(runtime, "routing", None)
    if not isinstance(routing, Routing):
        raise RuntimeError("the runtime was built without the routing layer")
    return routing
