"""The main window: history sidebar, the conversation (or insights), voice controls, input."""

from __future__ import annotations

import itertools
import logging
import time
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QPixmap,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from assistant.config import Config
from assistant.events import AssistantState, ReplyDone, UserText
from ui.alarm_chips import AlarmChips
from ui.banners import BannerArea
from ui.bridge import Bridge
from ui.capture import ScreenCapture
from ui.chat_view import Bubble, BubbleMeta, ChatView, HistoryItem
from ui.history_view import HistoryView
from ui.image_input import ImageInput, PendingImage, png_bytes, thumbnail
from ui.insights_view import InsightsView
from ui.memory_view import MemoryView
from ui.mic_button import MicButton, VoiceStatus, shown_state
from ui.popup import QueryPopup
from ui.theme import apply_theme, chat_colours, icon

log = logging.getLogger(__name__)

MIN_SIZE = QSize(720, 480)
INPUT_MIN_WIDTH = 320  # the message box stays this wide at the window's minimum size
DEFAULT_SIZE = QSize(1040, 720)
MAX_INPUT_LINES = 6


def _thumbnail_of(path: Path) -> QPixmap | None:
    """A stored image's thumbnail (none when the file is gone)."""
    return thumbnail(path.read_bytes()) if path.is_file() else None


def _history_items(bridge: Bridge, conversation_id: int, before: float) -> list[HistoryItem]:
    """The bubbles of a stored conversation, of the messages stored ``before`` (those of a turn
    begun since come as its events); its images are read when they are shown."""
    images = bridge.attachments(conversation_id)
    items: list[HistoryItem] = []
    for message in bridge.messages(conversation_id):
        if message.role not in ("user", "assistant") or message.created_at >= before:
            continue
        meta = BubbleMeta(
            message.role,
            message.source if message.role == "user" else "typed",
            message.created_at,
            message.id,
            message.interrupted,
        )
        stored = images.get(message.id) if message.role == "user" else None
        path = stored[0].path if stored else None
        items.append((message.text, meta, partial(_thumbnail_of, path) if path else None))
    return items


def _palette_key() -> tuple[str, ...]:
    """What the window's colours and icons are drawn from: the application palette's."""
    palette = QApplication.palette()
    roles = (QPalette.ColorRole.Window, QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text)
    return tuple(palette.color(role).name() for role in roles)


class MessageInput(QPlainTextEdit):
    """Enter sends, Shift+Enter adds a line, Up in an empty box recalls the last message."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Type a message (Shift+Enter: new line)")
        self.setAccessibleName("Message")
        self.setTabChangesFocus(True)
        self.last_sent = ""
        self.document().contentsChanged.connect(self._fit_height)
        self._fit_height()

    def event(self, event: QEvent) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.ShortcutOverride
            and event.matches(QKeySequence.StandardKey.Undo)
            and not self.document().isUndoAvailable()
        ):
            event.ignore()  # nothing typed to undo: Ctrl+Z goes to the window (undo a deletion)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            text = self.toPlainText().strip()
            if text:
                self.last_sent = text
                self.clear()
                self.submitted.emit(text)
            return
        if event.key() == Qt.Key.Key_Up and not self.toPlainText() and self.last_sent:
            self.setPlainText(self.last_sent)
            self.moveCursor(self.textCursor().MoveOperation.End)
            return
        super().keyPressEvent(event)

    def _fit_height(self) -> None:
        lines = min(MAX_INPUT_LINES, max(1, self.document().blockCount()))
        line = self.fontMetrics().lineSpacing()
        self.setFixedHeight(lines * line + 18)


class MainWindow(QMainWindow):
    quitRequested = Signal()
    shown = Signal()
    stateChanged = Signal(object)  # AssistantState, for the tray
    mutedChanged = Signal(bool)
    noticeShown = Signal(str, str)  # text, kind: the app turns it into a desktop notification
    settingsApplied = Signal(object)  # Config
    trayHint = Signal()  # closed to the tray for the first time
    conversationShown = Signal()  # the open conversation's stored messages are in the chat

    def __init__(self, bridge: Bridge, config: Config) -> None:
        super().__init__()
        self.bridge = bridge
        self.config = config
        self.tray_available = False
        # the bubbles of messages sent and not yet stored, by the client_ref sent with them
        self._pending_typed: dict[str, Bubble] = {}
        self._revealed = 0  # a search hit to show once its conversation is read
        self._refs = itertools.count(1)
        self._told_about_tray = False
        self._voice_state = AssistantState.IDLE  # as the voice loop reports it
        self._speaking: set[int] = set()  # turns whose reply is being spoken
        self._action_icons: list[tuple[QAction, str]] = []
        self._styled_for: tuple[str, ...] | None = None  # the palette the colours are for
        self.setWindowTitle("Assistant")
        self.resize(DEFAULT_SIZE)
        self.setWindowIcon(icon("app"))
        self._build()
        self._actions()
        self._connect()
        # as small as the layout allows with the history shown and a usable message box
        self.setMinimumSize(MIN_SIZE.expandedTo(self.minimumSizeHint()))
        self.apply_style()
        self.set_ready(False)
        self.input.setFocus()

    # --- widgets --------------------------------------------------------------------------

    def _build(self) -> None:
        self.history = HistoryView(self.bridge, self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Views")
        self.tabs.setDocumentMode(True)

        chat_page = QWidget(self)
        chat_layout = QVBoxLayout(chat_page)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.setSpacing(0)
        self.banners = BannerArea(chat_page)
        chat_layout.addWidget(self.banners)
        self.chat = ChatView(chat_page)
        chat_layout.addWidget(self.chat, 1)

        bottom = QWidget(chat_page)
        bottom.setObjectName("inputArea")
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(12, 6, 12, 10)
        bottom_layout.setSpacing(6)
        self.partial = QLabel(bottom)
        self.partial.setWordWrap(True)
        self.partial.setAccessibleName("Live transcript")
        self.partial.hide()
        bottom_layout.addWidget(self.partial)
        self.voice_status = VoiceStatus(bottom)
        bottom_layout.addWidget(self.voice_status)
        # the question the assistant waits an answer to ("For how long?"), from the dialogue state
        self.question = QLabel(bottom)
        self.question.setObjectName("waitingQuestion")
        self.question.setWordWrap(True)
        self.question.setAccessibleName("Waiting for your answer")
        self.question.hide()
        bottom_layout.addWidget(self.question)
        self.alarm_chips = AlarmChips(bottom)
        bottom_layout.addWidget(self.alarm_chips)
        row = QHBoxLayout()
        row.setSpacing(6)
        # Tools before the input (e.g. attaching an image) are added to this layout.
        self.input_tools = QHBoxLayout()
        self.input_tools.setSpacing(4)
        row.addLayout(self.input_tools)
        self.input = MessageInput(bottom)
        self.input.setMinimumWidth(INPUT_MIN_WIDTH)
        # images: paste (Ctrl+V) or drop into the box, or the attach button in the tools
        self.image_input = ImageInput(self.input, bottom)
        self.input_tools.addWidget(self.image_input.bar)
        self.image_input.sendRequested.connect(self._send_from_box)
        row.addWidget(self.input, 1)
        self.mic = MicButton(self.config.ui.mic_mode, bottom)
        row.addWidget(self.mic, 0, Qt.AlignmentFlag.AlignBottom)
        self.send_button = QPushButton("Send", bottom)
        self.send_button.setAccessibleName("Send message")
        self.send_button.setToolTip("Send (Enter)")
        self.stop_button = QPushButton("Stop", bottom)
        self.stop_button.setAccessibleName("Stop reply")
        self.stop_button.setToolTip("Stop the reply and the voice (Esc)")
        for button in (self.send_button, self.stop_button):
            button.setMinimumHeight(36)
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignBottom)
        bottom_layout.addLayout(row)
        # Tab from the message box: its row's controls, the mute toggle, then the rest
        chain = (
            self.input,
            self.image_input.attach_button,
            self.mic,
            self.send_button,
            self.stop_button,
            self.voice_status.mute,
        )
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)
        chat_layout.addWidget(bottom)

        self.tabs.addTab(chat_page, "&Conversation")
        self.insights = InsightsView(self.bridge, self)
        self.tabs.addTab(self.insights, "&Insights")
        self.memory = MemoryView(self.bridge, self)
        self.tabs.addTab(self.memory, "&Memory")

        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.history)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, DEFAULT_SIZE.width() - 260])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self.status_text = QLabel(self)
        self.status_text.setAccessibleName("Status")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setMaximumHeight(12)
        self.progress.setAccessibleName("Loading")
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.popup = QueryPopup()

    def _actions(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(toolbar)

        def action(
            text: str,
            shortcut: QKeySequence | QKeySequence.StandardKey | str,
            slot: object,
            name: str = "",
            checkable: bool = False,
            add: bool = True,
        ) -> QAction:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(shortcut))
            act.setCheckable(checkable)
            act.triggered.connect(slot)
            act.setToolTip(f"{text.replace('&', '')} ({act.shortcut().toString()})")
            if name:
                self._action_icons.append((act, name))
            if add:
                toolbar.addAction(act)
            else:
                self.addAction(act)
            return act

        self.new_action = action("New", "Ctrl+N", self.new_conversation, "new-chat")
        self.history_action = action("History", "Ctrl+H", self._toggle_history, "history", True)
        self.history_action.setChecked(True)
        self.settings_action = action("Settings", "Ctrl+,", self.open_settings, "settings")
        self.listen_action = action("Listen", "Ctrl+M", self.mic.toggle_listening, add=False)
        self.stop_action = action("Stop", "Esc", self.stop, add=False)
        self.focus_input_action = action("Type", "Ctrl+L", self.input.setFocus, add=False)
        self.capture_action = action(
            "Capture screen", "Ctrl+Shift+S", self.capture_screen, add=False
        )
        self.search_action = action(
            "Search", QKeySequence.StandardKey.Find, self.focus_search, add=False
        )
        self.undo_delete_action = action(
            "Undo delete", QKeySequence.StandardKey.Undo, self.history.undo_delete, add=False
        )
        self.quit_action = action(
            "Quit", QKeySequence.StandardKey.Quit, self.quitRequested, add=False
        )
        for button in toolbar.findChildren(QWidget):
            act = getattr(button, "defaultAction", lambda: None)()
            if act is not None:
                button.setAccessibleName(act.text().replace("&", ""))

    def _connect(self) -> None:
        b = self.bridge
        b.ready.connect(self._on_ready)
        b.startupFailed.connect(self._on_startup_failed)
        b.busyChanged.connect(self._on_busy)
        b.userText.connect(self._on_user_text)
        b.replyStarted.connect(self._on_reply_started)
        b.replyToken.connect(self._on_token)
        b.replyDone.connect(self._on_reply_done)
        b.conversationChanged.connect(self._on_conversation_changed)
        b.questionChanged.connect(self._on_question)
        b.alarmsChanged.connect(self._refresh_alarms)
        self.alarm_chips.cancelRequested.connect(b.cancel_alarm)
        b.voiceAvailable.connect(self._on_voice_available)
        b.stateChanged.connect(self._on_state)
        b.speakingChanged.connect(self._on_speaking)
        b.inputLevel.connect(self.voice_status.set_level)
        b.partialTranscript.connect(self._on_partial)
        b.finalTranscript.connect(lambda _t: self._on_partial(""))
        b.modelLoading.connect(self._on_model_loading)
        b.modelLoaded.connect(self._on_model_loaded)
        b.notice.connect(self.show_notice)
        b.error.connect(self._on_error)
        self.input.submitted.connect(self.send)
        self.send_button.clicked.connect(self._send_from_box)
        self.stop_button.clicked.connect(self.stop)
        self.mic.listenRequested.connect(self._on_listen_requested)
        self.mic.talkHeld.connect(b.push_to_talk)
        self.voice_status.muteToggled.connect(self.set_muted)
        self.voice_status.set_muted(self.config.tts.muted)
        self.history.openRequested.connect(self.open_conversation)
        self.history.newRequested.connect(self.new_conversation)
        self.tabs.currentChanged.connect(self._on_tab)
        self.popup.submitted.connect(self.send)
        self.popup.openWindowRequested.connect(self.show_window)
        self._history_refresh = QTimer(self)
        self._history_refresh.setSingleShot(True)
        self._history_refresh.setInterval(150)
        self._history_refresh.timeout.connect(self.history.refresh)

    def apply_style(self) -> None:
        """Colours and icons for the application's palette: at start and after every theme
        switch (Settings, or the desktop's own when the theme is ``system``)."""
        self._styled_for = _palette_key()
        c = chat_colours()
        self.setStyleSheet(
            f"#userBubble {{ background: {c.user_bubble}; border-radius: 14px; }}"
            f"#assistantBubble {{ background: {c.assistant_bubble}; border: 1px solid {c.border};"
            " border-radius: 14px; }"
            f"#bubbleMeta {{ color: {c.meta}; }}"
            f"#inputArea {{ border-top: 1px solid {c.border}; }}"
            f"#undoBar {{ border: 1px solid {c.border}; border-radius: 6px; }}"
        )
        for act, name in self._action_icons:
            act.setIcon(icon(name))
        self.history.set_icons(icon("new-chat"))
        self.send_button.setIcon(icon("send"))
        self.stop_button.setIcon(icon("stop"))
        self.mic.update_icon()
        self.voice_status.update_icon()
        self.chat.restyle()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        palette_events = (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange)
        styled = self._styled_for is not None
        if event.type() in palette_events and styled and self._styled_for != _palette_key():
            self.apply_style()

    # --- start-up and loading ------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()

    def set_ready(self, ready: bool) -> None:
        self.history.setEnabled(ready)
        self.new_action.setEnabled(ready)
        if not ready:
            self.mic.set_available(False, "Starting…")
            self.status_text.setText("Starting…")
            self.progress.show()
        self._on_busy(self.bridge.busy)

    def _on_ready(self) -> None:
        self.set_ready(True)
        self.reload_conversation()
        self._refresh_alarms()  # those still to come from before a restart
        self.history.refresh()
        if self.tabs.currentWidget() is self.insights:
            self.insights.refresh()

    def _on_startup_failed(self, message: str) -> None:
        self.progress.hide()
        self.status_text.setText("The assistant could not start.")
        self.banners.show_error("startup", message)

    def _on_model_loading(self, role: str, name: str) -> None:
        self.progress.show()
        self.status_text.setText(f"Loading the {role.upper()} model {name}… (you can type already)")

    def _on_model_loaded(self, role: str, name: str, seconds: float) -> None:
        self.progress.hide()
        self.status_text.setText(f"Ready — {role.upper()} model {name} loaded in {seconds:.1f} s.")

    def _on_voice_available(self, available: bool) -> None:
        if available:
            self.mic.set_available(True)
        else:
            self.mic.set_available(False, "Voice input is not available in this setup.")

    # --- a turn ---------------------------------------------------------------------------

    def _send_from_box(self) -> None:
        text = self.input.toPlainText().strip()
        image = self.image_input.take()
        if image is not None:
            self.input.clear()
            self.send_image(text, image)
        elif text:
            self.input.last_sent = text
            self.input.clear()
            self.send(text)

    def send(self, text: str, source: str = "typed") -> None:
        text = text.strip()
        if source == "typed" and self.image_input.pending is not None:
            self.send_image(text, self.image_input.take())  # the message is about the image
            return
        if not text:
            return
        ref = f"window-{next(self._refs)}"
        if not self.bridge.send(text, source, ref):
            self.banners.show_error("startup", "the assistant is not running.")
            return
        self._pending_typed[ref] = self.chat.add_user(text, source)

    def send_image(self, text: str, image: PendingImage, source: str = "image") -> None:
        """Ask about an image; its thumbnail shows in the user's bubble at once."""
        from assistant.vision.turn import DEFAULT_QUESTION  # numpy: not before the window shows

        question = text.strip() or DEFAULT_QUESTION
        ref = f"window-{next(self._refs)}"
        if not self.bridge.send_image(question, image.data, image.name, source, ref):
            self.banners.show_error("startup", "the assistant is not running.")
            return
        self._pending_typed[ref] = self.chat.add_user(question, source, image=thumbnail(image.data))

    def new_conversation(self) -> None:
        """A new conversation, with the cursor in the message box to type its first message."""
        self.bridge.new_conversation()
        self.tabs.setCurrentIndex(0)
        self.input.setFocus()

    def capture_screen(self) -> None:
        """Capture the screen or a dragged region; the capture is attached to the message box."""
        self.capture = ScreenCapture(self)
        self.capture.captured.connect(self._on_captured)
        self.capture.failed.connect(lambda message: self.show_notice(message, "warning"))
        self.capture.start(region=True)

    def _on_captured(self, image: QImage) -> None:
        """The capture waits in the message box (typed questions) and in the core (spoken
        ones); the quick popup opens and listens."""
        capture = PendingImage(png_bytes(image), "screen capture")
        self.image_input.set_image(capture)
        self.bridge.attach_image(capture.data, capture.name)
        self.open_popup_and_listen()

    def stop(self) -> None:
        if self.popup.isVisible() and not self.bridge.busy:
            self.popup.hide()
        self.bridge.stop()

    def _on_busy(self, busy: bool) -> None:
        ready = self.bridge.is_ready
        self.send_button.setEnabled(ready and not busy)
        self.stop_button.setEnabled(busy)
        self.new_action.setEnabled(ready and not busy)
        self._show_state()

    def _on_user_text(self, event: UserText) -> None:
        self._history_refresh.start()  # a new conversation gets its title now
        sent = self._pending_typed.pop(event.client_ref or "", None)
        if sent is not None:  # our own message: its bubble is shown already
            sent.meta.message_id = event.message_id
            return
        image = None
        if event.attachments and self.image_input.pending is not None:
            image = thumbnail(self.image_input.take().data)  # the spoken question took it
        self.chat.add_user(event.text, event.source, message_id=event.message_id, image=image)
        if self.popup.isVisible():
            self.popup.set_transcript(event.text)

    def _on_reply_started(self, turn_id: int, _by: str) -> None:
        self.chat.start_reply(turn_id)
        if self.popup.isVisible():
            self.popup.start_answer(turn_id)

    def _on_token(self, turn_id: int, piece: str) -> None:
        self.chat.append_token(turn_id, piece)
        if self.popup.isVisible():
            self.popup.add_token(turn_id, piece)

    def _on_reply_done(self, event: ReplyDone) -> None:
        self.chat.finish_reply(event.turn_id, event.text, event.message_id, event.interrupted)
        if self.popup.isVisible():
            self.popup.finish_answer(event.turn_id, event.text)
        self._history_refresh.start()
        if self.tabs.currentWidget() is self.insights:
            self.insights.refresh()

    def _refresh_alarms(self) -> None:
        self.alarm_chips.set_alarms(self.bridge.pending_alarms())

    def _on_question(self, conversation_id: int, question: str) -> None:
        """Show what the assistant waits to hear, until it is answered or the subject changes."""
        if conversation_id != self.bridge.conversation_id:
            return  # another conversation's question: shown when that one is opened
        if not question:
            self.question.hide()
            self.question.clear()
            return
        self.question.setText(
            f"Waiting for your answer: {question}  (or say \u201cnever mind\u201d)"
        )
        self.question.show()

    def _on_conversation_changed(self, conversation_id: int) -> None:
        self._on_question(conversation_id, self.bridge.waiting_question(conversation_id))
        self.reload_conversation()
        self._history_refresh.start()

    def open_conversation(self, conversation_id: int, message_id: int = 0) -> None:
        """Open a conversation from the history; a search hit's message is shown highlighted."""
        if conversation_id == self.bridge.conversation_id:
            self._reveal(message_id)
            return
        self._revealed = message_id  # once the conversation is read
        if not self.bridge.open_conversation(conversation_id):  # reloads the chat
            self._revealed = 0
            self.statusBar().showMessage("Wait for the reply to finish, then open it.", 5000)

    def _reveal(self, message_id: int) -> None:
        if message_id:
            self.chat.reveal(message_id)

    def reload_conversation(self) -> None:
        """Show the open conversation: cleared at once, its stored messages (thousands in a long
        one) read on the reads thread; ``conversationShown`` when they are in."""
        self.chat.clear()
        self._pending_typed.clear()
        conversation_id = self.bridge.conversation_id
        if conversation_id is None:
            return
        bridge, now = self.bridge, time.time()
        self.bridge.fetch(
            "chat.conversation",
            lambda: _history_items(bridge, conversation_id, now),
            self._show_history,
        )

    def _show_history(self, items: list[HistoryItem]) -> None:
        self.chat.show_history(items)
        message_id, self._revealed = self._revealed, 0
        self._reveal(message_id)
        self.conversationShown.emit()

    # --- voice ----------------------------------------------------------------------------

    def _on_listen_requested(self, start: bool) -> None:
        if start:
            self.bridge.start_listening()
        else:
            self.bridge.stop_listening()

    def _on_state(self, state: AssistantState) -> None:
        """The voice loop's state: the microphone and the tray show it as it is."""
        self._voice_state = state
        self.mic.set_state(state)
        self.stateChanged.emit(state)
        if state is not AssistantState.LISTENING:
            self._on_partial("")
        self._show_state()

    def _on_speaking(self, turn_id: int, speaking: bool) -> None:
        if speaking:
            self._speaking.add(turn_id)
        else:
            self._speaking.discard(turn_id)
        self._show_state()

    def _show_state(self) -> None:
        """The badge and the popup: the voice loop's state, or a typed turn's."""
        state = shown_state(self._voice_state, self.bridge.busy, bool(self._speaking))
        self.voice_status.set_state(state)
        self.popup.set_state(state)

    def _on_partial(self, text: str) -> None:
        self.partial.setText(f"<i>{text}</i>" if text else "")
        self.partial.setVisible(bool(text))
        if self.popup.isVisible() and text:
            self.popup.set_transcript(text)

    def set_muted(self, muted: bool) -> None:
        self.voice_status.set_muted(muted)
        self.bridge.set_muted(muted)
        self.mutedChanged.emit(muted)

    def open_popup_and_listen(self) -> None:
        """The hotkey / `assistant trigger`: the quick popup, listening when voice works."""
        self.popup.open()
        if self.mic.isEnabled() and not self.bridge.listening:
            if self.config.ui.mic_mode == "hold":
                self.bridge.push_to_talk(True)
            else:
                self.bridge.start_listening()

    # --- notices and errors ---------------------------------------------------------------

    def show_notice(self, text: str, kind: str = "info") -> None:
        self.statusBar().showMessage(text, 10_000)
        self.banners.show_banner(f"notice:{text}", text, "warning" if kind == "warning" else "info")
        self.noticeShown.emit(text, kind)

    def _on_error(self, stage: str, message: str, fatal: bool) -> None:
        if stage == "turn":
            self.statusBar().showMessage(message, 8000)
            self._pending_typed.clear()
            return
        self.banners.show_error(stage, message)
        if stage in ("voice", "mic", "audio", "asr") and fatal:
            self.mic.set_available(False, message)
            self.bridge.stop_listening()

    # --- window ---------------------------------------------------------------------------

    def _toggle_history(self, checked: bool) -> None:
        self.history.setVisible(checked)

    def focus_search(self) -> None:
        self.history_action.setChecked(True)
        self.history.show()
        self.history.search.setFocus()
        self.history.search.selectAll()

    def _on_tab(self, index: int) -> None:
        if self.tabs.widget(index) is self.insights and self.bridge.is_ready:
            self.insights.refresh(self.bridge.conversation_id)

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.bridge, self)
        dialog.applied.connect(self.settingsApplied)
        dialog.open()
        self.settings_dialog = dialog

    def apply_config(self, config: Config) -> None:
        app = QApplication.instance()
        if config.ui.theme != self.config.ui.theme and isinstance(app, QApplication):
            apply_theme(app, config.ui.theme)
            self.apply_style()
        self.config = config
        self.mic.set_mode(config.ui.mic_mode)
        self.bridge.set_mic_mode(config.ui.mic_mode)
        self.voice_status.set_muted(config.tts.muted)

    def show_window(self) -> None:
        self.popup.hide()
        self.showNormal()
        self.raise_()
        self.activateWindow()
        self.input.setFocus()

    def toggle_visible(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.show_window()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.config.ui.close_to_tray and self.tray_available:
            event.ignore()
            self.hide()
            if not self._told_about_tray:
                self._told_about_tray = True
                self.trayHint.emit()
            return
        event.accept()
        self.quitRequested.emit()
