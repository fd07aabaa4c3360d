"""The outbox dispatcher: sends committed replies through their channel.

Replies are leased from the outbox so that several processes can dispatch side by
side without sending one twice; a failed send is retried with exponential backoff;
a reply that cannot be delivered (or runs out of attempts) flags its complaint so an
agent calls the customer back. When the platform says how long to wait (a `DeliveryError`
with `retry_after_seconds`: Telegram's flood control), the reply is due again exactly then
(not sooner, which would lengthen the ban, nor later), and that wait does not count as a
failed attempt. The wait holds the whole channel, not only that conversation (Telegram's 429
on sendMessage is per bot once its global rate is exceeded, and every call made during the
ban lengthens it): until then, a claimed reply of that channel is not sent but released to
the same time, again without counting an attempt; other channels go on. The hold is kept in
this process's memory: each dispatching process learns it from its own 429, and a restart
forgets it (the held replies stay due at that time in the outbox). A send already in flight
when the 429 comes back cannot be called back. Unsent replies are picked up again after a
restart because they are rows in the database, not tasks in memory.

The customer reads a conversation's replies in the order they were written, across rounds
and processes: the outbox lets a reply be claimed only when no earlier reply of its
conversation is still pending (see `Outbox.claim_due`), so a reply written while an earlier
one is held back waits for it. A reply given up (and flagged for a call-back) no longer
holds the conversation. As a round then carries at most one reply per conversation,
`run_once` claims again after a round that sent something: the next reply of each of those
conversations is due at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from intake.errors import DeliveryError
from intake.ports import Channel, Clock, Store
from intake.records import ChannelName, Event, OutboundMessage
from intake.system_clock import SystemClock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """How hard the dispatcher tries."""

    batch_size: int = 20
    lease_seconds: float = 30.0
    max_attempts: int = 8
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 600.0
    idle_poll_seconds: float = 1.0
    stop_grace_seconds: float = 10.0


class OutboxDispatcher:
    """Delivers outbox replies through the registered channels."""

    def __init__(
        self,
        store: Store,
        channels: Mapping[ChannelName, Channel],
        clock: Clock | None = None,
        settings: DispatchSettings | None = None,
    ) -> None:
        self._store = store
        self._channels = dict(channels)
        self._clock = clock or SystemClock()
        self.settings = settings or DispatchSettings()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[str] = set()
        self._channel_holds: dict[ChannelName, datetime] = {}
        self._stopping = False

    def register(self, channel: Channel) -> None:
        """Add or replace the channel that sends replies of `channel.name`."""
        self._channels[channel.name] = channel

    def wake(self) -> None:
        """Look at the outbox now instead of at the next poll."""
        self._wakeup.set()

    async def start(self) -> None:
        """Run the dispatch loop in the background."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="outbox-dispatcher")

    async def stop(self) -> None:
        """Stop the loop after the current round; replies not sent stay in the outbox.

        A round in progress is allowed to finish (so a reply the platform accepted is
        marked sent and never sent again), but at most `stop_grace_seconds`: a send that
        hangs does not hang shutdown; it is cancelled and its lease runs out.
        """
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wakeup.set()
        done, _ = await asyncio.wait({task}, timeout=self.settings.stop_grace_seconds)
        if not done:
            log.warning("outbox round did not finish in %.1f s; cancelling it", self.settings.stop_grace_seconds)
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run_once(self) -> int:
        """Send the replies that are due now, up to `batch_size` of them (the next replies of
        a conversation included, once those before them went out); returns how many were
        attempted."""
        attempted = 0
        while attempted < self.settings.batch_size:
            claimed, settled = await self._round(self.settings.batch_size - attempted)
            attempted += claimed
            if not settled:  # none sent or given up, so no reply behind one became claimable
                break
        return attempted

    async def _round(self, limit: int) -> tuple[int, bool]:
        """Claim up to `limit` due replies (one per conversation) and send them side by side;
        how many were claimed and whether any was settled (sent, or given up)."""
        async with self._store.transaction() as tx:
            due = await tx.outbox.claim_due(self._clock.now(), limit, self.settings.lease_seconds)
        retries = await asyncio.gather(*(self._deliver(message) for message in due))
        return len(due), any(retry_at is None for retry_at in retries)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                attempted = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not kill the loop
                log.exception("outbox dispatch round failed")
                attempted = 0
            if attempted >= self.settings.batch_size or self._stopping:
                continue
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.settings.idle_poll_seconds)

    async def _deliver(self, message: OutboundMessage) -> datetime | None:
        """Send one reply; when it failed and will be retried, the time of the retry (None:
        sent, or given up)."""
        held_until = self._held_until(message.conversation.channel)
        if held_until is not None:  # the platform asked the whole channel to wait: do not call it
            return await self._release(message, held_until)
        channel = self._channels.get(message.conversation.channel)
        try:
            if channel is None:
                raise DeliveryError(
                    f"channel {message.conversation.channel} is not configured", retryable=False, callback_needed=True
                )
            await channel.send(message)
        except DeliveryError as error:
            return await self._failed(message, error)
        except Exception as error:  # an SDK error we did not map: retry, it may pass
            log.exception("unexpected error sending reply %s", message.id)
            return await self._failed(message, DeliveryError(repr(error), retryable=True))
        async with self._store.transaction() as tx:
            await tx.outbox.mark_sent(message.id, self._clock.now(), via="api")
        return None

    async def _failed(self, message: OutboundMessage, error: DeliveryError) -> datetime | None:
        if error.retryable and error.retry_after_seconds is not None:
            return await self._held_back(message, error.retry_after_seconds, error)
        attempts = message.attempts + 1
        give_up = not error.retryable or attempts >= self.settings.max_attempts
        now = self._clock.now()
        retry_at = None if give_up else now + timedelta(seconds=self._delay(attempts))
        log.warning("reply %s failed (attempt %d, give up %s): %s", message.id, attempts, give_up, error)
        async with self._store.transaction() as tx:
            await tx.outbox.mark_failed(message.id, str(error), retry_at)
            if give_up and message.complaint_number:
                complaint = await tx.complaints.get(message.complaint_number, with_transcript=False)
                if complaint is not None:
                    complaint.callback_needed = True
                    complaint.updated_at = now
                    await tx.complaints.save(complaint)
                await tx.audit.append(
                    Event(
                        "system",
                        "reply.undeliverable",
                        now,
                        message.complaint_number,
                        {"reply": message.id, "error": str(error), "callback_needed": True},
                    )
                )
        return retry_at

    async def _held_back(self, message: OutboundMessage, seconds: float, error: DeliveryError) -> datetime:
        """The platform asked us to wait `seconds`: the reply's channel is held until then and the
        reply is due again then, without counting an attempt."""
        retry_at = self._clock.now() + timedelta(seconds=max(0.0, seconds))
        name = message.conversation.channel
        self._channel_holds[name] = max(retry_at, self._channel_holds.get(name, retry_at))
        log.warning("reply %s held back by the platform until %s: %s", message.id, retry_at.isoformat(), error)
        return await self._release(message, retry_at)

    def _held_until(self, name: ChannelName) -> datetime | None:
        """When the platform allows `name` to be called again, or None when it may be now."""
        until = self._channel_holds.get(name)
        if until is not None and until <= self._clock.now():
            del self._channel_holds[name]
            return None
        return until

    async def _release(self, message: OutboundMessage, retry_at: datetime) -> datetime:
        """Give the reply back to the outbox, due at `retry_at`, without counting an attempt."""
        async with self._store.transaction() as tx:
            await tx.outbox.release(message.id, retry_at)
        return retry_at

    def _delay(self, attempts: int) -> float:
        delay = self.settings.base_delay_seconds * (2 ** (attempts - 1))
        return float(min(delay, self.settings.max_delay_seconds))
