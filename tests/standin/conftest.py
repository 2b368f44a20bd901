"""Fixtures for the stand-in's tests; every connection outside loopback fails the test."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bot.standin import BotAPIStandIn, TgChat, TgUser

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: Any) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any) -> None:
    if isinstance(address, tuple) and not _is_loopback(address[0]):
        raise OSError(f"network access outside loopback in a test: {address!r}")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def connect(self: socket.socket, address: Any) -> None:
        _check(address)
        _real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(address)
        return _real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host.decode() if isinstance(host, bytes) else host):
            raise OSError(f"name lookup outside loopback in a test: {host!r}")
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandIn]:
    api = BotAPIStandIn(webhook_retry_delays=(0.05,))
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def alice() -> TgUser:
    return TgUser(7001, "Alice", username="alice_w", language_code="en")


@pytest.fixture
def bob() -> TgUser:
    return TgUser(7002, "王", last_name="伟", language_code="zh-hans")


@pytest.fixture
def group() -> TgChat:
    return TgChat.group(-1001234567890, "幸福里小区 3 号楼")
