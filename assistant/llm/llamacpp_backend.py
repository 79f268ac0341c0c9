"""The llama.cpp language-model backend: any GGUF file, run quantised as it is, in-process.

``xllamacpp`` embeds llama.cpp's own C++ server engine: two slots (the conversation, and the
structured intent parse, so neither evicts the other's cache, and a parse can run beside a
reply: the engine batches the two), continuous batching, and its
prompt cache, which keeps the KV cache of the last prompt and reuses
the longest common prefix on the next request, so the next turn only runs its new tokens. The
engine releases the GIL while it computes (a ticking Python thread was never held up more than
~10 ms during a reply), so audio and the GUI bridge keep running.

Text streams through a callback the engine calls for each chunk; returning True from it stops
decoding at the next token, which is how a cancel stops a reply. The engine also listens on
127.0.0.1 on a random port for its HTTP API, guarded by a random key made at each start; this
backend uses that local endpoint only to render the chat template and count tokens
(``/apply-template`` + ``/tokenize``), so counts are the model's own.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.cancel import CancelToken
from assistant.errors import ModelError
from assistant.llm.base import ChatMessage, GenerationOptions, GenerationStats, JsonStart
from assistant.llm.pieces import PieceQueue

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install --no-deps xllamacpp==2026.10.11549"
# prefill and forget only fill the prompt cache: one greedy token is the least a request makes
ONE_GREEDY_TOKEN = GenerationOptions(temperature=0.0, max_new_tokens=1)
# Two slots, each with its own KV cache: the conversation, and the intent parse (its ~600 tokens
# of instructions). On one slot a parse replaced the conversation's cache and the reply read
# the whole conversation again (measured: 4-8 s instead of 1.5 s to its first token).
CHAT_SLOT, PARSE_SLOT = 0, 1
SLOTS = 2
# A run of at least this many tokens that is still in the cache, but further along the prompt
# than before, is moved into place (llama.cpp's KV shift) instead of read again: when the
# context window drops its oldest turns, the rest of the conversation is not re-read (8.5 s on
# 2 cores for ~530 tokens, 1.7 s with it, measured 2026-12-07), nor after a turn whose message
# the model read with a note the stored one lacks.
CACHE_REUSE_TOKENS = 32
# llama.cpp's threads spin between operations (poll 50 by default), taking the cores the voice
# and Whisper need: on 2 cores a Piper sentence beside a reply took 562-830 ms with spinning,
# 454-493 ms without (alone ~330-370 ms), and the reply decoded no slower (three runs each)
POLL = 0


def request_body(
    messages: Sequence[ChatMessage],
    options: GenerationOptions,
    stream: bool = True,
    slot: int = CHAT_SLOT,
) -> dict[str, Any]:
    """An OpenAI-style chat completion request for our sampling options, on one of the
    engine's slots (each keeps its own prompt cache)."""
    body: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "stream": stream,
        "max_tokens": options.max_new_tokens,
        "repeat_penalty": options.repetition_penalty,
        "cache_prompt": True,
        "id_slot": slot,
    }
    if options.greedy:
        body.update(temperature=0.0, top_k=1)
    else:
        body.update(temperature=options.temperature, top_k=options.top_k, top_p=options.top_p)
    return body


def chunk_text(chunk: Any) -> str:
    """The text of one streamed chat chunk ('' for role/finish chunks)."""
    if not isinstance(chunk, dict):
        return ""
    choices = chunk.get("choices") or []
    if not choices:
        return ""
    delta = choices[0].get("delta") or {}
    return str(delta.get("content") or "")


class LlamaCppLanguageModel:
    """A ``LanguageModel`` (and ``Prefilling``) over one GGUF file."""

    def __init__(
        self,
        gguf: Path,
        threads: int = 2,
        context_tokens: int = 4096,
        on_load: Callable[[str, float], None] | None = None,
        name: str | None = None,
        gpu_layers: int = 0,
    ) -> None:
        self._gguf = gguf
        self._threads = threads
        self._n_ctx = context_tokens
        self._on_load = on_load
        self._name = name or gguf.stem
        self._gpu_layers = gpu_layers
        self._server: Any = None
        self._address: tuple[str, int] = ("127.0.0.1", 0)
        self._key = ""
        self._load_lock = threading.Lock()
        # one request at a time per slot: a reply (or a prefill) on the conversation's, a parse
        # on its own; the engine batches the two slots when both run (a parse beside a reply)
        self._busy = threading.Lock()
        self._parsing = threading.Lock()
        self.load_seconds: float | None = None
        self.last_stats: GenerationStats | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def device(self) -> str:
        if self._server is None:
            return "unloaded"
        return "cuda" if self._gpu_layers else "cpu"

    @property
    def threads(self) -> int:
        return self._threads

    def load(self) -> None:
        with self._load_lock:
            if self._server is not None:
                return
            try:
                import xllamacpp as xlc
            except ImportError:
                raise ModelError(f"the llamacpp backend needs xllamacpp: {INSTALL_HINT}") from None
            if not self._gguf.is_file():
                raise ModelError(f"llm.model: {self._gguf} does not exist.")
            started = time.perf_counter()
            params = xlc.CommonParams()
            params.model.path = str(self._gguf)
            params.n_ctx = self._n_ctx * SLOTS  # split between the slots: each gets n_ctx
            params.n_parallel = SLOTS
            params.n_cache_reuse = CACHE_REUSE_TOKENS
            params.n_gpu_layers = self._gpu_layers
            params.cpuparams.n_threads = self._threads
            params.cpuparams_batch.n_threads = self._threads
            params.cpuparams.poll = params.cpuparams_batch.poll = POLL
            params.verbosity = 0  # llama.cpp's own log lines stay off the terminal
            params.offline = True  # never fetch anything from a model hub
            params.hostnames = ["127.0.0.1"]
            params.port = 0
            self._key = secrets.token_urlsafe(24)
            params.api_keys = [self._key]
            try:
                server = xlc.Server(params)
            except Exception as err:  # the engine raises plain exceptions for a bad file
                reason = str(err).split(", please check")[0]
                raise ModelError(
                    f"cannot load the chat model {self._gguf.name} with llama.cpp ({reason}); "
                    "is it a complete GGUF file? Check it with `assistant models verify`."
                ) from None
            address = urllib.parse.urlparse(server.listening_address)
            self._address = (address.hostname or "127.0.0.1", int(address.port or 0))
            self._server = server
            self.load_seconds = time.perf_counter() - started
            log.info("LLM %s (llama.cpp) loaded in %.2f s", self.name, self.load_seconds)
            if self._on_load:
                self._on_load(self.name, self.load_seconds)

    def close(self) -> None:
        """Free the model (the engine stops with its last reference)."""
        with self._load_lock:
            self._server = None

    # --- tokens ---------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A request to the engine's own loopback endpoint (never another host)."""
        host, port = self._address
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            conn.request(
                "POST",
                path,
                json.dumps(body),
                {"Content-Type": "application/json", "Authorization": f"Bearer {self._key}"},
            )
            response = conn.getresponse()
            data = response.read()
        except OSError as err:
            raise ModelError(f"the llama.cpp engine did not answer ({err}).") from None
        finally:
            conn.close()
        if response.status != 200:
            raise ModelError(f"the llama.cpp engine refused {path}: HTTP {response.status}")
        return dict(json.loads(data))

    def render(self, messages: Sequence[ChatMessage]) -> str:
        """``messages`` in the model's chat template, with the start of the reply."""
        self.load()
        chat = [{"role": m.role, "content": m.content} for m in messages]
        return str(self._post("/apply-template", {"messages": chat})["prompt"])

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Two loopback requests (the engine remembers the counts it needs again)."""
        return len(self._post("/tokenize", {"content": self.render(messages)})["tokens"])

    # --- generation -----------------------------------------------------------------------

    def forget(self) -> None:
        """Make the next turn start cold: a one-token request on an unrelated prompt replaces
        the cached prefix."""
        self.load()
        with self._busy:
            self._server.handle_chat_completions(
                request_body([ChatMessage("user", "-")], ONE_GREEDY_TOKEN, stream=False)
            )

    def prefill(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> int:
        """Run ``messages`` into the engine's prompt cache ahead of the next turn (at warm-up,
        or while the user is still speaking); returns the prompt tokens cached, 0 when a turn
        owns the engine."""
        self.load()
        if not self._busy.acquire(blocking=False):
            return 0
        try:
            if cancel is not None and cancel.cancelled:
                return 0
            result = self._server.handle_chat_completions(
                request_body(messages, ONE_GREEDY_TOKEN, stream=False)
            )
            usage = result.get("usage", {}) if isinstance(result, dict) else {}
            return int(usage.get("prompt_tokens", 0))
        finally:
            self._busy.release()

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        max_new_tokens: int,
        start: JsonStart | None = None,
    ) -> str:
        """Greedy, held to ``schema`` by the grammar llama.cpp builds from it; with ``start``,
        the reply begins with its prefix and its grammar holds the rest."""
        self.load()
        options = GenerationOptions(temperature=0.0, max_new_tokens=max_new_tokens)
        if start is not None:
            messages = [*messages, ChatMessage("assistant", start.prefix)]  # continued
        body = request_body(messages, options, False, PARSE_SLOT)
        if start is not None:
            body["grammar"] = start.grammar
            if start.give_up:
                body["stop"] = list(start.give_up)
        else:
            body["json_schema"] = schema
        with self._parsing:
            result = self._server.handle_chat_completions(body)
        if not isinstance(result, dict) or "error" in result or not result.get("choices"):
            error = result.get("error") if isinstance(result, dict) else result
            raise ModelError(f"the structured parse failed: {error}")
        content = str(result["choices"][0]["message"].get("content") or "")
        if start is not None and not content.startswith(start.prefix):
            content = start.prefix + content  # the engine gave only the continuation
        return content

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        self.load()
        token = cancel or CancelToken()
        pieces = PieceQueue()  # put by the engine's callback, drained here
        stop = threading.Event()  # set when the reader goes away or cancels
        timings: dict[str, Any] = {}
        started = time.perf_counter()

        def on_chunk(chunk: Any) -> bool:
            if isinstance(chunk, dict):
                if "timings" in chunk:
                    timings.update(chunk["timings"])
                if "error" in chunk:
                    pieces.fail(str(chunk["error"].get("message", chunk["error"])))
                    return True
            text = chunk_text(chunk)
            if text:
                pieces.put(text)
            return stop.is_set() or token.cancelled

        def run() -> None:
            try:
                with self._busy:
                    result = self._server.handle_chat_completions(
                        request_body(messages, options), on_chunk
                    )
                if isinstance(result, dict) and "error" in result:
                    error = result["error"]
                    pieces.fail(str(error.get("message", error)))
            except Exception as err:
                pieces.fail(f"{type(err).__name__}: {err}")
            finally:
                pieces.end()

        worker = threading.Thread(target=run, name="llamacpp-stream", daemon=True)
        worker.start()
        try:
            yield from pieces.drain(token)
        except ModelError as err:
            raise ModelError(f"generation failed: {err}") from None
        finally:
            stop.set()
            if not token.cancelled:
                worker.join()
            self.last_stats = GenerationStats(
                prompt_tokens=int(timings.get("cache_n", 0)) + int(timings.get("prompt_n", 0)),
                reused_tokens=int(timings.get("cache_n", 0)),
                new_tokens=int(timings.get("predicted_n", pieces.count)),
                first_token_s=pieces.first_piece_s or 0.0,
                total_s=time.perf_counter() - started,
            )
