"""The real app under Xvfb: `assistant gui` opens fast, answers, obeys `assistant trigger`
and the hotkey, quits cleanly on SIGTERM, and leaves a screenshot in test-output/."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
GRAB = (
    "import sys\nfrom PySide6.QtWidgets import QApplication\napp = QApplication([])\n"
    "app.primaryScreen().grabWindow(0).save(sys.argv[1])\n"
)


def _env(display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, ASSISTANT_LLM_BACKEND="fake", ASSISTANT_TTS_BACKEND="none")
    return env


def _xdotool(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["xdotool", *args], env=env, capture_output=True, text=True, timeout=30
    ).stdout


def _screenshot(env: dict[str, str], name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / name
    subprocess.run(
        [sys.executable, "-c", GRAB, str(path)],
        env={**env, "QT_QPA_PLATFORM": "xcb"},
        check=True,
        timeout=30,
    )
    return path


def _replies(database: Path) -> list[str]:
    if not database.exists():
        return []
    try:
        with sqlite3.connect(database) as conn:
            rows = conn.execute("SELECT text FROM messages WHERE role='assistant'").fetchall()
    except sqlite3.OperationalError:  # the app is still creating the schema
        return []
    return [r[0] for r in rows]


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.gui
def test_the_real_app_under_xvfb(xvfb, xdg):
    env = _env(xvfb)
    started = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, "-m", "assistant", "gui"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        window = _xdotool(env, "search", "--sync", "--onlyvisible", "--name", "^Assistant$")
        shown = time.perf_counter() - started
        assert window.strip(), "the window did not appear"
        print(f"window visible {shown:.2f} s after launch (xdotool)")

        # type a message (the input box has the focus; click it to be sure) and get the answer
        _xdotool(env, "mousemove", "500", "670", "click", "1")
        _xdotool(env, "type", "--delay", "15", "Hello from the test")
        _xdotool(env, "key", "Return")
        database = xdg / "xdg_data_home" / "assistant" / "assistant.db"
        assert _wait(lambda: _replies(database), 90), "no reply was stored"
        time.sleep(1.0)
        shot = _screenshot(env, "gui-main-window.png")
        assert shot.stat().st_size > 10_000

        # `assistant trigger` reaches this instance; the hotkey opens the quick popup
        trigger = subprocess.run(
            [sys.executable, "-m", "assistant", "trigger", "show", "--no-start"],
            env=env,
            capture_output=True,
            timeout=30,
        )
        assert trigger.returncode == 0, trigger.stderr
        _xdotool(env, "key", "ctrl+alt+space")
        popup = _xdotool(env, "search", "--sync", "--onlyvisible", "--name", "quick question")
        assert popup.strip(), "the hotkey did not open the popup"
        _screenshot(env, "gui-popup.png")
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            _out, err = app.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            _out, err = app.communicate()
    assert app.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    log = "\n".join(
        p.read_text() for p in (xdg / "xdg_data_home" / "assistant" / "logs").glob("*.log*")
    )
    found = re.search(r"window shown ([\d.]+) s after the process started", log)
    assert found, "the app did not log its start-up time"
    stall = re.search(r"longest GUI-thread stall (\d+) ms", log)
    print(
        f"window shown {found.group(1)} s after process start (app log); "
        f"longest GUI stall {stall.group(1) if stall else '?'} ms"
    )
    assert float(found.group(1)) < 5.0
