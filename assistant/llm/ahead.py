"""A reply started before the turn knows it wants one.

When the intent detector is unsure and asks the language model for a structured parse (seconds
on a CPU), the reply to the message as chat starts beside it: llama.cpp runs the two on their own
slots in one batch. Its pieces wait here until the parse has decided: ``take`` (the message is
chat: the reply has a head start) or ``drop`` (a command: the reply stops, nothing was shown).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from assistant.cancel import CancelToken
from assistant.errors import AssistantError
from assistant.llm.pieces import PieceQueue

log = logging.getLogger(__name__)


class ReplyAhead:
    """``start(cancel)`` is the model's stream; it runs on the thread ``reply-ahead``, which
    puts its pieces in a queue that ``take`` drains."""

    def __init__(self, start: Callable[[CancelToken], Iterator[str]]) -> None:
        self._cancel = CancelToken()  # the stream's own: a dropped reply stops, the turn goes on
        self._pieces = PieceQueue()
        self._thread = threading.Thread(
            target=self._run, args=(start,), name="reply-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, start: Callable[[CancelToken], Iterator[str]]) -> None:
        try:
            for piece in start(self._cancel):
                self._pieces.put(piece)
        except AssistantError as err:
            self._pieces.fail(str(err))
        except Exception as err:  # reported by the turn that takes the reply, like any failure
            log.exception("the reply started ahead failed")
            self._pieces.fail(f"{type(err).__name__}: {err}")
        finally:
            self._pieces.end()

    def take(self, cancel: CancelToken) -> Iterator[str]:
        """The reply's pieces, those made so far first, until its end or ``cancel``."""
        try:
            yield from self._pieces.drain(cancel)
        finally:
            self.drop()

    def drop(self) -> None:
        """Stop the reply (nothing happens once it has ended)."""
        self._cancel.cancel()
