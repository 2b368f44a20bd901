"""The local simulator: a web page to chat with the bot as any sample person, no Telegram."""

from bot.simulator.app import (
    SIM_TEXT_KEYS,
    PeopleProvider,
    SimGroup,
    SimPerson,
    TextProvider,
    mount_simulator,
)

__all__ = [
    "SIM_TEXT_KEYS",
    "PeopleProvider",
    "SimGroup",
    "SimPerson",
    "TextProvider",
    "mount_simulator",
]
