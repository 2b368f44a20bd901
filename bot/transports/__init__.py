"""Telegram libraries as transports: each only translates updates in and effects out.

`make_transport` picks one by name (settings.transport, LINLI_TRANSPORT); both have the same
shape (`Transport`), so bot.app.serve runs either the same way. A library is imported only
when it is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from aiohttp import web

    from bot.delivery import RawSender
    from bot.runtime import Core

TransportName = Literal["aiogram", "ptb"]


class Transport(Protocol):
    """What bot.app.serve needs of a transport."""

    @property
    def sender(self) -> RawSender:
        """Carries out effects through this transport's Bot API client."""
        ...

    async def poll(self) -> None:
        """Long polling until stop_receiving (or an error, which it raises)."""
        ...

    def webhook_app(self, path: str, secret: str | None) -> web.Application:
        """The aiohttp app that takes Telegram's POSTs (401 without the secret header)."""
        ...

    async def set_webhook(self, url: str, secret: str | None) -> None:
        """Tell Telegram where to post, once the webhook server listens."""
        ...

    async def stop_receiving(self) -> None:
        """Stop taking updates (those being handled still finish)."""
        ...

    async def close(self) -> None:
        """Close the HTTP client."""
        ...


def make_transport(
    name: TransportName,
    core: Core,
    token: str,
    api_url: str | None,
    commands: dict[str, dict[str, str]],
) -> Transport:
    """The transport called `name` for the bot with `token` (at `api_url`, if not Telegram)."""
    if name == "ptb":
        from bot.transports import ptb_transport

        return ptb_transport.make_transport(core, token, api_url, commands)
    if name == "aiogram":
        from bot.transports import aiogram_transport

        bot = aiogram_transport.make_bot(token, api_url)
        return aiogram_transport.AiogramTransport(core, bot, commands)
    raise ValueError(f"unknown transport {name!r}: aiogram or ptb")
