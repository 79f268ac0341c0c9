"""The Wayland path: ``PortalScreenshot`` against a fake xdg-desktop-portal on a private
session bus (dbus-daemon), answered with ``gdbus emit`` like the real portal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtDBus import QDBusConnection
from PySide6.QtGui import QImage

from ui.capture import NO_CAPTURE, PORTAL_PATH, PORTAL_SERVICE, PortalScreenshot

pytestmark = pytest.mark.gui


class FakePortal(QObject):
    """Answers Screenshot like xdg-desktop-portal, then sends the Response signal (with
    ``gdbus emit``, a separate client, as the real portal is). The client listens on the
    request path it predicts, so the fake needs no reply value."""

    def __init__(self, address: str, client: QDBusConnection, answer: str) -> None:
        super().__init__()
        self.address = address
        self.client = client
        self.answer = answer  # GVariant text of the Response arguments
        self.calls: list[dict] = []

    @Slot(str, "QVariantMap")
    def Screenshot(self, parent: str, options: dict) -> None:
        self.calls.append(dict(options))
        sender = self.client.baseService().lstrip(":").replace(".", "_")
        path = f"{PORTAL_PATH}/request/{sender}/{options['handle_token']}"
        QTimer.singleShot(20, lambda: self._respond(path))

    def _respond(self, path: str) -> None:
        code, results = self.answer.split(" ", 1)
        subprocess.run(
            [
                "gdbus",
                "emit",
                "--session",
                "--object-path",
                path,
                "--signal",
                "org.freedesktop.portal.Request.Response",
                f"uint32 {code}",
                results,
            ],
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": self.address},
            check=True,
            timeout=10,
            capture_output=True,
        )


@pytest.fixture
def private_bus():
    if shutil.which("dbus-daemon") is None or shutil.which("gdbus") is None:
        pytest.skip("needs dbus-daemon and gdbus (apt install dbus-daemon libglib2.0-bin)")
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    address = proc.stdout.readline().strip()
    try:
        yield address
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)


_names = iter(range(1_000_000))


def serve(address: str, answer: str) -> tuple[FakePortal, QDBusConnection]:
    n = next(_names)
    server = QDBusConnection.connectToBus(address, f"portal-server-{n}")
    client = QDBusConnection.connectToBus(address, f"portal-client-{n}")
    fake = FakePortal(address, client, answer)
    assert server.registerService(PORTAL_SERVICE)
    assert server.registerObject(
        PORTAL_PATH,
        "org.freedesktop.portal.Screenshot",
        fake,
        QDBusConnection.RegisterOption.ExportAllSlots,
    )
    return fake, client


def test_portal_screenshot_arrives(qtbot, private_bus: str, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    QImage(64, 32, QImage.Format.Format_RGB32).save(str(shot))
    fake, client = serve(private_bus, f"0 {{'uri': <'{shot.as_uri()}'>}}")
    portal = PortalScreenshot(client)
    with qtbot.waitSignal(portal.captured, timeout=10_000) as got:
        portal.request(interactive=True)
    assert got.args[0].width() == 64
    assert fake.calls[0]["interactive"] is True


def test_portal_refusal_and_cancel(qtbot, private_bus: str) -> None:
    _fake, client = serve(private_bus, "2 @a{sv} {}")
    portal = PortalScreenshot(client)
    with qtbot.waitSignal(portal.failed, timeout=10_000) as got:
        portal.request()
    assert "refused the screenshot" in got.args[0]


def test_portal_cancelled_by_the_user(qtbot, private_bus: str) -> None:
    _fake, client = serve(private_bus, "1 @a{sv} {}")
    portal = PortalScreenshot(client)
    with qtbot.waitSignal(portal.cancelled, timeout=10_000):
        portal.request()


def test_no_portal_on_the_bus(qtbot, private_bus: str) -> None:
    client = QDBusConnection.connectToBus(private_bus, "no-portal-client")
    portal = PortalScreenshot(client)
    with qtbot.waitSignal(portal.failed, timeout=10_000) as got:
        portal.request()
    assert got.args[0].startswith(NO_CAPTURE)
