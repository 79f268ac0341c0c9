"""History sidebar: list, search, open, rename, delete with undo, export (real SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from assistant.memory.store import MemoryStore
from tests.gui.fakes import settle
from ui.history_view import count, file_name


def _conversation(qtbot, win, *messages: str) -> int:  # type: ignore[no-untyped-def]
    win.bridge.new_conversation()
    for text in messages:
        with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
            win.send(text)
    return win.bridge.conversation_id


def _output(name: str) -> Path:
    folder = Path(__file__).resolve().parents[2] / "test-output"
    folder.mkdir(exist_ok=True)
    return folder / name


def _titles(qtbot, win) -> list[str]:  # type: ignore[no-untyped-def]
    """The list's titles, once what was asked for is read."""
    settle(qtbot, win.bridge)
    return [win.history.list.item(i).text().split("\n")[0] for i in range(win.history.list.count())]


def test_list_search_and_open(qtbot, window):
    win = window(reply="Noted.")
    first = _conversation(qtbot, win, "Plan a trip to Lisbon", "with trains please")
    _conversation(qtbot, win, "Recipe for pancakes")
    win.history.refresh()
    settle(qtbot, win.bridge)
    assert _titles(qtbot, win) == ["Recipe for pancakes", "Plan a trip to Lisbon"]
    assert win.history.list.item(0).text().endswith(" · 2 messages")
    qtbot.keyClicks(win.history.search, "TRAINS")
    qtbot.waitUntil(lambda: "trains" in win.history.list.item(0).text(), timeout=2000)
    settle(qtbot, win.bridge)
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
    win.focus_search()
    qtbot.keyClick(win.history.search, Qt.Key.Key_Down)  # no hit to go to: stays in the box
    assert win.focusWidget() is win.history.search


def test_search_by_keyboard_opens_the_hit_scrolled_to_it(qtbot, window):
    win = window(reply="Noted.")
    win.resize(900, 600)
    long = _conversation(
        qtbot, win, "Where is the blue notebook?", *[f"filler {i}" for i in range(11)]
    )
    _conversation(qtbot, win, "Something else")
    solo = win.bridge.assistant.store.create_conversation()
    win.bridge.assistant.store.add_message(solo, "user", "a lone note")
    win.history.refresh()
    settle(qtbot, win.bridge)
    assert win.history.list.item(0).text().endswith(" · 1 message")
    search = win.history.search
    win.focus_search()
    qtbot.keyClicks(search, "notebook")
    # Down goes to the results at once (no waiting for the search delay)
    qtbot.keyClick(search, Qt.Key.Key_Down)
    settle(qtbot, win.bridge)
    assert "blue notebook" in win.history.list.currentItem().text()
    assert win.focusWidget() is win.history.list
    # Enter in the box opens the first hit
    win.focus_search()
    with qtbot.waitSignal(win.bridge.conversationChanged, timeout=2000):
        qtbot.keyClick(search, Qt.Key.Key_Return)
    settle(qtbot, win.bridge)
    assert win.bridge.conversation_id == long and len(win.chat.bubbles) == 24
    hit = win.chat.bubbles[0]
    assert hit.highlighted and not any(b.highlighted for b in win.chat.bubbles[1:])
    bar = win.chat.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=2000)
    qtbot.wait(50)  # layout settled: the view stays on the hit, not at the bottom
    top = hit.mapTo(win.chat.viewport(), hit.rect().topLeft()).y()
    assert 0 <= top < win.chat.viewport().height() and bar.value() < bar.maximum()
    win.grab().save(str(_output("gui-history-search-hit.png")))
    # Esc clears the search (and does not stop anything)
    win.focus_search()
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert search.text() == "" and _titles(qtbot, win)[0] == "a lone note"
    # the next message ends the highlight and the view follows the bottom again
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.send("one more")
    assert not hit.highlighted
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=2000)


def _ctrl_z(qtbot, win) -> None:  # type: ignore[no-untyped-def]
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)
    win.input.setFocus()  # nothing typed: Ctrl+Z is the window's
    qtbot.keyClick(win.input, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def test_rename_and_delete_to_the_trash_with_undo(qtbot, window):
    win = window(reply="Sure.")
    keep = _conversation(qtbot, win, "Keep me")
    gone = _conversation(qtbot, win, "Delete me", "and me")
    assert keep != gone
    win.history.refresh()
    settle(qtbot, win.bridge)
    win.history.list.setCurrentRow(1)
    win.history.rename_selected("Important")
    assert _titles(qtbot, win) == ["Delete me", "Important"]
    # delete the open conversation by keyboard: the window moves to the other one at once
    win.history.list.setCurrentRow(0)
    win.history.list.setFocus()
    qtbot.keyClick(win.history.list, Qt.Key.Key_Delete)
    assert _titles(qtbot, win) == ["Important"]
    assert win.bridge.conversation_id == keep
    settle(qtbot, win.bridge)
    assert [b.text for b in win.chat.bubbles] == ["Keep me", "Sure."]
    bar = win.history.undo_bar
    assert bar.isVisible() and "30 s" in bar.text and "Ctrl+Z" in bar.text
    win.history._count_down()  # a second later
    assert "29 s" in bar.text
    win.grab().save(str(_output("gui-history-undo.png")))
    assert win.history.trash_button.text() == "Trash (1)"
    _ctrl_z(qtbot, win)
    assert not bar.isVisible()
    assert _titles(qtbot, win) == ["Delete me", "Important"]
    assert win.bridge.conversation_id == gone  # it was open: it is open again
    settle(qtbot, win.bridge)
    assert [b.text for b in win.chat.bubbles][:2] == ["Delete me", "Sure."]
    assert win.history.trash_button.text() == "Trash"


def test_deleted_conversations_wait_in_the_trash(qtbot, window):
    win = window(reply="Sure.")
    first = _conversation(qtbot, win, "First one")
    second = _conversation(qtbot, win, *[f"message {i}" for i in range(9)])  # 18 messages
    win.history.refresh()
    settle(qtbot, win.bridge)
    win.history.list.setFocus()
    for _ in range(2):  # Delete, Delete: both gone from the list, nothing lost
        qtbot.keyClick(win.history.list, Qt.Key.Key_Delete)
    assert _titles(qtbot, win) == ["New conversation"]  # the fresh, empty one now open
    assert win.bridge.messages(win.bridge.conversation_id) == [] and win.chat.bubbles == []
    win.history.undo_left = 1
    win.history._count_down()  # the undo offer ends; the trash keeps them
    assert not win.history.undo_bar.isVisible()
    assert not win.history.undo_delete()
    # a crash now loses nothing: the trash is in the database file
    again = MemoryStore(win.bridge.assistant.store.path)
    assert [c.id for c in again.trashed_conversations()] == [first, second]
    assert len(again.messages(second)) == 18
    again.close()
    win.history._fill_trash_menu()
    restore = [a for a in win.history.trash_menu.actions() if "message 0" in a.text()]
    assert "18 messages" in restore[0].text()
    restore[0].trigger()
    assert _titles(qtbot, win) == ["New conversation", "message 0"]
    assert win.history.empty_trash(confirmed=True) == 1
    assert win.bridge.trashed_conversations() == []
    settle(qtbot, win.bridge)
    assert win.history.trash_button.text() == "Trash"


def test_delete_is_refused_while_a_reply_is_written_into_it(qtbot, window):
    win = window(reply=" ".join(["word"] * 200), delay_s=0.01)
    win.send("a long answer please")
    qtbot.waitUntil(lambda: win.bridge.busy, timeout=3000)
    win.history.refresh()
    settle(qtbot, win.bridge)
    win.history.delete_selected()
    assert "reply is being written" in win.history.undo_bar.text
    assert not win.history.undo_button.isVisible()
    assert win.history.deleted is None and win.bridge.trashed_conversations() == []
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.stop()


def test_export_markdown_and_json(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    documents = tmp_path / "home" / "Documents"
    documents.mkdir(parents=True)
    win = window(reply="Use `sorted()`.")
    conversation = _conversation(qtbot, win, "How do I sort a list?")
    win.history.refresh()
    settle(qtbot, win.bridge)
    win.history.list.setCurrentRow(0)
    asked: list[str] = []
    out = tmp_path / "exports"
    out.mkdir()

    def ask(fmt: str, suggested: str) -> Path:
        asked.append(suggested)
        return out / f"out.{fmt}"

    win.history.ask_export_path = ask
    md = win.history.export_selected("md")
    assert md is not None
    # the dialog started in Documents, named after the conversation
    assert asked == [str(documents / "How-do-I-sort-a-list.md")]
    text = md.read_text(encoding="utf-8")
    assert "How do I sort a list?" in text and "Use `sorted()`." in text
    # a visible confirmation with the path, and a way to open its folder
    bar = win.history.export_bar
    assert bar.isVisible() and str(md) in bar.text
    win.grab().save(str(_output("gui-history-export.png")))
    opened: list[Path] = []
    win.history.open_folder = lambda folder: opened.append(folder) or True
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    assert opened == [out]
    data = json.loads(win.history.export_selected("json").read_text(encoding="utf-8"))
    assert asked[1] == str(out / "How-do-I-sort-a-list.json")  # the last export's folder
    assert data["conversation"]["id"] == conversation
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]


def test_counts_and_file_names():
    assert [count(n, "message") for n in (0, 1, 2)] == ["0 messages", "1 message", "2 messages"]
    assert file_name("What's 2 + 2?", "md") == "What-s-2-2.md"
    assert file_name("…", "json") == "conversation.json"


def test_slow_store_reads_do_not_block_the_window(qtbot, window, monkeypatch):
    """A search over every message, the history list and a long conversation are read on the
    reads thread: with each read taking half a second the event loop goes on meanwhile."""
    import time

    from ui.stall_monitor import StallMonitor

    win = window(reply="Noted.")
    conversation = _conversation(qtbot, win, "Where is the blue notebook?")
    store = win.bridge.assistant.store
    for name in ("search_messages", "list_conversations", "messages"):
        read = getattr(store, name)
        monkeypatch.setattr(
            store, name, lambda *a, _read=read, **k: (time.sleep(0.5), _read(*a, **k))[1]
        )
    monitor = StallMonitor(interval_ms=10)
    monitor.start()
    win.history.search.setText("notebook")
    win.history.refresh()
    win.reload_conversation()
    settle(qtbot, win.bridge)
    qtbot.wait(50)  # a blocked event loop shows as a late tick
    monitor.stop()
    assert "blue notebook" in win.history.list.item(0).text()
    assert [b.text for b in win.chat.bubbles] == ["Where is the blue notebook?", "Noted."]
    assert win.bridge.conversation_id == conversation
    assert monitor.ticks >= 50 and monitor.max_stall_ms < 250, f"{monitor.max_stall_ms:.0f} ms"
