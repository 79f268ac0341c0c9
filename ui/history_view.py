"""The history sidebar: conversations, search across messages, rename, delete with undo (and a
trash to restore from), export."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeyEvent, QKeySequence
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
from assistant.memory.store import TRASH_DAYS
from ui.bridge import Bridge, SearchHit

if TYPE_CHECKING:
    from assistant.memory.store import Conversation

UNDO_SECONDS = 30
ID_ROLE = Qt.ItemDataRole.UserRole
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1  # a search hit's message
TITLE_ROLE = Qt.ItemDataRole.UserRole + 2  # its conversation's title ('' for none)
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


def count(n: int, noun: str) -> str:
    """``1 message``, ``2 messages``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def file_name(title: str, fmt: str) -> str:
    """A file name from a title: ``Plan a trip to Lisbon`` → ``Plan-a-trip-to-Lisbon.md``."""
    stem = re.sub(r"[^\w]+", "-", title).strip("-")[:60].rstrip("-")
    return f"{stem or 'conversation'}.{fmt}"


def documents_folder() -> Path:
    """The user's Documents folder when there is one, else the home folder."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


def open_folder(folder: Path) -> bool:
    """Show a folder in the desktop's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


ExportPathAsker = Callable[[str, str], Path | None]  # format, suggested path → chosen path


@dataclass(frozen=True)
class Listing:
    """What the list shows, read on the reads thread: a search's hits (a query) or the
    conversations, and how many are in the trash."""

    query: str
    hits: list[SearchHit]
    conversations: list[Conversation]
    trashed: int


def read_listing(bridge: Bridge, query: str) -> Listing:
    hits = bridge.search(query) if query else []
    conversations = [] if query else bridge.conversations()
    return Listing(query, hits, conversations, len(bridge.trashed_conversations()))


@dataclass(frozen=True)
class Deleted:
    """A conversation moved to the trash, offered for undo."""

    conversation_id: int
    title: str
    was_open: bool


class MessageBar(QFrame):
    """A message under the list, its action button and a close button below it."""

    def __init__(self, action: str, action_name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 4)
        layout.setSpacing(4)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label)
        row = QHBoxLayout()
        self.button = QPushButton(action, self)
        self.button.setAccessibleName(action_name)
        row.addWidget(self.button)
        row.addStretch(1)
        self.close_button = QToolButton(self)
        self.close_button.setText("×")
        self.close_button.setAccessibleName("Dismiss")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.hide)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.hide()

    def show_text(self, text: str) -> None:
        """Show ``text``; a long path in it may wrap after any ``/``."""
        self.label.setText(text.replace("/", "/\u200b"))
        self.label.setAccessibleName(text)
        self.show()

    @property
    def text(self) -> str:
        return self.label.accessibleName()


class HistoryView(QWidget):
    openRequested = Signal(int, int)  # conversation id, message to show (0: none)
    newRequested = Signal()
    refreshed = Signal()  # the list shows what was read last

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
        self.search.setToolTip("Down: to the results · Enter: open the first hit · Esc: clear")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
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
        self.delete_button.setToolTip(
            "Move the selected conversation to the trash (Delete); Ctrl+Z brings it back"
        )
        self.export_button = QPushButton("Export", self)
        self.export_button.setAccessibleName("Export conversation")
        self.export_button.setToolTip("Export the selected conversation to Markdown or JSON")
        export_menu = QMenu(self.export_button)
        export_menu.addAction("Markdown (.md)…", lambda: self.export_selected("md"))
        export_menu.addAction("JSON (.json)…", lambda: self.export_selected("json"))
        self.export_button.setMenu(export_menu)
        self.trash_button = QPushButton("Trash", self)
        self.trash_button.setAccessibleName("Trash")
        self.trash_button.setToolTip(
            f"Deleted conversations: restore one, or empty the trash (kept {TRASH_DAYS} days)"
        )
        self.trash_menu = QMenu(self.trash_button)
        self.trash_menu.aboutToShow.connect(self._fill_trash_menu)
        self.trash_button.setMenu(self.trash_menu)
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        for button in (self.rename_button, self.delete_button, self.export_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        trash_row = QHBoxLayout()
        trash_row.addWidget(self.trash_button)
        trash_row.addStretch(1)
        layout.addLayout(trash_row)

        self.undo_bar = MessageBar("Undo", "Undo delete", self)
        self.undo_button = self.undo_bar.button
        self.undo_button.setToolTip("Bring the conversation back (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo_delete)
        self.undo_bar.close_button.clicked.connect(self.end_undo)
        layout.addWidget(self.undo_bar)
        self.export_bar = MessageBar("Open folder", "Open the export folder", self)
        self.export_bar.button.clicked.connect(self._open_export_folder)
        layout.addWidget(self.export_bar)

        self.deleted: Deleted | None = None  # offered for undo
        self.undo_left = 0  # seconds
        self._undo_tick = QTimer(self)
        self._undo_tick.setInterval(1000)
        self._undo_tick.timeout.connect(self._count_down)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.ask_export_path: ExportPathAsker = self._ask_export_path
        self.open_folder: Callable[[Path], bool] = open_folder
        self.exported: Path | None = None
        self._reading = False  # a refresh is waiting for its listing
        self._key_after_reading: int | None = None  # Down or Enter typed meanwhile

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
        """Read the list again (a search over every message can take a while: on the reads
        thread); ``refreshed`` once it is shown."""
        self._search_timer.stop()
        self._reading = True
        bridge, query = self.bridge, self.search.text().strip()
        self.bridge.fetch("history", lambda: read_listing(bridge, query), self._show)

    def _show(self, listing: Listing) -> None:
        self._reading = False
        self.list.clear()
        self.trash_button.setText(f"Trash ({listing.trashed})" if listing.trashed else "Trash")
        for hit in listing.hits:
            who = "You" if hit.role == "user" else "Assistant"
            item = self._add_item(
                f"{snippet(hit.text, listing.query)}\n{who} · "
                f"{hit.conversation_title or 'Untitled'} · {short_date(hit.created_at)}",
                hit.conversation_id,
                hit.conversation_title,
            )
            item.setData(MESSAGE_ROLE, hit.message_id)
            item.setToolTip(hit.text[:500])
        if listing.query and not listing.hits:
            self._add_hint(f"No message contains “{listing.query}”.")
        current = self.bridge.conversation_id
        for conversation in listing.conversations:
            if conversation.message_count == 0 and conversation.id != current:
                continue
            title = conversation.title or "New conversation"
            item = self._add_item(
                f"{title}\n{short_date(conversation.updated_at)} · "
                f"{count(conversation.message_count, 'message')}",
                conversation.id,
                conversation.title,
            )
            item.setToolTip(title)
            if conversation.id == current:
                item.setSelected(True)
                self.list.setCurrentItem(item)
        self.refreshed.emit()
        key, self._key_after_reading = self._key_after_reading, None
        if key is not None:
            self._to_results(key)

    def _add_item(self, text: str, conversation_id: int, title: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(ID_ROLE, conversation_id)
        item.setData(TITLE_ROLE, title)
        self.list.addItem(item)
        return item

    def _add_hint(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.list.addItem(item)

    def selected_id(self) -> int | None:
        item = self.list.currentItem()
        value = item.data(ID_ROLE) if item is not None else None
        return int(value) if value is not None else self.bridge.conversation_id

    def _activated(self, item: QListWidgetItem | None) -> None:
        value = item.data(ID_ROLE) if item is not None else None
        if value is not None:
            self.openRequested.emit(int(value), int(item.data(MESSAGE_ROLE) or 0))

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Open", lambda: self._activated(self.list.currentItem()))
        menu.addAction("Rename…", self.rename_selected)
        menu.addAction("Export as Markdown…", lambda: self.export_selected("md"))
        menu.addAction("Export as JSON…", lambda: self.export_selected("json"))
        menu.addAction("Delete", self.delete_selected)
        menu.exec(self.list.viewport().mapToGlobal(pos))

    # --- search by keyboard ---------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and isinstance(event, QKeyEvent):
            if event.type() == QEvent.Type.ShortcutOverride:
                if event.key() == Qt.Key.Key_Escape and self.search.text():
                    event.accept()  # Esc clears the search (the window's Esc stops a reply)
                elif event.matches(QKeySequence.StandardKey.Undo) and not (
                    self.search.isUndoAvailable()
                ):
                    event.ignore()  # nothing typed to undo: Ctrl+Z undoes a deletion
                    return True
            elif event.type() == QEvent.Type.KeyPress:
                return self._search_key(event)
        return super().eventFilter(watched, event)

    def _search_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape and self.search.text():
            self.search.clear()
            self.refresh()
            return True
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._search_timer.isActive():
                self.refresh()  # the results of what was typed, not of a moment ago
            if self._reading:
                self._key_after_reading = key
            else:
                self._to_results(key)
            return True
        return False

    def _to_results(self, key: int) -> None:
        """Down: into the results; Enter: open the selected or first one."""
        first = next(
            (
                self.list.item(i)
                for i in range(self.list.count())
                if self.list.item(i).flags() & Qt.ItemFlag.ItemIsEnabled
            ),
            None,
        )
        if first is None:
            return
        if key == Qt.Key.Key_Down:
            self.list.setCurrentItem(first)
            self.list.setFocus()
        else:
            self._activated(self.list.currentItem() or first)

    # --- rename, delete with undo, the trash ----------------------------------------------

    def rename_selected(self, title: str | None = None) -> None:
        conversation_id = self.selected_id()
        if conversation_id is None:
            return
        if not isinstance(title, str):
            title, ok = QInputDialog.getText(
                self, "Rename conversation", "Title:", text=self._title(conversation_id)
            )
            if not ok:
                return
        if title.strip():
            self.bridge.rename_conversation(conversation_id, title)
            self.refresh()

    def _title(self, conversation_id: int) -> str:
        """The conversation's title as listed ('' when it is not in the list)."""
        items = (self.list.item(i) for i in range(self.list.count()))
        return next((i.data(TITLE_ROLE) for i in items if i.data(ID_ROLE) == conversation_id), "")

    def delete_selected(self) -> None:
        """Move the selected conversation to the trash; undo is offered for UNDO_SECONDS."""
        conversation_id = self.selected_id()
        if conversation_id is None:
            return
        title = self._title(conversation_id) or "the conversation"
        was_open = conversation_id == self.bridge.conversation_id
        refused = self.bridge.delete_conversation(conversation_id)
        if refused:
            self.undo_bar.button.hide()
            self.undo_bar.show_text(f"Not deleted: {refused}")
            return
        for row in reversed(range(self.list.count())):  # gone at once, before the list is read
            if self.list.item(row).data(ID_ROLE) == conversation_id:
                self.list.takeItem(row)
        self.deleted = Deleted(conversation_id, title, was_open)
        self.undo_left = UNDO_SECONDS
        self.undo_bar.button.show()
        self._show_undo()
        self._undo_tick.start()
        self.refresh()

    def _show_undo(self) -> None:
        if self.deleted is not None:
            self.undo_bar.show_text(
                f"Deleted “{self.deleted.title}”. Undo (Ctrl+Z) for {self.undo_left} s; "
                "after that, from the Trash."
            )

    def _count_down(self) -> None:
        self.undo_left -= 1
        if self.undo_left <= 0:
            self.end_undo()
        else:
            self._show_undo()

    def end_undo(self) -> None:
        """The undo offer ends; the conversation stays in the trash."""
        self._undo_tick.stop()
        self.deleted = None
        self.undo_bar.hide()

    def undo_delete(self) -> bool:
        """Bring back the conversation last deleted (Ctrl+Z, the Undo button), reopening it
        when it was the open one. False when no deletion is offered for undo."""
        deleted = self.deleted
        self.end_undo()
        if deleted is None:
            return False
        self.restore(deleted.conversation_id, reopen=deleted.was_open)
        return True

    def restore(self, conversation_id: int, reopen: bool = False) -> None:
        if self.bridge.restore_conversation(conversation_id) and reopen:
            self.bridge.open_conversation(conversation_id)
        self.refresh()

    def _fill_trash_menu(self) -> None:
        menu = self.trash_menu
        menu.clear()
        trashed = self.bridge.trashed_conversations()
        if not trashed:
            menu.addAction("The trash is empty").setEnabled(False)
            return
        for conversation in trashed:
            title = conversation.title or "Untitled"
            when = short_date(conversation.deleted_at or conversation.updated_at)
            menu.addAction(
                f"Restore “{title}” ({count(conversation.message_count, 'message')},"
                f" deleted {when})",
                lambda cid=conversation.id: self.restore(cid),
            )
        menu.addSeparator()
        menu.addAction(f"Empty the trash ({len(trashed)})…", self.empty_trash)

    def empty_trash(self, confirmed: bool = False) -> int:
        trashed = self.bridge.trashed_conversations()
        if not trashed:
            return 0
        if not confirmed:
            answer = QMessageBox.question(
                self,
                "Empty the trash",
                f"Delete {count(len(trashed), 'conversation')} for good? This cannot be undone.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return 0
        if self.deleted is not None:
            self.end_undo()
        removed = self.bridge.empty_trash()
        self.refresh()
        return removed

    # --- export ---------------------------------------------------------------------------

    def export_selected(self, fmt: str) -> Path | None:
        conversation_id = self.selected_id()
        if conversation_id is None:
            return None
        folder = self.bridge.last_export_folder()
        if folder is None or not folder.is_dir():
            folder = documents_folder()
        path = self.ask_export_path(fmt, str(folder / file_name(self._title(conversation_id), fmt)))
        if path is None:
            return None
        try:
            written = self.bridge.export_conversation(conversation_id, path)
        except AssistantError as err:
            QMessageBox.warning(self, "Export failed", str(err))
            return None
        self.exported = written
        self.export_bar.show_text(f"Exported to {written}")
        return written

    def _open_export_folder(self) -> None:
        if self.exported is not None:
            self.open_folder(self.exported.parent)

    def _ask_export_path(self, fmt: str, suggested: str) -> Path | None:
        filters = {"md": "Markdown (*.md)", "json": "JSON (*.json)"}
        name, _ = QFileDialog.getSaveFileName(self, "Export conversation", suggested, filters[fmt])
        if not name:
            return None
        path = Path(name)
        return path if path.suffix else path.with_suffix(f".{fmt}")
