"""Paste, drop and attach into the chat box, and the thumbnails (real Qt, offscreen)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QPlainTextEdit, QWidget

from ui.image_input import ImageInput, PendingImage, image_from_mime, png_bytes, thumbnail

pytestmark = pytest.mark.gui


def png(size=(600, 200), color="navy") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def box(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    edit = QPlainTextEdit(parent)
    images = ImageInput(edit, parent)
    parent.show()
    yield edit, images
    parent.close()


def test_thumbnail_fits_and_keeps_the_aspect(qapp) -> None:
    thumb = thumbnail(png((600, 200)))
    assert (thumb.width(), thumb.height()) == (240, 80)
    small = thumbnail(png((50, 40)))
    assert (small.width(), small.height()) == (50, 40)
    assert thumbnail(b"not an image").isNull()


def test_paste_an_image_from_the_clipboard(box, qtbot) -> None:
    edit, images = box
    picture = QImage(30, 20, QImage.Format.Format_RGB32)
    picture.fill(QColor("red"))
    QGuiApplication.clipboard().setImage(picture)
    with qtbot.waitSignal(images.imageChanged, timeout=1000):
        qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert images.pending is not None and images.pending.name == "pasted image"
    assert Image.open(io.BytesIO(images.pending.data)).size == (30, 20)
    assert edit.toPlainText() == ""
    assert images.chip.isVisibleTo(images.bar)


def test_paste_of_text_still_pastes_text(box, qtbot) -> None:
    edit, images = box
    QGuiApplication.clipboard().setText("plain words")
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert edit.toPlainText() == "plain words"
    assert images.pending is None


def test_drop_an_image_file(box, tmp_path: Path) -> None:
    edit, images = box
    path = tmp_path / "receipt.png"
    path.write_bytes(png())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(edit.viewport(), enter)
    assert enter.isAccepted()  # the box shows it takes the image
    drop = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(edit.viewport(), drop)
    assert images.pending == PendingImage(path.read_bytes(), "receipt.png")
    assert drop.isAccepted()


def test_dropped_non_image_is_left_to_the_text_box(qapp, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("x")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert image_from_mime(mime) is None


def test_attach_button_and_remove(box, qtbot, tmp_path: Path, monkeypatch) -> None:
    _edit, images = box
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (80, 60), "green").save(path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.mouseClick(images.attach_button, Qt.MouseButton.LeftButton)
    assert images.pending is not None and images.pending.name == "photo.jpg"
    qtbot.mouseClick(images.remove_button, Qt.MouseButton.LeftButton)
    assert images.pending is None and not images.chip.isVisibleTo(images.bar)


def test_take_hands_over_and_clears(box) -> None:
    _edit, images = box
    picture = QImage(10, 10, QImage.Format.Format_RGB32)
    images.set_image(PendingImage(png_bytes(picture), "x"))
    taken = images.take()
    assert taken is not None and taken.name == "x"
    assert images.pending is None and images.take() is None
