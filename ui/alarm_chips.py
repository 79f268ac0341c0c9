"""The pending timers and reminders as small chips above the message box: a live countdown for
a timer, the time of a reminder, and a button to cancel each. The bridge says when they may
have changed (after each reply and when one fires); the countdown ticks locally."""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from assistant.skills.alarms import Alarm


def chip_text(alarm: Alarm, now: float) -> str:
    if alarm.kind == "timer":
        left = int(max(0.0, alarm.due_at - now))
        hours, rest = divmod(left, 3600)
        clock = (
            f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
            if hours
            else f"{rest // 60}:{rest % 60:02d}"
        )
        return f"{alarm.label + ' ' if alarm.label else ''}timer {clock}"
    when = datetime.fromtimestamp(alarm.due_at).strftime("%a %H:%M")
    return f"reminder: {alarm.label} · {when}"


class AlarmChips(QWidget):
    cancelRequested = Signal(int)  # alarm id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmChips")
        self.setAccessibleName("Timers and reminders")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)
        self._chips: list[tuple[Alarm, QLabel, QFrame]] = []
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self.hide()

    @property
    def texts(self) -> list[str]:
        return [label.text() for _, label, _ in self._chips]

    def set_alarms(self, alarms: list[Alarm]) -> None:
        for _, _, frame in self._chips:
            frame.setParent(None)  # gone from the chips at once, deleted when the loop is free
            frame.deleteLater()
        self._chips = []
        for alarm in alarms:
            frame = QFrame(self)
            frame.setObjectName("alarmChip")
            frame.setFrameShape(QFrame.Shape.StyledPanel)
            row = QHBoxLayout(frame)
            row.setContentsMargins(8, 2, 2, 2)
            label = QLabel(frame)
            cancel = QToolButton(frame)
            cancel.setText("\u00d7")
            what = f"the {alarm.label} {alarm.kind}" if alarm.label else f"this {alarm.kind}"
            cancel.setToolTip(f"Cancel {what}")
            cancel.setAccessibleName(f"Cancel {what}")
            cancel.clicked.connect(lambda _=False, i=alarm.id: self.cancelRequested.emit(i))
            row.addWidget(label)
            row.addWidget(cancel)
            self._layout.insertWidget(self._layout.count() - 1, frame)
            self._chips.append((alarm, label, frame))
        self._tick()
        self.setVisible(bool(self._chips))
        if self._chips:
            self._ticker.start()
        else:
            self._ticker.stop()

    def _tick(self) -> None:
        now = time.time()
        for alarm, label, _ in self._chips:
            label.setText(chip_text(alarm, now))
