"""The compact query popup the global hotkey (or `assistant trigger`) opens."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from assistant.events import AssistantState
from ui.chat_view import markdown_to_html
from ui.mic_button import STATE_COLOUR, STATE_TEXT

POPUP_WIDTH = 560


class QueryPopup(QFrame):
    """A frameless, always-on-top box: a line to type in, the state, the transcript, the answer."""

    submitted = Signal(str)
    openWindowRequested = Signal()

    def __init__(self) -> None:
        super().__init__(
            None,
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint,
        )
        self.setObjectName("queryPopup")
        self.setWindowTitle("Assistant — quick question")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(POPUP_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        top = QHBoxLayout()
        self.state = QLabel(self)
        self.state.setAccessibleName("Assistant state")
        top.addWidget(self.state)
        top.addStretch(1)
        self.open_window = QPushButton("Open window", self)
        self.open_window.setAccessibleName("Open the main window")
        self.open_window.clicked.connect(self.openWindowRequested)
        top.addWidget(self.open_window)
        layout.addLayout(top)
        self.input = QLineEdit(self)
        self.input.setPlaceholderText("Speak, or type a question and press Enter (Esc closes)")
        self.input.setAccessibleName("Quick question")
        self.input.returnPressed.connect(self._submit)
        layout.addWidget(self.input)
        self.transcript = QLabel(self)
        self.transcript.setWordWrap(True)
        self.transcript.setAccessibleName("What you said")
        self.transcript.hide()
        layout.addWidget(self.transcript)
        self.answer = QLabel(self)
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.RichText)
        self.answer.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.answer.setAccessibleName("Answer")
        self.answer.hide()
        layout.addWidget(self.answer)
        self._answer_text = ""
        self._turn: int | None = None
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self).activated.connect(self.hide)
        self.set_state(AssistantState.IDLE)

    def open(self) -> None:
        """Show centred near the top of the screen with the keyboard focus in the input."""
        self.input.clear()
        self.transcript.hide()
        self.answer.hide()
        self._answer_text, self._turn = "", None
        screen = (
            QGuiApplication.screenAt(QGuiApplication.primaryScreen().geometry().center())
            or QGuiApplication.primaryScreen()
        )
        area = screen.availableGeometry()
        self.adjustSize()
        self.move(area.center().x() - self.width() // 2, area.top() + area.height() // 5)
        self.show()
        self.raise_()
        self.activateWindow()
        self.input.setFocus()

    def set_state(self, state: AssistantState) -> None:
        self.state.setText(
            f"<span style='color:{STATE_COLOUR[state]}'>●</span> {STATE_TEXT[state]}"
        )

    def set_transcript(self, text: str) -> None:
        self.transcript.setText(f"<i>{text}</i>" if text else "")
        self.transcript.setVisible(bool(text))
        self.adjustSize()

    def start_answer(self, turn_id: int) -> None:
        self._turn, self._answer_text = turn_id, ""

    def add_token(self, turn_id: int, piece: str) -> None:
        if self._turn is None:
            self._turn = turn_id
        if turn_id == self._turn:
            self._show_answer(self._answer_text + piece)

    def finish_answer(self, turn_id: int, text: str) -> None:
        if turn_id == self._turn:
            self._show_answer(text)

    def _show_answer(self, text: str) -> None:
        self._answer_text = text
        self.answer.setText(markdown_to_html(text))
        self.answer.show()
        self.adjustSize()

    def _submit(self) -> None:
        text = self.input.text().strip()
        if text:
            self.set_transcript(text)
            self.input.clear()
            self.submitted.emit(text)
