"""Settings of the monthly rhythm: the joint meeting's reminder and pack, the weekly public
posting, the civilised-compound selection, the web server (Open311), the service list.

Sections of `bot.config.Settings` (LINLI_MEETING_*, LINLI_PUBLISH_*, LINLI_SELECTION_*,
LINLI_WEB_*); deploy/linli.env.example documents each variable.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.selection import Weights


def _section(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", env_ignore_empty=True
    )


class MeetingSettings(BaseSettings):
    """LINLI_MEETING_*: the monthly joint meeting 联席会议 and the pack sent before it."""

    model_config = _section("LINLI_MEETING_")
    day: int = Field(10, ge=1, le=28)  # day of the month the meeting is held
    remind_days_before: int = Field(3, ge=0, le=27)  # the pack goes to staff this many days before
    remind_time: time = time(9, 0)  # local time of that reminder
    output_dir: Path = Path("packs")  # where generated packs are kept until Telegram has them


class PublishSettings(BaseSettings):
    """LINLI_PUBLISH_*: the weekly public posting 公示 to compound groups."""

    model_config = _section("LINLI_PUBLISH_")
    weekday: int = Field(4, ge=0, le=6)  # 0 Monday … 6 Sunday; Friday by default
    at: time = time(17, 0)  # local time the week's post goes out
    lines: int = Field(5, ge=1, le=20)  # at most this many resolved and open problems each


class SelectionSettings(BaseSettings):
    """LINLI_SELECTION_*: the monthly civilised-compound selection 文明小区每月评选."""

    model_config = _section("LINLI_SELECTION_")
    weight_reports: float = Field(0.2, ge=0)  # fewer reports per household
    weight_resolution: float = Field(0.2, ge=0)
    weight_satisfaction: float = Field(0.2, ge=0)
    weight_deliberation: float = Field(0.2, ge=0)  # turnout in the month's votes
    weight_notices: float = Field(0.2, ge=0)  # notices acknowledged
    shortlist: int = Field(3, ge=1, le=10)  # compounds shortlisted per community

    def weights(self) -> Weights:
        return Weights(
            self.weight_reports,
            self.weight_resolution,
            self.weight_satisfaction,
            self.weight_deliberation,
            self.weight_notices,
        )


class WebSettings(BaseSettings):
    """LINLI_WEB_*: the web server for Open311 (and the staff console); off without a port."""

    model_config = _section("LINLI_WEB_")
    host: str = "127.0.0.1"
    port: int | None = Field(None, ge=1, le=65535)
    jurisdiction: str = "xinxialu"  # Open311 jurisdiction_id
