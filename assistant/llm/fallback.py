"""``llm.fallback``: the local model answers when the model server fails before its reply.

``FallbackLanguageModel`` wraps the server backend. When the server fails before the first piece
of a reply (down, refused, bad key, unknown model, timeout, HTTP 5xx …), the local model, built on
first need by ``make_local``, answers that turn instead, and ``on_notice`` gets one line saying why
(the app emits it as a ``Notice``). A failure after pieces were streamed is not hidden: the error
stands and what was produced is kept (the conversation engine stores it). After a failure the
server is left alone for ``retry_after_s`` (turns go straight to the local model, each with the
notice), so a server that times out does not cost every turn ``llm.timeout_s``.

``build_openai_llm`` makes the backend from the config (the factory's ``openai`` branch).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from assistant.cancel import CancelToken
from assistant.config import Config
from assistant.errors import AssistantError, ConfigError, ModelError
from assistant.llm.base import (
    ChatMessage,
    GenerationOptions,
    JsonStart,
    LanguageModel,
    StructuredOutput,
)
from assistant.llm.openai_backend import OpenAICompatibleModel

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30.0  # after a server failure, turns go to the local model this long
LOCAL_BACKEND = "auto"  # the local model: what `auto` picks on this machine


class FallbackLanguageModel:
    """``primary`` (a server), with ``make_local()`` answering when it fails before replying."""

    def __init__(
        self,
        primary: LanguageModel,
        make_local: Callable[[], LanguageModel],
        on_notice: Callable[[str], None] | None = None,
        retry_after_s: float = RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self._on_notice = on_notice
        self._make_local = make_local
        self._local: LanguageModel | None = None
        self._local_lock = threading.Lock()
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._resting_until = 0.0  # the server is not asked again before this time
        self._reason = ""  # the server's last failure, for the notice
        self._failed = False  # the last turn (or load) fell back

    @property
    def name(self) -> str:
        return self.primary.name

    @property
    def device(self) -> str:
        return self.primary.device

    @property
    def local(self) -> LanguageModel:
        """The local model, built on first use."""
        with self._local_lock:
            if self._local is None:
                self._local = self._make_local()
            return self._local

    def load(self) -> None:
        """Check the server; when it fails, say so and load the local model instead."""
        try:
            self.primary.load()
        except AssistantError as err:
            self._server_failed(err)
            self._notice()
            self._load_local()

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return self.primary.count_tokens(messages)

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        max_new_tokens: int,
        start: JsonStart | None = None,
    ) -> str:
        """The server's parse; while it is down, the local model's (if it can)."""
        if self._clock() >= self._resting_until and isinstance(self.primary, StructuredOutput):
            try:
                return self.primary.complete_json(messages, schema, max_new_tokens, start)
            except AssistantError as err:
                self._server_failed(err)
        local = self.local
        if not isinstance(local, StructuredOutput):
            raise ModelError("the local language model cannot give structured output.")
        return local.complete_json(messages, schema, max_new_tokens, start)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        if self._clock() >= self._resting_until:
            pieces = self.primary.stream(messages, options, cancel)
            produced = False
            try:
                for piece in pieces:
                    if not produced and self._failed:
                        self._failed = False
                        self._say(f"the model server answers again ({self.primary.device}).")
                    produced = True
                    yield piece
                return
            except AssistantError as err:
                if produced or (cancel is not None and cancel.cancelled):
                    raise  # mid-reply: the error stands, what was produced is kept
                self._server_failed(err)
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()
        self._notice()
        self._load_local()
        yield from self.local.stream(messages, options, cancel)

    def close(self) -> None:
        for model in (self.primary, self._local):
            close = getattr(model, "close", None)
            if close is not None:
                close()

    # --- helpers --------------------------------------------------------------------------

    def _server_failed(self, err: AssistantError) -> None:
        self._failed = True
        self._reason = str(err).rstrip(".")
        self._resting_until = self._clock() + self._retry_after_s
        log.warning("model server failed, the local model answers: %s", self._reason)

    def _notice(self) -> None:
        self._say(f"{self._reason} — the local model answers instead (llm.fallback).")

    def _say(self, text: str) -> None:
        if self._on_notice is not None:
            self._on_notice(text)

    def _load_local(self) -> None:
        try:
            self.local.load()
        except AssistantError as err:
            raise ModelError(
                f"{self._reason}; and the local model failed too: {str(err).rstrip('.')}."
            ) from None


def local_config(config: Config) -> Config:
    """``config`` with the local backend the fallback uses."""
    return dataclasses.replace(config, llm=dataclasses.replace(config.llm, backend=LOCAL_BACKEND))


def openai_model(config: Config) -> OpenAICompatibleModel:
    """The server backend of ``llm.backend = "openai"`` (ConfigError without ``llm.base_url``)."""
    c = config.llm
    if not c.base_url.strip():
        raise ConfigError(
            "llm.backend = 'openai' needs llm.base_url, the server's API root, e.g. "
            "http://localhost:11434/v1 (Ollama) or http://localhost:8080/v1 (llama.cpp "
            "server); set it in the config or in ASSISTANT_LLM_BASE_URL."
        )
    return OpenAICompatibleModel(c.base_url, c.server_model, c.api_key_env, c.timeout_s)


def build_openai_llm(
    config: Config,
    build_local: Callable[[Config], LanguageModel],
    on_notice: Callable[[str], None] | None = None,
) -> LanguageModel:
    """The server backend, wrapped with the local fallback when ``llm.fallback`` is on;
    ``build_local(config)`` builds the local model (``build_llm``, or the GUI's
    ``IsolatedLanguageModel``) the first time it is needed."""
    primary = openai_model(config)
    if not config.llm.fallback:
        return primary
    local = local_config(config)
    return FallbackLanguageModel(primary, lambda: build_local(local), on_notice=on_notice)
