"""HTTP control endpoints under ``/standin/``: drive and read the stand-in from another process.

A benchmark that runs the stand-in with ``python -m bot.standin`` uses these to inject
updates in bulk and to read the counters.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.standin.types import JSON, TgChat, TgUser

if TYPE_CHECKING:
    from bot.standin.server import BotAPIStandIn


def user_from(data: Any) -> TgUser:
    names = {f.name for f in dataclasses.fields(TgUser)}
    if not isinstance(data, dict) or "id" not in data:
        raise web.HTTPBadRequest(text="a user needs at least an id")
    values = {k: v for k, v in data.items() if k in names}
    values.setdefault("first_name", f"User {data['id']}")
    return TgUser(**values)


def chat_from(data: Any, user: TgUser) -> TgChat:
    if data is None:
        return TgChat.private(user)
    names = {f.name for f in dataclasses.fields(TgChat)}
    if not isinstance(data, dict) or "id" not in data:
        raise web.HTTPBadRequest(text="a chat needs at least an id")
    values = {k: v for k, v in data.items() if k in names}
    if "type" not in values:
        values["type"] = "private" if int(values["id"]) > 0 else "supergroup"
    return TgChat(**values)


def add_control_routes(app: web.Application, standin: BotAPIStandIn) -> None:
    async def stats(_: web.Request) -> web.Response:
        return web.json_response(standin.stats())

    async def reset_stats(_: web.Request) -> web.Response:
        standin.counter.reset()
        return web.json_response({"ok": True})

    async def limits(request: web.Request) -> web.Response:
        body = await request.json()
        standin.counter.enforce = bool(body.get("enforce", True))
        standin.counter.reset()
        return web.json_response({"ok": True})

    async def updates(request: web.Request) -> web.Response:
        body = await request.json()
        ids: list[int] = []
        for item in body.get("updates", []):
            user = user_from(item.get("user"))
            press = item.get("press")
            if press:
                update = standin.press(
                    user, int(press["chat_id"]), int(press["message_id"]), str(press["data"])
                )
            else:
                update = standin.user_message(
                    user,
                    chat_from(item.get("chat"), user),
                    item.get("text"),
                    photo=bool(item.get("photo")),
                    caption=item.get("caption"),
                )
            ids.append(int(update["update_id"]))
        return web.json_response({"update_ids": ids})

    async def messages(request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        return web.json_response({"messages": standin.history(chat_id)})

    async def calls(request: web.Request) -> web.Response:
        method = request.query.get("method")
        since = int(request.query.get("since", "0"))
        found: list[JSON] = [
            {"n": n, "method": call.method, "params": call.params, "ok": call.ok}
            for n, call in enumerate(standin.calls[since:], start=since)
            if method is None or call.method == method
        ]
        return web.json_response({"calls": found, "next": len(standin.calls)}, dumps=_dumps)

    async def fail(request: web.Request) -> web.Response:
        body = await request.json()
        standin.fail_next(
            str(body["method"]),
            error_code=body.get("error_code", 400),
            description=body.get("description"),
            retry_after=body.get("retry_after"),
            migrate_to_chat_id=body.get("migrate_to_chat_id"),
            times=int(body.get("times", 1)),
            chat_id=body.get("chat_id"),
            delay=float(body.get("delay", 0.0)),
        )
        return web.json_response({"ok": True})

    app.router.add_get("/standin/stats", stats)
    app.router.add_post("/standin/stats/reset", reset_stats)
    app.router.add_post("/standin/limits", limits)
    app.router.add_post("/standin/updates", updates)
    app.router.add_get("/standin/chats/{chat_id}/messages", messages)
    app.router.add_get("/standin/calls", calls)
    app.router.add_post("/standin/fail", fail)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)
