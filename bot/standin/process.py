"""Run the stand-in in a child process, so a benchmark measures the bot and not Telegram."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.standin.core import DEFAULT_TOKEN

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class StandInProcess:
    """A running ``python -m bot.standin``: its base URL and the control endpoints."""

    url: str
    token: str
    process: asyncio.subprocess.Process

    async def get(self, path: str) -> Any:
        async with (
            aiohttp.ClientSession(trust_env=False) as session,
            session.get(f"{self.url}{path}") as response,
        ):
            response.raise_for_status()
            return await response.json()

    async def post(self, path: str, body: Any) -> Any:
        async with (
            aiohttp.ClientSession(trust_env=False) as session,
            session.post(f"{self.url}{path}", json=body) as response,
        ):
            response.raise_for_status()
            return await response.json()

    async def stats(self) -> dict[str, Any]:
        """``GET /standin/stats``: messages sent, 429s, rates, pending updates."""
        stats: dict[str, Any] = await self.get("/standin/stats")
        return stats


@asynccontextmanager
async def run_standin_in_subprocess(
    *,
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    enforce_limits: bool = False,
    strict_chats: bool = False,
    record_calls: bool = True,
) -> AsyncIterator[StandInProcess]:
    """Start the stand-in in a child process on 127.0.0.1; stop it on leaving."""
    args = [sys.executable, "-m", "bot.standin", "--port", str(port), "--token", token]
    if enforce_limits:
        args.append("--enforce-limits")
    if strict_chats:
        args.append("--strict-chats")
    if not record_calls:
        args.append("--no-call-log")
    process = await asyncio.create_subprocess_exec(
        *args, cwd=_PROJECT_ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        if not line.startswith(b"STANDIN "):
            raise RuntimeError(f"the stand-in did not start: {line!r}")
        yield StandInProcess(line.decode().split()[1], token, process)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
