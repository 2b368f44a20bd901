"""``python -m bot.standin --port 8081``: serve the stand-in alone, e.g. for a benchmark.

Prints ``STANDIN <base url>`` on the first line of stdout once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.standin.core import DEFAULT_TOKEN
from bot.standin.server import BotAPIStandIn


async def serve(args: argparse.Namespace) -> None:
    standin = BotAPIStandIn(
        args.token,
        bot_username=args.bot_username,
        enforce_limits=args.enforce_limits,
        strict_chats=args.strict_chats,
        record_calls=not args.no_call_log,
    )
    url = await standin.start(args.host, args.port)
    print(f"STANDIN {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await standin.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="linli_bot")
    parser.add_argument("--enforce-limits", action="store_true", help="answer 429 like Telegram")
    parser.add_argument("--strict-chats", action="store_true", help="unknown chat ids: 400")
    parser.add_argument("--no-call-log", action="store_true", help="keep no list of calls")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
