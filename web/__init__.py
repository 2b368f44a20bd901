"""The web side of Linli, served by aiohttp beside the bot: Open311 GeoReport v2 (and, next,
the staff console). Above handlers/ and domain/, like bot/: the heart never imports it."""
