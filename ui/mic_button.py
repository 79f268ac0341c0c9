"""The microphone button (click to toggle, or hold to talk), the state badge and level meter."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from assistant.events import AssistantState
from ui.theme import icon

STATE_TEXT = {
    AssistantState.IDLE: "Idle",
    AssistantState.LISTENING: "Listening…",
    AssistantState.THINKING: "Thinking…",
    AssistantState.SPEAKING: "Speaking…",
}
STATE_COLOUR = {
    AssistantState.IDLE: "#80868b",
    AssistantState.LISTENING: "#d93025",
    AssistantState.THINKING: "#f29900",
    AssistantState.SPEAKING: "#1e8e3e",
}
METER_FLOOR_DB = -60.0
LEVEL_DECAY_MS = 400  # the meter falls back to zero when no level arrives for this long


def shown_state(voice: AssistantState, busy: bool, speaking: bool) -> AssistantState:
    """What the assistant is doing, for the badge: the voice loop reports its own state only
    while it runs, so a typed turn is thinking while it is answered (``busy``) and speaking
    while its reply is heard (``speaking``)."""
    if speaking or voice is AssistantState.SPEAKING:
        return AssistantState.SPEAKING
    if busy or voice is AssistantState.THINKING:
        return AssistantState.THINKING
    return voice


def level_percent(dbfs: float) -> int:
    """dBFS (−60 … 0 shown) → 0 … 100 for the meter."""
    clipped = min(0.0, max(METER_FLOOR_DB, dbfs))
    return round((clipped - METER_FLOOR_DB) / -METER_FLOOR_DB * 100)


class MicButton(QToolButton):
    """``toggle`` mode: a click starts or stops listening. ``hold`` mode: talk while pressed.

    The button never decides the state itself: it asks (``listenRequested``/``talkHeld``) and
    shows what the voice loop reports through ``set_state``.
    """

    listenRequested = Signal(bool)  # toggle mode: True = start listening
    talkHeld = Signal(bool)  # hold mode: pressed / released

    def __init__(self, mode: str = "toggle", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("micButton")
        self.setIconSize(QSize(22, 22))
        self.setMinimumSize(QSize(40, 36))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.state = AssistantState.IDLE
        self.mode = ""
        self._unavailable_reason = ""
        self.set_mode(mode)
        self.set_available(True)
        self.clicked.connect(self._on_clicked)
        self.pressed.connect(lambda: self._on_hold(True))
        self.released.connect(lambda: self._on_hold(False))

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.setCheckable(mode == "toggle")  # held down shows itself while pressed
        self._describe()

    def set_available(self, available: bool, why: str = "") -> None:
        self.setEnabled(available)
        self._unavailable_reason = why
        self._describe()

    def set_state(self, state: AssistantState) -> None:
        self.state = state
        self.setChecked(state is not AssistantState.IDLE)
        self._describe()

    def update_icon(self) -> None:
        """The icon for the state (again after a theme switch: it is tinted to the palette)."""
        if not self.isEnabled() or self.state is AssistantState.IDLE:
            self.setIcon(icon("mic-off"))
        else:
            self.setIcon(icon("mic", STATE_COLOUR[self.state]))

    def _describe(self) -> None:
        self.update_icon()
        if not self.isEnabled():
            tip = self._unavailable_reason or "Voice input is not available."
        elif self.mode == "hold":
            tip = "Hold to talk (Space while focused; Ctrl+M toggles)"
        else:
            tip = (
                "Stop listening (Ctrl+M)"
                if self.state is not AssistantState.IDLE
                else "Start listening (Ctrl+M)"
            )
        self.setToolTip(tip)
        self.setAccessibleName("Microphone")
        self.setAccessibleDescription(f"{tip}. State: {STATE_TEXT[self.state]}")

    def toggle_listening(self) -> None:
        """The keyboard shortcut and the tray use this in either mode."""
        self.listenRequested.emit(self.state is AssistantState.IDLE)

    def _on_clicked(self) -> None:
        # the checked look follows the reported state, not the click
        self.setChecked(self.state is not AssistantState.IDLE)
        if self.mode == "toggle":
            self.toggle_listening()

    def _on_hold(self, pressed: bool) -> None:
        if self.mode == "hold":
            self.talkHeld.emit(pressed)


class VoiceStatus(QWidget):
    """The state badge, the live input level and the mute-voice toggle."""

    muteToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.badge = QLabel(self)
        self.badge.setAccessibleName("Assistant state")
        self.badge.setMinimumWidth(100)
        layout.addWidget(self.badge)
        self.meter = QProgressBar(self)
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setFixedHeight(8)
        self.meter.setMaximumWidth(160)
        self.meter.setAccessibleName("Microphone level")
        layout.addWidget(self.meter)
        layout.addStretch(1)
        self.mute = QToolButton(self)
        self.mute.setCheckable(True)
        self.mute.setAccessibleName("Mute voice replies")
        self.mute.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.mute.toggled.connect(self._on_mute)
        layout.addWidget(self.mute)
        self._decay = QTimer(self)
        self._decay.setSingleShot(True)
        self._decay.setInterval(LEVEL_DECAY_MS)
        self._decay.timeout.connect(lambda: self.meter.setValue(0))
        self.set_state(AssistantState.IDLE)
        self._on_mute(False)

    def set_state(self, state: AssistantState) -> None:
        self.badge.setText(
            f"<span style='color:{STATE_COLOUR[state]}'>●</span> {STATE_TEXT[state]}"
        )
        self.badge.setAccessibleDescription(STATE_TEXT[state])
        if state is not AssistantState.LISTENING:
            self.meter.setValue(0)

    def set_level(self, dbfs: float) -> None:
        self.meter.setValue(level_percent(dbfs))
        self._decay.start()

    def set_muted(self, muted: bool) -> None:
        self.mute.setChecked(muted)

    def update_icon(self) -> None:
        """The mute button's icon (again after a theme switch)."""
        self.mute.setIcon(icon("speaker-off" if self.mute.isChecked() else "speaker"))

    def _on_mute(self, muted: bool) -> None:
        self.update_icon()
        self.mute.setToolTip(
            "Voice replies are muted (click to unmute)"
            if muted
            else "Mute voice replies (text only)"
        )
        self.muteToggled.emit(muted)
