"""Screen capture: the whole screen or a region the user drags, on X11 and on Wayland.

On X11 (and other platforms where Qt may read the screen) ``QScreen.grabWindow(0)`` takes the
picture, and ``RegionSelector`` shows it full-screen, dimmed, for the user to drag a rectangle
(click for the whole screen, Esc to cancel). Wayland gives applications no such access: there
the desktop portal (``org.freedesktop.portal.Screenshot`` over D-Bus) asks the user and returns
a file. When neither is possible, ``ScreenCapture.failed`` says so in one line.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from PySide6.QtCore import QObject, QPoint, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtDBus import (
    QDBusConnection,
    QDBusMessage,
    QDBusPendingCall,
    QDBusPendingCallWatcher,
)
from PySide6.QtGui import (
    QColor,
    QCursor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QScreen,
)
from PySide6.QtWidgets import QWidget

PORTAL_SERVICE = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
PORTAL_SCREENSHOT = "org.freedesktop.portal.Screenshot"
PORTAL_REQUEST = "org.freedesktop.portal.Request"
NO_CAPTURE = (
    "Screen capture is not available here: this session lets the app neither read the "
    "screen (X11) nor ask the desktop portal (Wayland, xdg-desktop-portal). Take a "
    "screenshot with your desktop's tool and paste it (Ctrl+V) instead."
)
MIN_REGION = 8  # a drag smaller than this (pixels) is a click: the whole screen


class CaptureError(Exception):
    """Capture failed; ``str(err)`` is one line for the user."""


def capture_method(platform: str | None = None, env: dict[str, str] | None = None) -> str:
    """How this session can capture: "grab" (Qt reads the screen), "portal" (Wayland), or
    "none"."""
    platform = platform if platform is not None else QGuiApplication.platformName()
    env = dict(os.environ) if env is None else env
    if platform.startswith("wayland"):
        return "portal" if env.get("DBUS_SESSION_BUS_ADDRESS") else "none"
    if platform in ("xcb", "offscreen", "windows", "cocoa"):
        return "grab"
    return "none"


def grab_screen(screen: QScreen | None = None) -> QImage:
    """The whole screen (the one under the mouse by default) as a pixmap."""
    screen = screen or QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
    if screen is None:
        raise CaptureError("there is no screen to capture.")
    pixmap = screen.grabWindow(0)
    if pixmap.isNull() or pixmap.width() == 0:
        raise CaptureError(NO_CAPTURE)
    return pixmap.toImage()


class RegionSelector(QWidget):
    """The frozen screen, dimmed; the user drags the region to read.

    ``selected`` carries the chosen part (the whole screen after a click), ``cancelled`` fires
    on Esc.
    """

    selected = Signal(QImage)
    cancelled = Signal()

    def __init__(self, screenshot: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # a QImage, not a QPixmap: it may outlive the widget without needing the application
        self.screenshot = screenshot
        self.setWindowFlags(
            Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.Tool
        )
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMouseTracking(True)
        self.setAccessibleName("Select a region of the screen")
        ratio = screenshot.devicePixelRatio() or 1.0
        self.resize(int(screenshot.width() / ratio), int(screenshot.height() / ratio))
        self._origin: QPoint | None = None
        self._current: QPoint | None = None

    @property
    def selection(self) -> QRect:
        if self._origin is None or self._current is None:
            return QRect()
        left, right = sorted((self._origin.x(), self._current.x()))
        top, bottom = sorted((self._origin.y(), self._current.y()))
        return QRect(left, top, right - left, bottom - top)

    def open(self) -> None:
        self.showFullScreen()
        self.activateWindow()
        self.raise_()

    def crop(self, area: QRect) -> QImage:
        """The screenshot pixels under ``area`` (widget coordinates)."""
        ratio = self.screenshot.devicePixelRatio() or 1.0
        pixels = QRect(
            int(area.x() * ratio),
            int(area.y() * ratio),
            int(area.width() * ratio),
            int(area.height() * ratio),
        )
        return self.screenshot.copy(pixels)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawImage(self.rect(), self.screenshot)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 110))
        area = self.selection
        if not area.isEmpty():
            painter.drawImage(area, self.screenshot, self._source(area))
            painter.setPen(QPen(QColor(80, 160, 255), 2))
            painter.drawRect(area.adjusted(0, 0, -1, -1))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(
            self.rect().adjusted(0, 24, 0, 0),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            "Drag over the part to read — click for the whole screen, Esc to cancel",
        )
        painter.end()

    def _source(self, area: QRect) -> QRect:
        ratio = self.screenshot.devicePixelRatio() or 1.0
        return QRect(
            int(area.x() * ratio),
            int(area.y() * ratio),
            int(area.width() * ratio),
            int(area.height() * ratio),
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._origin = self._current = event.position().toPoint()
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._origin is not None:
            self._current = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._origin is None:
            return
        self._current = event.position().toPoint()
        area = self.selection
        if area.width() < MIN_REGION or area.height() < MIN_REGION:
            area = self.rect()
        self._finish(self.crop(area))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._finish(None)
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish(self.crop(self.selection if not self.selection.isEmpty() else self.rect()))

    def _finish(self, image: QImage | None) -> None:
        """Hide (after the event that ended the selection), then report."""
        self._origin = self._current = None
        QTimer.singleShot(0, self.hide)
        if image is None:
            self.cancelled.emit()
        else:
            self.selected.emit(image)


class PortalScreenshot(QObject):
    """One screenshot through ``org.freedesktop.portal.Screenshot`` (the desktop asks the user).

    ``interactive`` lets the user pick a window or region in the desktop's own dialog.
    """

    captured = Signal(QImage)
    failed = Signal(str)
    cancelled = Signal()
    _tokens = itertools.count(1)

    def __init__(self, bus: QDBusConnection | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus if bus is not None else QDBusConnection.sessionBus()
        self._watcher: QDBusPendingCallWatcher | None = None
        self._request_path = ""

    def request(self, interactive: bool = True) -> None:
        if not self.bus.isConnected():
            self.failed.emit(NO_CAPTURE)
            return
        token = f"assistant_capture_{os.getpid()}_{next(self._tokens)}"
        sender = self.bus.baseService().lstrip(":").replace(".", "_")
        # subscribe before asking, as the portal documentation advises (no lost response)
        self._listen(f"{PORTAL_PATH}/request/{sender}/{token}")
        # a plain message, not QDBusInterface: that would introspect the portal synchronously
        message = QDBusMessage.createMethodCall(
            PORTAL_SERVICE, PORTAL_PATH, PORTAL_SCREENSHOT, "Screenshot"
        )
        message.setArguments(["", {"handle_token": token, "interactive": interactive}])
        call: QDBusPendingCall = self.bus.asyncCall(message)
        self._watcher = QDBusPendingCallWatcher(call, self)
        self._watcher.finished.connect(self._on_called)

    def _listen(self, path: str) -> None:
        if path == self._request_path:
            return
        self._stop()
        self._request_path = path
        self.bus.connect(
            "", path, PORTAL_REQUEST, "Response", self, "1_on_response(uint,QVariantMap)"
        )

    def _on_called(self, watcher: QDBusPendingCallWatcher) -> None:
        reply = watcher.reply()
        watcher.deleteLater()
        if reply.type() == QDBusMessage.MessageType.ErrorMessage:
            self._stop()
            self.failed.emit(f"{NO_CAPTURE} ({reply.errorMessage() or reply.errorName()})")
            return
        arguments = reply.arguments()
        handle = arguments[0] if arguments else None
        path = getattr(handle, "path", lambda: str(handle or ""))()
        if path:
            self._listen(str(path))

    @Slot("uint", "QVariantMap")
    def _on_response(self, code: int, results: dict[str, object]) -> None:
        self._stop()
        if code == 1:
            self.cancelled.emit()
            return
        if code != 0:
            self.failed.emit(
                "The desktop refused the screenshot (the portal answered "
                f"{code}); allow screenshots for this app, or paste one instead."
            )
            return
        uri = str(results.get("uri", ""))
        path = Path(unquote(urlparse(uri).path)) if uri.startswith("file:") else None
        image = QImage(str(path)) if path is not None else QImage()
        if image.isNull():
            self.failed.emit(f"The desktop portal returned no readable screenshot ({uri!r}).")
            return
        self.captured.emit(image)

    def _stop(self) -> None:
        if self._request_path:
            self.bus.disconnect(
                "",
                self._request_path,
                PORTAL_REQUEST,
                "Response",
                self,
                "1_on_response(uint,QVariantMap)",
            )
            self._request_path = ""


class ScreenCapture(QObject):
    """Capture the screen or a region by whatever means this session allows.

    ``captured`` carries the image, ``failed`` one line for the user, ``cancelled`` fires when
    the user backs out.
    """

    captured = Signal(QImage)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        method: str | None = None,
        bus: QDBusConnection | None = None,
    ) -> None:
        super().__init__(parent)
        self.method = method or capture_method()
        self._bus = bus
        self.selector: RegionSelector | None = None
        self.portal: PortalScreenshot | None = None

    def start(self, region: bool = True) -> None:
        if self.method == "portal":
            self.portal = PortalScreenshot(self._bus, self)
            self.portal.captured.connect(self.captured)
            self.portal.failed.connect(self.failed)
            self.portal.cancelled.connect(self.cancelled)
            self.portal.request(interactive=region)
            return
        if self.method != "grab":
            self.failed.emit(NO_CAPTURE)
            return
        try:
            screenshot = grab_screen()
        except CaptureError as err:
            self.failed.emit(str(err))
            return
        if not region:
            self.captured.emit(screenshot)
            return
        self.selector = RegionSelector(screenshot)
        self.selector.selected.connect(self.captured)
        self.selector.cancelled.connect(self.cancelled)
        self.selector.selected.connect(self._drop_selector)
        self.selector.cancelled.connect(self._drop_selector)
        self.selector.open()

    def _drop_selector(self) -> None:
        if self.selector is not None:
            self.selector.deleteLater()
            self.selector = None
