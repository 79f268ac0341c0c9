"""`assistant gui` (the desktop app) and `assistant trigger` (for a desktop shortcut).

Only one window runs: it listens on a Unix socket. A second `assistant gui` and `assistant
trigger` send it one line (``show``, ``listen`` or ``toggle``) with plain Python, so the trigger
answers in a few milliseconds without loading Qt.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.errors import AssistantError

TRIGGER_ACTIONS = ("listen", "show", "toggle", "capture")


def register(subparsers: Any) -> None:
    gui = subparsers.add_parser(
        "gui",
        help="open the desktop app (the default)",
        description="Open the window; if it is already open, raise it instead.",
    )
    gui.add_argument(
        "--listen", action="store_true", help="open the quick popup and start listening"
    )
    gui.add_argument("--or-chat", action="store_true", help=argparse.SUPPRESS)
    gui.set_defaults(func=run_gui)

    trigger = subparsers.add_parser(
        "trigger",
        help="make the running app listen (bind this to a desktop shortcut)",
        description="Tell the running app to open its quick popup and listen — the way to a "
        "global hotkey on Wayland: add a custom keyboard shortcut that runs "
        "`assistant trigger`. Starts the app when it is not running.",
    )
    trigger.add_argument(
        "action",
        nargs="?",
        default="listen",
        choices=TRIGGER_ACTIONS,
        help="listen (default): popup and listen; show: raise the window; toggle: popup on/off; "
        "capture: capture the screen or a region, then ask about it",
    )
    trigger.add_argument(
        "--no-start",
        action="store_true",
        help="fail instead of starting the app when it is not running",
    )
    trigger.set_defaults(func=run_trigger)


def socket_path() -> Path:
    """The single-instance socket: in XDG_RUNTIME_DIR when there is one, else the data dir."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.access(runtime, os.W_OK):
        return Path(runtime) / "assistant" / "gui.sock"
    return paths.data_dir() / "gui.sock"


def send_command(command: str, path: Path | None = None, timeout: float = 2.0) -> bool:
    """True when a running app received ``command``."""
    path = path or socket_path()
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            sock.sendall(command.encode() + b"\n")
            return sock.recv(64).startswith(b"ok")
        except OSError:  # refused (a stale socket), timeout, reset
            return False


def display_problem(env: dict[str, str] | None = None) -> str:
    """'' when a window can open here, else why not."""
    env = dict(os.environ) if env is None else env
    if importlib.util.find_spec("PySide6") is None:
        return "PySide6 is not installed (pip install PySide6-Essentials)"
    if (
        sys.platform.startswith("linux")
        and not env.get("QT_QPA_PLATFORM")
        and not env.get("DISPLAY")
        and not env.get("WAYLAND_DISPLAY")
    ):
        return "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"
    return ""


def run_gui(args: argparse.Namespace) -> int:
    if send_command("listen" if args.listen else "show"):
        print("assistant: the app is already running; its window was raised.", file=sys.stderr)
        return 0
    problem = display_problem()
    if problem:
        if not args.or_chat:
            raise AssistantError(
                f"cannot open the window: {problem}; `assistant chat` works in a terminal."
            )
        print(f"assistant: {problem}; starting the text chat instead.", file=sys.stderr)
        from assistant.cli import build_parser

        chat_args = build_parser().parse_args(["chat"])
        chat_args.debug = args.debug
        return int(chat_args.func(chat_args) or 0)
    from assistant import config as config_module
    from assistant.logging_setup import capture_native_stderr
    from ui.app import run

    if not args.debug:
        capture_native_stderr()  # ALSA/PortAudio/Qt chatter goes to the log, not the terminal
    return run(config_module.load(), socket_path(), listen=args.listen)


def run_trigger(args: argparse.Namespace) -> int:
    if send_command(args.action):
        return 0
    if args.no_start:
        raise AssistantError("the app is not running; start it with `assistant gui`.")
    command = [sys.executable, "-m", "assistant", "gui"]
    if args.action != "show":
        command.append("--listen")
    subprocess.Popen(
        command,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print("assistant: the app was not running; starting it.", file=sys.stderr)
    return 0
