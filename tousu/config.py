"""Settings of a tousu deployment: defaults, then an optional TOML file, then `TOUSU_*` variables.

The TOML file is `TOUSU_CONFIG` when set, else `tousu.toml` in the data directory when it
exists. Its keys are the setting names in lower case without the prefix
(`database_url = "postgresql://…"`). Nothing here runs at import time.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from intake.errors import ConfigError
from intake.messages import DEFAULT_LOCALE

PREFIX = "TOUSU_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the shell needs to wire a running tousu."""

    data_dir: Path = Path("data")
    database_url: str = ""
    redis_url: str | None = None
    redis_prefix: str = "tousu:"
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    locale: str = "zh"
    timezone: str = "Asia/Shanghai"
    max_body_bytes: int = 1024 * 1024
    followup_window_minutes: int = 30
    classifier_model: Path | None = None
    lexicon_path: Path | None = None
    routing_rules: Path | None = None
    scripts_path: Path | None = None
    public_url: str | None = None
    log_level: str = "INFO"
    telegram_token: str | None = field(default=None, repr=False)
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_base: str = "https://api.telegram.org/bot"
    # WeChat Official Account and WeCom app (bots/wechat.py): a channel without its token is off
    wechat_token: str | None = field(default=None, repr=False)
    wechat_aes_key: str | None = field(default=None, repr=False)
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = field(default=None, repr=False)
    wechat_api_base: str | None = None
    wecom_token: str | None = field(default=None, repr=False)
    wecom_aes_key: str | None = field(default=None, repr=False)
    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: str | None = field(default=None, repr=False)
    wecom_api_base: str | None = None
    wechat_reply_budget_ms: int = 4000
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def sqlite_default_url(self) -> str:
        """The embedded database: a SQLite file in the data directory."""
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tousu.db').resolve()}"

    @property
    def effective_database_url(self) -> str:
        """`database_url`, or the embedded SQLite file when none is set."""
        return self.database_url or self.sqlite_default_url


_PATH_FIELDS = {"data_dir", "classifier_model", "lexicon_path", "routing_rules", "scripts_path"}
_INT_FIELDS = {"port", "max_body_bytes", "followup_window_minutes"}
_INT_FIELDS |= {"wechat_reply_budget_ms"}


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings from the environment (default `os.environ`) and the TOML file."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    data_dir = Path(env.get(f"{PREFIX}DATA_DIR", "data"))
    config_file = Path(env[f"{PREFIX}CONFIG"]) if f"{PREFIX}CONFIG" in env else data_dir / "tousu.toml"
    if config_file.exists():
        values.update(_read_toml(config_file))
    elif f"{PREFIX}CONFIG" in env:
        raise ConfigError(f"config file not found: {config_file}", detail=f"config file not found: {config_file}")
    for item in fields(Settings):
        key = f"{PREFIX}{item.name.upper()}"
        if key in env and env[key] != "":
            values[item.name] = env[key]
    settings = Settings(**{name: _convert(name, value) for name, value in values.items()}, env=env)
    return replace(settings, **overrides) if overrides else settings


def locale_setting(env: Mapping[str, str] | None = None) -> str:
    """The locale of user-facing text (`TOUSU_LOCALE` or the TOML file's `locale`).

    For commands that print before (or without) loading the whole settings: when the
    settings cannot be loaded, `TOUSU_LOCALE` alone decides, else the default Chinese.
    """
    env = dict(os.environ if env is None else env)
    try:
        return load_settings(env).locale
    except ConfigError:
        return env.get(f"{PREFIX}LOCALE") or DEFAULT_LOCALE


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}", detail=f"{path}: {error}") from error
    known = {item.name for item in fields(Settings)} - {"env"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {unknown}", detail=f"{path}: unknown settings {unknown}")
    return data


def _convert(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _PATH_FIELDS:
        return Path(str(value))
    if name in _INT_FIELDS:
        try:
            return int(value)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{name} must be a whole number", detail=f"{name} must be a whole number") from error
    return str(value)
