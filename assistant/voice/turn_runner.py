"""The voice loop's turn runner: hands each line to ``engine.handle``, one at a time.

It is the one place that cancels the engine's turn (``cancel``): a new line, a barge-in, the
Stop button and a continued turn all come here.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from assistant.cancel import CancelToken
from assistant.conversation import ConversationEngine, TurnResult
from assistant.errors import AssistantError
from assistant.events import AssistantState, Error
from assistant.turns import TurnRequest
from assistant.voice.status import VoiceStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Said:
    """A line for the engine: typed (``seq`` 0) or the transcript of voice turn ``seq``."""

    text: str
    source: str
    seq: int = 0


@dataclass(frozen=True)
class Withdraw:
    """Voice turn ``seq`` was the first half of a longer turn: forget it."""

    seq: int


@dataclass(frozen=True)
class Prepare:
    """The user started speaking (``heard`` empty), or this much of their turn was transcribed:
    get the language model's cache ready for their message."""

    heard: str = ""


class _Newest:
    """A mailbox of one: a newer ``Prepare`` replaces one not yet taken."""

    def __init__(self) -> None:
        self._item: Prepare | None = None
        self._closed = False
        self._ready = threading.Condition()

    def put(self, item: Prepare | None) -> None:
        with self._ready:
            if item is None:
                self._closed = True
            self._item = item
            self._ready.notify()

    def get(self) -> Prepare | None:
        with self._ready:
            while self._item is None and not self._closed:
                self._ready.wait()
            item, self._item = self._item, None
            return None if self._closed else item


class TurnRunner:
    """``run()`` takes from ``inbox`` on the thread ``voice-turns``.

    inbox: ``Said`` (put by ``said`` from the transcriber's thread for voice turns, and by
    ``submit`` from the GUI/CLI thread for typed lines), ``Withdraw`` (put by ``withdraw`` from
    the listener when the user went on after an early end of turn) and ``None`` (put by
    ``stop``: the end).

    ``prepare_loop()`` takes from ``preparing`` on the thread ``voice-prepare``: the newest
    ``Prepare`` (put by ``prepare`` from the listener when speech starts and with each
    transcript of the speech), so a turn never waits behind a head start for the next one.
    """

    def __init__(
        self,
        engine: ConversationEngine,
        status: VoiceStatus,
        until_first_audio: Callable[[int], None],
    ) -> None:
        self.engine = engine
        self.inbox: queue.Queue[Said | Withdraw | None] = queue.Queue()
        self.preparing = _Newest()
        self._status = status
        self._until_first_audio = until_first_audio
        self._lock = threading.Lock()  # guards the three fields below (listener vs runner)
        self._withdrawn: set[int] = set()
        self._tokens: dict[int, CancelToken] = {}  # voice turn → its engine turn's token
        self._results: dict[int, TurnResult] = {}  # the newest voice turn → what was stored
        self.current_seq = 0  # the voice turn being answered (0: typed or none)

    # --- what the other stages ask ----------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.engine.busy or not self.inbox.empty()

    def cancel(self, reason: str) -> bool:
        """Stop the engine's turn in progress; True when there was one (it emits Interrupted)."""
        return self.engine.cancel(reason)

    def said(self, text: str, seq: int) -> None:
        """The final transcript of voice turn ``seq``: it replaces any answer in progress."""
        with self._lock:
            if seq in self._withdrawn:
                return
            self._tokens[seq] = CancelToken()
        self.cancel("user spoke")
        self.inbox.put(Said(text, "voice", seq))

    def submit(self, text: str, source: str) -> None:
        """A typed line (cancelling a reply in progress)."""
        self.cancel("new message")
        self.inbox.put(Said(text, source))

    def prepare(self, heard: str = "") -> None:
        self.preparing.put(Prepare(heard))

    def withdraw(self, seq: int) -> None:
        """Voice turn ``seq`` goes on in the next one: stop its answer and forget it."""
        with self._lock:
            self._withdrawn.add(seq)
            token = self._tokens.get(seq)
        if token is not None:
            token.cancel()
        self.inbox.put(Withdraw(seq))

    def stop(self) -> None:
        self.inbox.put(None)
        self.preparing.put(None)

    # --- the run loop ---------------------------------------------------------------------

    def run(self) -> None:
        while (item := self.inbox.get()) is not None:
            if isinstance(item, Withdraw):
                self._forget(item.seq)
            else:
                self._handle(item)

    def _handle(self, item: Said) -> None:
        with self._lock:
            if item.seq in self._withdrawn:
                return
            token = self._tokens.get(item.seq)  # None for typed lines
            self.current_seq = item.seq
        self._status.set(AssistantState.THINKING)
        try:
            result = self.engine.handle(
                TurnRequest(
                    item.text,
                    item.source,  # type: ignore[arg-type]
                    cancel=token,
                    on_first_sentence=self._until_first_audio,
                )
            )
        except AssistantError as err:
            self.engine.bus.emit(Error("voice", str(err)))
        except Exception as err:  # a bug in a stage: said once, the next turn still works
            log.exception("a voice turn failed")
            self.engine.bus.emit(Error("voice", f"the turn failed: {err}"))
        else:
            if item.seq:  # only the newest voice turn can still be continued
                with self._lock:
                    self._results = {item.seq: result}
        finally:
            with self._lock:
                self.current_seq = 0
                self._tokens.pop(item.seq, None)
        if self.engine.cache_stale:  # read the conversation again while the reply is spoken
            self.prepare()
        self._status.settle()

    def prepare_loop(self) -> None:
        while (item := self.preparing.get()) is not None:
            if self.busy:
                continue  # a message is waiting or being answered: it reads the context itself
            try:
                self.engine.prepare(item.heard)
            except Exception:  # only a head start: the turn reports real failures
                log.exception("preparing the language model failed")

    def _forget(self, seq: int) -> None:
        """Forget the stored first half of a continued turn (after it has finished)."""
        with self._lock:
            result = self._results.pop(seq, None)
        if result is not None:
            self.engine.retract(result)
