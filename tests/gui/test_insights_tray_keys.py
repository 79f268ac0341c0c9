"""Insights charts from stored labels and timings; close-to-tray; keyboard-only use."""

from __future__ import annotations

from PySide6.QtCore import Qt

from assistant.memory.store import Message
from ui.insights_view import latency_series, sentiment_series, stage_order


def _message(role: str, **kw) -> Message:  # type: ignore[no-untyped-def]
    return Message(id=0, conversation_id=1, role=role, text="x", created_at=0.0, **kw)


def test_series_from_stored_messages():
    messages = [
        _message("user", sentiment_score=0.8, sentiment_label="positive", emotion="joy"),
        _message(
            "assistant",
            timings={
                "intent": 3.0,
                "reply": 900.0,
                "first_token": 120.0,
                "total": 910.0,
                "asr": 400.0,
            },
        ),
        _message("user"),  # not analysed: no point, but it still counts as a turn
        _message("assistant", timings={}),
        _message("user", sentiment_score=-0.6, sentiment_label="negative", emotion="anger"),
        _message("assistant", timings={"skill": 2.0, "custom_stage": 5.0}),
    ]
    points = sentiment_series(messages)
    assert [(p.turn, p.label, p.emotion) for p in points] == [
        (1, "positive", "joy"),
        (3, "negative", "anger"),
    ]
    bars = latency_series(messages)
    assert [b.turn for b in bars] == [1, 3]
    assert bars[0].stages == {"intent": 3.0, "reply": 900.0, "asr": 400.0}
    assert bars[0].first_token == 120.0
    assert stage_order(bars) == ["asr", "intent", "skill", "reply", "custom_stage"]


def test_insights_tab_draws_both_charts_for_the_conversation(qtbot, window):
    win = window(reply="Fine.")
    for text in ("I love this", "this is awful"):
        with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
            win.send(text)
    store = win.bridge.assistant.store
    users = [m for m in win.bridge.messages(win.bridge.conversation_id) if m.role == "user"]
    store.update_message(
        users[0].id, sentiment_label="positive", sentiment_score=0.7, emotion="joy"
    )
    store.update_message(
        users[1].id, sentiment_label="negative", sentiment_score=-0.5, emotion="disgust"
    )
    win.tabs.setCurrentWidget(win.insights)
    view = win.insights
    assert view.chooser.currentData() == win.bridge.conversation_id
    assert [p.emotion for p in view.sentiment] == ["joy", "disgust"]
    assert len(view.latency) == 2 and all("reply" in b.stages for b in view.latency)
    texts = [
        item.toPlainText()
        for item in view.sentiment_plot.getPlotItem().items
        if hasattr(item, "toPlainText")
    ]
    assert texts == ["joy", "disgust"]
    bars = [i for i in view.latency_plot.getPlotItem().items if type(i).__name__ == "BarGraphItem"]
    assert len(bars) == len(stage_order(view.latency))
    assert "2 user turns" in view.summary.text()
    qtbot.wait(300)  # let the charts lay out
    view.grab().save(str(_output("gui-insights.png")))


def _output(name: str):  # type: ignore[no-untyped-def]
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "test-output"
    folder.mkdir(exist_ok=True)
    return folder / name


def test_close_goes_to_the_tray_only_when_there_is_one(qtbot, window):
    win = window()
    quits: list[bool] = []
    win.quitRequested.connect(lambda: quits.append(True))
    win.tray_available = True
    win.close()
    assert not win.isVisible() and not quits
    win.show_window()
    win.tray_available = False  # no tray (e.g. offscreen, GNOME without the extension)
    win.close()
    assert quits == [True]


def test_keyboard_only_use(qtbot, window):
    win = window(reply=" ".join(["word"] * 300), delay_s=0.01)
    qtbot.keyClicks(win.input, "go")
    qtbot.keyClick(win.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.bridge.busy and len(win.chat.bubbles) == 2, timeout=3000)
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000) as done:
        win.stop_action.trigger()  # Esc
    assert done.args[0].interrupted
    win.listen_action.trigger()  # Ctrl+M
    qtbot.waitUntil(lambda: win.bridge.voice.calls == ["interrupt", "start"], timeout=3000)
    win.search_action.trigger()  # Ctrl+F
    assert win.focusWidget() is win.history.search
    assert win.listen_action.shortcut().toString() == "Ctrl+M"
    assert win.stop_action.shortcut().toString() == "Esc"
    assert win.new_action.shortcut().toString() == "Ctrl+N"
    assert win.settings_action.shortcut().toString() == "Ctrl+,"
    # the tab order reaches every control of the input row
    for widget in (win.input, win.mic, win.send_button, win.stop_button, win.voice_status.mute):
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus
