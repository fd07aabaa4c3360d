"""What a channel adapter needs from the core: the intake pipeline's entry points."""

from __future__ import annotations

from typing import Protocol

from intake.pipeline import IntakeResult
from intake.records import InboundMessage, OutboundMessage


class IntakeGateway(Protocol):
    """The subset of `intake.pipeline.IntakeService` that adapters call."""

    async def receive(
        self,
        message: InboundMessage,
        *,
        hold_replies_seconds: float = 0.0,
        source: str | None = None,
        force_new: bool = False,
        actor: str = "customer",
    ) -> IntakeResult:
        """Take in one message exactly once; see `IntakeService.receive`."""
        ...

    async def take_for_passive_reply(self, result: IntakeResult, lease_seconds: float = 30.0) -> list[OutboundMessage]:
        """Take replies out of the outbox to answer them in the HTTP response."""
        ...
