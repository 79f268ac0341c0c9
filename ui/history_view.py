"""The history sidebar: conversations, search across messages, rename, delete with undo, export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from assistant.errors import AssistantError
from ui.bridge import Bridge

UNDO_SECONDS = 8
ID_ROLE = Qt.ItemDataRole.UserRole
SEARCH_DELAY_MS = 200


def short_date(timestamp: float, now: datetime | None = None) -> str:
    when = datetime.fromtimestamp(timestamp)
    now = now or datetime.now()
    if when.date() == now.date():
        return when.strftime("%H:%M")
    if when.year == now.year:
        return when.strftime("%b %d").replace(" 0", " ")
    return when.strftime("%Y-%m-%d")


def snippet(text: str, query: str, width: int = 70) -> str:
    line = " ".join(text.split())
    at = line.lower().find(query.lower())
    start = max(0, at - width // 3) if at >= 0 else 0
    cut = line[start : start + width]
    return ("…" if start else "") + cut + ("…" if start + width < len(line) else "")


ExportPathAsker = Callable[[str], Path | None]


class HistoryView(QWidget):
    openRequested = Signal(int)
    newRequested = Signal()

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setObjectName("historyView")
        self.setMinimumWidth(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.setSpacing(6)

        top = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search messages (Ctrl+F)")
        self.search.setAccessibleName("Search history")
        self.search.setClearButtonEnabled(True)
        top.addWidget(self.search, 1)
        self.new_button = QToolButton(self)
        self.new_button.setAccessibleName("New conversation")
        self.new_button.setToolTip("New conversation (Ctrl+N)")
        self.new_button.clicked.connect(self.newRequested)
        top.addWidget(self.new_button)
        layout.addLayout(top)

        self.list = QListWidget(self)
        self.list.setAccessibleName("Conversations")
        self.list.setUniformItemSizes(False)
        self.list.setWordWrap(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        layout.addWidget(self.list, 1)

        buttons = QHBoxLayout()
        self.rename_button = QPushButton("Rename", self)
        self.rename_button.setAccessibleName("Rename conversation")
        self.rename_button.setToolTip("Rename the selected conversation (F2)")
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setAccessibleName("Delete conversation")
        self.delete_button.setToolTip("Delete the selected conversation (Delete); undo is offered")
        self.export_button = QPushButton("Export", self)
        self.export_button.setAccessibleName("Export conversation")
        self.export_button.setToolTip("Export the selected conversation to Markdown or JSON")
        export_menu = QMenu(self.export_button)
        export_menu.addAction("Markdown (.md)…", lambda: self.export_selected("md"))
        export_menu.addAction("JSON (.json)…", lambda: self.export_selected("json"))
        self.export_button.setMenu(export_menu)
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        for button in (self.rename_button, self.delete_button, self.export_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)

        self.undo_bar = QFrame(self)
        self.undo_bar.setObjectName("undoBar")
        undo_layout = QHBoxLayout(self.undo_bar)
        undo_layout.setContentsMargins(6, 4, 6, 4)
        self.undo_label = QLabel(self.undo_bar)
        self.undo_label.setWordWrap(True)
        undo_layout.addWidget(self.undo_label, 1)
        self.undo_button = QPushButton("Undo", self.undo_bar)
        self.undo_button.setAccessibleName("Undo delete")
        self.undo_button.clicked.connect(self.undo_delete)
        undo_layout.addWidget(self.undo_button)
        self.undo_bar.hide()
        layout.addWidget(self.undo_bar)

        self._pending_delete: int | None = None
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(UNDO_SECONDS * 1000)
        self._undo_timer.timeout.connect(self.commit_delete)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.refresh)
        self.ask_export_path: ExportPathAsker = self._ask_export_path

        for key, slot in (
            (QKeySequence(Qt.Key.Key_F2), self.rename_selected),
            (QKeySequence(QKeySequence.StandardKey.Delete), self.delete_selected),
        ):
            action = QAction(self.list)
            action.setShortcut(key)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.list.addAction(action)

    def set_icons(self, new_icon: object) -> None:
        self.new_button.setIcon(new_icon)  # type: ignore[arg-type]

    # --- contents -------------------------------------------------------------------------

    def refresh(self) -> None:
        query = self.search.text().strip()
        current = self.bridge.conversation_id
        self.list.clear()
        if query:
            hits = [
                h for h in self.bridge.search(query) if h.conversation_id != self._pending_delete
            ]
            for hit in hits:
                who = "You" if hit.role == "user" else "Assistant"
                item = QListWidgetItem(
                    f"{snippet(hit.text, query)}\n{who} · {hit.conversation_title or 'Untitled'}"
                    f" · {short_date(hit.created_at)}"
                )
                item.setData(ID_ROLE, hit.conversation_id)
                item.setToolTip(hit.text[:500])
                self.list.addItem(item)
            if not hits:
                self._add_hint(f"No message contains “{query}”.")
            return
        for conversation in self.bridge.conversations():
            if conversation.id == self._pending_delete:
                continue
            if conversation.message_count == 0 and conversation.id != current:
                continue
            title = conversation.title or "New conversation"
            item = QListWidgetItem(
                f"{title}\n{short_date(conversation.updated_at)} · "
                f"{conversation.message_count} messages"
            )
            item.setData(ID_ROLE, conversation.id)
            item.setToolTip(title)
            self.list.addItem(item)
            if conversation.id == current:
                item.setSelected(True)
                self.list.setCurrentItem(item)

    def _add_hint(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.list.addItem(item)

    def selected_id(self) -> int | None:
        item = self.list.currentItem()
        value = item.data(ID_ROLE) if item is not None else None
        return int(value) if value is not None else self.bridge.conversation_id

    def _activated(self, item: QListWidgetItem) -> None:
        value = item.data(ID_ROLE)
        if value is not None:
            self.openRequested.emit(int(value))

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Open", lambda: self._activated(self.list.currentItem()))
        menu.addAction("Rename…", self.rename_selected)
        menu.addAction("Export as Markdown…", lambda: self.export_selected("md"))
        menu.addAction("Export as JSON…", lambda: self.export_selected("json"))
        menu.addAction("Delete", self.delete_selected)
        menu.exec(self.list.viewport().mapToGlobal(pos))

    # --- rename, delete with undo, export ------------------------------------------------

    def rename_selected(self, title: str | None = None) -> None:
        conversation_id = self.selected_id()
        if conversation_id is None:
            return
        if not isinstance(title, str):
            current = next(
                (c.title for c in self.bridge.conversations() if c.id == conversation_id), ""
            )
            title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=current)
            if not ok:
                return
        if title.strip():
            self.bridge.rename_conversation(conversation_id, title)
            self.refresh()

    def delete_selected(self) -> None:
        conversation_id = self.selected_id()
        if conversation_id is None:
            return
        self.commit_delete()
        title = (
            next((c.title for c in self.bridge.conversations() if c.id == conversation_id), "")
            or "the conversation"
        )
        self._pending_delete = conversation_id
        self.undo_label.setText(f"Deleted “{title}”.")
        self.undo_bar.show()
        self._undo_timer.start()
        self.refresh()
        self.undo_button.setFocus()

    def undo_delete(self) -> None:
        self._undo_timer.stop()
        self._pending_delete = None
        self.undo_bar.hide()
        self.refresh()

    def commit_delete(self) -> None:
        """Delete for good what is waiting for undo (on timeout, a new delete, or quit)."""
        self._undo_timer.stop()
        if self._pending_delete is not None:
            conversation_id, self._pending_delete = self._pending_delete, None
            self.bridge.delete_conversation(conversation_id)
        self.undo_bar.hide()
        self.refresh()

    def export_selected(self, fmt: str) -> Path | None:
        conversation_id = self.selected_id()
        if conversation_id is None:
            return None
        path = self.ask_export_path(fmt)
        if path is None:
            return None
        try:
            return self.bridge.export_conversation(conversation_id, path)
        except AssistantError as err:
            QMessageBox.warning(self, "Export failed", str(err))
            return None

    def _ask_export_path(self, fmt: str) -> Path | None:
        filters = {"md": "Markdown (*.md)", "json": "JSON (*.json)"}
        name, _ = QFileDialog.getSaveFileName(
            self, "Export conversation", str(Path.home() / f"conversation.{fmt}"), filters[fmt]
        )
        if not name:
            return None
        path = Path(name)
        return path if path.suffix else path.with_suffix(f".{fmt}")
