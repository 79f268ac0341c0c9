"""Cancellation of a turn: a generation counter shared by every stage of the turn."""

from __future__ import annotations

import threading


class CancelToken:
    """Set once when the turn is cancelled (barge-in, Stop, Ctrl-C); stages poll it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; return True as soon as the turn is cancelled."""
        return self._event.wait(timeout)
