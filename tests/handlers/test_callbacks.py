"""Typed button data and command arguments: packed within Telegram's limit, read back exactly,
anything else refused — in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers import arguments
from handlers.app import ROUTERS
from handlers.callbacks import (
    MAX_BYTES,
    MAX_ID,
    Between,
    Callback,
    Malformed,
    OneOf,
    Token,
    Version,
)
from handlers.deliberation import Vote
from handlers.views import TicketMove


@dataclass(frozen=True)
class Sample(Callback, prefix="zz:s"):
    verb: Literal["go", "stop"]
    item: Annotated[int, Between(1, MAX_ID)]
    version: Version
    colour: Annotated[str, OneOf(("red", "blue"))]
    receipt: Annotated[str | None, Token(16)] = None


FAMILIES = sorted(
    {r.family for router in ROUTERS for r in router.routes if r.family is not None},
    key=lambda f: f.prefix,
)


def test_packing_is_the_bots_old_format() -> None:
    assert TicketMove("acc", 12, 3).pack() == "tk:acc:12:3"
    assert Vote(7, 2, 1).pack() == "vt:7:2:1"
    assert Vote(7, 2, 1, "AbC-_9").pack() == "vt:7:2:1:AbC-_9"
    assert Sample("go", 1, 0, "red").pack() == "zz:s:go:1:0:red"


@given(
    verb=st.sampled_from(["go", "stop"]),
    item=st.integers(1, MAX_ID),
    version=st.integers(0, MAX_ID),
    colour=st.sampled_from(["red", "blue"]),
    receipt=st.none() | st.text("abcXYZ019_-.", min_size=1, max_size=16),
)
def test_what_is_packed_is_read_back(
    verb: Literal["go", "stop"], item: int, version: int, colour: str, receipt: str | None
) -> None:
    button = Sample(verb, item, version, colour, receipt)
    assert Sample.parse(button.pack()) == button


@pytest.mark.parametrize(
    "data",
    [
        "zz:s",  # no fields
        "zz:s:go:1:0",  # one missing
        "zz:s:go:1:0:red:tok:extra",  # one too many
        "zz:s:jump:1:0:red",  # not a verb of the family
        "zz:s:go:0:0:red",  # ids start at 1
        "zz:s:go:2147483648:0:red",  # beyond PostgreSQL's integer
        "zz:s:go:99999999999999999999:0:red",  # beyond any integer column
        "zz:s:go:²:0:red",  # '²'.isdigit() is True, int('²') fails
        "zz:s:go:１:0:red",  # full-width
        "zz:s:go:٣:0:red",  # Arabic-Indic
        "zz:s:go:-1:0:red",
        "zz:s:go: 1:0:red",
        "zz:s:go:01:0:red",  # not how it was packed
        "zz:s:go:1:0:green",
        "zz:s:go:1:0:red:has space",
        "zz:s:go:1:0:red:" + "x" * 17,  # token too long
        "zzs:go:1:0:red",  # no separator
        "zz:x:go:1:0:red",  # another prefix
    ],
)
def test_anything_else_is_malformed(data: str) -> None:
    with pytest.raises(Malformed):
        Sample.parse(data)


def test_packing_refuses_what_could_not_be_read_back() -> None:
    with pytest.raises(ValueError):
        Sample("go", 0, 0, "red").pack()
    with pytest.raises(ValueError):
        Sample("go", MAX_ID + 1, 0, "red").pack()
    with pytest.raises(ValueError):
        Sample("go", 1, 0, "green").pack()
    assert not Sample("go", 1, 0, "green").fits() and Sample("go", 1, 0, "red").fits()


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.prefix)
def test_every_family_fits_telegrams_limit_at_its_largest(family: type[Callback]) -> None:
    largest: dict[str, object] = {}
    for spec in family.specs():
        if spec.kind == "int":
            largest[spec.name] = spec.high
        elif spec.kind == "word":
            largest[spec.name] = max(spec.words, key=len)
        else:
            largest[spec.name] = "x" * spec.max_length
    data = family(**largest).pack()
    assert len(data.encode()) <= MAX_BYTES
    assert family.parse(data) == family(**largest)


def test_every_prefix_has_one_family() -> None:
    prefixes = [f.prefix for f in FAMILIES]
    assert len(prefixes) == len(set(prefixes))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("TD-261125-001", "TD-261125-001"),
        ("td-261125-001", "TD-261125-001"),
        (" ＴＤ－２６１１２５－００１ ", "TD-261125-001"),  # full-width, as phones type it
        ("td-ys001", "TD-YS001"),
        ("ＸＨＹ－ＹＳ００２", "XHY-YS002"),
        ("TD-²61125-001", "TD-261125-001"),  # NFKC folds ² to 2, as for full-width digits
        ("TD-٢٦١١٢٥-001", None),
        ("TD-261125-" + "9" * 30, None),
        ("TD 261125 001", None),
        ("", None),
    ],
)
def test_ticket_and_topic_numbers_as_people_type_them(typed: str, expected: str | None) -> None:
    assert arguments.number(typed) == expected


def test_whole_numbers_from_arguments() -> None:
    assert arguments.integer("３", 1, 8) == 3
    assert arguments.integer("²", 1, 8) == 2  # folded as a phone keyboard would mean it
    assert arguments.integer("٣", 1, 8) is None
    assert arguments.integer("9", 1, 8) is None
    assert arguments.integer("9" * 40, 1, 8) is None
    assert arguments.integer("-1", 0, 8) is None


def test_numbers_and_the_rest() -> None:
    found, rest = arguments.numbers("td-261125-001 ＴＤ－２６１１２５－００４ 楼道 安全")
    assert found == ["TD-261125-001", "TD-261125-004"] and rest == "楼道 安全"
    assert arguments.first("ＴＤ－ＹＳ００１　我同意 这个") == ("TD-YS001", "我同意 这个")
