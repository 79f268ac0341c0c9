"""Conversation memory: the SQLite store, the context window, long-term facts."""
