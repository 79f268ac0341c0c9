"""The tray icon: show/hide, listen, mute, quit, and desktop notifications."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.theme import icon

NOTICE_MS = 8000


class Tray(QObject):
    showHideRequested = Signal()
    listenRequested = Signal()
    captureRequested = Signal()
    muteToggled = Signal(bool)
    quitRequested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icon("app"), self)
        self.icon.setToolTip("Assistant")
        menu = QMenu()
        self.show_action = QAction("Show / hide window", menu)
        self.show_action.triggered.connect(self.showHideRequested)
        self.listen_action = QAction("Listen", menu)
        self.listen_action.triggered.connect(self.listenRequested)
        self.capture_action = QAction("Capture screen and ask…", menu)
        self.capture_action.triggered.connect(self.captureRequested)
        self.mute_action = QAction("Mute voice replies", menu)
        self.mute_action.setCheckable(True)
        self.mute_action.toggled.connect(self.muteToggled)
        self.quit_action = QAction("Quit", menu)
        self.quit_action.triggered.connect(self.quitRequested)
        for action in (self.show_action, self.listen_action, self.capture_action, self.mute_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self._menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        if self.available():
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    @property
    def visible(self) -> bool:
        return self.icon.isVisible()

    def set_listening(self, listening: bool) -> None:
        self.icon.setIcon(icon("app-listening" if listening else "app"))
        self.listen_action.setText("Stop listening" if listening else "Listen")

    def set_muted(self, muted: bool) -> None:
        self.mute_action.blockSignals(True)
        self.mute_action.setChecked(muted)
        self.mute_action.blockSignals(False)

    def notify(self, title: str, text: str, warning: bool = False) -> bool:
        """A desktop notification; False when there is no tray to show it."""
        if not (self.visible and QSystemTrayIcon.supportsMessages()):
            return False
        kind = (
            QSystemTrayIcon.MessageIcon.Warning
            if warning
            else QSystemTrayIcon.MessageIcon.Information
        )
        self.icon.showMessage(title, text, kind, NOTICE_MS)
        return True

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.showHideRequested.emit()
