"""A stand-in for Telegram's Bot API on 127.0.0.1, for tests, benchmarks and the simulator."""

from bot.standin.core import DEFAULT_TOKEN, ChatState
from bot.standin.limits import Limits
from bot.standin.server import BotAPIStandIn
from bot.standin.types import AnsweredCallback, ApiCall, ApiError, Change, Edit, TgChat, TgUser

__all__ = [
    "DEFAULT_TOKEN",
    "AnsweredCallback",
    "ApiCall",
    "ApiError",
    "BotAPIStandIn",
    "Change",
    "ChatState",
    "Edit",
    "Limits",
    "TgChat",
    "TgUser",
]
