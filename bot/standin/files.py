"""Files the bot and the simulated people send: stored in memory, served by ``getFile``."""

from __future__ import annotations

import functools
import struct
import zlib
from dataclasses import dataclass
from itertools import count

from bot.standin.params import Upload
from bot.standin.types import JSON, bad_request


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str
    file_name: str | None = None

    def to_api(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@functools.cache
def placeholder_png(
    width: int = 320, height: int = 240, rgb: tuple[int, int, int] = (94, 160, 200)
) -> bytes:
    """A small valid PNG of one colour, the photo a simulated person sends."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG, or a plausible default."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker = data[i + 1]
            length = int.from_bytes(data[i + 2 : i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height = int.from_bytes(data[i + 5 : i + 7], "big")
                width = int.from_bytes(data[i + 7 : i + 9], "big")
                return width, height
            i += 2 + length
    return 800, 600


class FileStore:
    """All files by id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._ids = count(1)

    def add(
        self, data: bytes, *, kind: str, mime_type: str, file_name: str | None = None
    ) -> StoredFile:
        n = next(self._ids)
        extension = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(
            mime_type, (file_name or "file.bin").rsplit(".", 1)[-1]
        )
        stored = StoredFile(
            file_id=f"{'AgAC' if kind == 'photos' else 'BQAC'}Standin{n:08d}",
            file_unique_id=f"AQADStandin{n:06d}",
            file_path=f"{kind}/file_{n}.{extension}",
            data=data,
            mime_type=mime_type,
            file_name=file_name,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        stored = self._by_id.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return stored

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def photo_sizes(self, data: bytes, mime_type: str = "image/png") -> list[JSON]:
        """A ``PhotoSize`` list (thumbnail first, as Telegram orders it)."""
        width, height = image_size(data)
        scale = min(1.0, 90 / max(width, height, 1))
        sizes = []
        for w, h in (
            (max(1, round(width * scale)), max(1, round(height * scale))),
            (width, height),
        ):
            stored = self.add(data, kind="photos", mime_type=mime_type)
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(data),
                    "width": w,
                    "height": h,
                }
            )
        return sizes

    def photo_from(self, value: Upload | str | None) -> list[JSON]:
        """The sizes of a photo sent as an upload, a known file_id, or a URL (not fetched)."""
        if isinstance(value, Upload):
            return self.photo_sizes(value.data, value.content_type or "image/png")
        if not value:
            raise bad_request("there is no photo in the request")
        if value.startswith(("http://", "https://")):
            # Telegram would download it; the stand-in must not touch the network.
            return self.photo_sizes(placeholder_png())
        stored = self._by_id.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return self.photo_sizes(stored.data, stored.mime_type)

    def document_from(self, value: Upload | str | None) -> JSON:
        if isinstance(value, Upload):
            stored = self.add(
                value.data,
                kind="documents",
                mime_type=value.content_type or "application/octet-stream",
                file_name=value.filename or "document",
            )
        elif not value:
            raise bad_request("there is no document in the request")
        elif value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or "document"
            stored = self.add(
                b"", kind="documents", mime_type="application/octet-stream", file_name=name
            )
        else:
            known = self._by_id.get(value)
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            stored = known
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "mime_type": stored.mime_type,
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        return document
