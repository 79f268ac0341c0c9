"""The Memory tab: what the assistant knows about the user, noted in passing or remembered,
said to them, and forgotten from there (one, or all after a confirmation)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.gui.fakes import settle


def test_facts_told_in_passing_show_and_are_forgotten_from_the_tab(  # type: ignore[no-untyped-def]
    qtbot, window, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = window()
    bridge = win.bridge
    settle(qtbot, bridge)
    assert win.memory.texts == [] and not win.memory.empty.isHidden()
    assert not win.memory.forget_all_button.isEnabled()

    for said in ("My son's name is Oliver.", "I've been vegan for about three years now."):
        bridge.send(said)
        qtbot.waitUntil(lambda: not bridge.busy, timeout=10_000)
    qtbot.waitUntil(lambda: len(win.memory.texts) == 2, timeout=10_000)
    # newest first, said to the user
    assert win.memory.texts == [
        "You are vegan (no meat, fish, eggs, dairy or honey).",
        "Your son's name is Oliver.",
    ]
    assert win.memory.empty.isHidden() and win.memory.forget_all_button.isEnabled()

    win.tabs.setCurrentWidget(win.memory)
    win.memory.list.item(0).setSelected(True)
    assert win.memory.forget_button.isEnabled()
    qtbot.mouseClick(win.memory.forget_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.memory.texts == ["Your son's name is Oliver."], timeout=5000)
    assert [f.text for f in bridge.assistant.store.facts()] == ["The user's son's name is Oliver."]

    # forget all asks first: No keeps them, Yes forgets them
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    qtbot.mouseClick(win.memory.forget_all_button, Qt.MouseButton.LeftButton)
    settle(qtbot, bridge)
    assert len(win.memory.texts) == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(win.memory.forget_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.memory.texts == [], timeout=5000)
    assert bridge.assistant.store.facts() == [] and not win.memory.empty.isHidden()
