"""The window in daily use: the state it shows, keyboard focus, its minimum size, banners."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication

from assistant.events import AssistantState, SpeakingStarted, SpeakingStopped
from ui.chat_view import HISTORY_CHUNK
from ui.main_window import INPUT_MIN_WIDTH


def _badge(win) -> str:  # type: ignore[no-untyped-def]
    return win.voice_status.badge.accessibleDescription()


def test_the_badge_says_thinking_and_speaking_during_a_typed_turn(qtbot, window):
    win = window(reply=" ".join(["word"] * 60), delay_s=0.02)
    assert _badge(win) == "Idle"
    win.send("Tell me something")
    qtbot.waitUntil(lambda: len(win.chat.streaming_text(1).split()) >= 3, timeout=5000)
    assert _badge(win) == "Thinking…"  # not "Idle" while the reply is generated
    with qtbot.waitSignal(win.bridge.replyDone, timeout=10_000) as done:
        pass
    turn = done.args[0].turn_id
    win.bridge.bus.emit(SpeakingStarted(turn))  # the voice loop speaks the typed reply
    qtbot.waitUntil(lambda: _badge(win) == "Speaking…", timeout=2000)
    win.bridge.bus.emit(SpeakingStopped(turn, "word word", False))
    qtbot.waitUntil(lambda: _badge(win) == "Idle", timeout=2000)
    # the microphone follows the voice loop only: it was never listening
    assert win.mic.state is AssistantState.IDLE and not win.mic.isChecked()


def test_while_listening_a_typed_turn_thinks_then_listens_again(qtbot, window):
    win = window(delay_s=0.01)
    win.listen_action.trigger()
    qtbot.waitUntil(lambda: _badge(win) == "Listening…", timeout=3000)
    states: list[str] = []
    win.bridge.busyChanged.connect(lambda _b: states.append(_badge(win)))
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.send("What is new?")
    qtbot.waitUntil(lambda: _badge(win) == "Listening…", timeout=3000)
    assert "Thinking…" in states


def _focus(qtbot, win):  # type: ignore[no-untyped-def]
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=2000)
    return QApplication.focusWidget


def test_new_conversation_puts_the_cursor_back_in_the_message_box(qtbot, window):
    win = window()
    focused = _focus(qtbot, win)
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.send("A first conversation")
    qtbot.waitUntil(lambda: win.new_action.isEnabled(), timeout=3000)
    for start in (win.history.list, win.send_button):
        start.setFocus()
        assert focused() is start
        with qtbot.waitSignal(win.bridge.conversationChanged, timeout=3000):
            qtbot.keyClick(start, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        assert focused() is win.input
        assert not win.chat.bubbles
        qtbot.keyClicks(focused(), "typed at once")
        assert win.input.toPlainText() == "typed at once"
        win.input.clear()
    win.history.new_button.setFocus()
    qtbot.keyClick(win.history.new_button, Qt.Key.Key_Space)  # the sidebar's own button
    qtbot.waitUntil(lambda: focused() is win.input, timeout=3000)


def test_tab_goes_from_the_message_box_to_the_controls_not_through_the_messages(qtbot, window):
    win = window(reply="A reply.")
    for i in range(9):
        with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
            win.send(f"message {i}")
    assert len(win.chat.bubbles) == 18
    qtbot.waitUntil(win.send_button.isEnabled, timeout=3000)  # the turn has ended
    focused = _focus(qtbot, win)
    win.input.setFocus()
    stops = []
    for _ in range(40):
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        if focused() is win.input:
            break
        stops.append(focused())
    else:
        raise AssertionError("Tab never came back to the message box")
    bodies = {bubble.body for bubble in win.chat.bubbles}
    assert not bodies & set(stops)
    assert stops[:3] == [win.image_input.attach_button, win.mic, win.send_button]
    for control in (win.voice_status.mute, win.history.search, win.tabs.tabBar()):
        assert control in stops or not control.isEnabled(), control.accessibleName()
    assert len(stops) < 15, [w.accessibleName() or type(w).__name__ for w in stops]
    # a message is still selectable with the mouse
    body = win.chat.bubbles[1].body
    assert body.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    qtbot.mouseClick(body, Qt.MouseButton.LeftButton)
    assert focused() is body


def test_the_window_cannot_get_so_small_that_the_message_box_is_unusable(qtbot, window):
    win = window()
    win.resize(500, 400)  # what the issue saw accepted
    qtbot.wait(50)
    assert win.width() >= 720 and win.height() >= 480
    assert (win.width(), win.height()) == (win.minimumWidth(), win.minimumHeight())
    assert win.input.width() >= INPUT_MIN_WIDTH
    assert win.history.isVisible() and win.chat.viewport().height() >= 150
    # the placeholder fits on its one line: a user sees what the box is for
    margin = 2 * win.input.document().documentMargin()
    text = win.input.fontMetrics().horizontalAdvance(win.input.placeholderText())
    assert text + margin < win.input.viewport().width()


def _rect_in(widget, ancestor) -> QRect:  # type: ignore[no-untyped-def]
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def test_a_banner_pushes_the_conversation_down_instead_of_covering_it(qtbot, window):
    win = window(reply="A short reply.")
    chat = win.chat
    spare = 0
    while True:  # a conversation that just fits, as the one the issue saw
        with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
            win.send(f"message {len(chat.bubbles) // 2}")
        qtbot.wait(30)
        spare = chat.viewport().height() - chat.widget().sizeHint().height()
        if spare < 60:
            break
    win.resize(win.width(), win.height() + 20 - spare)  # 20 px free below the last bubble
    qtbot.waitUntil(lambda: chat.verticalScrollBar().maximum() == 0, timeout=2000)
    page = win.banners.parentWidget()
    first = chat.bubbles[0]
    top_before = _rect_in(first, page).top()

    win.show_notice("The timer is done.", "info")
    qtbot.wait(100)
    banner = win.banners.banners["notice:The timer is done."]
    assert banner.isVisible()
    bubble, shown = _rect_in(first, page), _rect_in(banner, page)
    assert not bubble.intersects(shown), (bubble, shown)
    assert bubble.top() > top_before  # pushed down, with the rest of the conversation
    assert _rect_in(chat.viewport(), page).contains(bubble)  # and still in sight
    # new text still follows the bottom
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.send("one more")
    qtbot.wait(100)
    bar = chat.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0


def test_a_long_conversation_opens_without_blocking_the_window(qtbot, window):
    import time

    win = window()
    store = win.bridge.assistant.store
    conversation = win.bridge.conversation_id
    reply = "Some **Markdown** and code:\n\n```python\nprint('hi')\n```\n\n" + "Words. " * 40
    for i in range(60):
        store.add_message(conversation, "user", f"question {i}")
        store.add_message(conversation, "assistant", f"{reply} ({i})")
    shown: list[tuple[bool, int]] = []  # when the stored messages are in: the newest only
    win.conversationShown.connect(lambda: shown.append((win.chat.loading, len(win.chat.bubbles))))
    with qtbot.waitSignal(win.conversationShown, timeout=5000):
        started = time.perf_counter()
        win.reload_conversation()  # as when it is opened from the history
        blocked_ms = (time.perf_counter() - started) * 1000
    assert shown == [(True, HISTORY_CHUNK)]
    assert blocked_ms < 200, f"the GUI thread was blocked {blocked_ms:.0f} ms"
    qtbot.waitUntil(lambda: not win.chat.loading, timeout=10_000)
    texts = [bubble.text for bubble in win.chat.bubbles]
    assert len(texts) == 120 and texts[0] == "question 0" and texts[-1].endswith("(59)")
    assert texts[1::2] == [f"{reply} ({i})" for i in range(60)]
    qtbot.wait(50)
    bar = win.chat.verticalScrollBar()
    assert bar.value() == bar.maximum()  # the newest messages stay in sight
    # opening another conversation meanwhile drops what was still to come
    with qtbot.waitSignal(win.conversationShown, timeout=5000):
        win.reload_conversation()
    win.chat.clear()
    qtbot.wait(50)
    assert not win.chat.bubbles and not win.chat.loading
