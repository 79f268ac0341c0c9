"""The foundation with the real default chat model (Qwen2.5-Coder-1.5B under llama.cpp, prepared
by `make`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import config as config_module
from assistant.app import Assistant, build
from assistant.events import Event, ReplyToken

pytestmark = pytest.mark.slow


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Assistant]:
    # Greedy decoding: the same prompt gives the same reply on this CPU.
    monkeypatch.setenv("ASSISTANT_LLM_TEMPERATURE", "0")
    monkeypatch.setenv("ASSISTANT_LLM_MAX_NEW_TOKENS", "40")
    monkeypatch.setenv("ASSISTANT_LLM_THREADS", "2")
    assistant = build(config_module.load())
    yield assistant
    assistant.close()


def test_reply_streams_token_by_token(app: Assistant) -> None:
    tokens: list[str] = []
    app.bus.subscribe(lambda e: tokens.append(e.text) if isinstance(e, ReplyToken) else None)
    result = app.engine.handle("Say hello to me in one short sentence.")
    assert len(tokens) > 3, "the reply arrived in one piece, not streamed"
    assert "".join(tokens).strip() == result.reply and result.reply
    assert result.timings["first_token"] < result.timings["reply"]


def test_a_fact_from_turn_one_is_used_in_turn_three(app: Assistant) -> None:
    app.engine.handle("Hi! My name is Sam.")
    app.engine.handle("Can you recommend a short book?")
    third = app.engine.handle("Please greet me by my name.")
    assert "Sam" in third.reply


def test_cancel_mid_reply_keeps_the_partial_reply(app: Assistant) -> None:
    app.llm.load()
    seen: list[Event] = []
    app.bus.subscribe(seen.append)
    results = []
    worker = threading.Thread(
        target=lambda: results.append(app.engine.handle("Tell me a long story about a dragon."))
    )
    worker.start()
    deadline = time.monotonic() + 120
    while sum(isinstance(e, ReplyToken) for e in seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    cancelled_at = time.perf_counter()
    assert app.engine.cancel("test")
    worker.join(30)
    stop_s = time.perf_counter() - cancelled_at
    result = results[0]
    streamed = "".join(e.text for e in seen if isinstance(e, ReplyToken)).strip()
    assert result.interrupted and result.reply == streamed
    stored = app.store.get_message(result.reply_message_id)
    assert stored is not None and stored.text == streamed and stored.interrupted
    assert stop_s < 0.5, f"generation took {stop_s:.2f} s to stop"


def _ask(text: str, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", text],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout)


def test_conversation_resumes_after_a_restart(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        ASSISTANT_LLM_TEMPERATURE="0",
        ASSISTANT_LLM_MAX_NEW_TOKENS="30",
    )
    first = _ask("Hi! My name is Sam.", env)
    second = _ask("Please greet me by my name.", env)
    assert second["conversation_id"] == first["conversation_id"]
    assert "Sam" in second["reply"]
    shown = subprocess.run(
        [sys.executable, "-m", "assistant", "history", "show", str(first["conversation_id"])],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "Hi! My name is Sam." in shown and second["reply"] in shown
