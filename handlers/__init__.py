"""Conversation logic, free of any messenger: events in, effects out."""
