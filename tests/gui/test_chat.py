"""Typing, streaming, Stop, input keys, and the event loop staying free."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from tests.gui.conftest import REPLY
from ui.stall_monitor import StallMonitor


def test_typed_message_streams_the_reply_token_by_token(qtbot, window):
    win = window(delay_s=0.03)
    tokens: list[str] = []
    win.bridge.replyToken.connect(lambda _t, piece: tokens.append(piece))
    qtbot.keyClicks(win.input, "Show me some code")
    qtbot.keyClick(win.input, Qt.Key.Key_Return)
    assert win.input.toPlainText() == ""
    user = win.chat.bubbles[0]
    assert user.meta.role == "user" and user.text == "Show me some code"
    assert "typed" in user.meta_label.text()
    assert win.stop_button.isEnabled() and not win.send_button.isEnabled()
    # mid-stream the assistant bubble shows a prefix of the reply
    qtbot.waitUntil(lambda: len(tokens) >= 3, timeout=5000)
    qtbot.waitUntil(
        lambda: len(win.chat.bubbles) == 2 and win.chat.bubbles[1].text not in ("", REPLY),
        timeout=5000,
    )
    assert REPLY.startswith(win.chat.bubbles[1].text)
    with qtbot.waitSignal(win.bridge.replyDone, timeout=10_000):
        pass
    reply = win.chat.bubbles[1]
    assert reply.meta.role == "assistant" and reply.text == REPLY
    assert len(tokens) == len(REPLY.split(" "))
    html = reply.body.text()
    assert ("print" in html and "<pre" not in html.lower()) or "font-family" in html
    assert "font-weight" in html  # **bold** rendered, not shown as asterisks
    assert "**" not in html
    qtbot.waitUntil(lambda: win.send_button.isEnabled(), timeout=2000)
    assert not win.stop_button.isEnabled()
    # stored: the history lists it under its first message
    win.history.refresh()
    assert "Show me some code" in win.history.list.item(0).text()


def test_the_event_loop_stays_free_while_a_long_reply_streams(qtbot, window):
    """A heartbeat timer on the GUI thread: its latest tick shows the longest stall."""
    win = window(reply=" ".join(["token"] * 150), delay_s=0.008)
    monitor = StallMonitor(interval_ms=10)
    done = []
    win.bridge.replyDone.connect(done.append)
    monitor.start()
    win.send("Stream a lot")
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    monitor.stop()
    assert monitor.ticks >= 20
    assert monitor.max_stall_ms < 150, f"GUI thread blocked {monitor.max_stall_ms:.0f} ms"
    assert win.chat.bubbles[-1].text.count("token") == 150


def test_stop_cuts_the_reply_and_keeps_what_was_produced(qtbot, window):
    long_reply = " ".join(f"word{i}" for i in range(200))
    win = window(reply=long_reply, delay_s=0.02)
    win.send("Tell me a long story")
    qtbot.waitUntil(lambda: len(win.chat.streaming_text(1).split()) >= 5, timeout=5000)
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000) as done:
        qtbot.mouseClick(win.stop_button, Qt.MouseButton.LeftButton)
    event = done.args[0]
    assert event.interrupted
    assert 5 <= len(event.text.split()) < 200
    bubble = win.chat.bubbles[-1]
    assert bubble.text == event.text
    assert "stopped" in bubble.meta_label.text()
    stored = win.bridge.messages(event.conversation_id)[-1]
    assert stored.text == event.text and stored.interrupted


def test_enter_sends_shift_enter_adds_a_line_up_recalls(qtbot, window):
    win = window()
    qtbot.keyClicks(win.input, "first line")
    qtbot.keyClick(win.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(win.input, "second line")
    assert win.input.toPlainText() == "first line\nsecond line"
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        qtbot.keyClick(win.input, Qt.Key.Key_Return)
    assert win.chat.bubbles[0].text == "first line\nsecond line"
    qtbot.keyClick(win.input, Qt.Key.Key_Up)
    assert win.input.toPlainText() == "first line\nsecond line"


def test_every_control_has_an_accessible_name(qtbot, window):
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
        QProgressBar,
        QWidget,
    )

    from ui.settings_dialog import SettingsDialog

    win = window()
    win.tabs.setCurrentWidget(win.insights)
    dialog = SettingsDialog(win.bridge, win)
    kinds = (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QAbstractItemView, QProgressBar)
    unnamed = []
    for root in (win, dialog):
        for widget in root.findChildren(QWidget):
            if not isinstance(widget, kinds):
                continue
            if widget.focusPolicy() == Qt.FocusPolicy.NoFocus and not isinstance(
                widget, QProgressBar
            ):
                continue
            if _inside(widget, (QComboBox, QLineEdit)):
                continue  # a combo's own line edit / list, the clear button of a line edit
            if not (widget.accessibleName() or getattr(widget, "text", lambda: "")()):
                unnamed.append(f"{type(widget).__name__} {widget.objectName()}")
    assert not unnamed
    assert win.minimumSize().width() >= 640


def _inside(widget, kinds) -> bool:  # type: ignore[no-untyped-def]
    parent = widget.parent()
    while parent is not None:
        if isinstance(parent, kinds):
            return True
        parent = parent.parent()
    return False


def test_the_question_the_assistant_waits_on_is_shown_until_answered(qtbot, window):
    from assistant.events import DialogueChanged

    win = window()
    win.show()
    conversation = win.bridge.conversation_id
    win.bridge.bus.emit(
        DialogueChanged(conversation, 'For how long? Say, for example, "five minutes".')
    )
    qtbot.waitUntil(lambda: win.question.isVisible(), timeout=2000)
    assert "For how long?" in win.question.text() and "never mind" in win.question.text()
    win.bridge.bus.emit(DialogueChanged(conversation + 1, "Which application should I open?"))
    qtbot.wait(50)
    assert "For how long?" in win.question.text()  # another conversation's question: not here
    win.bridge.bus.emit(DialogueChanged(conversation, None))
    qtbot.waitUntil(lambda: not win.question.isVisible(), timeout=2000)
    # asked in the engine, stored with the conversation: opening it again shows the question
    engine = win.bridge.assistant.engine
    from assistant.dialogue.state import Question

    state = engine.dialogue.state(conversation)
    state.question = Question("timer.set", "duration_s", "For how long?", asked_at=time.time())
    engine.dialogue._store.save(conversation, state)
    win._on_conversation_changed(conversation)
    assert win.question.isVisible() and "For how long?" in win.question.text()


def test_timers_show_as_chips_that_follow_changes_and_cancel(qtbot, config):
    """A real understanding stage behind the window: set, change and cancel a timer."""
    from dataclasses import dataclass
    from typing import Any

    from assistant import paths
    from assistant.app import conversation_engine
    from assistant.llm.fake import FakeLanguageModel
    from assistant.memory.store import MemoryStore
    from assistant.model_store import ModelStore
    from assistant.skills.setup import build_understanding_stage
    from tests.gui.fakes import LightAssistant
    from ui.bridge import Bridge
    from ui.main_window import MainWindow

    @dataclass
    class WithSkills(LightAssistant):
        understanding: Any = None

    def builder(bus):  # type: ignore[no-untyped-def]
        store = MemoryStore(paths.database_file())
        llm = FakeLanguageModel("chat")
        understanding = build_understanding_stage(config, store, bus, llm=llm)
        understanding.load()
        engine = conversation_engine(config, store, bus, llm, understanding)
        return WithSkills(config, bus, store, ModelStore(), llm, engine, understanding)

    bridge = Bridge(config, builder, lambda assistant: None)
    with qtbot.waitSignal(bridge.ready, timeout=60_000):
        bridge.start()
    try:
        win = MainWindow(bridge, config)
        qtbot.addWidget(win)
        win._on_ready()
        win.show()
        win.send("set a timer for 5 minutes")
        qtbot.waitUntil(lambda: len(win.alarm_chips.texts) == 1, timeout=20_000)
        assert win.alarm_chips.isVisible() and win.alarm_chips.texts[0].endswith(("5:00", "4:59"))
        win.send("actually make it fifteen")
        qtbot.waitUntil(
            lambda: win.alarm_chips.texts and win.alarm_chips.texts[0].startswith("timer 1"),
            timeout=20_000,
        )
        assert win.alarm_chips.texts[0].endswith(("15:00", "14:59"))
        from PySide6.QtWidgets import QToolButton

        [cancel] = win.alarm_chips.findChildren(QToolButton)
        assert cancel.accessibleName() == "Cancel this timer"
        cancel.click()
        qtbot.waitUntil(lambda: not win.alarm_chips.texts, timeout=10_000)
        assert not win.alarm_chips.isVisible()
        assert bridge.pending_alarms() == []
    finally:
        bridge.shutdown()
