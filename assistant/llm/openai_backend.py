"""The openai backend: a chat model on an OpenAI-compatible server the user runs.

Ollama (``http://localhost:11434/v1``), llama.cpp's ``llama-server`` (``…:8080/v1``), vLLM
(``…:8000/v1``) and LM Studio (``…:1234/v1``) all speak ``POST {base_url}/chat/completions`` with
``"stream": true``: server-sent events, one ``data: {json}`` line a piece
(``choices[0].delta.content``), ending with ``data: [DONE]``. ``GET {base_url}/models`` lists what
the server has.

What leaves the process: the messages of the prompt (the system prompt with the remembered facts,
the history that fits, the new message) and the sampling options, to ``base_url``'s host only. The
standard library's ``http.client`` is used on purpose: it never goes through a proxy named in the
environment (``requests`` would) nor reads ``.netrc``. The API key is read from the environment
variable named by ``llm.api_key_env`` for each request and sent as ``Authorization: Bearer``; it is
never kept in an attribute, the config, a log or a message.

Each request runs on a reader thread that puts pieces on a queue; ``stream`` waits on the queue in
short steps, so a cancel is seen within ``POLL_S`` even while the server is silent (prefilling a
long prompt, or hung), and it then shuts the socket down, which the server sees at once (llama.cpp
stops generating for a closed connection). The socket timeout (``llm.timeout_s``) bounds the
connect and every wait for the next bytes.

Servers have no common tokenize endpoint, so ``count_tokens`` estimates: ~4 characters a token for
ASCII text, rounded up, one token for every other character (CJK text is about a token a character;
accented Latin is over-counted, which errs on the safe side), plus 4 a message for the chat markup.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import math
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from assistant.cancel import CancelToken
from assistant.errors import ConfigError, ModelError
from assistant.llm.base import ChatMessage, GenerationOptions, GenerationStats, JsonStart
from assistant.llm.pieces import PieceQueue

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4  # the token estimate for ASCII text (servers have no common tokenizer API)
MESSAGE_TOKENS = 4  # chat-template markup around each message, estimated
MAX_LINE = 4 << 20  # longest server-sent line read (a longer one is a malformed stream)
MAX_ERROR_BODY = 64 << 10  # bytes of an error response read for its message
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class _Aborted(Exception):
    """The reader stopped reading: the stream was cancelled or closed by its consumer."""


def parse_base_url(url: str) -> urllib.parse.SplitResult:
    """``llm.base_url`` checked (no I/O): an http(s) URL with a host and no credentials."""
    found = urllib.parse.urlsplit(url.strip())
    if found.scheme not in ("http", "https") or not found.hostname:
        raise ConfigError(
            f"llm.base_url = {url!r} is not an http(s) URL; e.g. http://localhost:11434/v1 "
            "(Ollama) or http://localhost:8080/v1 (llama.cpp server)."
        )
    if found.username or found.password:
        raise ConfigError(
            "llm.base_url must not hold a user name or key; put the key in an environment "
            "variable and set llm.api_key_env to its name."
        )
    try:
        found.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ConfigError(f"llm.base_url = {url!r} has an invalid port.") from None
    return found


def estimate_tokens(messages: Sequence[ChatMessage]) -> int:
    """~4 ASCII characters a token (rounded up), one a non-ASCII character, 4 a message."""
    total = 0
    for message in messages:
        ascii_chars = sum(1 for ch in message.content if ch < "\x80")
        other = len(message.content) - ascii_chars
        total += math.ceil(ascii_chars / CHARS_PER_TOKEN) + other + MESSAGE_TOKENS
    return total


def request_body(
    model: str, messages: Sequence[ChatMessage], options: GenerationOptions
) -> dict[str, Any]:
    """The chat request; only the standard OpenAI fields (OpenAI itself rejects unknown ones)."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "stream": True,
        "max_tokens": options.max_new_tokens,
        "temperature": max(0.0, options.temperature),
    }
    if not options.greedy:
        body["top_p"] = options.top_p
    return body


def sse_data(lines: Iterable[bytes]) -> Iterator[str]:
    """The ``data`` of each server-sent event (multi-line data joined with newlines)."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):  # a comment (keep-alive)
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def server_message(body: bytes) -> str:
    """The server's own explanation in an error response (OpenAI, Ollama, vLLM shapes)."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return _one_line(text)
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            return _one_line(str(error))
    return _one_line(text)


def chunk_piece(chunk: Any, where: str) -> tuple[str, bool]:
    """(text, finished) of one streamed chat chunk; ModelError for an error or a bad shape."""
    if not isinstance(chunk, dict):
        raise ModelError(f"{where} sent a malformed reply stream (a chunk is not an object).")
    if "error" in chunk:
        error = chunk["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise ModelError(f"{where} failed mid-reply: {_one_line(str(message))}")
    choices = chunk.get("choices")
    if not choices:  # a usage or keep-alive chunk
        return "", False
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise ModelError(f"{where} sent a malformed reply stream (bad 'choices').")
    choice = choices[0]
    delta = choice.get("delta") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    if content is not None and not isinstance(content, str):
        raise ModelError(f"{where} sent a malformed reply stream (content is not text).")
    return content or "", choice.get("finish_reason") is not None


class _Exchange:
    """One request's connection, shared by the reader thread and the stream that aborts it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: http.client.HTTPConnection | None = None
        self.aborted = False
        self.produced = False  # a piece of the reply was passed on

    def attach(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if self.aborted:
                conn.close()
                raise _Aborted
            self._conn = conn

    def abort(self) -> None:
        """Shut the socket down now: wakes the reader, and the server sees the close."""
        with self._lock:
            self.aborted = True
            sock = self._conn.sock if self._conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError, ValueError):
                sock.shutdown(socket.SHUT_RDWR)


class OpenAICompatibleModel:
    """A ``LanguageModel`` on an OpenAI-compatible HTTP server; the constructor does no I/O."""

    def __init__(
        self,
        base_url: str,
        model: str = "",
        api_key_env: str = "",
        timeout_s: float = 30.0,
    ) -> None:
        url = parse_base_url(base_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or ""
        self._port = url.port or (443 if self._https else 80)
        self._path = url.path.rstrip("/")
        self._shown = url.netloc  # host[:port], for messages and ``device``
        self.base_url = urllib.parse.urlunsplit((url.scheme, url.netloc, self._path, "", ""))
        self._requested = model.strip()
        self._api_key_env = api_key_env.strip()
        self._timeout = float(timeout_s)
        self._model = ""  # the model asked for, chosen in ``load``
        self._load_lock = threading.Lock()
        self.last_stats: GenerationStats | None = None

    # --- LanguageModel --------------------------------------------------------------------

    @property
    def name(self) -> str:
        model = self._model or self._requested or "server model"
        return model.rsplit("/", 1)[-1] if model.endswith(".gguf") else model

    @property
    def device(self) -> str:
        return f"server {self._shown}"

    @property
    def model(self) -> str:
        """The model name sent with each request ('' before ``load``)."""
        return self._model

    @property
    def where(self) -> str:
        return f"the model server at {self._shown}"

    def load(self) -> None:
        """Check the server (``GET /models``) and choose ``server_model`` or its first model."""
        with self._load_lock:
            if self._model:
                return
            models = self.list_models()
            if self._requested:
                if self._requested not in models:  # Ollama accepts "llama3.2" for ":latest" …
                    log.warning(
                        "%s does not list %s (it lists %s); asking for it anyway",
                        self.where,
                        self._requested,
                        ", ".join(models) or "nothing",
                    )
                self._model = self._requested
            elif models:
                self._model = models[0]
            else:
                raise ModelError(
                    f"{self.where} lists no models; load one there (e.g. `ollama pull "
                    "llama3.2`) or set llm.server_model."
                )
            if self._host not in _LOOPBACK:
                log.info("LLM on %s: each turn's messages are sent to that host", self._shown)
            log.info("LLM %s on %s", self._model, self._shown)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """An estimate (see the module's docstring): servers share no tokenize endpoint."""
        return estimate_tokens(messages)

    def list_models(self) -> list[str]:
        """The model ids ``GET {base_url}/models`` returns."""
        exchange = _Exchange()
        conn, response = self._open(exchange, "GET", "/models")
        try:
            if response.status != 200:
                raise ModelError(
                    self._status_error(response.status, _read_error(response), "models")
                )
            try:
                data = json.loads(response.read())
            except (ValueError, OSError, http.client.HTTPException):
                raise ModelError(
                    f"{self.where} sent no model list from {self._path}/models: is llm.base_url "
                    "the OpenAI API root (usually ending in /v1)?"
                ) from None
        finally:
            conn.close()
        entries = data.get("data", data.get("models", [])) if isinstance(data, dict) else []
        found: list[str] = []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                ident = entry.get("id") or entry.get("name") or entry.get("model")
                if ident:
                    found.append(str(ident))
        return found

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        max_new_tokens: int,
        start: JsonStart | None = None,
    ) -> str:
        """Greedy, held to ``schema`` by the server (``response_format``: OpenAI, Ollama,
        vLLM, llama.cpp's server and LM Studio read it); ``start`` is not used (servers do
        not all continue a reply)."""
        options = GenerationOptions(temperature=0.0, max_new_tokens=max_new_tokens)
        extra = {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "intent", "strict": True, "schema": schema},
            }
        }
        return "".join(self._stream(messages, options, None, extra))

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        return self._stream(messages, options, cancel, {})

    def _stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None,
        extra: dict[str, Any],
    ) -> Iterator[str]:
        token = cancel or CancelToken()
        pieces = PieceQueue()  # put by the reader thread, drained here
        exchange = _Exchange()
        reader = threading.Thread(
            target=self._read_reply,
            args=(list(messages), options, exchange, pieces, extra),
            name="openai-stream",
            daemon=True,
        )
        started = time.perf_counter()
        reader.start()
        try:
            yield from pieces.drain(token)
        finally:
            exchange.abort()  # a no-op after a finished reply: the reader closed it
            total = time.perf_counter() - started
            first = pieces.first_piece_s
            self.last_stats = GenerationStats(
                estimate_tokens(messages),
                0,
                pieces.count,
                first if first is not None else total,
                total,
            )

    # --- HTTP -----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream, application/json",
            "User-Agent": "offline-assistant",
        }
        key = os.environ.get(self._api_key_env, "").strip() if self._api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _open(
        self, exchange: _Exchange, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Connect, send, and read the status line and headers; ModelError when that fails."""
        conn: http.client.HTTPConnection
        if self._https:
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        try:
            exchange.attach(conn)
            conn.connect()
            exchange.attach(conn)  # aborted while connecting: stop here
            conn.request(method, self._path + path, body=payload, headers=self._headers())
            return conn, conn.getresponse()
        except _Aborted:
            conn.close()
            raise
        except Exception as err:
            conn.close()
            if exchange.aborted:
                raise _Aborted from None
            raise ModelError(self._connect_error(err)) from None

    def _connect_error(self, err: BaseException) -> str:
        if isinstance(err, TimeoutError):
            return (
                f"{self.where} did not answer within {self._timeout:g} s; check that it is "
                "running and not overloaded, or raise llm.timeout_s."
            )
        if isinstance(err, ConnectionRefusedError):
            return (
                f"cannot reach {self.where} (connection refused): start the server "
                "(e.g. `ollama serve`) or fix llm.base_url."
            )
        if isinstance(err, socket.gaierror):
            return f"cannot reach {self.where}: unknown host {self._host!r}; fix llm.base_url."
        if isinstance(err, ssl.SSLError):
            return f"cannot talk to {self.where} over https ({_one_line(str(err))})."
        if isinstance(err, http.client.HTTPException):
            return (
                f"{self.where} did not answer in HTTP ({type(err).__name__}); is llm.base_url "
                "an OpenAI-compatible API?"
            )
        reason = getattr(err, "strerror", None) or type(err).__name__
        return f"cannot reach {self.where} ({reason}): check the server and llm.base_url."

    def _status_error(self, status: int, body: bytes, what: str) -> str:
        detail = server_message(body)
        said = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
        if status in (401, 403):
            return self._auth_error(said)
        unknown_model = status == 404 or (
            status == 400 and "model" in detail.lower() and self._model.lower() in detail.lower()
        )
        if what == "models" and status == 404:
            return (
                f"{self.where} has no {self._path}/models ({said}): is llm.base_url the OpenAI "
                "API root (usually ending in /v1, e.g. http://localhost:11434/v1)?"
            )
        if what == "chat" and unknown_model:
            try:
                have = ", ".join(self.list_models()) or "none"
            except ModelError:
                have = "(could not list them)"
            return (
                f"{self.where} has no model {self._model!r} ({said}); it has: {_one_line(have)}. "
                "Set llm.server_model to one of them."
            )
        if status >= 500:
            return f"{self.where} failed ({said}); check the server's log, then try again."
        if status == 429:
            return f"{self.where} is busy or over its limits ({said}); try again later."
        return f"{self.where} refused the request ({said})."

    def _auth_error(self, said: str) -> str:
        env = self._api_key_env
        if not env:
            return (
                f"{self.where} wants an API key ({said}): put it in an environment variable "
                "and set llm.api_key_env to that variable's name."
            )
        if not os.environ.get(env, "").strip():
            return (
                f"{self.where} wants an API key ({said}) but the environment variable {env} "
                f"(llm.api_key_env) is not set; export {env}=<key> before starting the assistant."
            )
        return f"{self.where} refused the API key in ${env} ({said}); check that key."

    def _read_reply(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        exchange: _Exchange,
        pieces: PieceQueue,
        extra: dict[str, Any],
    ) -> None:
        """The reader thread: load if needed, send the request, put pieces, then the end or a
        failure; silent once the stream was aborted."""
        conn: http.client.HTTPConnection | None = None
        try:
            self.load()
            if exchange.aborted:
                return
            body = {**request_body(self._model, messages, options), **extra}
            conn, response = self._open(exchange, "POST", "/chat/completions", body)
            if response.status != 200:
                raise ModelError(self._status_error(response.status, _read_error(response), "chat"))
            kind = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if kind == "application/json":  # a server that ignores "stream": one whole reply
                pieces.put(self._whole_reply(response))
            else:
                for piece in self._events(response, kind or "no content type", exchange):
                    if exchange.aborted:
                        return
                    exchange.produced = True
                    pieces.put(piece)
            pieces.end()
        except _Aborted:
            return
        except ModelError as err:
            if not exchange.aborted:
                pieces.fail(str(err))
        except Exception as err:
            if not exchange.aborted:
                log.info("LLM stream from %s failed: %r", self._shown, err)
                pieces.fail(self._broken_error(err, exchange.produced))
        finally:
            if conn is not None:
                conn.close()

    def _events(
        self, response: http.client.HTTPResponse, kind: str, exchange: _Exchange
    ) -> Iterator[str]:
        """The reply's text pieces from the event stream."""
        lines = iter(lambda: response.readline(MAX_LINE), b"")
        seen = finished = False
        for data in sse_data(lines):
            if data.strip() == "[DONE]":
                return
            try:
                chunk = json.loads(data)
            except ValueError:
                raise ModelError(
                    f"{self.where} sent a malformed reply stream (not JSON: "
                    f"{_one_line(data, 60)!r}); is llm.base_url an OpenAI-compatible API?"
                ) from None
            seen = True
            text, done = chunk_piece(chunk, self.where)
            finished = finished or done
            if text:
                yield text
        if finished:
            return
        if not seen:
            raise ModelError(
                f"{self.where} sent no reply stream ({kind}); is llm.base_url an "
                "OpenAI-compatible API root (usually ending in /v1)?"
            )
        raise ModelError(
            f"{self.where} closed the connection before the reply finished"
            f"{_kept(exchange.produced)}. Check the server."
        )

    def _whole_reply(self, response: http.client.HTTPResponse) -> str:
        try:
            data = json.loads(response.read())
            return str(data["choices"][0]["message"]["content"] or "")
        except (ValueError, KeyError, IndexError, TypeError):
            raise ModelError(f"{self.where} sent a malformed reply (no choices).") from None

    def _broken_error(self, err: BaseException, produced: bool) -> str:
        if isinstance(err, TimeoutError):
            return (
                f"{self.where} sent nothing for {self._timeout:g} s{_kept(produced)}. Check the "
                "server, or raise llm.timeout_s."
            )
        if isinstance(err, UnicodeDecodeError):
            return f"{self.where} sent a malformed reply stream (not UTF-8 text)."
        return (
            f"the connection to {self.where} broke mid-reply ({type(err).__name__})"
            f"{_kept(produced)}. Check the server."
        )


def _kept(produced: bool) -> str:
    return "; what it said so far is kept" if produced else ""


def _read_error(response: http.client.HTTPResponse) -> bytes:
    try:
        return response.read(MAX_ERROR_BODY)
    except (OSError, http.client.HTTPException):
        return b""
