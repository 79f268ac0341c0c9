"""Getting an image into the chat box: paste (Ctrl+V), drag and drop, or the attach button.

``ImageInput`` watches a text box (an event filter on it and its viewport) and owns a small bar
(attach button + thumbnail of the pending image with a remove button). When the user sends, the
window calls ``take()`` to get the pending image and clears it. Checking and reading the image
happen in the core (``assistant.vision``) off the GUI thread; this module only collects bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QKeyEvent, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp *.tif *.tiff);;All files (*)"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
THUMB_SIZE = (240, 160)
CHIP_SIZE = (48, 36)


@dataclass(frozen=True)
class PendingImage:
    """An image waiting to be sent: its bytes (as shared) and a name for messages."""

    data: bytes
    name: str


def png_bytes(image: QImage) -> bytes:
    """A QImage (e.g. from the clipboard or a screen grab) as PNG bytes."""
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(array.data())


def thumbnail(data: bytes, width: int = THUMB_SIZE[0], height: int = THUMB_SIZE[1]) -> QPixmap:
    """A smooth thumbnail that fits ``width``×``height`` (a null pixmap if Qt cannot decode it)."""
    pixmap = QPixmap()
    if not pixmap.loadFromData(data):
        return QPixmap()
    if pixmap.width() <= width and pixmap.height() <= height:
        return pixmap
    return pixmap.scaled(
        width,
        height,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


def image_from_mime(mime: QMimeData) -> PendingImage | None:
    """The image in pasted or dropped data: a local image file, or image data itself."""
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                return PendingImage(path.read_bytes(), path.name)
    if mime.hasImage():
        image = QImage(mime.imageData())
        if not image.isNull():
            return PendingImage(png_bytes(image), "pasted image")
    return None


def has_image(mime: QMimeData | None) -> bool:
    if mime is None:
        return False
    if mime.hasImage():
        return True
    return any(
        url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES
        for url in (mime.urls() if mime.hasUrls() else [])
    )


class ImageInput(QObject):
    """Paste, drop and attach for one text box; ``bar`` goes next to it in the layout."""

    imageChanged = Signal(object)  # PendingImage | None
    sendRequested = Signal()  # Enter in an empty box with an image attached

    def __init__(self, text_box: QPlainTextEdit | QTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text_box = text_box
        self.pending: PendingImage | None = None
        self.bar = QWidget(parent)
        layout = QHBoxLayout(self.bar)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.attach_button = QToolButton(self.bar)
        self.attach_button.setText("Image…")
        self.attach_button.setToolTip(
            "Attach an image (or paste one with Ctrl+V, or drop it here); its text is read offline"
        )
        self.attach_button.setAccessibleName("Attach image")
        self.attach_button.clicked.connect(self.choose_file)
        layout.addWidget(self.attach_button)
        self.chip = QLabel(self.bar)
        self.chip.setAccessibleName("Attached image")
        self.chip.setFixedSize(*CHIP_SIZE)
        self.chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.chip)
        self.remove_button = QToolButton(self.bar)
        self.remove_button.setText("×")
        self.remove_button.setToolTip("Remove the attached image")
        self.remove_button.setAccessibleName("Remove attached image")
        self.remove_button.clicked.connect(self.clear)
        layout.addWidget(self.remove_button)
        self._show_pending()
        text_box.setAcceptDrops(True)
        text_box.installEventFilter(self)
        text_box.viewport().installEventFilter(self)

    # --- the pending image ----------------------------------------------------------------

    def set_image(self, image: PendingImage) -> None:
        self.pending = image
        self._show_pending()
        self.imageChanged.emit(image)

    def set_file(self, path: Path) -> None:
        self.set_image(PendingImage(path.read_bytes(), path.name))

    def clear(self) -> None:
        if self.pending is not None:
            self.pending = None
            self._show_pending()
            self.imageChanged.emit(None)

    def take(self) -> PendingImage | None:
        """The pending image (for sending); the bar is cleared."""
        image = self.pending
        self.clear()
        return image

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.bar, "Attach an image", str(Path.home()), IMAGE_FILTER
        )
        if path:
            self.set_file(Path(path))

    def _show_pending(self) -> None:
        visible = self.pending is not None
        self.chip.setVisible(visible)
        self.remove_button.setVisible(visible)
        if self.pending is not None:
            chip = thumbnail(self.pending.data, *CHIP_SIZE)
            if chip.isNull():
                self.chip.setText("image")
            else:
                self.chip.setPixmap(chip)
            self.chip.setToolTip(self.pending.name)

    # --- paste and drop -------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.matches(QKeySequence.StandardKey.Paste):
                return self.paste()
            enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            plain = not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            if enter and plain and self.pending is not None and not self.text_box.toPlainText():
                self.sendRequested.emit()
                return True
        elif kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if has_image(event.mimeData()):  # type: ignore[attr-defined]
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        elif kind == QEvent.Type.Drop:
            image = image_from_mime(event.mimeData())  # type: ignore[attr-defined]
            if image is not None:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                self.set_image(image)
                return True
        return False

    def paste(self) -> bool:
        """Ctrl+V: take an image from the clipboard; False lets the text box paste text."""
        mime = QGuiApplication.clipboard().mimeData()
        image = image_from_mime(mime) if mime is not None else None
        if image is None:
            return False
        self.set_image(image)
        return True
