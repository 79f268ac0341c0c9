"""The global hotkey on X11 (pynput); on Wayland the desktop runs `assistant trigger` instead.

pynput reads ``DISPLAY`` when it is imported, so it is imported only here, late, once the
session is known to be X11. Its listener thread lingers after ``stop()`` until one more X event
arrives: the thread is a daemon, and a generation number makes a stopped listener's late
callback do nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


def session_has_global_keys(env: dict[str, str] | None = None) -> tuple[bool, str]:
    """(True, "") on X11; else (False, why)."""
    env = dict(os.environ) if env is None else env
    if env.get("XDG_SESSION_TYPE") == "wayland" or env.get("WAYLAND_DISPLAY"):
        return False, "this is a Wayland session, where apps cannot grab keys."
    if not env.get("DISPLAY"):
        return False, "there is no X11 display."
    return True, ""


def hotkey_problem(combo: str) -> str:
    """'' when pynput understands ``combo``, else a one-line explanation."""
    if not combo.strip():
        return "The hotkey is empty; use e.g. <ctrl>+<alt>+<space>."
    try:
        from pynput.keyboard import HotKey

        keys = HotKey.parse(combo)
    except (ValueError, ImportError) as err:
        return f"The hotkey {combo!r} is not valid ({err}); use e.g. <ctrl>+<alt>+<space>."
    if len(keys) < 2:
        return f"The hotkey {combo!r} needs a modifier, e.g. <ctrl>+<alt>+<space>."
    return ""


class GlobalHotkey(QObject):
    """Emits ``activated`` (on the GUI thread) when the combination is pressed anywhere."""

    activated = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._listener: Any = None
        self._generation = 0
        self._lock = threading.Lock()
        self.combo = ""

    @property
    def active(self) -> bool:
        return self._listener is not None

    def start(self, combo: str) -> str:
        """Listen for ``combo``; returns '' or why the hotkey cannot work (shown to the user)."""
        self.stop()
        supported, why = session_has_global_keys()
        if not supported:
            return f"The global hotkey is off: {why} Bind `assistant trigger` to a shortcut."
        problem = hotkey_problem(combo)
        if problem:
            return problem
        from pynput import keyboard

        with self._lock:
            self._generation += 1
            generation = self._generation
        try:
            listener = keyboard.GlobalHotKeys({combo: lambda: self.handle(generation)})
            listener.daemon = True
            listener.start()
        except Exception as err:  # no X connection, no RECORD extension …
            log.warning("global hotkey unavailable: %s", err)
            return f"The global hotkey could not start ({err}); bind `assistant trigger` instead."
        self._listener, self.combo = listener, combo
        log.info("global hotkey %s active", combo)
        return ""

    def handle(self, generation: int | None = None) -> None:
        """The pynput callback (listener thread): a queued signal hands over to the GUI."""
        with self._lock:
            if generation is not None and generation != self._generation:
                return  # a stopped listener's late event
        self.activated.emit()

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
            listener.join(0.2)  # it may linger until the next X event; it is a daemon
