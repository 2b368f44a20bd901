"""Telegram libraries as transports: each only translates updates in and effects out."""
