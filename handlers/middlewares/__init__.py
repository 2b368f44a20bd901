"""Per-event concerns, one per module, in the order they wrap the handler."""

from handlers.middlewares.dedup import dedup
from handlers.middlewares.errors import errors
from handlers.middlewares.identity import identity
from handlers.middlewares.language import language
from handlers.middlewares.services import services
from handlers.middlewares.session import unit_of_work
from handlers.middlewares.throttling import Throttle

__all__ = ["Throttle", "dedup", "errors", "identity", "language", "services", "unit_of_work"]
