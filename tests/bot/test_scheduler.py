"""The clock's jobs are registered in Shanghai time and really fire on their own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import time
from typing import Any, cast
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.runtime import Core
from bot.scheduler import build_scheduler
from handlers.events import Effect
from handlers.jobs import Jobs

TZ = ZoneInfo("Asia/Shanghai")


class CountingCore:
    """Runs each job inline and counts it."""

    def __init__(self) -> None:
        self.runs: dict[str, int] = {}

    async def run_job(self, job: Callable[[], list[Effect]]) -> None:
        name = getattr(job, "__name__", str(job))
        self.runs[name] = self.runs.get(name, 0) + 1


class FakeJobs:
    def __getattr__(self, name: str) -> Callable[[], list[Effect]]:
        def job() -> list[Effect]:
            return []

        job.__name__ = name
        return job


def make(sweep_seconds: int = 60, digest_at: time = time(8, 30)) -> tuple[Any, CountingCore]:
    core = CountingCore()
    scheduler = build_scheduler(
        cast(Core, core),
        cast(Jobs, FakeJobs()),
        TZ,
        sweep_seconds=sweep_seconds,
        digest_at=digest_at,
    )
    return scheduler, core


async def test_the_digest_runs_at_the_configured_local_time() -> None:
    scheduler, _ = make(digest_at=time(7, 45))
    digest = scheduler.get_job("digest")
    trigger = digest.trigger
    assert isinstance(trigger, CronTrigger)
    fields = {f.name: str(f) for f in trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("7", "45")
    assert str(trigger.timezone) == "Asia/Shanghai"


async def test_the_sweep_and_the_retries_run_by_themselves() -> None:
    scheduler, core = make(sweep_seconds=1)
    scheduler.start()
    try:
        for _ in range(40):
            if core.runs.get("sweep", 0) >= 2 and core.runs.get("retry_reports", 0) >= 1:
                break
            await asyncio.sleep(0.1)
    finally:
        scheduler.shutdown(wait=False)
    assert core.runs.get("sweep", 0) >= 2  # at start-up, then every second
    assert core.runs.get("retry_reports", 0) >= 1


async def test_a_start_after_the_digest_time_catches_up() -> None:
    scheduler, _ = make(digest_at=time(0, 0))  # always past
    assert scheduler.get_job("digest_catch_up") is not None
