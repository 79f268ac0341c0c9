"""The global hotkey: its handler, its checks, and a real key press under Xvfb."""

from __future__ import annotations

import os
import subprocess

import pytest

from ui.hotkey import GlobalHotkey, hotkey_problem, session_has_global_keys


def test_the_handler_opens_the_popup_and_starts_listening(qtbot, make_bridge):
    from ui.app import DesktopApp

    bridge = make_bridge()
    app = DesktopApp(bridge.config, bridge)
    app.window.quitRequested.disconnect()
    qtbot.addWidget(app.window)
    app.window._on_voice_available(True)
    app.hotkey.handle()  # what the pynput thread calls
    qtbot.waitUntil(app.window.popup.isVisible, timeout=2000)
    qtbot.waitUntil(lambda: bridge.voice.calls == ["start"], timeout=3000)
    # a typed question in the popup is answered there and joins the conversation
    with qtbot.waitSignal(bridge.replyDone, timeout=5000):
        app.window.popup.input.setText("what is up")
        app.window.popup.input.returnPressed.emit()
    qtbot.waitUntil(lambda: "code" in app.window.popup.answer.text(), timeout=2000)
    assert app.window.chat.bubbles[0].text == "what is up"
    assert "typed" in app.window.chat.bubbles[0].meta_label.text()
    app.window.popup.hide()


def test_a_stopped_listener_late_event_is_ignored(qtbot):
    hotkey = GlobalHotkey()
    fired: list[bool] = []
    hotkey.activated.connect(lambda: fired.append(True))
    hotkey.handle(generation=hotkey._generation)
    qtbot.waitUntil(lambda: fired == [True], timeout=1000)
    old = hotkey._generation
    hotkey.stop()
    hotkey.handle(generation=old)
    qtbot.wait(50)
    assert fired == [True]


def test_session_detection():
    assert session_has_global_keys({"DISPLAY": ":0"}) == (True, "")
    ok, why = session_has_global_keys({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"})
    assert not ok and "Wayland" in why
    assert not session_has_global_keys({})[0]


@pytest.mark.parametrize(
    ("combo", "fine"),
    [
        ("<ctrl>+<alt>+<space>", True),
        ("<cmd>+j", True),
        ("<ctrl>+<shift>+<f5>", True),
        ("", False),
        ("j", False),
        ("<ctrl>+<alt>", False),
        ("<ctrl>+<nokey>", False),
        ("<ctrl>+jj", False),
        ("<ctrl>+<ctrl>+a", False),
    ],
)
def test_hotkey_validation(combo, fine):
    assert (hotkey_problem(combo) == "") is fine


def test_on_wayland_the_hotkey_explains_the_trigger_command(qtbot, monkeypatch):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    problem = GlobalHotkey().start("<ctrl>+<alt>+<space>")
    assert "Wayland" in problem and "assistant trigger" in problem


def test_the_hotkey_fires_on_a_real_key_press_under_xvfb(qtbot, xvfb, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    hotkey = GlobalHotkey()
    problems: list[str] = []
    hotkey.failed.connect(problems.append)
    assert hotkey.start("<ctrl>+<alt>+<space>") == ""
    qtbot.waitUntil(lambda: hotkey.active or bool(problems), timeout=15_000)
    assert not problems
    env = {**os.environ, "DISPLAY": xvfb}
    with qtbot.waitSignal(hotkey.activated, timeout=10_000):
        subprocess.run(["xdotool", "key", "ctrl+alt+space"], env=env, check=True, timeout=10)
    hotkey.stop()
    # the stopped listener lingers until one more X event: give it one
    subprocess.run(["xdotool", "key", "shift"], env=env, check=True, timeout=10)
