"""Saves that reach every process: the one way a console save is announced and followed.

Several `tousu serve` processes share the SQL database and (in production) Redis. When an
operator saves something one of them serves (a reply script, the classifier lexicon, the
routing rules), that process applies it at once and announces it with `SaveBroadcast.announce`
on a topic of the event bus; every process that follows the topic (`SaveBroadcast.follow`)
applies the announced save in the background. Each broadcast carries an origin id, so the
process that saved ignores its own announcement and never applies a save twice.

Applying is the owner's callback. It re-reads the saved thing from where it is durable and
validates it before anything is swapped: a `ConfigError` (a file that does not load, or not
the one announced) leaves the running version in place and is logged as an error. With
memory coordination there is one process, and the in-memory bus delivers to nobody else.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from intake.errors import ConfigError
from intake.ports import EventBus

log = logging.getLogger(__name__)

Apply = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(slots=True)
class SaveBroadcast:
    """Announce this process's saves of one kind on `topic`; apply the other processes' saves.

    `kind` is the message's `type` (`script_saved`, `lexicon_saved`, `rules_saved`); `apply`
    receives each announcement of another process (the message as published).
    """

    bus: EventBus | None
    topic: str
    kind: str
    apply: Apply
    origin: str = field(default_factory=lambda: uuid.uuid4().hex)
    follower: asyncio.Task[None] | None = None

    async def announce(self, data: dict[str, Any]) -> None:
        """Publish a save (`data` plus its type and this process's origin); failures are logged.

        The save itself is already durable, so a bus failure only delays the other processes
        until their next reload or restart.
        """
        if self.bus is None:
            return
        try:
            await self.bus.publish(self.topic, {**data, "type": self.kind, "origin": self.origin})
        except Exception:
            log.exception("could not announce %s %s", self.kind, data)

    async def follow(self) -> None:
        """Apply the other processes' saves from now on; returns once subscribed (raises if it cannot)."""
        if self.bus is None or self.following:
            return
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.follower = asyncio.create_task(self._follow(self.bus, ready), name=f"follow-{self.kind}")
        await ready

    async def start(self) -> None:
        """`follow`, logging a failure instead of raising (this process still works; it picks up
        the other processes' saves at its restart)."""
        try:
            await self.follow()
        except Exception:
            log.exception("cannot follow %s of other processes", self.kind)

    async def stop(self) -> None:
        """Stop following."""
        task, self.follower = self.follower, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    @property
    def following(self) -> bool:
        """True while the follower runs."""
        return self.follower is not None and not self.follower.done()

    async def _follow(self, bus: EventBus, ready: asyncio.Future[None]) -> None:
        try:
            async with bus.subscribe(self.topic) as messages:
                ready.set_result(None)
                async for message in messages:
                    if message.get("type") == self.kind and message.get("origin") != self.origin:
                        await self._apply(message)
            log.warning("the event bus closed: %s of other processes are no longer followed", self.kind)
        except Exception as error:
            if not ready.done():
                ready.set_exception(error)
            else:
                log.exception("following %s stopped", self.kind)
        finally:
            if not ready.done():  # cancelled before subscribing: whoever waits must not wait for ever
                ready.cancel()

    async def _apply(self, message: dict[str, Any]) -> None:
        try:
            await self.apply(message)
        except ConfigError as error:  # validated before any swap: the running version stays
            log.error("%s from another process refused, keeping the running one: %s", self.kind, error)
        except Exception:  # the next save or a restart applies again
            log.exception("applying %s from another process failed", self.kind)
