"""`assistant bench llm`: load time, time to first token, decode speed on a fixed chat prompt.

Other benchmarks (asr, voice, intents, ocr, all) live beside it and are wired in
assistant/cli/bench.py. Timings are noisy on a shared 2-core machine: each result carries the
load average measured before it ran.
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any

from assistant.cancel import CancelToken
from assistant.llm.base import ChatMessage, GenerationOptions, LanguageModel

# A fixed chat prompt of about 300 tokens (system prompt + three earlier turns + a question).
BENCH_MESSAGES: tuple[ChatMessage, ...] = (
    ChatMessage(
        "system",
        "You are Aria, a friendly, concise voice assistant running entirely "
        "offline on the user's desktop. Answer in one to three short sentences unless "
        "asked for more. The current date and time is Monday 23 November 2026, 15:30. "
        "What you know about the user: their name is Sam; they live in Lyon; they like "
        "hiking, jazz and cooking Italian food; their sister's birthday is May 3rd.",
    ),
    ChatMessage(
        "user",
        "Good morning! Can you suggest something to cook tonight? I have "
        "tomatoes, basil, garlic, some pasta and a bit of parmesan in the fridge.",
    ),
    ChatMessage(
        "assistant",
        "Good morning, Sam! A simple pasta al pomodoro would be perfect: "
        "cook the garlic gently in olive oil, add chopped tomatoes, simmer for fifteen "
        "minutes, then toss with the pasta, fresh basil and grated parmesan.",
    ),
    ChatMessage(
        "user",
        "That sounds great. How long should I cook the pasta so it stays "
        "al dente, and should I salt the water?",
    ),
    ChatMessage(
        "assistant",
        "Cook it for about one or two minutes less than the packet says, "
        "usually nine to ten minutes for spaghetti, and yes, salt the water generously "
        "once it boils.",
    ),
    ChatMessage(
        "user",
        "Thanks. I am also planning a hike this weekend near Lyon. The forecast "
        "says it might rain on Saturday but Sunday looks sunny and mild.",
    ),
    ChatMessage(
        "assistant",
        "Sunday sounds like the better day. The Monts d'Or are close to "
        "Lyon and have well-marked trails with lovely views over the Saône valley.",
    ),
    ChatMessage(
        "user",
        "What should I pack for a five hour hike in mild weather? Please give "
        "me a short list of the most important things.",
    ),
)


def load_average() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def measure_llm(
    llm: LanguageModel,
    messages: tuple[ChatMessage, ...] = BENCH_MESSAGES,
    max_new_tokens: int = 64,
    runs: int = 2,
) -> dict[str, Any]:
    """Load time, then ``runs`` greedy generations: first-token time and decode tokens/s."""
    load_before = load_average()
    started = time.perf_counter()
    llm.load()
    load_s = time.perf_counter() - started
    prompt_tokens = llm.count_tokens(messages)
    options = GenerationOptions(
        temperature=0.0, repetition_penalty=1.0, max_new_tokens=max_new_tokens
    )
    ttfts, rates, pieces_total = [], [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        first = None
        text = ""
        for piece in llm.stream(messages, options, CancelToken()):
            if first is None:
                first = time.perf_counter()
            text += piece
        end = time.perf_counter()
        assert first is not None, "the model produced nothing"
        generated = max(
            llm.count_tokens((*messages, ChatMessage("assistant", text))) - prompt_tokens, 1
        )
        ttfts.append(first - t0)
        rates.append((generated - 1) / max(end - first, 1e-6))
        pieces_total += generated
    return {
        "backend": type(llm).__name__,
        "model": llm.name,
        "device": llm.device,
        "load_s": round(load_s, 3),
        "prompt_tokens": prompt_tokens,
        "ttft_ms": round(min(ttfts) * 1000, 1),
        "decode_tokens_per_s": round(max(rates), 1),
        "generated_tokens": pieces_total // runs,
        "runs": runs,
        "rss_mib": rss_mib(),
        "load_average_before": load_before,
    }
