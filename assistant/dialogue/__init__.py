"""Dialogue state: questions asked, things referred to, changes to undo."""
