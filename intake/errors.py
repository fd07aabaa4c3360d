"""The domain errors of tousu. Edges turn them into HTTP statuses or CLI messages."""

from __future__ import annotations

from intake.messages import Message, text


class TousuError(Exception):
    """Base of every error tousu raises on purpose; `code` names a catalogue entry."""

    code = "error.internal"

    def __init__(self, message: str | Message = "", **details: object) -> None:
        # A `Message` says what went wrong in every locale; str(error) is its English text.
        self.entry = message if isinstance(message, Message) else None
        super().__init__(str(message) or self.code)
        self.details = details

    def detail_text(self, locale: str | None = None) -> str:
        """What went wrong, in `locale`: the error's `Message`, else its `detail` or its text."""
        if self.entry is not None:
            return self.entry.text(locale)
        return str(self.details.get("detail") or self)

    def text(self, locale: str | None = None) -> str:
        """The catalogue entry of `code` in `locale`, with `detail_text` as its `{detail}`."""
        values = {name: value for name, value in self.details.items() if name != "detail"}
        return text(self.code, locale, **values, detail=self.detail_text(locale))


class InvalidInput(TousuError):
    """The caller sent something we cannot use (bad field, bad value)."""

    code = "error.invalid_input"


class NotFound(TousuError):
    """The thing asked for does not exist."""

    code = "error.not_found"


class InvalidTransition(TousuError):
    """A status change the rules of `intake.status` do not allow."""

    code = "error.invalid_transition"


class Forbidden(TousuError):
    """The caller's role does not allow the action."""

    code = "error.forbidden"


class ConfigError(TousuError):
    """A setting, rules file or template is missing or wrong."""

    code = "error.config"


class DuplicateMessage(TousuError):
    """The message was already taken in (raised inside the pipeline's transaction)."""

    code = "error.duplicate"


class DeliveryError(TousuError):
    """A channel could not deliver a reply; `retryable` says whether to try again.

    `retry_after_seconds` is set when the platform said how long to wait (Telegram's flood
    control, a busy answer): the next attempt must not come sooner, and needs not come later.
    """

    code = "error.delivery"

    def __init__(
        self,
        message: str = "",
        *,
        retryable: bool = True,
        callback_needed: bool = False,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.callback_needed = callback_needed
        self.retry_after_seconds = retry_after_seconds
