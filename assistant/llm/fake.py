"""A scripted language model for fast tests and for running without the real weights."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from assistant.cancel import CancelToken
from assistant.llm.base import ChatMessage, GenerationOptions


class FakeLanguageModel:
    """Streams a reply word by word; ``reply`` may be a function of the messages."""

    def __init__(
        self,
        reply: str | Callable[[Sequence[ChatMessage]], str] = "This is a fake reply.",
        delay_s: float = 0.0,
    ) -> None:
        self._reply = reply
        self._delay_s = delay_s
        self.calls: list[list[ChatMessage]] = []

    @property
    def name(self) -> str:
        return "fake"

    @property
    def device(self) -> str:
        return "cpu"

    def load(self) -> None:
        return None

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(len(m.content.split()) + 4 for m in messages)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        self.calls.append(list(messages))
        text = self._reply(messages) if callable(self._reply) else self._reply
        words = text.split(" ")
        for i, word in enumerate(words[: options.max_new_tokens]):
            if cancel is not None and cancel.cancelled:
                return
            if self._delay_s:
                time.sleep(self._delay_s)
            yield word if i == 0 else " " + word
