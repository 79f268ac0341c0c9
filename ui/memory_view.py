"""What the assistant knows about the user: every stored fact (remembered on request or noted in
passing: "I'm vegan", "my son's name is Oliver"), said to them, newest first; one forgotten with
Forget (or Delete), all of them after a confirmation. The bridge says when they may have changed
(after each reply, after a forget)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.memory.store import Fact
from assistant.skills.memory_facts import about_you
from ui.bridge import Bridge

EMPTY = (
    "Nothing yet. Tell me about yourself (\u201cI'm vegan\u201d, \u201cmy son's name is "
    "Oliver\u201d) or say \u201cremember that \u2026\u201d, and it shows here."
)


def said_to_you(fact: Fact) -> str:
    """ "The user is vegan." → "You are vegan." """
    text = about_you(fact.text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


class MemoryView(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        title = QLabel("<b>What I know about you</b>", self)
        layout.addWidget(title)
        note = QLabel(
            "Facts you asked me to remember or told me in passing. They stay on this computer; "
            "the language model reads them to answer you.",
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.empty = QLabel(EMPTY, self)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName("No facts yet")
        layout.addWidget(self.empty)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Facts about you")
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.forget_button = QPushButton("&Forget", self)
        self.forget_button.setToolTip("Forget the selected facts (Delete)")
        self.forget_button.clicked.connect(self.forget_selected)
        self.forget_all_button = QPushButton("Forget &all\u2026", self)
        self.forget_all_button.clicked.connect(self.forget_all)
        row.addWidget(self.forget_button)
        row.addWidget(self.forget_all_button)
        layout.addLayout(row)
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.list)
        delete.activated.connect(self.forget_selected)
        bridge.factsChanged.connect(self.refresh)
        bridge.ready.connect(self.refresh)
        self._show([])

    @property
    def texts(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def refresh(self) -> None:
        self.bridge.fetch("facts", self.bridge.facts, self._show)

    def _show(self, facts: list[Fact]) -> None:
        self.list.clear()
        for fact in facts:
            item = QListWidgetItem(said_to_you(fact))
            item.setData(Qt.ItemDataRole.UserRole, fact.id)
            self.list.addItem(item)
        self.empty.setVisible(not facts)
        self.list.setVisible(bool(facts))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.forget_button.setEnabled(bool(self.list.selectedItems()))
        self.forget_all_button.setEnabled(self.list.count() > 0)

    def forget_selected(self) -> None:
        ids = [int(item.data(Qt.ItemDataRole.UserRole)) for item in self.list.selectedItems()]
        if ids:
            self.bridge.forget_facts(ids)

    def forget_all(self) -> None:
        answer = QMessageBox.question(
            self,
            "Forget everything?",
            f"Forget all {self.list.count()} facts about you? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.bridge.forget_facts(None)
