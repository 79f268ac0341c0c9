"""Images in the desktop app: paste into the box, ask, see the thumbnail, get the answer; the
app's own window read back by OCR; a real screen grab under Xvfb.

These use the real text reader (PP-OCRv4), so they are slow.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage

from assistant.bench.ocr import cer
from assistant.events import EventBus
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from assistant.model_store import ModelStore
from assistant.vision.turn import ImageReader
from tests.gui.conftest import REPLY
from tests.gui.fakes import FakeVoice, LightAssistant
from tests.vision.samples import (
    INVOICE_TOTAL,
    available_fonts,
    engine_with_images,
    render_invoice,
)

pytestmark = pytest.mark.slow


@dataclass
class VisionAssistant(LightAssistant):
    """The light assistant of the GUI tests plus the image features of ``app.build``."""

    vision: ImageReader | None = None


@pytest.fixture
def window(qtbot, config):  # type: ignore[no-untyped-def]
    """The main window on a started bridge whose engine has the image features (real OCR)."""
    from assistant import paths
    from ui.bridge import Bridge
    from ui.main_window import MainWindow

    def builder(bus: EventBus) -> VisionAssistant:
        store = MemoryStore(paths.database_file())
        llm = FakeLanguageModel(REPLY)
        engine, stage = engine_with_images(store, llm, config, bus)
        return VisionAssistant(config, bus, store, ModelStore(), llm, engine, stage.reader)

    bridges: list[Bridge] = []

    def make(voice: bool = False) -> MainWindow:
        def voice_factory(assistant):  # type: ignore[no-untyped-def]
            return FakeVoice(assistant.bus, assistant.engine) if voice else None

        bridge = Bridge(config, builder, voice_factory)
        bridges.append(bridge)
        with qtbot.waitSignal(bridge.ready, timeout=10_000):
            bridge.start()
        win = MainWindow(bridge, config)
        qtbot.addWidget(win)
        win._on_ready()
        win._on_voice_available(voice)
        win.show()
        return win

    yield make
    for bridge in bridges:
        bridge.shutdown()


def _invoice_qimage() -> QImage:
    buf = io.BytesIO()
    render_invoice(available_fonts()[0]).save(buf, "PNG")
    return QImage.fromData(buf.getvalue())


def test_paste_an_invoice_and_ask_for_the_total(qtbot, window, tmp_path: Path) -> None:
    win = window()
    QGuiApplication.clipboard().setImage(_invoice_qimage())
    qtbot.keyClick(win.input, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert win.image_input.pending is not None
    qtbot.keyClicks(win.input, "What is the total on this invoice?")
    with qtbot.waitSignal(win.bridge.replyDone, timeout=60_000) as done:
        qtbot.keyClick(win.input, Qt.Key.Key_Return)
    assert done.args[0].text == f"The total is {INVOICE_TOTAL} EUR."
    assert win.image_input.pending is None
    user = win.chat.bubbles[0]
    assert user.thumbnail.isVisibleTo(user) and not user.thumbnail.pixmap().isNull()
    qtbot.waitUntil(lambda: len(win.chat.bubbles) == 2, timeout=5000)
    assert win.chat.bubbles[1].text == f"The total is {INVOICE_TOTAL} EUR."
    # reopened from the store, the bubble shows the stored image again
    with qtbot.waitSignal(win.conversationShown, timeout=5000):
        win.reload_conversation()
    reopened = win.chat.bubbles[0]
    assert reopened.thumbnail.isVisibleTo(reopened)
    win.grab().save(str(tmp_path / "window-with-invoice.png"))


def test_a_screenshot_of_the_app_is_read_back(qtbot, window, tmp_path: Path) -> None:
    """The app's own window (offscreen grab) as an OCR test image: the typed message in the
    user's bubble is read back with a character error rate of at most 5 % (best-aligned
    stretch of the recognised text; the sidebar shares its line, as it does on screen)."""
    from assistant.vision.ocr import RapidOcrReader

    win = window()
    win.resize(1000, 700)
    message = "Please summarise the meeting notes from Tuesday"
    with qtbot.waitSignal(win.bridge.replyDone, timeout=20_000):
        win.send(message)
    shot = tmp_path / "app.png"
    win.grab().save(str(shot))
    text = " ".join(RapidOcrReader().read(Image.open(shot)).text.split())
    windows = (text[i : i + len(message)] for i in range(max(1, len(text) - len(message) + 1)))
    assert min(cer(message, w) for w in windows) <= 0.05, text


def test_enter_with_only_an_image_reads_it(qtbot, window) -> None:
    win = window()
    QGuiApplication.clipboard().setImage(_invoice_qimage())
    qtbot.keyClick(win.input, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(win.bridge.replyDone, timeout=60_000) as done:
        qtbot.keyClick(win.input, Qt.Key.Key_Return)
    assert done.args[0].text.startswith("ACME Office Supplies\nInvoice 2024-117")
    assert win.chat.bubbles[0].text == "What does this say?"


def test_capture_then_ask_by_voice(qtbot, window) -> None:
    """A capture waits for the spoken question: the popup listens, the voice turn gets the
    image's text and stores the image with the spoken message."""
    win = window(voice=True)
    voice = win.bridge.voice
    win._on_captured(_invoice_qimage())  # what ScreenCapture.captured delivers
    assert win.popup.isVisible()
    qtbot.waitUntil(lambda: "start" in voice.calls, timeout=5000)  # listening for the question
    inbox = win.bridge.assistant.vision.inbox
    qtbot.waitUntil(lambda: inbox.waiting, timeout=60_000)
    speaker = threading.Thread(target=voice.hear, args=("how much is the total",))
    with qtbot.waitSignal(win.bridge.replyDone, timeout=30_000) as done:
        speaker.start()
    speaker.join(10)
    assert done.args[0].text == f"The total is {INVOICE_TOTAL} EUR."
    qtbot.waitUntil(lambda: len(win.chat.bubbles) == 2, timeout=5000)
    spoken = win.chat.bubbles[0]
    assert spoken.meta.source == "voice" and spoken.thumbnail.isVisibleTo(spoken)
    assert win.image_input.pending is None
    store = win.bridge.assistant.store
    stored = store.attachments(done.args[0].conversation_id)
    assert [m for m in stored] == [spoken.meta.message_id]
    assert not inbox.waiting


def test_capture_shortcut_opens_the_region_overlay(qtbot, window) -> None:
    """Ctrl+Shift+S (also the tray entry, the capture hotkey and `assistant trigger capture`):
    the overlay opens over the grabbed screen; a drag attaches that region to the message."""
    win = window()
    win.capture_action.trigger()
    selector = win.capture.selector
    assert selector is not None and selector.isVisible()
    qtbot.mousePress(selector, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.mouseMove(selector, QPoint(200, 120))
    qtbot.mouseRelease(selector, Qt.MouseButton.LeftButton, pos=QPoint(210, 130))
    qtbot.waitUntil(lambda: win.image_input.pending is not None, timeout=3000)
    assert win.image_input.pending.name == "screen capture"
    captured = Image.open(io.BytesIO(win.image_input.pending.data))
    assert captured.size == (200, 120)
    assert win.popup.isVisible()


def test_capture_hotkey_in_settings(qtbot, window, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from ui.settings_dialog import SettingsDialog

    win = window()
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    dialog = SettingsDialog(win.bridge, win)
    qtbot.addWidget(dialog)
    applied: list = []
    dialog.applied.connect(applied.append)
    dialog.capture_hotkey.setText("p")
    dialog.accept()
    assert warnings and "needs a modifier" in warnings[0] and not applied
    dialog.capture_hotkey.setText("<ctrl>+<alt>+p")
    dialog.accept()
    assert applied[0].ui.capture_hotkey == "<ctrl>+<alt>+p"
    saved = win.bridge.config.source.read_text(encoding="utf-8")
    assert 'capture_hotkey = "<ctrl>+<alt>+p"' in saved


def test_real_screen_grab_under_xvfb(xvfb: str, tmp_path: Path) -> None:
    """On a real X server, grab_screen() returns what is on the screen (read by OCR)."""
    from assistant.vision.ocr import RapidOcrReader

    out = tmp_path / "grab.png"
    script = textwrap.dedent(f"""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtGui import QFont
        from PySide6.QtWidgets import QApplication, QLabel
        from ui.capture import capture_method, grab_screen
        app = QApplication([])
        label = QLabel("Build failed: missing semicolon on line 42")
        label.setFont(QFont("DejaVu Sans", 20))
        label.setStyleSheet("background: white; color: black; padding: 20px")
        label.move(40, 40)
        label.show()
        def shoot():
            assert capture_method() == "grab", capture_method()
            grab_screen().save({str(out)!r})
            app.quit()
        QTimer.singleShot(500, shoot)
        app.exec()
    """)
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb"}
    subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    grabbed = Image.open(out)
    assert grabbed.size == (1280, 900)
    text = RapidOcrReader().read(grabbed).text
    assert cer("Build failed: missing semicolon on line 42", text) <= 0.05, text
