"""Text pieces handed from the thread that produces a reply (llama.cpp's callback, a server
stream's reader) to the generator the engine reads, which checks the turn's cancel token every
``POLL_S`` even while nothing arrives. The producer puts pieces, then ends or fails; the reader
gets the pieces, or the failure as one ``ModelError``."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

from assistant.cancel import CancelToken
from assistant.errors import ModelError

POLL_S = 0.02  # how often a waiting reader looks at its cancel token


class _End:
    """The reply is complete (the end sentinel)."""


class _Failure:
    def __init__(self, message: str) -> None:
        self.message = message


class PieceQueue:
    """One reply's pieces: ``put``/``end``/``fail`` by the producer, ``drain`` by the reader."""

    def __init__(self) -> None:
        self._items: queue.Queue[str | _End | _Failure] = queue.Queue()
        self.first_piece_s: float | None = None  # seconds from ``drain`` to the first piece
        self.count = 0  # pieces read

    def put(self, text: str) -> None:
        self._items.put(text)

    def end(self) -> None:
        self._items.put(_End())

    def fail(self, message: str) -> None:
        self._items.put(_Failure(message))

    def drain(self, cancel: CancelToken) -> Iterator[str]:
        """Yield the pieces until the end, a failure (raised) or the cancel."""
        started = time.perf_counter()
        while not cancel.cancelled:
            try:
                item = self._items.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise ModelError(item.message)
            if self.first_piece_s is None:
                self.first_piece_s = time.perf_counter() - started
            self.count += 1
            yield item
