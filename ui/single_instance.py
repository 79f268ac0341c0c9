"""The single-instance socket: a second `assistant gui` and `assistant trigger` talk to it.

The protocol is one line per connection (``show``, ``listen`` or ``toggle``) answered by ``ok``;
the client side is plain Python in assistant/cli/gui.py so that `assistant trigger` starts fast.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

COMMANDS = ("show", "listen", "toggle", "capture")


class InstanceServer(QObject):
    commandReceived = Signal(str)

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Take the socket (clearing a stale one left by a crash)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        QLocalServer.removeServer(str(self.path))
        if not self._server.listen(str(self.path)):
            log.warning("single-instance socket %s: %s", self.path, self._server.errorString())
            return False
        os.chmod(self.path, 0o600)
        return True

    def close(self) -> None:
        self._server.close()
        for socket in self._server.findChildren(QLocalSocket):
            socket.readyRead.disconnect(self._on_ready_read)
            socket.abort()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        command = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
        if command in COMMANDS:
            socket.write(b"ok\n")
            self.commandReceived.emit(command)
        else:
            socket.write(b"unknown command\n")
        socket.flush()
        socket.disconnectFromServer()
