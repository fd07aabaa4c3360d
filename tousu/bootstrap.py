"""The one place that wires tousu together from its settings.

`build_runtime` opens the store (applying migrations), picks Redis or memory adapters
for coordination, loads the classifier, the router and the reply scripts, and builds
the intake pipeline and the outbox dispatcher. `Runtime.start_background` starts what a
serving process runs behind the requests, and `Runtime.close` stops it and releases
everything: `tousu serve` and `tousu telegram poll` both go through these two.

`Runtime.lexicon_saves` carries the console's lexicon saves to the other processes
(`tousu.broadcast`, `tousu.tuning.lexicon_reloader`); a started runtime follows it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bots.webchat import WebChatChannel
from classifier import load_classifier
from intake.dispatcher import OutboxDispatcher
from intake.pipeline import IntakeResult, IntakeService, IntakeSettings
from intake.ports import (
    Channel,
    Classifier,
    Clock,
    ConversationState,
    Dedupe,
    EventBus,
    ReplyScripts,
    Router,
    Store,
    Timers,
)
from intake.records import ConversationRef, TranscriptEntry
from intake.system_clock import SystemClock
from storage.crypto import FieldCipher, load_or_create_key
from storage.memory import MemoryConversationState, MemoryDedupe, MemoryEventBus, MemoryTimers
from storage.migrate import upgrade
from storage.redis_adapters import RedisConversationState, RedisDedupe, RedisEventBus, RedisTimers
from storage.redis_client import connect_redis
from storage.sql.store import SqlStore
from tousu.broadcast import SaveBroadcast
from tousu.channel_wiring import add_telegram, add_wechat_channels
from tousu.config import Settings
from tousu.routing_wiring import Routing, build_routing
from tousu.tuning import LEXICON_TOPIC, lexicon_path, lexicon_reloader

log = logging.getLogger(__name__)

LIVE_TOPIC = "console:complaints"


@dataclass(slots=True)
class Coordination:
    """The coordination adapters: Redis when configured, memory otherwise."""

    dedupe: Dedupe
    state: ConversationState
    timers: Timers
    bus: EventBus
    redis: Any = None


@dataclass(slots=True)
class Runtime:
    """Everything a running tousu process holds."""

    settings: Settings
    store: Store
    cipher: FieldCipher
    coordination: Coordination
    classifier: Classifier
    router: Router
    scripts: ReplyScripts
    intake: IntakeService
    dispatcher: OutboxDispatcher
    clock: Clock
    channels: dict[str, Channel] = field(default_factory=dict)
    routing: Routing | None = None
    lexicon_saves: SaveBroadcast | None = None

    async def history(self, conversation: ConversationRef) -> list[TranscriptEntry]:
        """The stored messages of a conversation, oldest first."""
        async with self.store.transaction() as tx:
            return await tx.complaints.conversation_history(conversation)

    def add_channel(self, channel: Channel) -> None:
        """Register a channel for outbound replies."""
        self.channels[str(channel.name)] = channel
        self.dispatcher.register(channel)

    async def start_background(self) -> None:
        """Start what a serving process runs besides taking messages in.

        The outbox dispatcher (replies), the follower of the other processes' lexicon saves,
        the routing layer (SLA timers rebuilt from the database, the watcher that reminds and
        escalates overdue complaints and serves the team queues, the followers of script and
        rules saves) and the channels. `close` stops all of it. `tousu serve` (at the web
        app's start-up) and `tousu telegram poll` both call this, so the two modes run the
        same service.
        """
        await self.dispatcher.start()
        if self.lexicon_saves is not None:
            await self.lexicon_saves.start()
        if self.routing is not None:
            await self.routing.start()
        for channel in self.channels.values():
            await channel.start(self.intake.receive)

    async def close(self) -> None:
        """Stop what `start_background` started and the channels, release connections."""
        await self.dispatcher.stop()
        if self.lexicon_saves is not None:
            await self.lexicon_saves.stop()
        if self.routing is not None:
            await self.routing.stop()
        for channel in self.channels.values():
            await channel.stop()
        await self.store.close()
        if self.coordination.redis is not None:
            await self.coordination.redis.aclose()


async def build_coordination(settings: Settings) -> Coordination:
    """Redis adapters when `redis_url` is set, memory adapters otherwise."""
    if not settings.redis_url:
        return Coordination(MemoryDedupe(), MemoryConversationState(), MemoryTimers(), MemoryEventBus())
    client = connect_redis(settings.redis_url)
    prefix = settings.redis_prefix
    return Coordination(
        RedisDedupe(client, prefix),
        RedisConversationState(client, prefix),
        RedisTimers(client, prefix),
        RedisEventBus(client, prefix),
        redis=client,
    )


async def build_runtime(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Runtime:
    """Wire a complete tousu from `settings` (see the module docstring)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    if migrate:
        await upgrade(url)
    cipher = FieldCipher(load_or_create_key(settings.data_dir, settings.secret_key))
    clock = clock or SystemClock()
    store = SqlStore(url, cipher)
    coordination = await build_coordination(settings)
    classifier = load_classifier(settings.classifier_model, lexicon_path(settings))
    routing = await build_routing(settings, store, coordination.timers, coordination.bus, clock)
    router, scripts = routing.router, routing.scripts
    intake = IntakeService(
        store=store,
        classifier=classifier,
        router=router,
        scripts=scripts,
        dedupe=coordination.dedupe,
        state=coordination.state,
        clock=clock,
        settings=IntakeSettings(
            followup_window=timedelta(minutes=settings.followup_window_minutes),
            timezone=settings.timezone,
            locale=settings.locale,
        ),
    )
    dispatcher = OutboxDispatcher(store, {}, clock)
    runtime = Runtime(settings, store, cipher, coordination, classifier, router, scripts, intake, dispatcher, clock)
    runtime.routing = routing
    runtime.lexicon_saves = SaveBroadcast(
        coordination.bus, LEXICON_TOPIC, "lexicon_saved", lexicon_reloader(settings, classifier)
    )
    intake.add_commit_hook(_commit_hook(runtime))
    intake.add_commit_hook(routing.after_intake)
    runtime.add_channel(WebChatChannel(intake, runtime.history, coordination.bus, locale=settings.locale))
    add_telegram(runtime)
    add_wechat_channels(runtime)
    return runtime


def _commit_hook(runtime: Runtime) -> Any:
    async def after_commit(result: IntakeResult) -> None:
        if result.replies:
            runtime.dispatcher.wake()
        if result.complaint is not None and not result.duplicate:
            await runtime.coordination.bus.publish(
                LIVE_TOPIC,
                {"type": "complaint", "number": result.complaint.number, "status": str(result.complaint.status)},
            )

    return after_commit
