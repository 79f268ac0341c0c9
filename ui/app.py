"""The desktop app: window, tray, hotkey, single-instance socket, and the bridge to the core."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from assistant.config import Config
from ui.bridge import Bridge
from ui.hotkey import GlobalHotkey
from ui.main_window import MainWindow
from ui.single_instance import InstanceServer
from ui.stall_monitor import StallMonitor
from ui.theme import apply_theme, icon
from ui.tray import Tray

log = logging.getLogger(__name__)


def process_age() -> float:
    """Seconds since this process started (Linux /proc), so start-up time includes imports."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.process_time()


class DesktopApp(QObject):
    """Owns and joins the pieces; ``start`` shows the window at once and loads in the background."""

    def __init__(self, config: Config, bridge: Bridge, socket_path: Path | None = None) -> None:
        super().__init__()
        self.config = config
        self.bridge = bridge
        self.window = MainWindow(bridge, config)
        self.tray = Tray(self)
        self.hotkey = GlobalHotkey(self)
        self.capture_hotkey = GlobalHotkey(self)  # screen / region capture, then ask
        self.server = InstanceServer(socket_path, self) if socket_path else None
        self.monitor = StallMonitor(parent=self)
        self.shown_after: float | None = None
        self._quitting = False
        w = self.window
        w.shown.connect(self._first_shown)
        w.quitRequested.connect(self.quit)
        w.stateChanged.connect(lambda s: self.tray.set_listening(s.value != "idle"))
        w.mutedChanged.connect(self.tray.set_muted)
        w.noticeShown.connect(self._notify)
        w.settingsApplied.connect(self.apply_config)
        w.trayHint.connect(
            lambda: self.tray.notify(
                "Assistant", "Still running here: the tray icon brings the window back."
            )
        )
        self.tray.showHideRequested.connect(w.toggle_visible)
        self.tray.listenRequested.connect(w.mic.toggle_listening)
        self.tray.muteToggled.connect(w.set_muted)
        self.tray.quitRequested.connect(self.quit)
        self.tray.set_muted(config.tts.muted)
        self.hotkey.activated.connect(w.open_popup_and_listen)
        self.hotkey.failed.connect(lambda problem: w.banners.show_error("hotkey", problem))
        self.capture_hotkey.activated.connect(w.capture_screen)
        self.capture_hotkey.failed.connect(lambda problem: w.banners.show_error("hotkey", problem))
        self.tray.captureRequested.connect(w.capture_screen)
        if self.server is not None:
            self.server.commandReceived.connect(self.handle_command)

    def start(self, listen: bool = False) -> None:
        self.monitor.start()
        if self.tray.available():
            self.tray.show()
            self.window.tray_available = True
        if self.config.ui.start_minimised and self.window.tray_available and not listen:
            log.info("starting minimised in the tray")
        else:
            self.window.show()
        if self.server is not None and not self.server.listen():
            self.window.banners.show_banner(
                "instance",
                "Another copy may be running: `assistant trigger` will not reach this window.",
                "warning",
            )
        problem = self.hotkey.start(self.config.ui.hotkey)
        if problem:
            log.info("%s", problem)
        if self.config.ui.capture_hotkey:
            problem = self.capture_hotkey.start(self.config.ui.capture_hotkey)
            if problem:
                log.info("capture hotkey: %s", problem)
        QTimer.singleShot(0, self.bridge.start)
        self.bridge.ready.connect(_preload_charts)
        if listen:
            QTimer.singleShot(0, self.window.open_popup_and_listen)

    def _first_shown(self) -> None:
        if self.shown_after is None:
            self.shown_after = process_age()
            log.info("window shown %.2f s after the process started", self.shown_after)

    def handle_command(self, command: str) -> None:
        """From a second `assistant gui` (show) or `assistant trigger` (listen / toggle)."""
        if command == "show":
            self.window.show_window()
        elif command == "capture":
            self.window.capture_screen()
        elif command == "toggle" and self.window.popup.isVisible():
            self.window.popup.hide()
        else:
            self.window.open_popup_and_listen()

    def _notify(self, text: str, kind: str) -> None:
        if not (self.window.isVisible() and self.window.isActiveWindow()):
            self.tray.notify("Assistant", text, warning=kind == "warning")

    def apply_config(self, config: Config) -> None:
        old = self.config
        self.config = config
        if config.ui.hotkey != old.ui.hotkey:
            problem = self.hotkey.start(config.ui.hotkey)
            if problem:
                log.info("%s", problem)
        if config.ui.capture_hotkey != old.ui.capture_hotkey:
            self.capture_hotkey.stop()
            if config.ui.capture_hotkey:
                self.capture_hotkey.start(config.ui.capture_hotkey)
        self.window.apply_config(config)
        self.tray.set_muted(config.tts.muted)

    def quit(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        log.info(
            "quitting; longest GUI-thread stall %.0f ms; %d over %.0f ms",
            self.monitor.max_stall_ms,
            len(self.monitor.stalls),
            self.monitor.warn_ms,
        )
        self.monitor.stop()
        self.window.popup.hide()
        self.window.hide()
        self.tray.hide()
        self.hotkey.stop()
        self.capture_hotkey.stop()
        if self.server is not None:
            self.server.close()
        self.bridge.shutdown()
        app = QApplication.instance()
        if app is not None:
            app.quit()


def _preload_charts() -> None:
    """Import the charts' library (pyqtgraph: ~0.4 s of imports) on a thread of its own, so the
    first look at Insights does not block the window; importing defines classes, creates no
    widgets."""

    def load() -> None:
        with contextlib.suppress(ImportError):  # the Insights tab is where that is reported
            import pyqtgraph  # noqa: F401

    threading.Thread(target=load, name="assistant-preload", daemon=True).start()


def create_application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("assistant")
    app.setApplicationDisplayName("Assistant")
    app.setDesktopFileName("assistant")
    app.setQuitOnLastWindowClosed(False)
    return app


def run(config: Config, socket_path: Path, listen: bool = False) -> int:
    """`assistant gui`: returns the exit code when the app quits."""
    app = create_application()
    apply_theme(app, config.ui.theme)
    app.setWindowIcon(icon("app"))
    desktop = DesktopApp(config, Bridge(config), socket_path)
    # Ctrl-C / SIGTERM quit cleanly (the stall monitor's timer lets Python see the signal)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _s, _f: desktop.quit())
    desktop.start(listen=listen)
    code = app.exec()
    desktop.quit()
    return int(code)
