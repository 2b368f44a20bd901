"""Typed configuration from the environment and a .env file (see deploy/linli.env.example)."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config_figures import MeetingSettings, PublishSettings, SelectionSettings, WebSettings
from domain.flood import FloodPolicy
from domain.policy import DeadlinePolicy, Window
from domain.retention import RetentionPolicy
from domain.same_problem import SameProblemPolicy

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> object:
    """'30m', '4h', '3d', '90s' or plain seconds."""
    if isinstance(value, str) and (
        match := re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
    ):
        return timedelta(seconds=float(match[1]) * _UNITS[match[2] or "s"])
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _section(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", env_ignore_empty=True
    )


class TelegramSettings(BaseSettings):
    """LINLI_TELEGRAM_*: the bot's token and, optionally, another Bot API server."""

    model_config = _section("LINLI_TELEGRAM_")
    token: SecretStr | None = None
    api_url: str | None = None  # e.g. a self-hosted telegram-bot-api server


class WebhookSettings(BaseSettings):
    """LINLI_WEBHOOK_*: serve Telegram by webhook when `url` is set."""

    model_config = _section("LINLI_WEBHOOK_")
    url: str | None = None  # the public https URL Telegram posts to
    secret: SecretStr | None = None  # checked against X-Telegram-Bot-Api-Secret-Token
    host: str = "0.0.0.0"
    port: int = 8080
    path: str = "/telegram/webhook"


class DatabaseSettings(BaseSettings):
    """LINLI_DATABASE_URL: any SQLAlchemy URL; SQLite by default."""

    model_config = _section("LINLI_DATABASE_")
    url: str = "sqlite:///linli.db"


class DeadlineSettings(BaseSettings):
    """LINLI_DEADLINE_*: response and resolution deadlines per urgency (TAXONOMY.md defaults)."""

    model_config = _section("LINLI_DEADLINE_")
    emergency_respond: Duration = timedelta(minutes=30)
    emergency_resolve: Duration = timedelta(hours=24)
    key_respond: Duration = timedelta(hours=4)
    key_resolve: Duration = timedelta(days=3)
    routine_respond: Duration = timedelta(hours=24)
    routine_resolve: Duration = timedelta(days=7)
    remind_at: float = Field(0.75, gt=0, lt=1)  # share of the window after which to remind
    auto_close: Duration = timedelta(days=7)  # an unrated resolved ticket closes by itself

    def policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(
            windows={
                "emergency": Window(self.emergency_respond, self.emergency_resolve),
                "key": Window(self.key_respond, self.key_resolve),
                "routine": Window(self.routine_respond, self.routine_resolve),
            },
            remind_at=self.remind_at,
            auto_close_after=self.auto_close,
        )


class SameProblemSettings(BaseSettings):
    """LINLI_SAME_PROBLEM_*: when a report joins an open ticket instead of opening another."""

    model_config = _section("LINLI_SAME_PROBLEM_")
    window: Duration = timedelta(hours=72)  # how recent the open ticket may be
    threshold: float = Field(0.6, gt=0, le=1)  # similarity needed within one building
    compound_margin: float = Field(0.15, ge=0, le=1)  # more needed across a compound
    key_households: int = Field(3, ge=2)  # households that make a routine ticket key

    def policy(self) -> SameProblemPolicy:
        return SameProblemPolicy(
            self.window, self.threshold, self.compound_margin, self.key_households
        )


class FloodSettings(BaseSettings):
    """LINLI_FLOOD_*: past `tickets` new tickets from one person within `window`, their further
    reports are kept for staff (/held) instead of each opening a ticket and a ping."""

    model_config = _section("LINLI_FLOOD_")
    tickets: int = Field(5, ge=1)
    window: Duration = timedelta(minutes=10)

    def policy(self) -> FloodPolicy:
        return FloodPolicy(self.tickets, self.window)


class SimulatorSettings(BaseSettings):
    """LINLI_SIMULATOR_*: the local simulator used when no token is set."""

    model_config = _section("LINLI_SIMULATOR_")
    host: str = "127.0.0.1"
    port: int = 8088
    org_file: Path | None = None  # loaded into an empty database; the bundled sample by default
    # The simulator's own database: never LINLI_DATABASE_URL, so the sample organisation's
    # invented people cannot land among real ones.
    database_url: str = "sqlite:///linli-simulator.db"


class RetentionSettings(BaseSettings):
    """LINLI_RETENTION_*: how long personal data is kept (PIPL: no longer than needed)."""

    model_config = _section("LINLI_RETENTION_")
    texts: Literal["mask", "remove", "keep"] = "mask"  # closed tickets' and their reports' texts
    texts_after: Duration = timedelta(days=180)  # … this long after the ticket closed
    outbox_after: Duration = timedelta(days=1)  # texts of sent (or failed) messages cleared
    updates_after: Duration = timedelta(days=7)  # processed-update records pruned

    def policy(self) -> RetentionPolicy:
        return RetentionPolicy(self.texts, self.texts_after, self.outbox_after, self.updates_after)


class ConfigError(Exception):
    """The configuration cannot serve as it is; the message says why, in one line."""


class Settings(BaseSettings):
    """LINLI_*: everything else."""

    model_config = _section("LINLI_")
    env: Literal["development", "production"] = "development"  # production refuses unsafe setups
    transport: Literal["aiogram", "ptb"] = "aiogram"
    timezone: str = "Asia/Shanghai"
    digest_time: time = time(8, 30)  # local time of the grid workers' daily digest
    sweep_seconds: int = Field(60, ge=5)  # how often deadlines are checked
    rules_file: Path | None = None  # classification rules; the bundled default when unset
    emergency_department: str = "pingan"  # department code that sees every emergency (平安建设办)
    log_level: str = "INFO"
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    deadlines: DeadlineSettings = Field(default_factory=DeadlineSettings)
    same_problem: SameProblemSettings = Field(default_factory=SameProblemSettings)
    flood: FloodSettings = Field(default_factory=FloodSettings)
    simulator: SimulatorSettings = Field(default_factory=SimulatorSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    services_file: Path | None = None  # the service list 服务清单 (storage/servicefile.py)
    meeting: MeetingSettings = Field(default_factory=MeetingSettings)
    publishing: PublishSettings = Field(default_factory=PublishSettings)
    selection: SelectionSettings = Field(default_factory=SelectionSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    def for_run(self) -> Settings:
        """What `linli run` serves with. Production refuses a missing token, a webhook without
        its secret and SQLite (ConfigError); without a token the simulator runs on its own
        database (LINLI_SIMULATOR_DATABASE_URL), never on LINLI_DATABASE_URL."""
        if self.env == "production":
            problems = []
            if self.telegram.token is None:
                problems.append("LINLI_TELEGRAM_TOKEN is not set")
            if self.webhook.url and self.webhook.secret is None:
                problems.append("LINLI_WEBHOOK_SECRET is not set (anyone could post updates)")
            if self.database.url.startswith("sqlite"):
                problems.append(
                    f"LINLI_DATABASE_URL is SQLite ({self.database.url}): use PostgreSQL"
                )
            if problems:
                raise ConfigError("LINLI_ENV=production: " + "; ".join(problems))
        if self.telegram.token is None:
            simulated = DatabaseSettings(url=self.simulator.database_url)
            return self.model_copy(update={"database": simulated})
        return self
