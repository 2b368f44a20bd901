"""Request parameters of a Bot API call, whichever way the client encoded them.

Clients send JSON bodies, urlencoded forms or multipart forms (aiogram always multipart,
python-telegram-bot urlencoded or multipart); in forms every nested object is a JSON string.
``Params`` decodes those nested strings once and offers typed getters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from bot.standin.types import JSON, bad_request

# Parameters that are objects or arrays; in a form they arrive as JSON text.
_NESTED = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "menu_button",
        "link_preview_options",
        "reply_parameters",
        "media",
        "message_ids",
    }
)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent in a multipart form."""

    filename: str
    content_type: str
    data: bytes


class Params:
    """The decoded parameters of one call."""

    __slots__ = ("files", "values")

    def __init__(self, values: JSON, files: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.files = files or {}
        for key in _NESTED.intersection(values):
            raw = values[key]
            if isinstance(raw, str):
                try:
                    values[key] = json.loads(raw)
                except ValueError as error:
                    raise bad_request(f"can't parse {key} JSON object") from error

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: JSON = dict(request.query)
        files: dict[str, Upload] = {}
        if request.method == "POST" and request.body_exists:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as error:
                    raise bad_request("can't parse JSON request body") from error
                if not isinstance(body, dict):
                    raise bad_request("request body must be a JSON object")
                values.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, FileField):
                        files[key] = Upload(
                            filename=value.filename,
                            content_type=value.content_type,
                            data=value.file.read(),
                        )
                    else:
                        values[key] = value
        return cls(values, files)

    def __contains__(self, key: str) -> bool:
        return self.values.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.values.get(key)

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def required_str(self, key: str) -> str:
        value = self.string(key)
        if value is None:
            raise bad_request(f'parameter "{key}" is required')
        return value

    def integer(self, key: str, default: int | None = None) -> int | None:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as error:
            raise bad_request(f'parameter "{key}" must be an integer') from error

    def required_int(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise bad_request(f'parameter "{key}" is required')
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.values.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def number(self, key: str, default: float) -> float:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as error:
            raise bad_request(f'parameter "{key}" must be a number') from error

    def obj(self, key: str) -> Any:
        """A nested object or array (already decoded if it came as JSON text)."""
        value = self.values.get(key)
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError as error:
                raise bad_request(f"can't parse {key} JSON object") from error
        return value

    def file(self, key: str) -> Upload | str | None:
        """An uploaded file (directly or via ``attach://name``), or a file_id / URL string."""
        if key in self.files:
            return self.files[key]
        value = self.values.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in self.files:
                raise bad_request(f'file "{name}" must be uploaded')
            return self.files[name]
        return value if isinstance(value, str) else None
