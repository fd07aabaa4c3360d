"""The domain errors of tousu. Edges turn them into HTTP statuses or CLI messages."""

from __future__ import annotations


class TousuError(Exception):
    """Base of every error tousu raises on purpose; `code` names a catalogue entry."""

    code = "error.internal"

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.code)
        self.details = details


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
    """A channel could not deliver a reply; `retryable` says whether to try again."""

    code = "error.delivery"

    def __init__(self, message: str = "", *, retryable: bool = True, callback_needed: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.callback_needed = callback_needed
