"""The simulator's routes: the page at ``/`` and its JSON API under ``/sim/api/``.

A person picks who they are, then chats with the bot in their private chat and their groups.
Everything goes through the stand-in exactly as Telegram updates would; the page polls
``/sim/api/poll`` for what changed since the last sequence number it saw.
"""

from __future__ import annotations

import inspect
import time
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web
from aiohttp.web_request import FileField

from bot.standin import ApiError, BotAPIStandIn, TgChat, TgUser
from bot.standin.types import JSON

STATIC = Path(__file__).parent / "static"
NEWCOMER_ROLE = "newcomer"

#: Every label the page shows, looked up through the ``TextProvider``.
SIM_TEXT_KEYS: tuple[str, ...] = (
    "sim-title",
    "sim-subtitle",
    "sim-language-switch",
    "sim-who-am-i",
    "sim-search-people",
    "sim-chats",
    "sim-private-chat",
    "sim-group",
    "sim-new-resident",
    "sim-newcomer-name",
    "sim-role-resident",
    "sim-role-grid-worker",
    "sim-role-staff",
    "sim-role-building-leader",
    "sim-role-newcomer",
    "sim-input-placeholder",
    "sim-send",
    "sim-photo",
    "sim-photo-caption",
    "sim-photo-file",
    "sim-photo-send",
    "sim-cancel",
    "sim-back",
    "sim-edited",
    "sim-typing",
    "sim-empty-chat",
    "sim-pick-chat",
    "sim-document",
    "sim-sticker",
    "sim-contact",
    "sim-location",
    "sim-joined",
    "sim-forwarded",
    "sim-offline",
    "sim-error",
)


@dataclass(frozen=True, slots=True)
class SimGroup:
    """A group chat a sample person is in, and their standing there.

    ``status`` is what ``getChatMember`` answers for them: ``member``, ``administrator`` or
    ``creator``.
    """

    chat_id: int
    title: str
    supergroup: bool = True
    status: str = "member"


@dataclass(frozen=True, slots=True)
class SimPerson:
    """A sample person the visitor can be.

    ``role`` is ``resident``, ``grid_worker``, ``staff``, ``building_leader`` or
    ``newcomer`` (shown through the ``sim-role-*`` texts), or any other label shown as is.
    """

    user_id: int
    name: str
    role: str
    language_code: str = "zh-hans"
    groups: Sequence[SimGroup] = ()
    username: str | None = None
    place: str = ""  # where they live or work, shown beside the role ("铜都花园 2栋", "TD-01")


class PeopleProvider(Protocol):
    """Returns the sample people (may be a coroutine function: it reads the database)."""

    def __call__(self) -> Awaitable[Sequence[SimPerson]] | Sequence[SimPerson]: ...


#: ``(key, lang) -> text``; ``lang`` is ``zh`` or ``en``.
TextProvider = Callable[[str, str], str]


@dataclass(slots=True)
class _Simulator:
    standin: BotAPIStandIn
    people: PeopleProvider
    texts: TextProvider
    newcomer_ids: int
    newcomers: list[SimPerson] = field(default_factory=list)
    known: dict[int, SimPerson] = field(default_factory=dict)
    last_read: dict[tuple[int, int], int] = field(default_factory=dict)

    async def everyone(self) -> list[SimPerson]:
        found = self.people()
        people = list(await found if inspect.isawaitable(found) else found)
        people.extend(self.newcomers)
        for person in people:
            self._register(person)
        return people

    def _register(self, person: SimPerson) -> None:
        self.known[person.user_id] = person
        standin = self.standin
        user = self.user(person)
        standin.add_user(user)
        standin.add_chat(TgChat.private(user))
        for group in person.groups:
            chat = TgChat.group(group.chat_id, group.title, supergroup=group.supergroup)
            state = standin.add_chat(chat)
            state.members[person.user_id] = group.status

    def user(self, person: SimPerson) -> TgUser:
        first, _, last = person.name.partition(" ")
        return TgUser(
            id=person.user_id,
            first_name=first or person.name,
            last_name=last or None,
            username=person.username,
            language_code=person.language_code,
        )

    async def person(self, user_id: Any) -> SimPerson:
        try:
            key = int(user_id)
        except (TypeError, ValueError):
            raise web.HTTPBadRequest(text="user_id must be an integer") from None
        if key not in self.known:
            await self.everyone()
        person = self.known.get(key)
        if person is None:
            raise web.HTTPNotFound(text=f"no sample person {key}")
        return person

    def chats_of(self, person: SimPerson) -> list[TgChat]:
        return [self.standin.chat(person.user_id).chat] + [
            self.standin.chat(group.chat_id).chat for group in person.groups
        ]

    def chat_of(self, person: SimPerson, chat_id: Any) -> TgChat:
        for chat in self.chats_of(person):
            if str(chat.id) == str(chat_id):
                return chat
        raise web.HTTPForbidden(text=f"{person.name} is not in chat {chat_id}")

    def unread(self, person: SimPerson, chat_id: int) -> int:
        state = self.standin.chat(chat_id)
        seen = self.last_read.get((person.user_id, chat_id), 0)
        return len(state.bot_ids) - bisect_right(state.bot_ids, seen)

    def role_label(self, role: str, lang: str) -> str:
        key = f"sim-role-{role.replace('_', '-')}"
        return self.texts(key, lang) if key in SIM_TEXT_KEYS else role


def mount_simulator(
    app: web.Application,
    standin: BotAPIStandIn,
    people: PeopleProvider,
    texts: TextProvider,
    *,
    newcomer_ids: int = 990_000_001,
) -> None:
    """Serve the simulator page at ``/`` and its JSON API under ``/sim/api/`` on ``app``.

    ``newcomer_ids`` is the first Telegram user id given to a "new resident"; it must not be
    anyone's in the sample data.
    """
    sim = _Simulator(standin, people, texts, newcomer_ids)
    routes = _Routes(sim)
    app.router.add_get("/", routes.page)
    app.router.add_static("/sim/static/", STATIC, append_version=False)
    app.router.add_get("/sim/api/texts", routes.texts)
    app.router.add_get("/sim/api/people", routes.people)
    app.router.add_post("/sim/api/newcomer", routes.newcomer)
    app.router.add_get("/sim/api/poll", routes.poll)
    app.router.add_post("/sim/api/read", routes.read)
    app.router.add_post("/sim/api/send", routes.send)
    app.router.add_post("/sim/api/photo", routes.photo)
    app.router.add_post("/sim/api/press", routes.press)
    app.router.add_get("/sim/api/file/{file_id}", routes.file)


def _lang(request: web.Request) -> str:
    return "en" if request.query.get("lang", "zh").lower().startswith("en") else "zh"


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body
    return dict(await request.post())


class _Routes:
    def __init__(self, sim: _Simulator) -> None:
        self.sim = sim

    async def page(self, _: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def texts(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        return web.json_response({key: self.sim.texts(key, lang) for key in SIM_TEXT_KEYS})

    async def people(self, request: web.Request) -> web.Response:
        lang = _lang(request)
        people = await self.sim.everyone()
        bot = self.sim.standin.bot
        return web.json_response(
            {
                "bot": {"id": bot.id, "name": bot.first_name, "username": bot.username},
                "people": [self._person_json(person, lang) for person in people],
            }
        )

    def _person_json(self, person: SimPerson, lang: str) -> JSON:
        chats = self.sim.chats_of(person)
        return {
            "id": person.user_id,
            "name": person.name,
            "role": person.role,
            "role_label": " · ".join(
                part for part in (self.sim.role_label(person.role, lang), person.place) if part
            ),
            "language_code": person.language_code,
            "chats": [
                {"id": chat.id, "type": chat.type, "title": chat.title or ""} for chat in chats
            ],
            "unread": sum(self.sim.unread(person, chat.id) for chat in chats),
        }

    async def newcomer(self, request: web.Request) -> web.Response:
        body = await _body(request)
        lang = "en" if str(body.get("lang", "zh")).startswith("en") else "zh"
        sim = self.sim
        n = len(sim.newcomers) + 1
        person = SimPerson(
            user_id=sim.newcomer_ids + n - 1,
            name=f"{sim.texts('sim-newcomer-name', lang)} {n}",
            role=NEWCOMER_ROLE,
            language_code="en" if lang == "en" else "zh-hans",
        )
        sim.newcomers.append(person)
        sim._register(person)
        return web.json_response(self._person_json(person, lang))

    async def poll(self, request: web.Request) -> web.Response:
        """What changed in the person's chats after ``since`` (0: everything)."""
        sim = self.sim
        person = await sim.person(request.query.get("user_id"))
        since = max(0, int(request.query.get("since", "0")))
        chat_ids = {chat.id for chat in sim.chats_of(person)}
        changes = sim.standin.changes
        reset = since > len(changes)  # the server restarted under an open page: start over
        if reset:
            since = 0
        touched: dict[tuple[int, int], None] = {}
        deleted: list[list[int]] = []
        keyboards: dict[str, Any] = {}
        answers: list[JSON] = []
        typing: dict[str, str] = {}
        now = time.time()
        for change in changes[since:]:
            if change.chat_id not in chat_ids:
                continue
            if change.kind == "message":
                touched[(change.chat_id, change.message_id)] = None
            elif change.kind == "delete":
                touched.pop((change.chat_id, change.message_id), None)
                deleted.append([change.chat_id, change.message_id])
            elif change.kind == "keyboard":
                keyboards[str(change.chat_id)] = change.data.get("keyboard")
            elif change.kind == "callback_answer" and change.data.get("user_id") == person.user_id:
                answers.append(change.data)
            elif change.kind == "action" and since and now - change.at < 5:
                typing[str(change.chat_id)] = str(change.data.get("action", ""))
        if since == 0:
            keyboards = {
                str(chat_id): sim.standin.keyboard(chat_id)
                for chat_id in chat_ids
                if sim.standin.keyboard(chat_id)
            }
        messages = []
        for chat_id, message_id in sorted(touched):
            if sim.standin.is_deleted(chat_id, message_id):
                continue
            messages.append(_message_json(sim.standin.message(chat_id, message_id)))
        return web.json_response(
            {
                "seq": len(changes),
                "reset": reset,
                "messages": messages,
                "deleted": deleted,
                "keyboards": keyboards,
                "answers": answers,
                "typing": typing,
                "unread": {str(chat_id): sim.unread(person, chat_id) for chat_id in chat_ids},
                "unread_people": {
                    str(other.user_id): sum(
                        sim.unread(other, chat.id) for chat in sim.chats_of(other)
                    )
                    for other in sim.known.values()
                },
            }
        )

    async def read(self, request: web.Request) -> web.Response:
        body = await _body(request)
        person = await self.sim.person(body.get("user_id"))
        chat = self.sim.chat_of(person, body.get("chat_id"))
        state = self.sim.standin.chat(chat.id)
        self.sim.last_read[(person.user_id, chat.id)] = state.bot_ids[-1] if state.bot_ids else 0
        return web.json_response({"ok": True})

    async def send(self, request: web.Request) -> web.Response:
        body = await _body(request)
        person = await self.sim.person(body.get("user_id"))
        chat = self.sim.chat_of(person, body.get("chat_id"))
        user = self.sim.user(person)
        kind = str(body.get("kind", "text"))
        if kind == "contact":
            update = self.sim.standin.user_message(user, chat, contact=True)
        elif kind == "location":
            update = self.sim.standin.user_message(user, chat, location=(31.2304, 121.4737))
        else:
            text = str(body.get("text", "")).strip()
            if not text:
                raise web.HTTPBadRequest(text="text is empty")
            reply_to = body.get("reply_to")
            update = self.sim.standin.user_message(
                user, chat, text, reply_to=int(reply_to) if reply_to else None
            )
        return web.json_response(
            {"update_id": update["update_id"], "message": _message_json(update["message"])}
        )

    async def photo(self, request: web.Request) -> web.Response:
        """A photo with a caption: an uploaded image, or a placeholder if none came."""
        data: bytes | bool = True
        if request.content_type == "multipart/form-data":
            form = await request.post()
            upload = form.get("photo")
            if isinstance(upload, FileField):
                data = upload.file.read() or True
            body: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        else:
            body = await _body(request)
        person = await self.sim.person(body.get("user_id"))
        chat = self.sim.chat_of(person, body.get("chat_id"))
        caption = str(body.get("caption") or "").strip() or None
        update = self.sim.standin.user_message(
            self.sim.user(person), chat, photo=data, caption=caption
        )
        return web.json_response(
            {"update_id": update["update_id"], "message": _message_json(update["message"])}
        )

    async def press(self, request: web.Request) -> web.Response:
        body = await _body(request)
        person = await self.sim.person(body.get("user_id"))
        chat = self.sim.chat_of(person, body.get("chat_id"))
        try:
            update = self.sim.standin.press(
                self.sim.user(person), chat.id, int(body["message_id"]), str(body["data"])
            )
        except (KeyError, ValueError) as error:
            raise web.HTTPBadRequest(text=f"no such button: {error}") from None
        return web.json_response({"callback_query_id": update["callback_query"]["id"]})

    async def file(self, request: web.Request) -> web.Response:
        try:
            stored = self.sim.standin.files.get(request.match_info["file_id"])
        except ApiError:
            raise web.HTTPNotFound() from None
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type,
            headers={"Cache-Control": "max-age=3600"},
        )


def _message_json(message: JSON) -> JSON:
    """A message as the page draws it."""
    sender = message.get("from") or {}
    name = " ".join(filter(None, (sender.get("first_name"), sender.get("last_name"))))
    out: JSON = {
        "chat_id": message["chat"]["id"],
        "message_id": message["message_id"],
        "from": {"id": sender.get("id"), "name": name, "is_bot": bool(sender.get("is_bot"))},
        "date": message.get("date"),
        "edited": "edit_date" in message,
    }
    for key in ("text", "entities", "caption", "caption_entities", "reply_markup"):
        if key in message:
            out[key] = message[key]
    if message.get("photo"):
        out["photo"] = f"/sim/api/file/{message['photo'][-1]['file_id']}"
    if "document" in message:
        out["document"] = message["document"].get("file_name") or "document"
    if "sticker" in message:
        out["sticker"] = message["sticker"].get("emoji") or "🙂"
    if "contact" in message:
        out["contact"] = message["contact"].get("phone_number")
    if "location" in message:
        location = message["location"]
        out["location"] = f"{location['latitude']:.4f}, {location['longitude']:.4f}"
    if "new_chat_members" in message:
        out["joined"] = [member.get("first_name", "") for member in message["new_chat_members"]]
    origin = message.get("forward_origin")
    if origin:
        source = origin.get("sender_user") or origin.get("sender_chat") or {}
        out["forwarded"] = source.get("first_name") or source.get("title") or ""
    reply = message.get("reply_to_message")
    if reply:
        replied = reply.get("from") or {}
        out["reply_to"] = {
            "name": replied.get("first_name", ""),
            "text": (reply.get("text") or reply.get("caption") or "")[:80],
        }
    return out
