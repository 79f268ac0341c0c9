"""A heartbeat on the GUI thread: measures how long the event loop was ever blocked."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)


STALL_BUDGET_MS = 200.0  # a longer block is felt (and logged); the app's budget is none


class StallMonitor(QObject):
    """A timer ticks every ``interval_ms``; a late tick means the event loop was stalled.
    Stalls over ``warn_ms`` are logged and kept in ``stalls``."""

    def __init__(
        self,
        interval_ms: int = 20,
        warn_ms: float = STALL_BUDGET_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.warn_ms = warn_ms
        self.max_stall_ms = 0.0
        self.ticks = 0
        self.stalls: list[float] = []
        self.last_tick = 0.0  # perf_counter() of the latest tick
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.last_tick = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        self.max_stall_ms = 0.0
        self.ticks = 0
        self.stalls = []
        self.last_tick = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        stall = (now - self.last_tick) * 1000.0 - self.interval_ms
        self.last_tick = now
        self.ticks += 1
        if stall > self.max_stall_ms:
            self.max_stall_ms = stall
        if stall > self.warn_ms:
            self.stalls.append(stall)
            log.warning("the GUI thread was blocked for %.0f ms", stall)
