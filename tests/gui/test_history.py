"""History sidebar: list, search, open, rename, delete with undo, export (real SQLite)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt


def _conversation(qtbot, win, *messages: str) -> int:  # type: ignore[no-untyped-def]
    win.bridge.new_conversation()
    for text in messages:
        with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
            win.send(text)
    return win.bridge.conversation_id


def _titles(win) -> list[str]:  # type: ignore[no-untyped-def]
    return [win.history.list.item(i).text().split("\n")[0] for i in range(win.history.list.count())]


def test_list_search_and_open(qtbot, window):
    win = window(reply="Noted.")
    first = _conversation(qtbot, win, "Plan a trip to Lisbon", "with trains please")
    _conversation(qtbot, win, "Recipe for pancakes")
    win.history.refresh()
    assert _titles(win) == ["Recipe for pancakes", "Plan a trip to Lisbon"]
    qtbot.keyClicks(win.history.search, "TRAINS")
    qtbot.waitUntil(lambda: "trains" in win.history.list.item(0).text(), timeout=2000)
    assert win.history.list.count() == 1
    assert "Plan a trip to Lisbon" in win.history.list.item(0).text()
    with qtbot.waitSignal(win.bridge.conversationChanged, timeout=2000):
        win.history.list.setCurrentRow(0)
        qtbot.keyClick(win.history.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(win.chat.bubbles) == 4, timeout=2000)
    assert win.chat.bubbles[0].text == "Plan a trip to Lisbon"
    assert win.bridge.conversation_id == first
    win.history.search.clear()
    qtbot.keyClicks(win.history.search, "zebra")
    qtbot.waitUntil(lambda: "No message" in win.history.list.item(0).text(), timeout=2000)


def test_rename_delete_undo_and_delete_for_good(qtbot, window):
    win = window(reply="Sure.")
    keep = _conversation(qtbot, win, "Keep me")
    gone = _conversation(qtbot, win, "Delete me")
    assert keep != gone
    win.history.refresh()
    win.history.list.setCurrentRow(1)
    win.history.rename_selected("Important")
    assert _titles(win) == ["Delete me", "Important"]
    win.history.list.setCurrentRow(0)
    qtbot.mouseClick(win.history.delete_button, Qt.MouseButton.LeftButton)
    assert _titles(win) == ["Important"]
    assert win.history.undo_bar.isVisible()
    qtbot.mouseClick(win.history.undo_button, Qt.MouseButton.LeftButton)
    assert _titles(win) == ["Delete me", "Important"]
    assert {c.id for c in win.bridge.conversations()} >= {keep, gone}
    win.history.list.setCurrentRow(0)
    win.history.delete_selected()
    win.history._undo_timer.setInterval(50)
    win.history._undo_timer.start()
    qtbot.waitUntil(lambda: not win.history.undo_bar.isVisible(), timeout=2000)
    titles = {c.title for c in win.bridge.conversations()}
    assert "Delete me" not in titles and "Important" in titles
    assert not win.bridge.search("Delete me")
    # the open conversation was deleted: the window moved to a fresh, empty one
    assert win.bridge.messages(win.bridge.conversation_id) == []
    assert win.chat.bubbles == []


def test_export_markdown_and_json(qtbot, window, tmp_path):
    win = window(reply="Use `sorted()`.")
    conversation = _conversation(qtbot, win, "How do I sort a list?")
    win.history.refresh()
    win.history.list.setCurrentRow(0)
    win.history.ask_export_path = lambda fmt: tmp_path / f"out.{fmt}"
    md = win.history.export_selected("md")
    assert md is not None
    text = md.read_text(encoding="utf-8")
    assert "How do I sort a list?" in text and "Use `sorted()`." in text
    data = json.loads(win.history.export_selected("json").read_text(encoding="utf-8"))
    assert data["conversation"]["id"] == conversation
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
