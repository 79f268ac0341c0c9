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


# pynput's special key names (pynput.keyboard.Key), checked without importing pynput
MODIFIERS = {
    "alt",
    "alt_l",
    "alt_r",
    "alt_gr",
    "cmd",
    "cmd_l",
    "cmd_r",
    "ctrl",
    "ctrl_l",
    "ctrl_r",
    "shift",
    "shift_l",
    "shift_r",
}
SPECIAL_KEYS = MODIFIERS | {
    "backspace",
    "caps_lock",
    "delete",
    "down",
    "end",
    "enter",
    "esc",
    "home",
    "insert",
    "left",
    "menu",
    "num_lock",
    "page_down",
    "page_up",
    "pause",
    "print_screen",
    "right",
    "scroll_lock",
    "space",
    "tab",
    "up",
    "media_play_pause",
    "media_volume_mute",
    "media_volume_down",
    "media_volume_up",
    "media_previous",
    "media_next",
    *(f"f{n}" for n in range(1, 21)),
}


def hotkey_problem(combo: str) -> str:
    """'' when ``combo`` is a pynput hotkey with a modifier, else a one-line explanation."""
    example = "use e.g. <ctrl>+<alt>+<space>"
    parts = combo.strip().lower().split("+")
    if not combo.strip():
        return f"The hotkey is empty; {example}."
    keys = []
    for part in parts:
        name = part[1:-1] if part.startswith("<") and part.endswith(">") else None
        if name is not None and (name in SPECIAL_KEYS or name.isdigit()):
            keys.append(name)
        elif name is None and len(part) == 1:
            keys.append(part)
        else:
            return f"The hotkey {combo!r} is not valid ({part!r} is not a key); {example}."
    if len(set(keys)) != len(keys):
        return f"The hotkey {combo!r} is not valid (a key appears twice); {example}."
    if not any(k in MODIFIERS for k in keys) or all(k in MODIFIERS for k in keys):
        return f"The hotkey {combo!r} needs a modifier and a key; {example}."
    return ""


class GlobalHotkey(QObject):
    """Emits ``activated`` (on the GUI thread) when the combination is pressed anywhere."""

    activated = Signal()
    failed = Signal(str)

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
        """Listen for ``combo`` (set up on a thread: importing pynput takes a moment).

        Returns why the hotkey cannot work at all ('' when it may); a failure found later
        arrives as ``failed``.
        """
        self.stop()
        supported, why = session_has_global_keys()
        if not supported:
            return f"The global hotkey is off: {why} Bind `assistant trigger` to a shortcut."
        with self._lock:
            self._generation += 1
            generation = self._generation
        self.combo = combo
        threading.Thread(
            target=self._listen, args=(combo, generation), name="hotkey-setup", daemon=True
        ).start()
        return ""

    def _listen(self, combo: str, generation: int) -> None:
        problem = hotkey_problem(combo)
        if problem:
            self.failed.emit(problem)
            return
        from pynput import keyboard

        try:
            listener = keyboard.GlobalHotKeys({combo: lambda: self.handle(generation)})
            listener.daemon = True
            listener.start()
            listener.wait()  # until it receives key events
        except Exception as err:  # no X connection, no RECORD extension …
            log.warning("global hotkey unavailable: %s", err)
            self.failed.emit(
                f"The global hotkey could not start ({err}); bind "
                "`assistant trigger` to a shortcut instead."
            )
            return
        with self._lock:
            if generation != self._generation:  # stopped or replaced meanwhile
                listener.stop()
                return
            self._listener = listener
        log.info("global hotkey %s active", combo)

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
