"""The agent and operator console (`/console`): see `tousu.console.app` and, for adding a
page, the docstring of `tousu.console.pages`."""

from tousu.console.app import console_app

__all__ = ["console_app"]
