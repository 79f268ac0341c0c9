"""The ONNX backend on the real export: streaming, sampling options, KV reuse, cancellation."""

from __future__ import annotations

import itertools
import statistics
import threading
import time

import pytest

from assistant.cancel import CancelToken
from assistant.errors import ModelError
from assistant.llm.base import ChatMessage, GenerationOptions
from assistant.llm.onnx_backend import OnnxLanguageModel

pytestmark = pytest.mark.slow

SYSTEM = ChatMessage("system", "You are Aria, a friendly and concise voice assistant.")
STORY = [SYSTEM, ChatMessage("user", "Tell me a long story about a dragon who learns to bake.")]
GREEDY = GenerationOptions(temperature=0.0, repetition_penalty=1.0, max_new_tokens=16)


def reply(lm: OnnxLanguageModel, messages: list[ChatMessage], options: GenerationOptions) -> str:
    return "".join(lm.stream(messages, options))


def test_streams_text_pieces_and_counts_tokens_with_the_template(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    pieces = list(onnx_lm.stream(STORY, GREEDY))
    assert len(pieces) > 3 and all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces).strip()
    stats = onnx_lm.last_stats
    assert stats.prompt_tokens == onnx_lm.count_tokens(STORY) == len(onnx_lm.encode(STORY))
    assert stats.new_tokens == 16 and stats.first_token_s > 0
    assert onnx_lm.device == "cpu" and onnx_lm.threads == 2


def test_max_new_tokens_is_respected(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    pieces = list(onnx_lm.stream(STORY, GenerationOptions(temperature=0.0, max_new_tokens=5)))
    assert onnx_lm.last_stats.new_tokens == 5 and 1 <= len(pieces) <= 5


def test_greedy_is_deterministic(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    onnx_lm.forget()
    first = reply(onnx_lm, STORY, GREEDY)
    onnx_lm.forget()
    assert reply(onnx_lm, STORY, GREEDY) == first


def test_temperature_varies_the_reply_and_top_k_1_is_greedy(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    hot = GenerationOptions(
        temperature=1.2, top_k=0, top_p=1.0, repetition_penalty=1.0, max_new_tokens=12
    )
    replies = {reply(onnx_lm, STORY, hot) for _ in range(5)}
    assert len(replies) >= 3
    top1 = GenerationOptions(
        temperature=1.2, top_k=1, top_p=1.0, repetition_penalty=1.0, max_new_tokens=16
    )
    onnx_lm.forget()
    greedy = reply(onnx_lm, STORY, GREEDY)
    assert reply(onnx_lm, STORY, top1) == greedy


def test_repetition_penalty_changes_greedy_output(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    echo = [SYSTEM, ChatMessage("user", "Repeat after me ten times: the cat, the cat, the cat.")]
    plain = reply(
        onnx_lm, echo, GenerationOptions(temperature=0.0, repetition_penalty=1.0, max_new_tokens=24)
    )
    penalised = reply(
        onnx_lm, echo, GenerationOptions(temperature=0.0, repetition_penalty=1.8, max_new_tokens=24)
    )
    assert plain != penalised


def test_next_turn_reuses_the_kv_cache_of_the_unchanged_prefix(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    onnx_lm.forget()
    options = GenerationOptions(temperature=0.0, max_new_tokens=24)
    first = reply(onnx_lm, STORY, options)
    cold = onnx_lm.last_stats
    assert cold.reused_tokens == 0
    turn2 = [
        *STORY,
        ChatMessage("assistant", first.strip()),
        ChatMessage("user", "Give the dragon a name."),
    ]
    reply(onnx_lm, turn2, options)
    warm = onnx_lm.last_stats
    assert warm.reused_tokens >= cold.prompt_tokens
    assert warm.prompt_tokens - warm.reused_tokens < 40
    # a different system prompt shares only the first few tokens of the template
    other = [ChatMessage("system", "Speak like a pirate."), *turn2[1:]]
    reply(onnx_lm, other, options)
    assert onnx_lm.last_stats.reused_tokens < 5


def test_prefill_warms_the_cache_for_the_next_turn(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    onnx_lm.forget()
    cached = onnx_lm.prefill(STORY[:1], GREEDY)
    assert 10 < cached < len(onnx_lm.encode(STORY[:1]))  # without the reply prompt
    list(onnx_lm.stream(STORY, GREEDY))
    assert onnx_lm.last_stats.reused_tokens == cached
    cancelled = CancelToken()
    cancelled.cancel()
    onnx_lm.forget()
    assert onnx_lm.prefill(STORY, GREEDY, cancelled) == 0


def test_cancel_stops_within_one_token_step(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    """Cancelled from another thread, as barge-in does: measured from the moment the cancel is
    due (the other thread may itself wait for the GIL while a model call runs)."""
    token = CancelToken()
    stamps: list[float] = []
    finished: list[float] = []

    def consume() -> None:
        options = GenerationOptions(temperature=0.0, max_new_tokens=400)
        for _ in onnx_lm.stream(STORY, options, token):
            stamps.append(time.perf_counter())
        finished.append(time.perf_counter())

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    deadline = time.monotonic() + 120
    while len(stamps) < 10 and time.monotonic() < deadline and worker.is_alive():
        time.sleep(0.005)
    assert len(stamps) >= 10
    due = time.perf_counter() + 0.05  # lands somewhere inside a token step
    canceller = threading.Timer(0.05, token.cancel)
    canceller.start()
    worker.join(timeout=10)
    canceller.join()
    assert not worker.is_alive() and finished
    latency = finished[0] - due
    step = statistics.median(b - a for a, b in itertools.pairwise(stamps))
    print(f"cancel latency {latency * 1000:.1f} ms, token step {step * 1000:.1f} ms")
    assert latency < max(0.1, 2 * step)
    assert onnx_lm.last_stats.new_tokens < 400


def test_a_second_concurrent_stream_gets_its_own_generator(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    onnx_lm.forget()
    held = onnx_lm.stream(STORY, GREEDY)
    first_piece = next(held)  # holds the kept cache
    other = reply(onnx_lm, STORY, GREEDY)
    assert onnx_lm.last_stats.reused_tokens == 0
    assert first_piece + "".join(held) == other


def test_a_prompt_longer_than_the_limit_is_a_clear_error(onnx_lm) -> None:  # type: ignore[no-untyped-def]
    long = [SYSTEM, ChatMessage("user", "word " * 1100)]
    with pytest.raises(ModelError, match=r"lower llm\.context_tokens"):
        list(onnx_lm.stream(long, GREEDY))
