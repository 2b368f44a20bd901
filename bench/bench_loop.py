"""Reports through the real bot beside a bare echo bot of its library: same stand-in, same run.

Run from the repository root:  .venv/bin/python bench/bench_loop.py [--reports N] [--only ptb]

The Bot API stand-in runs in its own process (``python -m bot.standin``), so the numbers are
the bot's, not Telegram's. For each library: a bare echo bot (one sendMessage per update), then
Linli itself (bot.app.build + serve, long polling) on a fresh SQLite database holding the test
organisation plus N residents registered to buildings. N residents each send one report at
once; the table shows updates answered per second and the latency from the update being queued
to the bot's answer in that chat (p50 / p99). python-telegram-bot also runs once with its
default settings, to show why it is configured as bot/transports/ptb_transport.py does.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.standin.process import StandInProcess, run_standin_in_subprocess  # noqa: E402

TEST_ORG = ROOT / "tests" / "data" / "org.yaml"
HOMES = [
    "TD/铜都花园/1栋",
    "TD/铜都花园/2栋",
    "TD/铜都花园/3栋",
    "TD/铜都小区/1栋",
    "TD/铜都小区/2栋",
]
PROBLEMS = [
    "楼道灯坏了",
    "下水道堵了",
    "垃圾没人收",
    "电梯不动了",
    "水管漏水",
    "路灯不亮",
    "门禁坏了",
]
FIRST_RESIDENT = 500_000

Stopper = Callable[[], Awaitable[None]]


@dataclass
class Row:
    name: str
    updates: int
    answered: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- driving the stand-in ----------------------------------------------------------------------


async def calls_cursor(standin: StandInProcess) -> int:
    found = await standin.get("/standin/calls?method=none&since=999999999")
    return int(found["next"])


async def wait_ready(standin: StandInProcess, since: int, method: str = "deleteWebhook") -> None:
    for _ in range(400):
        found = await standin.get(f"/standin/calls?method={method}&since={since}")
        if found["calls"]:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the bot never called {method}")


async def push_and_measure(
    standin: StandInProcess, name: str, users: list[int], texts: list[str], limit: float
) -> Row:
    """Queue one message from each user, then wait for the bot's first answer in each chat."""
    cursor = await calls_cursor(standin)
    queued: dict[int, float] = {}
    for start in range(0, len(users), 200):
        batch = users[start : start + 200]
        at = time.time()
        body = {
            "updates": [
                {"user": {"id": u, "first_name": f"居民{u}", "language_code": "zh-hans"}, "text": t}
                for u, t in zip(batch, texts[start : start + 200], strict=True)
            ]
        }
        await standin.post("/standin/updates", body)
        queued.update(dict.fromkeys(batch, at))
    first = min(queued.values())
    waiting = dict(queued)
    latencies: list[float] = []
    last = first
    deadline = time.monotonic() + limit
    while waiting and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        found = await standin.get(f"/standin/calls?method=sendMessage&since={cursor}")
        at = time.time()  # when we saw it: latencies are up to one poll (20 ms) too long
        cursor = int(found["next"])
        for call in found["calls"]:
            chat = int(call["params"]["chat_id"])
            if chat in waiting and call["ok"]:
                latencies.append(at - waiting.pop(chat))
                last = at
    return Row(name, len(users), len(users) - len(waiting), last - first, latencies)


# --- the bots ----------------------------------------------------------------------------------


async def aiogram_echo(standin: StandInProcess) -> Stopper:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot(standin.token, session=AiohttpSession(api=TelegramAPIServer.from_base(standin.url)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await bot.send_message(message.chat.id, message.text or "")

    await bot.delete_webhook()  # as the transport does; also tells the bench it is up
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=25)
    )

    async def stop() -> None:
        await dp.stop_polling()
        await asyncio.gather(task, return_exceptions=True)
        await bot.session.close()

    return stop


async def ptb_echo(standin: StandInProcess, *, tuned: bool) -> Stopper:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    from bot.transports.ptb_transport import make_application

    if tuned:
        app: Any = make_application(standin.token, standin.url)
    else:  # exactly what ptb's documentation shows, only pointed at the stand-in
        app = (
            Application.builder()
            .token(standin.token)
            .base_url(standin.url + "/bot")
            .base_file_url(standin.url + "/file/bot")
            .build()
        )

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message and update.effective_chat
        await app.bot.send_message(update.effective_chat.id, update.effective_message.text or "")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(timeout=25)

    async def stop() -> None:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return stop


def org_with_residents(directory: Path, count: int) -> Path:
    spec = yaml.safe_load(TEST_ORG.read_text(encoding="utf-8"))
    for n in range(count):
        spec["people"].append(
            {
                "key": f"bench-{n}",
                "name": f"居民{n}",
                "telegram_id": FIRST_RESIDENT + n,
                "home": HOMES[n % len(HOMES)],
            }
        )
    path = directory / "org.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


async def linli(standin: StandInProcess, transport: str, directory: Path, count: int) -> Stopper:
    from pydantic import SecretStr

    from bot.app import build, serve
    from bot.config import DatabaseSettings, Settings, TelegramSettings
    from bot.outbox import SendLimits
    from domain.clock import SystemClock
    from storage import orgfile
    from storage.db import make_engine, migrate
    from storage.db import session as open_session

    url = f"sqlite:///{directory / f'linli-{transport}.db'}"
    engine = make_engine(url)
    migrate(engine)
    with open_session(engine) as session:
        orgfile.import_org(session, orgfile.load(org_with_residents(directory, count)), _now())
        session.commit()
    settings = Settings(
        transport=transport,
        telegram=TelegramSettings(token=SecretStr(standin.token), api_url=standin.url),
        database=DatabaseSettings(url=url),
    )
    app = build(settings, clock=SystemClock(), engine=engine)
    # The stand-in enforces no flood limits and the echo bot keeps none: lift the outbox's
    # (with them, any bot is held to Telegram's ~30 messages a second, two per report).
    app.send_limits = SendLimits(
        overall=10**6, group=10**6, private=10**6, burst=10**6, max_inflight=64, margin=0.0
    )
    stop_event = asyncio.Event()
    task = asyncio.create_task(serve(app, stop=stop_event, clock_jobs=False))

    async def stop() -> None:
        stop_event.set()
        await asyncio.wait_for(task, 60)
        engine.dispose()

    return stop


def _now() -> Any:
    from domain.clock import SystemClock

    return SystemClock().now()


# --- the run -----------------------------------------------------------------------------------


async def run_row(
    standin: StandInProcess,
    name: str,
    start: Callable[[], Awaitable[Stopper]],
    users: list[int],
    texts: list[str],
    limit: float,
) -> Row:
    since = await calls_cursor(standin)
    stop = await start()
    try:
        await wait_ready(standin, since)
        await asyncio.sleep(0.2)  # the first long poll is under way
        return await push_and_measure(standin, name, users, texts, limit)
    finally:
        await stop()


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    n = args.reports
    residents = [FIRST_RESIDENT + i for i in range(n)]
    reports = [
        f"{i % 30 + 1}号楼{i % 6 + 1}单元{PROBLEMS[i % len(PROBLEMS)]}（第{i}次）" for i in range(n)
    ]
    echoes = [f"echo {i}" for i in range(n)]
    rows: list[Row] = []
    libraries = [args.only] if args.only else ["aiogram", "ptb"]
    async with run_standin_in_subprocess() as standin:
        if args.rtt:  # Telegram is not on loopback: each sendMessage takes this long
            delay = {"method": "sendMessage", "error_code": None, "delay": args.rtt / 1000}
            await standin.post("/standin/fail", {**delay, "times": 10**9})
        with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
            directory = Path(tmp)
            for library in libraries:
                # Echo bots talk to chats the residents do not use: ids above the residents'.
                strangers = [FIRST_RESIDENT + n + i for i in range(n)]
                if library == "aiogram":
                    rows.append(
                        await run_row(
                            standin,
                            "aiogram echo",
                            lambda: aiogram_echo(standin),
                            strangers,
                            echoes,
                            args.timeout,
                        )
                    )
                else:
                    rows.append(
                        await run_row(
                            standin,
                            "ptb echo, ptb defaults",
                            lambda: ptb_echo(standin, tuned=False),
                            strangers,
                            echoes,
                            args.timeout,
                        )
                    )
                    strangers = [s + n for s in strangers]
                    rows.append(
                        await run_row(
                            standin,
                            "ptb echo, as Linli configures it",
                            lambda: ptb_echo(standin, tuned=True),
                            strangers,
                            echoes,
                            args.timeout,
                        )
                    )

                async def ours(library: str = library) -> Stopper:
                    return await linli(standin, library, directory, n)

                rows.append(
                    await run_row(
                        standin, f"Linli on {library}", ours, residents, reports, args.timeout
                    )
                )
    print_table(rows, n, args.rtt)


def print_table(rows: list[Row], n: int, rtt: float) -> None:
    print(
        f"\n{n} updates at once, each from another person; stand-in in its own process; "
        f"sendMessage takes {rtt:.0f} ms more\n"
    )
    header = f"{'bot':<34} {'answered':>9} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'÷ echo':>7}"
    print(header)
    print("-" * len(header))
    echo_rate: dict[str, float] = {}
    for row in rows:
        library = "aiogram" if "aiogram" in row.name else "ptb"
        if "echo" in row.name:
            echo_rate[library] = row.rate  # the last echo row: the configured one for ptb
            ratio = ""
        else:
            ratio = f"{row.rate / echo_rate[library]:.2f}" if echo_rate.get(library) else ""
        print(
            f"{row.name:<34} {row.answered:>4}/{row.updates:<4} {row.rate:>8.0f} "
            f"{row.quantile(0.5) * 1000:>8.0f} {row.quantile(0.99) * 1000:>8.0f} {ratio:>7}"
        )
    mean = statistics.fmean(r.rate for r in rows) if rows else 0
    if mean == 0:
        print("nothing was answered")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=1000, help="updates per row")
    parser.add_argument("--only", choices=["aiogram", "ptb"], help="one library only")
    parser.add_argument(
        "--rtt", type=float, default=0.0, help="milliseconds each sendMessage waits (Telegram's)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per row at most")
    asyncio.run(main(parser.parse_args()))
