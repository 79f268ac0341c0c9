"""The language model in a child process, for the desktop app.

Native code may hold Python's GIL for seconds: the onnxruntime-genai loader (~3 s here) and
its prompt prefill (~1 s) do. In a process that also runs the Qt event loop that freezes the
window. Here the model lives in a spawned child; the parent only waits on a pipe (which
releases the GIL) and relays text pieces and the cancel request. The child keeps the model,
and so its KV cache, between turns.
"""

from __future__ import annotations

import contextlib
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
from assistant.llm.base import ChatMessage, GenerationOptions, Prefilling, StructuredOutput

POLL_S = 0.05  # how often a waiting stream looks at its cancel token


class IsolatedLanguageModel:
    """A ``LanguageModel`` whose real backend (``build_llm(config)``) runs in a child process."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._conn: Connection | None = None
        self._process: Any = None
        self._lock = threading.Lock()  # one request at a time on the pipe
        self._info: dict[str, str] = {}

    # --- the child ------------------------------------------------------------------------

    def _started(self) -> Connection:
        """Start ``python -m assistant.llm.isolated FD`` on one end of a socket pair (a plain
        child process: multiprocessing's spawn would re-run the app's ``__main__``)."""
        if self._conn is None:
            ours, theirs = socket.socketpair()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "assistant.llm.isolated", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
            theirs.close()
            self._conn = Connection(ours.detach())
            self._conn.send(self._config)
        return self._conn

    def _ask(self, *request: Any) -> Any:
        with self._lock:
            conn = self._started()
            try:
                conn.send(request)
                return _answer(conn.recv())
            except (EOFError, OSError):
                self._conn = None
                raise ModelError("the language model process stopped; restart the app.") from None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(("quit",))
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
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], max_new_tokens: int
    ) -> str:
        """The child's model parses (a ModelError when its backend cannot)."""
        return str(self._ask("json", list(messages), schema, max_new_tokens))

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        cancel = cancel or CancelToken()
        with self._lock:
            conn = self._started()
            told = finished = False
            try:
                conn.send(("stream", list(messages), options))
                while True:
                    if cancel.cancelled and not told:
                        conn.send(("cancel",))
                        told = True
                    if not conn.poll(POLL_S):
                        continue
                    kind, *rest = conn.recv()
                    if kind == "piece":
                        if not cancel.cancelled:
                            yield rest[0]
                        continue
                    finished = True
                    if kind != "done":
                        _answer((kind, *rest))
                    return
            except (EOFError, OSError):
                finished = True
                self._conn = None
                raise ModelError("the language model process stopped; restart the app.") from None
            finally:
                if not finished:  # the caller stopped reading: stop the child and drain
                    self._drain(conn, told)

    def _drain(self, conn: Connection, told: bool) -> None:
        try:
            if not told:
                conn.send(("cancel",))
            while conn.recv()[0] == "piece":
                pass
        except (EOFError, OSError):
            self._conn = None


def _answer(reply: tuple[Any, ...]) -> Any:
    kind, *rest = reply
    if kind == "ok":
        return rest[0] if rest else None
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
    """The child: builds the real backend and answers requests until ``quit`` or EOF."""
    from assistant.llm.factory import build_llm

    config: Config = conn.recv()
    llm: Any = None
    cancel = CancelToken()
    streaming: threading.Thread | None = None
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
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
        if llm is None:
            llm = build_llm(config)
        return llm

    def run_stream(messages: list[ChatMessage], options: GenerationOptions) -> None:
        def work() -> None:
            for piece in model().stream(messages, options, cancel):
                send(("piece", piece))

        result = guarded(work)
        send(("done",) if result[0] == "ok" else result)

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        kind = request[0]
        if kind == "quit":
            return
        if kind == "cancel":
            cancel.cancel()
            continue
        if streaming is not None:
            streaming.join()
        if kind == "stream":
            cancel = CancelToken()
            streaming = threading.Thread(target=run_stream, args=request[1:], daemon=True)
            streaming.start()
        elif kind == "info":
            send(guarded(lambda: {"name": model().name, "device": model().device}))
        elif kind == "load":
            send(guarded(lambda: model().load()))
        elif kind == "count":
            send(guarded(lambda messages=request[1]: model().count_tokens(messages)))
        elif kind == "prefill":
            send(guarded(lambda args=request[1:]: _prefill(model(), *args)))
        elif kind == "json":
            send(guarded(lambda args=request[1:]: _complete_json(model(), *args)))


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
