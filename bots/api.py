"""REST intake: `POST /api/v1/messages` takes a message from any system.

A mini-program, an app or a call-centre transcript posts
`{"channel_user_id", "text", "external_id"?, "name"?, "phone"?}` and gets
`{"complaint": {…} | null, "replies": [{"text": …}, …]}` back. The same `external_id`
twice gives the same answer and never a second complaint. Authentication is the
shell's job (a bearer-token middleware in front of this route).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiohttp import web

from bots.gateway import IntakeGateway
from bots.http import fail, optional_text, read_json_object, required_text
from intake.dialogue import find_phone
from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind

MAX_TEXT = 10_000


class ApiIntake:
    """The handler of `POST /api/v1/messages`."""

    def __init__(self, intake: IntakeGateway, max_body_bytes: int) -> None:
        self._intake = intake
        self._limit = max_body_bytes

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of this adapter."""
        return [web.post("/api/v1/messages", self.post_message)]

    async def post_message(self, request: web.Request) -> web.Response:
        """Take in one message and answer with the complaint and the replies."""
        data = await read_json_object(request, self._limit)
        message = self.parse(request, data)
        result = await self._intake.receive(message)
        return web.json_response(result.to_json(), status=200 if result.duplicate else 201)

    @staticmethod
    def parse(request: web.Request, data: dict[str, object]) -> InboundMessage:
        """Build the `InboundMessage` of a request body, or answer 422 with the reason."""
        user_id = required_text(request, data, "channel_user_id", 200)
        text = required_text(request, data, "text", MAX_TEXT)
        external_id = optional_text(request, data, "external_id", 200) or str(uuid.uuid4())
        phone_field = optional_text(request, data, "phone", 40)
        phone = find_phone(phone_field) if phone_field else None
        if phone_field and phone is None:
            fail(request, 422, "error.bad_field", field="phone", detail="not a mainland mobile number")
        name = optional_text(request, data, "name", 100)
        identity = Identity(ChannelName.API, user_id, display_name=name)
        return InboundMessage(
            channel=ChannelName.API,
            external_id=external_id,
            sender=identity,
            conversation=ConversationRef(ChannelName.API, user_id),
            kind=MessageKind.TEXT,
            text=text,
            received_at=datetime.now(UTC),
            phone=phone,
            name=name,
            locale=optional_text(request, data, "locale", 5),
        )
