"""Offline desktop voice assistant: the core (never imports Qt)."""

__version__ = "0.1.0"
