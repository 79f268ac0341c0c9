"""The ONNX language-model backend: an onnxruntime-genai export of the chat model, on the CPU.

onnxruntime-genai keeps the GIL during each model call, so prefill runs in small chunks (see
PREFILL_CHUNK) and decoding one token per call; other Python threads run between calls.

The KV cache outlives a turn: the token ids of the previous prompt and reply stay in the
generator, and the next turn only runs the tokens after the longest common prefix (the system
prompt and the unchanged history), so time to first token depends on the new message, not on the
whole context. Prefill runs in chunks and decoding token by token, checking the turn's cancel token
between them, so a cancel stops it within one chunk or one token.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.cancel import CancelToken
from assistant.errors import ModelError
from assistant.llm.base import ChatMessage, GenerationOptions, GenerationStats

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install onnxruntime-genai==0.18.0"
# Tokens run per prefill call. onnxruntime-genai holds the GIL inside each call (measured: a
# ticking Python thread stalls for the whole call), so every other Python thread (audio, GUI
# bridge) waits for one chunk at most, and the cancel token is checked between chunks. 32 tokens
# is ~50 ms on an idle 2-core machine; one call for a whole 300-token prompt was ~30 % faster
# but blocks every thread for all of it. A turn that reuses the KV cache needs one chunk or two.
PREFILL_CHUNK = 32


def load_genai_model(model_dir: Path, threads: int) -> tuple[Any, Any]:
    """(og.Model, og.Tokenizer) on the CPU with ``threads`` intra-op threads."""
    try:
        import onnxruntime_genai as og
    except ImportError:
        raise ModelError(f"the onnx backend needs onnxruntime-genai: {INSTALL_HINT}") from None
    if not (model_dir / "genai_config.json").is_file():
        raise ModelError(
            f"{model_dir} is not an ONNX export (no genai_config.json); run "
            "`assistant export-onnx`."
        )
    try:
        config = og.Config(str(model_dir))
        config.clear_providers()  # the CPU
        config.overlay(
            json.dumps(
                {
                    "model": {
                        "decoder": {
                            "session_options": {
                                "intra_op_num_threads": threads,
                                "inter_op_num_threads": 1,
                            }
                        }
                    }
                }
            )
        )
        model = og.Model(config)
        return model, og.Tokenizer(model)
    except RuntimeError as err:
        lines = str(err).strip().splitlines() or [type(err).__name__]
        reason = lines[0].rsplit(" : ", 1)[-1]  # ONNX Runtime's cause, without its C++ frames
        raise ModelError(
            f"cannot load the ONNX model from {model_dir}: {reason}; run "
            "`assistant export-onnx` again."
        ) from None


def encode_chat(tokenizer: Any, messages: Sequence[ChatMessage], reply: bool = True) -> list[int]:
    """Token ids of ``messages`` rendered with the model's chat template (and the start of the
    assistant's reply when ``reply``)."""
    chat = json.dumps([{"role": m.role, "content": m.content} for m in messages])
    text = tokenizer.apply_chat_template(chat, add_generation_prompt=reply)
    return [int(i) for i in tokenizer.encode(text)]


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def search_options(options: GenerationOptions, max_length: int, vocab: int) -> dict[str, Any]:
    """onnxruntime-genai search options for our sampling options (top_k 0 = the whole vocab)."""
    found: dict[str, Any] = {
        "max_length": max_length,
        "repetition_penalty": options.repetition_penalty,
    }
    if options.greedy:
        found["do_sample"] = False
    else:
        found.update(
            do_sample=True,
            temperature=options.temperature,
            top_k=options.top_k or vocab,
            top_p=options.top_p,
        )
    return found


class OnnxLanguageModel:
    def __init__(
        self,
        model_dir: Path,
        threads: int = 2,
        max_length: int = 2048,
        on_load: Callable[[str, float], None] | None = None,
        name: str | None = None,
    ) -> None:
        self._dir = model_dir
        self._threads = threads
        self._max_length = max_length
        self._on_load = on_load
        self._name = name or model_dir.name
        self._model: Any = None
        self._tokenizer: Any = None
        self._eos: frozenset[int] = frozenset()
        self._vocab = 0
        self._load_lock = threading.Lock()
        # the generator kept between turns, its options and the ids in its KV cache
        self._cache_lock = threading.Lock()
        self._generator: Any = None
        self._generator_key: tuple[Any, ...] | None = None
        self._cached_ids: list[int] = []
        self.load_seconds: float | None = None
        self.last_stats: GenerationStats | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def device(self) -> str:
        return "cpu" if self._model is not None else "unloaded"

    @property
    def threads(self) -> int:
        return self._threads

    def load(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            started = time.perf_counter()
            model, tokenizer = load_genai_model(self._dir, self._threads)
            config = json.loads((self._dir / "genai_config.json").read_text())["model"]
            eos = config.get("eos_token_id", [])
            self._eos = frozenset(eos if isinstance(eos, list) else [eos])
            self._vocab = int(config.get("vocab_size", 0))
            self._max_length = min(
                self._max_length, int(config.get("context_length", self._max_length))
            )
            self._model, self._tokenizer = model, tokenizer
            self.load_seconds = time.perf_counter() - started
            log.info("LLM %s (onnx) loaded in %.2f s", self.name, self.load_seconds)
            if self._on_load:
                self._on_load(self.name, self.load_seconds)

    def encode(self, messages: Sequence[ChatMessage]) -> list[int]:
        self.load()
        return encode_chat(self._tokenizer, messages)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self.encode(messages))

    def forget(self) -> None:
        """Drop the KV cache kept between turns (the next turn starts cold)."""
        with self._cache_lock:
            self._generator, self._generator_key, self._cached_ids = None, None, []

    def prefill(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> int:
        """Run ``messages`` (no reply prompt) into the kept KV cache before the next turn needs
        them: warm-up at start with the conversation so far, or while the user is still
        speaking. The next ``stream`` with the same options then only runs the new message.
        Returns the tokens cached (0 when a turn is streaming: it owns the cache)."""
        self.load()
        ids = encode_chat(self._tokenizer, messages, reply=False)
        if len(ids) >= self._max_length or not self._cache_lock.acquire(blocking=False):
            return 0
        try:
            generator, reused = self._generator_for(ids, options, keep=True, need_logits=False)
            self._cached_ids = ids[:reused]
            self._append(generator, ids, self._cached_ids, cancel or CancelToken())
            return len(self._cached_ids)
        except RuntimeError as err:
            self._generator, self._cached_ids = None, []
            raise ModelError(f"prefill failed: {err}") from None
        finally:
            self._cache_lock.release()

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        ids = self.encode(messages)
        if len(ids) >= self._max_length:
            raise ModelError(
                f"the prompt has {len(ids)} tokens, more than the model's limit "
                f"of {self._max_length}; lower llm.context_tokens."
            )
        token = cancel or CancelToken()
        # One turn at a time owns the kept cache; a concurrent caller gets a fresh generator.
        owner = self._cache_lock.acquire(blocking=False)
        try:
            yield from self._generate(ids, options, token, keep=owner)
        finally:
            if owner:
                self._cache_lock.release()

    def _generator_for(
        self, ids: list[int], options: GenerationOptions, keep: bool, need_logits: bool = True
    ) -> tuple[Any, int]:
        """A generator whose KV cache holds a prefix of ``ids``, and that prefix's length."""
        import onnxruntime_genai as og

        key = (
            options.greedy,
            options.temperature,
            options.top_k,
            options.top_p,
            options.repetition_penalty,
        )
        if keep and self._generator is not None and self._generator_key == key:
            reuse = common_prefix(self._cached_ids, ids)
            if need_logits:  # at least one token must run to get the next token's logits
                reuse = min(reuse, len(ids) - 1)
            if reuse > 0:
                if reuse < len(self._cached_ids):
                    self._generator.rewind_to(reuse)
                return self._generator, reuse
        if keep:
            self._generator = None  # frees its KV buffer before the next one is allocated
        params = og.GeneratorParams(self._model)
        params.set_search_options(**search_options(options, self._max_length, self._vocab))
        generator = og.Generator(self._model, params)
        if keep:
            self._generator, self._generator_key = generator, key
        return generator, 0

    def _generate(
        self, ids: list[int], options: GenerationOptions, cancel: CancelToken, keep: bool
    ) -> Iterator[str]:
        started = time.perf_counter()
        generator, reused = self._generator_for(ids, options, keep)
        cached = ids[:reused]
        if keep:
            self._cached_ids = cached  # what the KV cache holds, kept true as tokens are added
        limit = min(options.max_new_tokens, self._max_length - len(ids))
        produced = 0
        first_token_s = 0.0
        try:
            if not self._append(generator, ids, cached, cancel):
                return
            decoder = self._tokenizer.create_stream()
            while produced < limit and not cancel.cancelled:
                generator.generate_next_token()
                next_id = int(generator.get_next_tokens()[0])
                cached.append(next_id)
                produced += 1
                if produced == 1:
                    first_token_s = time.perf_counter() - started
                if next_id in self._eos:
                    break
                piece = decoder.decode(next_id)
                if piece:
                    yield piece
                if generator.is_done():
                    break
        except RuntimeError as err:
            if keep:
                self._generator, self._cached_ids = None, []
            raise ModelError(f"generation failed: {err}") from None
        finally:
            self.last_stats = GenerationStats(
                len(ids), reused, produced, first_token_s, time.perf_counter() - started
            )

    @staticmethod
    def _append(generator: Any, ids: list[int], cached: list[int], cancel: CancelToken) -> bool:
        """Run ``ids`` after the ``cached`` prefix in chunks; False if cancelled on the way.
        ``cached`` grows with every chunk, so it always says what the KV cache holds."""
        for start in range(len(cached), len(ids), PREFILL_CHUNK):
            if cancel.cancelled:
                return False
            chunk = ids[start : start + PREFILL_CHUNK]
            generator.append_tokens(chunk)
            cached.extend(chunk)
        return True
