"""The conversation as chat bubbles: user right, assistant left, Markdown with code blocks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.theme import chat_colours

SOURCE_MARKS = {"typed": "typed", "voice": "spoken", "hotkey": "spoken", "image": "image"}
STREAM_REFRESH_MS = 40  # re-render a streaming bubble at most this often
BUBBLE_WIDTH = 0.78  # of the visible width
HISTORY_CHUNK = 20  # stored messages shown per turn of the event loop (~5 ms each)
HIGHLIGHT_MS = 6000  # how long a message opened from a search hit stays outlined


def markdown_to_html(text: str) -> str:
    """Markdown → rich text for a QLabel, with monospace code blocks shaded for the theme."""
    doc = QTextDocument()
    doc.setMarkdown(text, QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
    mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    shade = QColor(chat_colours().code)
    block = doc.begin()
    while block.isValid():
        fmt = block.blockFormat()
        if fmt.nonBreakableLines() or block.charFormat().fontFixedPitch():
            cursor = QTextCursor(block)
            fmt.setBackground(shade)
            fmt.setLeftMargin(4)
            cursor.setBlockFormat(fmt)
            cursor.select(QTextCursor.SelectionType.BlockUnderCursor)
            char = cursor.charFormat()
            char.setFontFamilies([mono.family()])
            cursor.mergeCharFormat(char)
        block = block.next()
    return doc.toHtml()


@dataclass
class BubbleMeta:
    role: str
    source: str
    created_at: float
    message_id: int | None = None
    interrupted: bool = False


class Bubble(QFrame):
    """One message. The text is selectable; the meta line shows time and how it was given."""

    def __init__(
        self,
        text: str,
        meta: BubbleMeta,
        image: QPixmap | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.meta = meta
        self._text = text
        self._max_width = 480
        self.setObjectName("userBubble" if meta.role == "user" else "assistantBubble")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Minimum)
        layout = self._box = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 6)
        layout.setSpacing(3)
        self.thumbnail = QLabel(self)
        self.thumbnail.setVisible(image is not None)
        if image is not None:
            self.thumbnail.setPixmap(
                image.scaled(
                    240,
                    160,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            self.thumbnail.setAccessibleName("Attached image")
        layout.addWidget(self.thumbnail)
        self.body = QLabel(self)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setOpenExternalLinks(False)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        # selectable (click it, then the keyboard works too) but no tab stop: Tab goes from
        # the message box to the controls, not through every message
        self.body.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        layout.addWidget(self.body)
        self.meta_label = QLabel(self)
        self.meta_label.setObjectName("bubbleMeta")  # its colour: the window's style sheet
        small = QFont(self.meta_label.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.8))
        self.meta_label.setFont(small)
        layout.addWidget(
            self.meta_label,
            0,
            Qt.AlignmentFlag.AlignRight if meta.role == "user" else Qt.AlignmentFlag.AlignLeft,
        )
        self._update_meta()
        self.set_text(text)
        self.highlighted = False

    def set_highlighted(self, highlighted: bool) -> None:
        """Outline the bubble in the palette's highlight colour (a search hit)."""
        self.highlighted = highlighted
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.highlighted:
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 3))
            painter.drawRoundedRect(self.rect().adjusted(2, 2, -2, -2), 13, 13)

    @property
    def text(self) -> str:
        return self._text

    def fit(self, max_width: int) -> None:
        """As wide as the text needs (up to ``max_width``), so short messages stay compact."""
        self._max_width = max_width
        margins = self._box.contentsMargins()
        room = max_width - margins.left() - margins.right()
        doc = QTextDocument()
        doc.setDefaultFont(self.body.font())
        doc.setDocumentMargin(0)
        doc.setHtml(self.body.text())
        doc.setTextWidth(room)
        wanted = max(
            int(doc.idealWidth()) + 4,
            self.meta_label.sizeHint().width(),
            self.thumbnail.sizeHint().width() if self.thumbnail.isVisible() else 0,
        )
        self.body.setFixedWidth(min(room, wanted))

    def set_text(self, text: str) -> None:
        self._text = text
        self.body.setText(markdown_to_html(text or "…"))
        self.fit(self._max_width)
        who = "You" if self.meta.role == "user" else "Assistant"
        self.body.setAccessibleName(f"{who}: {text}")
        self._update_meta()

    def set_interrupted(self, interrupted: bool) -> None:
        self.meta.interrupted = interrupted
        self._update_meta()

    def _update_meta(self) -> None:
        when = datetime.fromtimestamp(self.meta.created_at).strftime("%H:%M")
        parts = [when]
        if self.meta.role == "user":
            parts.append(SOURCE_MARKS.get(self.meta.source, self.meta.source))
        if self.meta.interrupted:
            parts.append("stopped")
        self.meta_label.setText(" · ".join(parts))


# A stored message to show: its text, its meta line, and how to read its image (if any)
HistoryItem = tuple[str, BubbleMeta, Callable[[], QPixmap | None] | None]


class ChatView(QScrollArea):
    """The bubbles of one conversation; follows the bottom while a reply streams."""

    bubbleAdded = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setAccessibleName("Conversation")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._inner = QWidget(self)
        self._inner.setObjectName("chatInner")
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(16, 12, 16, 12)
        self._layout.setSpacing(10)
        self.placeholder = QLabel(
            "Ask me anything — type below, or click the microphone and talk.", self._inner
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.placeholder.setContentsMargins(0, 60, 0, 0)
        self._layout.addWidget(self.placeholder)
        self._layout.addStretch(1)
        self.setWidget(self._inner)
        self.bubbles: list[Bubble] = []
        self._streaming: dict[int, Bubble] = {}
        self._stream_text: dict[int, str] = {}
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(STREAM_REFRESH_MS)
        self._refresh.timeout.connect(self._render_streams)
        self._older: list[HistoryItem] = []  # stored messages still to be shown, oldest first
        self._older_timer = QTimer(self)
        self._older_timer.setSingleShot(True)
        self._older_timer.timeout.connect(self._add_older)
        self._follow = True
        self._content_changed = False  # since the scroll range last changed
        self._anchor: Bubble | None = None  # a message shown on purpose (a search hit)
        self._unhighlight = QTimer(self)
        self._unhighlight.setSingleShot(True)
        self._unhighlight.setInterval(HIGHLIGHT_MS)
        self._unhighlight.timeout.connect(self._drop_anchor)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.viewport().installEventFilter(self)

    # --- building -------------------------------------------------------------------------

    def clear(self) -> None:
        self._older.clear()
        self._older_timer.stop()
        self._drop_anchor()
        for bubble in self.bubbles:
            row = bubble.parentWidget()
            if row is not None:
                self._layout.removeWidget(row)
                row.deleteLater()
        self.bubbles.clear()
        self._streaming.clear()
        self._stream_text.clear()
        self.placeholder.show()

    def add_bubble(
        self, text: str, meta: BubbleMeta, image: QPixmap | None = None, at: int | None = None
    ) -> Bubble:
        """A bubble after the others, or at position ``at`` among them."""
        self.placeholder.hide()
        row = QWidget(self._inner)
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        bubble = Bubble(text, meta, image, row)
        bubble.fit(self._bubble_width())
        if meta.role == "user":
            row_layout.addStretch(1)
            row_layout.addWidget(bubble)
        else:
            row_layout.addWidget(bubble)
            row_layout.addStretch(1)
        newest = at is None or at >= len(self.bubbles)
        at = len(self.bubbles) if at is None else at
        # after the (hidden) placeholder, before the trailing stretch
        self._layout.insertWidget(1 + at, row)
        self.bubbles.insert(at, bubble)
        if newest:
            self._drop_anchor()  # a new message ends the highlight of a search hit
        self._follow = True
        self.bubbleAdded.emit(bubble)
        return bubble

    def show_history(self, items: list[HistoryItem]) -> None:
        """A stored conversation: the newest messages at once, the older ones a chunk per turn
        of the event loop (every bubble renders its Markdown: a long conversation built in one
        go would block the window for a second). They go before the bubbles of a turn begun
        since the chat was cleared (one stored already is not shown twice)."""
        shown = {bubble.meta.message_id for bubble in self.bubbles}
        items = [item for item in items if item[1].message_id not in shown]
        cut = max(0, len(items) - HISTORY_CHUNK)
        self._older = items[:cut]
        for index, item in enumerate(items[cut:]):
            self._add_item(item, at=index)
        if self._older:
            self._older_timer.start()

    @property
    def loading(self) -> bool:
        """Older messages of the conversation are still being added."""
        return bool(self._older)

    def _add_item(self, item: HistoryItem, at: int | None = None) -> None:
        text, meta, image = item
        self.add_bubble(text, meta, image() if image is not None else None, at)

    def _add_older(self) -> None:
        cut = max(0, len(self._older) - HISTORY_CHUNK)
        chunk, self._older = self._older[cut:], self._older[:cut]
        for index, item in enumerate(chunk):
            self._add_item(item, at=index)
        if self._older:
            self._older_timer.start()

    def add_user(
        self,
        text: str,
        source: str,
        created_at: float | None = None,
        message_id: int | None = None,
        image: QPixmap | None = None,
    ) -> Bubble:
        meta = BubbleMeta("user", source, created_at or time.time(), message_id)
        return self.add_bubble(text, meta, image)

    def add_assistant(
        self,
        text: str,
        created_at: float | None = None,
        message_id: int | None = None,
        interrupted: bool = False,
    ) -> Bubble:
        meta = BubbleMeta("assistant", "typed", created_at or time.time(), message_id, interrupted)
        return self.add_bubble(text, meta)

    # --- streaming ------------------------------------------------------------------------

    def start_reply(self, turn_id: int) -> Bubble:
        bubble = self._streaming.get(turn_id)
        if bubble is None:
            bubble = self.add_assistant("")
            self._streaming[turn_id] = bubble
            self._stream_text[turn_id] = ""
        return bubble

    def append_token(self, turn_id: int, piece: str) -> None:
        self.start_reply(turn_id)
        self._stream_text[turn_id] += piece
        if not self._refresh.isActive():
            self._refresh.start()

    def finish_reply(self, turn_id: int, text: str, message_id: int, interrupted: bool) -> None:
        bubble = self.start_reply(turn_id)
        self._streaming.pop(turn_id, None)
        self._stream_text.pop(turn_id, None)
        bubble.meta.message_id = message_id
        bubble.set_text(text if text or not interrupted else "(stopped)")
        bubble.set_interrupted(interrupted)

    def streaming_text(self, turn_id: int) -> str:
        return self._stream_text.get(turn_id, "")

    def _render_streams(self) -> None:
        for turn_id, bubble in self._streaming.items():
            bubble.set_text(self._stream_text[turn_id])

    def restyle(self) -> None:
        """Render every bubble again for a new theme (code blocks carry their shade)."""
        for bubble in self.bubbles:
            bubble.set_text(bubble.text)

    # --- layout and scrolling -------------------------------------------------------------

    def _bubble_width(self) -> int:
        return max(220, int(self.viewport().width() * BUBBLE_WIDTH))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport():
            if event.type() == QEvent.Type.LayoutRequest:  # the bubbles' layout changed
                self._content_changed = True
            elif event.type() == QEvent.Type.Resize:  # the view changed (bubbles refit later)
                self._content_changed = False
                width = self._bubble_width()
                for bubble in self.bubbles:
                    bubble.fit(width)
        return super().eventFilter(watched, event)

    def reveal(self, message_id: int) -> Bubble | None:
        """Scroll to a stored message (near the top of the view) and outline it until the next
        message or HIGHLIGHT_MS; None when it is not in this conversation."""
        bubble = next((b for b in self.bubbles if b.meta.message_id == message_id), None)
        if bubble is None and self._older:  # an older message not shown yet: show them all
            self._older_timer.stop()
            older, self._older = self._older, []
            for index, item in enumerate(older):
                self._add_item(item, at=index)
            bubble = next((b for b in self.bubbles if b.meta.message_id == message_id), None)
        if bubble is None:
            return None
        self._drop_anchor()
        self._follow = False
        self._anchor = bubble
        bubble.set_highlighted(True)
        self._unhighlight.start()
        self._scroll_to_anchor()
        return bubble

    def _scroll_to_anchor(self) -> None:
        row = self._anchor.parentWidget() if self._anchor is not None else None
        if row is not None:
            self._inner.layout().activate()  # rows placed now, not at the next paint
            self.verticalScrollBar().setValue(row.y() - self.viewport().height() // 5)

    def _drop_anchor(self) -> None:
        self._unhighlight.stop()
        if self._anchor is not None:
            self._anchor.set_highlighted(False)
            self._anchor = None

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 8

    def _on_range_changed(self, _lo: int, hi: int) -> None:
        """New content follows the bottom; a smaller view alone (a banner above, a lower
        window) keeps the top in place, so what was read is pushed down, not covered. A search
        hit being shown stays in view."""
        if self._anchor is not None:
            self._scroll_to_anchor()
        elif self._follow and self._content_changed:
            self.verticalScrollBar().setValue(hi)
        self._content_changed = False
