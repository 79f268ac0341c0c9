"""The language model in a child process, for the desktop app.

Native code may hold Python's GIL for seconds: the onnxruntime-genai loader (~3 s here) and
its prompt prefill (~1 s) do. In a process that also runs the Qt event loop that freezes the
window. Here the model lives in a spawned child; the parent only waits on a pipe (which
releases the GIL) and relays text pieces and the cancel request. The child keeps the model,
and so its KV cache, between turns.

Every request carries an id and every answer names it, so two requests can be in flight: the
intent parse (its own lane in the child, and its own slot in llama.cpp) runs while a reply
streams. The parent's reader thread hands each answer to the request waiting for it.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

from assistant.cancel import CancelToken
from assistant.config import Config
from assistant.errors import AssistantError, ModelError
from assistant.llm.base import (
    ChatMessage,
    GenerationOptions,
    JsonStart,
    Prefilling,
    StructuredOutput,
)

POLL_S = 0.05  # how often a waiting stream looks at its cancel token
STOPPED = "the language model process stopped; restart the app."
# the child's lanes: requests on one lane run in order; the parse has a lane of its own
PARSE_LANE_KINDS = ("json",)


class IsolatedLanguageModel:
    """A ``LanguageModel`` whose real backend (``build_llm(config)``) runs in a child process."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._conn: Connection | None = None
        self._process: Any = None
        self._lock = threading.Lock()  # guards the fields below and sending on the pipe
        self._waiting: dict[int, queue.Queue[tuple[Any, ...]]] = {}  # request id → its answers
        self._ids = itertools.count(1)
        self._stopped = False  # the reader saw the child go away
        self._info: dict[str, str] = {}

    # --- the child ------------------------------------------------------------------------

    def _started(self) -> Connection:
        """Start ``python -m assistant.llm.isolated FD`` on one end of a socket pair (a plain
        child process: multiprocessing's spawn would re-run the app's ``__main__``), and the
        thread that reads its answers. Called with ``_lock`` held."""
        if self._stopped:  # said once; the next request starts a new child
            self._stopped, self._conn = False, None
            raise ModelError(STOPPED)
        if self._conn is None:
            ours, theirs = socket.socketpair()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "assistant.llm.isolated", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
            theirs.close()
            conn = Connection(ours.detach())
            conn.send(self._config)
            self._conn = conn
            reader = threading.Thread(target=self._read, args=(conn,), name="llm-pipe", daemon=True)
            reader.start()
        return self._conn

    def _read(self, conn: Connection) -> None:
        """The reader thread: each answer to the queue of the request it names."""
        while True:
            try:
                request_id, *answer = conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                waiting = self._waiting.get(request_id)
            if waiting is not None:  # None: a stream its reader gave up on
                waiting.put(tuple(answer))
        with self._lock:
            if self._conn is conn:
                self._stopped = True
            for waiting in self._waiting.values():
                waiting.put(("gone",))

    def _open(self, *request: Any) -> tuple[int, queue.Queue[tuple[Any, ...]]]:
        """Send ``request``; its answers arrive on the returned queue."""
        answers: queue.Queue[tuple[Any, ...]] = queue.Queue()
        with self._lock:
            conn = self._started()
            request_id = next(self._ids)
            self._waiting[request_id] = answers
            try:
                conn.send((request_id, *request))
            except OSError:
                del self._waiting[request_id]
                self._stopped, self._conn = False, None
                raise ModelError(STOPPED) from None
        return request_id, answers

    def _close_request(self, request_id: int) -> None:
        with self._lock:
            self._waiting.pop(request_id, None)

    def _send(self, *message: Any) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.send(message)

    def _ask(self, *request: Any) -> Any:
        request_id, answers = self._open(*request)
        try:
            return _answer(answers.get())
        finally:
            self._close_request(request_id)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send((0, "quit"))
            conn.close()
        if self._process is not None:
            try:
                self._process.wait(3)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(3)

    # --- LanguageModel --------------------------------------------------------------------

    def _describe(self) -> dict[str, str]:
        if not self._info:
            self._info = self._ask("info")
        return self._info

    @property
    def name(self) -> str:
        return self._describe()["name"]

    @property
    def device(self) -> str:
        return self._describe()["device"]

    def load(self) -> None:
        self._ask("load")

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return int(self._ask("count", list(messages)))

    def prefill(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> int:
        """The child's model runs ``messages`` into its cache (0 when it cannot)."""
        return int(self._ask("prefill", list(messages), options))

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        max_new_tokens: int,
        start: JsonStart | None = None,
    ) -> str:
        """The child's model parses (a ModelError when its backend cannot); it may run while
        a reply streams."""
        return str(self._ask("json", list(messages), schema, max_new_tokens, start))

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        cancel = cancel or CancelToken()
        request_id, answers = self._open("stream", list(messages), options)
        told = False
        try:
            while True:
                if cancel.cancelled and not told:
                    self._send(0, "cancel", request_id)
                    told = True
                try:
                    kind, *rest = answers.get(timeout=POLL_S)
                except queue.Empty:
                    continue
                if kind == "piece":
                    if not cancel.cancelled:
                        yield rest[0]
                    continue
                if kind == "done":
                    return
                _answer((kind, *rest))
        finally:
            if not told:  # the caller stopped reading: the child stops; its rest is dropped
                self._send(0, "cancel", request_id)
            self._close_request(request_id)


def _answer(reply: tuple[Any, ...]) -> Any:
    kind, *rest = reply
    if kind == "ok":
        return rest[0] if rest else None
    if kind == "gone":
        raise ModelError(STOPPED)
    if kind == "user-error":
        raise ModelError(rest[0])
    raise ModelError(f"the language model failed: {rest[0]}")


def _prefill(llm: object, messages: list[ChatMessage], options: GenerationOptions) -> int:
    return llm.prefill(messages, options) if isinstance(llm, Prefilling) else 0


def _complete_json(llm: object, *args: Any) -> str:
    if not isinstance(llm, StructuredOutput):
        raise ModelError("this language model backend cannot give structured output.")
    return llm.complete_json(*args)


def _serve(conn: Connection) -> None:
    """The child: builds the real backend and answers requests until ``quit`` or EOF. The
    requests of one lane run in order on its thread: the parse on its own, the rest (stream,
    prefill, counting…) on the main lane, as the backends expect."""
    from assistant.llm.factory import build_llm

    config: Config = conn.recv()
    llm: Any = None
    build_lock = threading.Lock()
    send_lock = threading.Lock()
    cancels: dict[int, CancelToken] = {}  # streams in progress (the reading loop cancels them)
    lanes: dict[str, queue.Queue[tuple[Any, ...] | None]] = {
        "main": queue.Queue(),
        "parse": queue.Queue(),
    }

    def send(message: tuple[Any, ...]) -> None:
        with send_lock, contextlib.suppress(OSError):
            conn.send(message)

    def guarded(work: Any) -> tuple[Any, ...]:
        try:
            return ("ok", work())
        except AssistantError as err:
            return ("user-error", str(err))
        except Exception as err:
            return ("error", f"{type(err).__name__}: {err}")

    def model() -> Any:
        nonlocal llm
        with build_lock:
            if llm is None:
                llm = build_llm(config)
            return llm

    def run_stream(
        request_id: int, messages: list[ChatMessage], options: GenerationOptions
    ) -> None:
        cancel = cancels[request_id]

        def work() -> None:
            for piece in model().stream(messages, options, cancel):
                send((request_id, "piece", piece))

        result = guarded(work)
        cancels.pop(request_id, None)
        send((request_id, "done") if result[0] == "ok" else (request_id, *result))

    def answer(request_id: int, kind: str, args: list[Any]) -> None:
        if kind == "stream":
            run_stream(request_id, *args)
            return
        work = {
            "info": lambda: {"name": model().name, "device": model().device},
            "load": lambda: model().load(),
            "count": lambda: model().count_tokens(args[0]),
            "prefill": lambda: _prefill(model(), *args),
            "json": lambda: _complete_json(model(), *args),
        }[kind]
        send((request_id, *guarded(work)))

    def lane(requests: queue.Queue[tuple[Any, ...] | None]) -> None:
        while (request := requests.get()) is not None:
            answer(*request)

    workers = [threading.Thread(target=lane, args=(q,), daemon=True) for q in lanes.values()]
    for worker in workers:
        worker.start()
    while True:
        try:
            request_id, kind, *args = conn.recv()
        except (EOFError, OSError):
            break
        if kind == "quit":
            break
        if kind == "cancel":
            token = cancels.get(args[0])
            if token is not None:
                token.cancel()
            continue
        if kind == "stream":
            cancels[request_id] = CancelToken()  # before the next message can cancel it
        lanes["parse" if kind in PARSE_LANE_KINDS else "main"].put((request_id, kind, args))
    for token in list(cancels.values()):
        token.cancel()
    for requests in lanes.values():
        requests.put(None)
    for worker in workers:
        worker.join(5)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
