"""The monthly rhythm on the clock: the meeting pack to community staff before the joint meeting
(daily check, once per community and month) and the weekly public posting to compound groups."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from handlers import publishing
from handlers.meeting import MeetingJob

if TYPE_CHECKING:
    from bot.app import App

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def meeting_job(app: App) -> MeetingJob:
    meeting, selection = app.settings.meeting, app.settings.selection
    return MeetingJob(
        app.jobs,
        meeting.day,
        meeting.remind_days_before,
        meeting.output_dir,
        selection.weights(),
        selection.shortlist,
    )


def add_rhythm_jobs(scheduler: AsyncIOScheduler, app: App) -> None:
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    at = app.settings.meeting.remind_time
    scheduler.add_job(
        app.core.run_job,
        CronTrigger(hour=at.hour, minute=at.minute, timezone=app.tz),
        args=[meeting_job(app).remind],
        id="meeting_pack",
        **defaults,
    )
    post = app.settings.publishing
    scheduler.add_job(
        app.core.run_job,
        CronTrigger(
            day_of_week=_DAYS[post.weekday],
            hour=post.at.hour,
            minute=post.at.minute,
            timezone=app.tz,
        ),
        args=[partial(publishing.send_week, app.jobs, post.lines)],
        id="public_posting",
        **defaults,
    )
