"""Insights charts from stored labels and timings; close-to-tray; keyboard-only use."""

from __future__ import annotations

from PySide6.QtCore import Qt

from assistant.memory.store import Message
from ui.insights_view import (
    MIN_BAR,
    latency_series,
    sentiment_series,
    stage_order,
    tone_summary,
    turn_ticks,
)


def _message(role: str, **kw) -> Message:  # type: ignore[no-untyped-def]
    return Message(id=0, conversation_id=1, role=role, text="x", created_at=0.0, **kw)


def test_series_from_stored_messages():
    messages = [
        _message("assistant", timings={"reply": 3.0}),  # an announcement before any turn
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
        _message("assistant", timings={"skill": 2.0, "custom_stage": 5.0}, intent="timer"),
        _message("assistant", timings={"reply": 9.0}),  # an announcement within turn 3
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
    assert [b.command for b in bars] == [False, True]
    assert tone_summary(points) == "tone: 1 positive, 1 negative; emotions: joy, anger"


def test_turn_axis_shows_the_time_of_day_only_when_it_tells_something():
    assert turn_ticks(3, {1: 0.0, 2: 60.0, 3: 120.0}) == [(1, "1"), (2, "2"), (3, "3")]
    ticks = turn_ticks(30, {t: 36_000.0 + t * 300 for t in range(1, 31)})  # 2.5 hours
    assert len(ticks) <= 12 and ticks[0][0] == 1 and "\n" in ticks[0][1]


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
    view = win.insights
    with qtbot.waitSignal(view.drawn, timeout=5000):
        win.tabs.setCurrentWidget(win.insights)
    assert view.chooser.currentData() == win.bridge.conversation_id
    assert [p.emotion for p in view.sentiment] == ["joy", "disgust"]
    assert len(view.latency) == 2 and all("reply" in b.stages for b in view.latency)
    assert view.emotions.shown == ["joy", "disgust"]
    bars = [stage for stage, bar in view.stage_bars.items() if bar.isVisible()]
    assert bars == stage_order(view.latency)
    assert "2 user turns" in view.summary.text()


def _varied_conversation(store) -> int:  # type: ignore[no-untyped-def]
    """Ten turns over two hours: chat replies of about a second, commands of a few ms."""
    cid = store.create_conversation()
    feelings = [
        ("neutral", 0.0, "neutral"),
        ("positive", 0.6, "joy"),
        ("neutral", 0.05, "neutral"),
        ("negative", -0.55, "sadness"),
        ("negative", -0.7, "anger"),
        ("neutral", 0.0, "neutral"),
        ("positive", 0.4, "surprise"),
        ("neutral", -0.1, "neutral"),
        ("positive", 0.8, "joy"),
        ("neutral", 0.0, "neutral"),
    ]
    commands = {3, 6, 10}
    for turn, (label, score, emotion) in enumerate(feelings, start=1):
        user = store.add_message(cid, "user", f"message {turn}", "voice" if turn % 2 else "typed")
        store.update_message(
            user, sentiment_label=label, sentiment_score=score, emotion=emotion, intent="chat"
        )
        if turn in commands:
            timings = {"intent": 4.0, "affect": 2.0, "skill": 3.0, "reply": 0.2, "store_reply": 1}
        else:
            reply = 700.0 + 180.0 * turn
            timings = {"intent": 5.0, "affect": 3.0, "context": 2.0, "reply": reply}
            timings["first_token"] = 240.0
        if turn % 2:
            timings["asr"] = 310.0
        store.add_message(
            cid, "assistant", "ok", intent="timer" if turn in commands else "chat", timings=timings
        )
    with store.transaction() as conn:  # spread the turns over two hours (the store stamps now)
        conn.execute(
            "UPDATE messages SET created_at = 1700000000 + (id - (SELECT MIN(id) FROM messages "
            "WHERE conversation_id = ?)) * 400 WHERE conversation_id = ?",
            (cid, cid),
        )
    return cid


def test_insights_charts_of_varied_turns_in_light_and_dark(qtbot, window):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from ui.theme import apply_theme

    win = window()
    store = win.bridge.assistant.store
    cid = _varied_conversation(store)
    view = win.insights
    win.tabs.setCurrentWidget(win.insights)
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.refresh(cid)
    assert view.turns == 10 and [b.turn for b in view.latency] == list(range(1, 11))
    # both charts: the same turns on the same x-axis
    sentiment_axis = view.sentiment_plot.getAxis("bottom")
    latency_axis = view.latency_plot.getAxis("bottom")
    assert sentiment_axis._tickLevels == latency_axis._tickLevels
    first_tick = sentiment_axis._tickLevels[0][0]
    assert first_tick[0] == 1 and first_tick[1].startswith("1\n")  # and its time of day
    assert view.sentiment_plot.viewRange()[0] == view.latency_plot.viewRange()[0]
    # each command turn has a visible bar (the typed ones: a few ms) with its time written over it
    assert view.short_times.shown == ["10 ms\ncommand"] * 2  # turns 6 and 10 (3 was spoken)
    tallest = max(b.total for b in view.latency)
    assert list(view.short_bars.opts["x"]) == [6, 10]
    assert all(h >= tallest * MIN_BAR * 0.999 for h in view.short_bars.opts["height"])
    # the legend is below the chart, not over its bars
    assert view.latency_plot.getPlotItem().legend is None
    assert "first token" in view.legend.text() and "skill" in view.legend.text()
    assert "emotions: joy ×2" in view.summary.text()
    win.resize(1000, 720)
    qtbot.wait(300)  # let the charts lay out
    assert view.legend.geometry().top() >= view.latency_plot.geometry().bottom()
    view.grab().save(str(_output("gui-insights.png")))
    app = QApplication.instance()
    apply_theme(app, "dark")  # only to read the dark palette: the view alone gets it
    dark = QPalette(app.palette())
    apply_theme(app, "system")
    view.setPalette(dark)
    qtbot.wait(300)
    assert view.sentiment_plot.backgroundBrush().color().lightness() < 80
    assert view.latency_plot.getAxis("left").textPen().color().lightness() > 180
    view.grab().save(str(_output("gui-insights-dark.png")))


def test_insights_of_an_all_neutral_conversation_say_so(qtbot, window):
    win = window()
    store = win.bridge.assistant.store
    cid = store.create_conversation()
    for text in ("what time is it", "set a timer", "thanks"):
        user = store.add_message(cid, "user", text)
        store.update_message(user, sentiment_label="neutral", sentiment_score=0.0)
        store.add_message(cid, "assistant", "ok", timings={"reply": 500.0})
    win.tabs.setCurrentWidget(win.insights)
    with qtbot.waitSignal(win.insights.drawn, timeout=5000):
        win.insights.refresh(cid)
    assert "neutral throughout" in win.insights.summary.text()
    assert "neutral throughout" in win.insights.sentiment_plot.getPlotItem().titleLabel.text


def _long_conversation(store, turns: int = 200) -> int:  # type: ignore[no-untyped-def]
    """A long spoken conversation: every turn analysed and timed, every third a command."""
    feelings = [("neutral", 0.0, "neutral"), ("positive", 0.6, "joy"), ("negative", -0.5, "anger")]
    cid = store.create_conversation()
    for turn in range(1, turns + 1):
        label, score, emotion = feelings[turn % 3]
        user = store.add_message(cid, "user", f"message {turn}", "voice")
        store.update_message(user, sentiment_label=label, sentiment_score=score, emotion=emotion)
        command = turn % 3 == 0
        timings = {"intent": 4.0, "skill": 3.0} if command else {"asr": 300.0, "reply": 900.0}
        store.add_message(
            cid, "assistant", "ok", intent="timer" if command else "chat", timings=timings
        )
    return cid


def test_opening_insights_on_a_long_conversation_does_not_stall_the_window(qtbot, window):
    """Reading 400 messages and drawing 200 turns: a text item per emotion made on the GUI thread
    blocked it 240-330 ms here; the series are now made on the reads thread, the items reused."""
    import pyqtgraph  # noqa: F401  (the app imports it in the background at start)

    from ui.stall_monitor import STALL_BUDGET_MS, StallMonitor

    win = window()
    cid = _long_conversation(win.bridge.assistant.store)
    view = win.insights
    monitor = StallMonitor(interval_ms=10)
    for _ in range(2):  # the first look makes the plots, the second only draws
        monitor.start()
        with qtbot.waitSignal(view.drawn, timeout=10_000):
            win.tabs.setCurrentWidget(view)
            view.refresh(cid)
        qtbot.wait(300)  # the first paint
        monitor.stop()
        assert view.turns == 200
        win.tabs.setCurrentIndex(0)
    assert monitor.ticks >= 20
    assert not monitor.stalls, f"GUI thread blocked {monitor.stalls} ms"
    assert monitor.max_stall_ms < STALL_BUDGET_MS


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
