"""Banners above the conversation: what is missing or failed, and the fix; one per topic."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

KIND_COLOURS = {  # (background, border) readable in light and dark themes
    "error": ("rgba(217,48,37,0.14)", "#d93025"),
    "warning": ("rgba(242,153,0,0.16)", "#f29900"),
    "info": ("rgba(26,115,232,0.12)", "#1a73e8"),
}

# What each failing stage means for the user, and that text chat keeps working.
STAGE_TITLES = {
    "llm": "Language model",
    "asr": "Speech recognition",
    "tts": "Voice output",
    "voice": "Microphone",
    "hotkey": "Hotkey",
    "startup": "Start-up",
    "intent": "Understanding",
}


# Stages that are one topic for the user (a missing microphone is reported by several).
TOPICS = {"mic": "voice", "audio": "voice", "capture": "voice"}


class Banner(QFrame):
    def __init__(self, key: str, text: str, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.label.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab stops at its ✕ only
        layout.addWidget(self.label, 1)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setAccessibleName("Dismiss message")
        self.close_button.setAutoRaise(True)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.set(text, kind)

    def set(self, text: str, kind: str) -> None:
        self.kind = kind
        self.text = text
        self.label.setText(text)
        self.label.setAccessibleName(text)
        background, border = KIND_COLOURS.get(kind, KIND_COLOURS["info"])
        self.setStyleSheet(
            f"#banner {{ background: {background}; border: 1px solid {border};"
            " border-radius: 6px; }"
        )


class BannerArea(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, 6, 12, 0)
        self._layout.setSpacing(4)
        self.banners: dict[str, Banner] = {}
        self.hide()

    def show_banner(self, key: str, text: str, kind: str = "error") -> Banner:
        banner = self.banners.get(key)
        if banner is None:
            banner = Banner(key, text, kind, self)
            banner.close_button.clicked.connect(lambda: self.dismiss(key))
            self._layout.addWidget(banner)
            self.banners[key] = banner
        else:
            banner.set(text, kind)
        self.show()
        return banner

    def show_error(self, stage: str, message: str) -> Banner:
        """One banner per topic: a newer message about the microphone replaces the older."""
        key = TOPICS.get(stage, stage)
        title = STAGE_TITLES.get(key, key.capitalize())
        tail = {
            "startup": "",
            "hotkey": "",
            "turn": "",
            "llm": " Commands (timers, time, sums …) still work.",
        }.get(key, " Text chat still works.")
        if "still work" in message.lower():
            tail = ""
        return self.show_banner(key, f"<b>{title}:</b> {message}{tail}", "error")

    def dismiss(self, key: str) -> None:
        banner = self.banners.pop(key, None)
        if banner is not None:
            banner.deleteLater()
        self.setVisible(bool(self.banners))
