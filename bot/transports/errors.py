"""What a refused Bot API call means for delivery, the same for every transport.

The libraries raise their own exception classes, but a 400 "Bad Request" is told apart only by
Telegram's description; each adapter hands that text here so both read it alike.
"""

from __future__ import annotations

from bot.delivery import DeliveryError, Transient, Unchanged, Unreachable


def bad_request(description: str) -> DeliveryError:
    """The project's error for a 400 with this description."""
    text = description.lower()
    if "not modified" in text:
        return Unchanged(description)
    if "reply message not found" in text or "message to be replied not found" in text:
        return Transient(description)
    # "chat not found", "user is deactivated", and anything else Telegram refuses outright:
    # sending the same call again would be refused again.
    return Unreachable(description)
