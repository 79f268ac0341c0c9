"""The language-model stage: a Protocol that streams text for a list of chat messages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from assistant.cancel import CancelToken

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    temperature: float = 0.3
    top_k: int = 40
    top_p: float = 0.9
    repetition_penalty: float = 1.1
    max_new_tokens: int = 160

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass(frozen=True)
class GenerationStats:
    """What a backend's last ``stream`` call did (benchmarks and logs read ``last_stats``)."""

    prompt_tokens: int
    reused_tokens: int  # prompt tokens whose KV cache came from the previous turn
    new_tokens: int
    first_token_s: float
    total_s: float


class LanguageModel(Protocol):
    """Streams a reply. Loading is lazy (``load`` or the first ``stream``), and reported."""

    @property
    def name(self) -> str: ...

    @property
    def device(self) -> str: ...

    def load(self) -> None: ...

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Tokens of ``messages`` rendered with the chat template (the prompt budget)."""
        ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        """Yield text pieces; stop within ~100 ms once ``cancel`` is set."""
        ...


@runtime_checkable
class Prefilling(Protocol):
    """A backend that keeps a KV cache and can fill it ahead of the next ``stream`` (ONNX, and
    the child process wrapping it)."""

    def prefill(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> int:
        """Run ``messages`` (no reply prompt) into the kept cache; returns the tokens cached."""
        ...


@dataclass(frozen=True)
class JsonStart:
    """The fixed start of a structured reply (``{"intent": "``), written for the model so that
    it decodes only the rest, which ``grammar`` (GBNF) holds to the schema. A backend that can
    continue a reply (llama.cpp) uses it; the others use the schema. On 2 cores each token the
    model need not decode saves 0.1-0.25 s."""

    prefix: str
    grammar: str
    # continuations not worth finishing: the reply stops as soon as it reads one of these
    # (the caller would throw it away), and comes back unfinished
    give_up: tuple[str, ...] = ()


@runtime_checkable
class StructuredOutput(Protocol):
    """A backend that can hold its output to a JSON schema (llama.cpp's grammar from the
    schema, a model server's ``response_format``): the intent parser's second opinion."""

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        max_new_tokens: int,
        start: JsonStart | None = None,
    ) -> str:
        """The greedy reply to ``messages``, valid JSON of ``schema`` (raises ModelError)."""
        ...
