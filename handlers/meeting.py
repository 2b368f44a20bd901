"""The monthly joint meeting 联席会议: a few days before the meeting day, each community's staff
get last month's pack in private — the XLSX workbook and the printable page as documents.

Once per community and month (a `jobrun` row), so a restart or a second run sends nothing twice.
The files stay in the output directory: the outbox sends them from there, maybe after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import col, select

from domain import pack
from domain.figures import Month
from domain.selection import Weights
from handlers.events import Effect, Send, t
from handlers.jobs import Jobs
from handlers.outgoing import keep_on_commit
from handlers.replies import Replies
from storage import org
from storage.db import session as open_session
from storage.models import Community, JobRun, ScopeKind

JOB = "meeting-pack"


def next_meeting(today: date, day: int, days_before: int) -> date | None:
    """The meeting whose reminder is due today or was due and has not happened yet."""
    this_month = today.replace(day=day)
    following = (today.replace(day=1) + timedelta(days=32)).replace(day=day)
    for meeting in (this_month, following):
        if meeting - timedelta(days=days_before) <= today <= meeting:
            return meeting
    return None


@dataclass
class MeetingJob:
    """Sends the pack to the community staff before the meeting (a daily clock job)."""

    jobs: Jobs
    day: int
    days_before: int
    output_dir: Path
    weights: Weights
    shortlist_size: int = 3

    def remind(self) -> list[Effect]:
        jobs = self.jobs
        now = jobs.clock.now()
        meeting = next_meeting(now.astimezone(jobs.tz).date(), self.day, self.days_before)
        if meeting is None:
            return []
        month = Month(meeting.year, meeting.month).previous()
        with open_session(jobs.engine) as session:
            communities = session.exec(select(Community).order_by(col(Community.id))).all()
        for community in communities:
            key = f"{community.code}:{month}"
            with open_session(jobs.engine) as session:
                if session.get(JobRun, (JOB, key)) is not None:
                    continue
                replies = Replies(None, jobs.texts)
                keep_on_commit(session, replies, jobs.clock)
                staff = [
                    p
                    for p in org.holders(
                        session, "community_staff", ScopeKind.COMMUNITY, community.id
                    )
                    if p.telegram_id is not None
                ]
                if staff:
                    built = pack.build(
                        session, month, jobs.tz, now, community, self.weights, self.shortlist_size
                    )
                    files = {}
                    for lang in sorted({replies.language_of(p) for p in staff}):
                        files[lang] = self._write(built, jobs, lang)
                    total = built.figures.total
                    for person in staff:
                        lang = replies.language_of(person)
                        workbook, page = files[lang]
                        caption = t(
                            "meeting-reminder",
                            community=community.name,
                            date=meeting.strftime("%m-%d"),
                            days=t("n-days", count=(meeting - now.astimezone(jobs.tz).date()).days),
                            month=str(month),
                            response=total.rate("response").text(),
                            resolution=total.rate("resolution").text(),
                            satisfaction=total.rate("satisfaction").text(),
                            overdue=built.overdue_total,
                        )
                        chat = person.telegram_id or 0
                        render = jobs.texts.render
                        replies.effects.append(Send(chat, render(lang, caption), upload=workbook))
                        replies.effects.append(
                            Send(chat, render(lang, t("meeting-page")), upload=page)
                        )
                session.merge(JobRun(name=JOB, key=key, at=now))
                session.commit()
        return []

    def _write(self, built: pack.MeetingPack, jobs: Jobs, lang: str) -> tuple[str, str]:
        self.output_dir.mkdir(parents=True, exist_ok=True)

        def label(key: str, **params: object) -> str:
            return jobs.texts.get(lang, key, **params)

        base = self.output_dir / f"{built.slug()}.{lang}"
        workbook, page = (
            base.with_suffix(base.suffix + ".xlsx"),
            base.with_suffix(base.suffix + ".html"),
        )
        workbook.write_bytes(pack.workbook(built, label, english=lang == "en"))
        page.write_text(pack.page(built, label, lang), encoding="utf-8")
        return str(workbook.resolve()), str(page.resolve())
