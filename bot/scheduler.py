"""Everything on a clock, with APScheduler 3.11: the deadline sweep, report retries, the digest,
deliberation and notice clocks, and retention of personal data (hourly).

No job state lives in the scheduler: the sweep reads deadlines and flags from the tickets and
the digest records each day it ran, so a restart rebuilds everything from the database.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import Core
from handlers import notices
from handlers.deliberation_jobs import DeliberationJobs
from handlers.jobs import Jobs


def build_scheduler(
    core: Core, jobs: Jobs, tz: ZoneInfo, *, sweep_seconds: int, digest_at: time
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=tz)
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler.add_job(
        core.run_job,
        IntervalTrigger(seconds=sweep_seconds, timezone=tz),
        args=[jobs.sweep],
        id="sweep",
        next_run_time=datetime.now(tz),
        **defaults,
    )
    scheduler.add_job(
        core.run_job,
        IntervalTrigger(seconds=60, timezone=tz),
        args=[jobs.retry_reports],
        id="retry_reports",
        next_run_time=datetime.now(tz),
        **defaults,
    )
    scheduler.add_job(
        core.run_job,
        CronTrigger(hour=digest_at.hour, minute=digest_at.minute, timezone=tz),
        args=[jobs.digest],
        id="digest",
        **defaults,
    )
    scheduler.add_job(
        core.run_job,
        IntervalTrigger(seconds=60, timezone=tz),
        args=[DeliberationJobs(jobs.engine, jobs.clock, jobs.texts).tick],
        id="deliberation",
        next_run_time=datetime.now(tz),
        **defaults,
    )
    scheduler.add_job(
        core.run_job,
        IntervalTrigger(seconds=30, timezone=tz),
        args=[partial(notices.send_due, jobs)],
        id="notices",
        next_run_time=datetime.now(tz),
        **defaults,
    )
    scheduler.add_job(
        core.run_job,
        IntervalTrigger(hours=1, timezone=tz),
        args=[jobs.apply_retention],
        id="retention",
        **defaults,
    )
    if datetime.now(tz).time() >= digest_at:  # started after today's digest time: catch up
        scheduler.add_job(
            core.run_job, args=[jobs.digest], id="digest_catch_up", next_run_time=datetime.now(tz)
        )
    return scheduler
