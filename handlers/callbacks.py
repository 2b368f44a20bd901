"""Typed button data: one small class per button family, packed and parsed in one place.

In the spirit of aiogram's `CallbackData`: a family has a prefix and typed fields, `pack()`
makes the string a button carries (at most 64 bytes, Telegram's limit) and `parse()` turns a
press's data back into the family, checking every field. The dispatcher parses each press with
the family registered for its prefix and answers anything malformed, unknown or stale itself,
so no handler splits strings::

    @dataclass(frozen=True)
    class VoteButton(Callback, prefix="vt"):
        topic: Annotated[int, Ref(Topic)]
        version: Version
        choice: Annotated[int, Between(0, 7)]

    VoteButton(topic=3, version=5, choice=0).pack()  # "vt:3:5:0"

Fields are ints with a range (ids fit PostgreSQL's integer: 0 < id < 2**31), words from a
fixed set (`Literal[...]` or `OneOf`), or short tokens; a field whose type allows None and
whose default is None may be left off the end. A field marked `Ref(Model)` names a row: the
dispatcher loads it (a press naming a row that does not exist is stale) and hands it to the
handler under the field's name; a field named `version` is checked against the first such
row's version.

The packed form is `prefix:field:field…`, the format the bot has always used, so buttons
already sitting in people's chats keep working.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self

SEPARATOR = ":"
MAX_BYTES = 64  # Telegram's limit for callback_data
MAX_ID = 2**31 - 1  # PostgreSQL's integer
_DIGITS = re.compile(r"0|[1-9][0-9]{0,18}")  # ASCII only: '²' and '١' are not digits here
_TOKEN = re.compile(r"[A-Za-z0-9_.-]+")


class Malformed(ValueError):
    """Button data that no family reads: the press is answered as stale."""


@dataclass(frozen=True)
class Between:
    """An int field's inclusive range."""

    low: int
    high: int


@dataclass(frozen=True)
class OneOf:
    """A word field's allowed values (for sets kept as tuples elsewhere, e.g. RATINGS)."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Token:
    """A short token (letters, digits, "-", "_", "."): a code or a secret ballot's receipt."""

    max_length: int


@dataclass(frozen=True)
class Ref:
    """An id field naming a row of `model`; the dispatcher loads it for the handler."""

    model: type[Any]


Id = Annotated[int, Between(1, MAX_ID)]
Version = Annotated[int, Between(0, MAX_ID)]


@dataclass(frozen=True)
class Spec:
    """How one field is packed and read."""

    name: str
    kind: Literal["int", "word", "token"]
    low: int = 0
    high: int = 0
    words: frozenset[str] = frozenset()
    max_length: int = 0
    optional: bool = False
    ref: type[Any] | None = None

    def read(self, raw: str) -> int | str:
        if self.kind == "int":
            if not _DIGITS.fullmatch(raw) or not self.low <= int(raw) <= self.high:
                raise Malformed(f"{self.name}: {raw!r}")
            return int(raw)
        if self.kind == "word":
            if raw not in self.words:
                raise Malformed(f"{self.name}: {raw!r}")
            return raw
        if not _TOKEN.fullmatch(raw) or len(raw) > self.max_length:
            raise Malformed(f"{self.name}: {raw!r}")
        return raw

    def write(self, value: object) -> str:
        text = str(value)
        if isinstance(value, bool) or self.read(text) != value:
            raise ValueError(f"{self.name}={value!r} cannot be packed")
        return text


def _spec(name: str, hint: Any, has_default: bool) -> Spec:
    """A field's spec from its annotation."""
    marks: tuple[Any, ...] = ()
    if typing.get_origin(hint) is Annotated:
        hint, *rest = typing.get_args(hint)
        marks = tuple(rest)
    optional = False
    args = typing.get_args(hint)
    if type(None) in args:  # X | None
        optional = True
        (hint,) = [a for a in args if a is not type(None)]
        if typing.get_origin(hint) is Annotated:
            hint, *rest = typing.get_args(hint)
            marks += tuple(rest)
    if optional and not has_default:
        raise TypeError(f"{name}: an optional field needs the default None")
    ref = next((m.model for m in marks if isinstance(m, Ref)), None)
    if hint is int:
        span = next((m for m in marks if isinstance(m, Between)), Between(1, MAX_ID))
        return Spec(name, "int", low=span.low, high=span.high, optional=optional, ref=ref)
    if typing.get_origin(hint) is Literal:
        words = frozenset(str(a) for a in typing.get_args(hint))
        return Spec(name, "word", words=words, optional=optional)
    for mark in marks:
        if isinstance(mark, OneOf):
            return Spec(name, "word", words=frozenset(mark.words), optional=optional)
        if isinstance(mark, Token):
            return Spec(name, "token", max_length=mark.max_length, optional=optional)
    raise TypeError(f"{name}: a button field is a ranged int, a Literal, OneOf or Token")


class Callback:
    """The base of every button family (subclasses are frozen dataclasses)."""

    prefix: ClassVar[str]
    _specs: ClassVar[tuple[Spec, ...] | None] = None

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or not all(_TOKEN.fullmatch(p) for p in prefix.split(SEPARATOR)):
            raise TypeError(f"bad prefix {prefix!r}")
        cls.prefix = prefix
        cls._specs = None

    @classmethod
    def specs(cls) -> tuple[Spec, ...]:
        """The fields in packing order (worked out once, after the dataclass exists)."""
        if cls._specs is None:
            hints = typing.get_type_hints(cls, include_extras=True)
            specs = tuple(
                _spec(f.name, hints[f.name], f.default is not dataclasses.MISSING)
                for f in dataclasses.fields(cls)  # type: ignore[arg-type]  # a dataclass subclass
            )
            seen_optional = False
            for spec in specs:
                if seen_optional and not spec.optional:
                    raise TypeError(f"{cls.__name__}: optional fields come last")
                seen_optional = seen_optional or spec.optional
            cls._specs = specs
        return cls._specs

    @classmethod
    def refs(cls) -> list[Spec]:
        """The fields that name rows, in order (the first is the press's subject)."""
        return [s for s in cls.specs() if s.ref is not None]

    def pack(self) -> str:
        """The data string for a button."""
        parts = [self.prefix]
        for spec in self.specs():
            value = getattr(self, spec.name)
            if value is None:
                if not spec.optional:
                    raise ValueError(f"{spec.name} is required")
                break
            parts.append(spec.write(value))
        data = SEPARATOR.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
        return data

    def fits(self) -> bool:
        """Can these values be packed (in range, of the right form, within 64 bytes)?"""
        try:
            self.pack()
        except ValueError:
            return False
        return True

    @classmethod
    def parse(cls, data: str) -> Self:
        """The family's fields from a press's data; Malformed when anything does not fit."""
        parts = data.split(SEPARATOR)
        head = cls.prefix.split(SEPARATOR)
        if parts[: len(head)] != head:
            raise Malformed(f"not {cls.prefix}: {data!r}")
        raw = parts[len(head) :]
        specs = cls.specs()
        required = sum(1 for s in specs if not s.optional)
        if not required <= len(raw) <= len(specs):
            raise Malformed(f"{cls.prefix}: {len(raw)} fields in {data!r}")
        values = {spec.name: spec.read(text) for spec, text in zip(specs, raw, strict=False)}
        return cls(**values)


def rows(buttons: Iterable[Any], per_row: int = 2) -> list[list[Any]]:
    """Buttons laid out `per_row` to a row."""
    listed = list(buttons)
    return [listed[i : i + per_row] for i in range(0, len(listed), per_row)]
