"""One running app: `assistant trigger` and a second `assistant gui` reach it over its socket."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from assistant.cli.gui import send_command, socket_path
from ui.single_instance import InstanceServer


def _assistant(*args: str, timeout: float = 30) -> subprocess.Popen:  # type: ignore[type-arg]
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def server(qtbot):  # type: ignore[no-untyped-def]
    server = InstanceServer(socket_path())
    assert server.listen()
    yield server
    server.close()


def test_trigger_reaches_the_running_app(qtbot, server):
    started = time.perf_counter()
    with qtbot.waitSignal(server.commandReceived, timeout=20_000) as received:
        proc = _assistant("trigger", "--no-start")
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert received.args == ["listen"]
    print(f"assistant trigger round trip {time.perf_counter() - started:.2f} s")
    with qtbot.waitSignal(server.commandReceived, timeout=20_000) as received:
        proc = _assistant("trigger", "toggle", "--no-start")
    proc.communicate(timeout=20)
    assert received.args == ["toggle"]


def test_a_second_gui_raises_the_first_instead_of_starting(qtbot, server):
    with qtbot.waitSignal(server.commandReceived, timeout=20_000) as received:
        proc = _assistant("gui")
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "already running" in err
    assert received.args == ["show"]


def test_trigger_without_a_running_app_says_so(qtbot):
    proc = _assistant("trigger", "--no-start")
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert err.strip() == "assistant: the app is not running; start it with `assistant gui`."
    assert "Traceback" not in err


def test_gui_without_a_display_explains(qtbot):
    proc = _assistant("gui")
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert "no graphical display" in err and "Traceback" not in err


@pytest.mark.slow
def test_without_a_command_and_without_a_display_the_terminal_chat_starts(qtbot):
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant"],
        env={
            **{k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")},
            "ASSISTANT_LLM_BACKEND": "fake",
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate("hello\n", timeout=120)
    assert "starting the text chat instead" in err
    assert "fake reply" in out


def test_a_stale_socket_is_replaced(qtbot):
    path = socket_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("left over by a crash")
    server = InstanceServer(path)
    try:
        assert server.listen()
        with qtbot.waitSignal(server.commandReceived, timeout=5000):
            # the client blocks on the answer, so answer from the event loop meanwhile
            import threading

            result: list[bool] = []
            thread = threading.Thread(target=lambda: result.append(send_command("show")))
            thread.start()
        thread.join(5)
        assert result == [True]
    finally:
        server.close()


def test_commands_open_the_popup_and_listen_or_raise_the_window(qtbot, make_bridge):
    from ui.app import DesktopApp

    bridge = make_bridge()
    app = DesktopApp(bridge.config, bridge)
    qtbot.addWidget(app.window)
    app.window._on_ready()
    app.window._on_voice_available(True)
    app.handle_command("listen")
    assert app.window.popup.isVisible()
    qtbot.waitUntil(lambda: bridge.voice.calls == ["start"], timeout=3000)
    app.handle_command("toggle")
    assert not app.window.popup.isVisible()
    app.handle_command("show")
    assert app.window.isVisible()
    app.window.popup.hide()
    app.window.quitRequested.disconnect()  # closing the test's window must not quit pytest
