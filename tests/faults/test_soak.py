"""Fault matrix, soak: 1 000 turns with fakes and 50 with the real models. Memory stays bounded
(RSS growth), every prompt fits the context budget, and no file handle leaks (/proc/self/fd)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from assistant.cancel import CancelToken
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.events import EventBus
from assistant.llm.base import ChatMessage, GenerationOptions, LanguageModel
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore

TOPICS = [
    "the weather in spring",
    "a recipe for soup",
    "why the sky is blue",
    "how to learn the piano",
    "a short story about a fox",
]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class BudgetCheck:
    """Wraps a model: records the largest prompt it was given (in its own tokens)."""

    def __init__(self, inner: LanguageModel) -> None:
        self.inner = inner
        self.largest = 0
        self.turns = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        self.largest = max(self.largest, self.inner.count_tokens(messages))
        self.turns += 1
        return self.inner.stream(messages, options, cancel)


def _soak(engine: ConversationEngine, turns: int, warm: int, longest: int = 7) -> tuple[float, int]:
    """Run ``turns`` turns; (RSS growth in MB, fd growth) measured after ``warm`` turns."""
    base_rss = base_fds = 0.0
    for i in range(turns):
        if i == warm:
            gc.collect()
            base_rss, base_fds = rss_mb(), open_fds()
        if i and i % 250 == 0:
            engine.new_conversation()
        engine.handle(
            f"Tell me about {TOPICS[i % len(TOPICS)]}, please ({i}). " * (1 + i % longest)
        )
    gc.collect()
    return rss_mb() - base_rss, int(open_fds() - base_fds)


@pytest.mark.timeout(600)
def test_a_thousand_turns_with_fakes(tmp_path: Path) -> None:
    config = Config()
    config.llm.context_tokens = 512  # small, so that the budget is exercised
    long_reply = "This is a long and detailed answer that goes on. " * 30
    llm = BudgetCheck(FakeLanguageModel(long_reply))
    store = MemoryStore(tmp_path / "assistant.db")
    engine = ConversationEngine(store=store, llm=llm, config=config, bus=EventBus())
    llm.inner.calls = _Forgetful()  # the fake's call log would itself grow
    growth_mb, fd_growth = _soak(engine, 1000, warm=100)
    assert llm.turns == 1000
    assert llm.largest + config.llm.max_new_tokens <= config.llm.context_tokens
    assert growth_mb < 25, f"RSS grew {growth_mb:.1f} MB over 900 turns"
    assert fd_growth <= 0, f"{fd_growth} file handles leaked"
    assert store.integrity_ok()
    assert sum(c.message_count for c in store.list_conversations()) == 2000


class _Forgetful(list):  # type: ignore[type-arg]
    def append(self, item: object) -> None:
        return None


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_fifty_turns_with_the_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import app as app_module

    monkeypatch.setenv("ASSISTANT_LLM_MAX_NEW_TOKENS", "8")  # cheap: the prompt is what grows
    monkeypatch.setenv("ASSISTANT_LLM_CONTEXT_TOKENS", "512")
    assistant = app_module.build()
    try:
        assistant.warm_up()
        llm = BudgetCheck(assistant.engine.llm)
        assistant.engine.llm = llm  # type: ignore[assignment]
        growth_mb, fd_growth = _soak(assistant.engine, 50, warm=10, longest=2)
        config = assistant.config.llm
        assert llm.turns >= 40  # the chat turns (commands go to skills)
        assert llm.largest + config.max_new_tokens <= config.context_tokens
        assert growth_mb < 60, f"RSS grew {growth_mb:.1f} MB over 40 turns"
        assert fd_growth <= 0, f"{fd_growth} file handles leaked"
        assert assistant.store.integrity_ok()
    finally:
        assistant.close()
