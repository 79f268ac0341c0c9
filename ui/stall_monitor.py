"""A heartbeat on the GUI thread: measures how long the event loop was ever blocked."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)


class StallMonitor(QObject):
    """A timer ticks every ``interval_ms``; a late tick means the event loop was stalled."""

    def __init__(
        self, interval_ms: int = 20, warn_ms: float = 250.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.warn_ms = warn_ms
        self.max_stall_ms = 0.0
        self.ticks = 0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        self.max_stall_ms = 0.0
        self.ticks = 0
        self._last = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        stall = (now - self._last) * 1000.0 - self.interval_ms
        self._last = now
        self.ticks += 1
        if stall > self.max_stall_ms:
            self.max_stall_ms = stall
        if stall > self.warn_ms:
            log.warning("the GUI thread was blocked for %.0f ms", stall)
