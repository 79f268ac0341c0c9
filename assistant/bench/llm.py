"""Language-model figures for `assistant bench llm` / `bench all` (the CLI lives elsewhere).

- ``bench_backend(llm)``: load time, resident memory, time to first token on a fixed ~300-token
  chat prompt and on a ~500-token context (cold; on the next turn of that conversation, where
  the ONNX backend reuses the KV cache of the unchanged prefix; and after the context was
  prefilled ahead, as while the user is still speaking), decode tokens/s.
- ``bench_conversation(llm)``: six typed turns through the real engine: TTFT and reused tokens.
- ``bench_side_by_side(model, backends)``: ``bench_backend`` for each of torch, ONNX and llama.cpp
  on the same prompts, each in a child process of its own (so load time and resident memory are
  that backend's alone), in one run; records the decode speeds for ``llm.backend = auto``.
- ``compare_onnx_torch(hf_dir, onnx_dir)``: both runtimes in one process on the same prompt ids:
  decode tokens/s of each, their ratio, and whether the first 64 greedy tokens are identical.

Two shared cores make timings noisy: every result carries the load average measured before it
and a warning when the machine was busy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.cancel import CancelToken
from assistant.llm.base import ChatMessage, GenerationOptions, LanguageModel, Prefilling

SYSTEM = (
    "You are Aria, a friendly, concise voice assistant running entirely offline on the user's "
    "desktop. Answer in one to three short sentences unless asked for more.\n"
    "What you know about the user (use it when relevant):\n- Their name is Sam.\n"
    "- They live in Lyon.\n- They like hiking, jazz and cooking Italian food."
)
# Earlier turns of a fixed conversation; as many as needed are used to reach a context size.
HISTORY: tuple[tuple[str, str], ...] = (
    (
        "Good morning! Can you suggest something to cook tonight? I have tomatoes, basil, garlic, "
        "some pasta and a bit of parmesan.",
        "Good morning, Sam! A simple pasta al pomodoro would be perfect: cook the garlic gently in "
        "olive oil, add chopped tomatoes, simmer for fifteen minutes, then toss with the pasta, "
        "fresh basil and grated parmesan.",
    ),
    (
        "How long should I cook the pasta so it stays al dente, and should I salt the water?",
        "Cook it one or two minutes less than the packet says, usually nine to ten minutes for "
        "spaghetti, and yes, salt the water generously once it boils.",
    ),
    (
        "I am planning a hike this weekend near Lyon. The forecast says it might rain on Saturday "
        "but Sunday looks sunny and mild.",
        "Sunday sounds like the better day. The Monts d'Or are close to Lyon and have "
        "well-marked trails with lovely views over the Saône valley.",
    ),
    (
        "What should I pack for a five hour hike in mild weather?",
        "Take two litres of water, a light lunch and snacks, a rain jacket, a warm layer, "
        "sunscreen, a hat, a charged phone with an offline map and a small first-aid kit.",
    ),
    (
        "Can you recommend some jazz albums for the drive there?",
        "Try Kind of Blue by Miles Davis, Time Out by the Dave Brubeck Quartet and Waltz for "
        "Debby by Bill Evans: relaxed, melodic and perfect for a morning drive.",
    ),
    (
        "My sister's birthday is in May. Any gift ideas for someone who loves gardening?",
        "A good pair of pruning shears, a set of heirloom seeds, a kneeling pad or a beautiful "
        "glazed pot with a herb she does not have yet would all make her happy.",
    ),
    (
        "How do I keep basil alive on a windowsill?",
        "Give it at least six hours of sun, water when the top of the soil feels dry, pinch off "
        "flower buds, and harvest from the top so it grows bushy instead of tall.",
    ),
    (
        "What is a good stretching routine after a long hike?",
        "Stretch your calves, hamstrings, quadriceps and hip flexors for about thirty seconds "
        "each, breathe slowly, and finish with a gentle forward fold for your lower back.",
    ),
)
QUESTION = "Tell me a long story about a lighthouse keeper and a storm at sea."
FOLLOW_UP = "Thanks! And what should I cook after the hike on Sunday evening?"
BUSY_LOAD_PER_CORE = 0.5


def load_average() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def busy_warning(load: float | None = None, cores: int | None = None) -> str | None:
    """A warning when other work competes for the CPU (timings would be too slow)."""
    load = load_average() if load is None else load
    cores = cores or os.cpu_count() or 1
    if load > BUSY_LOAD_PER_CORE * cores:
        return (
            f"the machine is busy (load average {load:.2f} on {cores} cores): "
            "timings are slower than on an idle machine"
        )
    return None


def rss_mib() -> float:
    """Resident memory of this process now, in MiB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return -1.0
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def context_messages(
    target_tokens: int,
    count_tokens: Callable[[Sequence[ChatMessage]], int],
    question: str = QUESTION,
) -> list[ChatMessage]:
    """System prompt, the newest fixed history turns that keep it near ``target_tokens``, and
    ``question``: the same messages on every run and backend."""
    tail = [ChatMessage("user", question)]
    chosen: list[ChatMessage] = []
    for user, reply in reversed(HISTORY):
        turn = [ChatMessage("user", user), ChatMessage("assistant", reply)]
        candidate = [ChatMessage("system", SYSTEM), *turn, *chosen, *tail]
        if chosen and count_tokens(candidate) > target_tokens:
            break
        chosen = turn + chosen
    return [ChatMessage("system", SYSTEM), *chosen, *tail]


def first_token_s(
    llm: LanguageModel, messages: Sequence[ChatMessage], options: GenerationOptions
) -> tuple[float, str]:
    """Seconds to the first text piece, and the whole reply (generated to its end)."""
    started = time.perf_counter()
    first: float | None = None
    pieces = []
    for piece in llm.stream(messages, options, CancelToken()):
        if first is None:
            first = time.perf_counter() - started
        pieces.append(piece)
    if first is None:
        raise RuntimeError("the model produced no text")
    return first, "".join(pieces)


def _forget(llm: LanguageModel) -> None:
    """Make the next turn cold (backends that keep a KV cache between turns have ``forget``)."""
    forget = getattr(llm, "forget", None)
    if callable(forget):
        forget()


def bench_backend(llm: LanguageModel, tokens: int = 64) -> dict[str, Any]:
    """Load time, memory, time to first token (300/500-token prompts, cold and next-turn),
    decode tokens/s, for one backend."""
    load_before = load_average()
    rss_before = rss_mib()
    started = time.perf_counter()
    llm.load()
    load_s = time.perf_counter() - started
    rss_loaded = rss_mib()
    greedy = GenerationOptions(temperature=0.0, repetition_penalty=1.0, max_new_tokens=tokens)
    short = GenerationOptions(temperature=0.0, repetition_penalty=1.0, max_new_tokens=24)

    first_token_s(
        llm, context_messages(120, llm.count_tokens), short
    )  # warm-up (allocators, caches)
    prompt_300 = context_messages(300, llm.count_tokens)
    _forget(llm)
    ttft_300, _ = first_token_s(llm, prompt_300, short)

    context_500 = context_messages(500, llm.count_tokens)
    _forget(llm)
    ttft_500_cold, reply = first_token_s(llm, context_500, short)
    next_turn = [
        *context_500,
        ChatMessage("assistant", reply.strip()),
        ChatMessage("user", FOLLOW_UP),
    ]
    ttft_500_next, _ = first_token_s(llm, next_turn, short)
    ttft_500_prefilled: float | None = None
    if isinstance(
        llm, Prefilling
    ):  # the context run ahead (while the user speaks), then the question
        _forget(llm)
        llm.prefill(context_500[:-1], short)
        ttft_500_prefilled, _ = first_token_s(llm, context_500, short)

    _forget(llm)
    started = time.perf_counter()
    first: float | None = None
    text = ""
    for piece in llm.stream(prompt_300, greedy, CancelToken()):
        if first is None:
            first = time.perf_counter()
        text += piece
    end = time.perf_counter()
    stats = getattr(llm, "last_stats", None)
    generated = (
        stats.new_tokens
        if stats is not None
        else (
            llm.count_tokens([*prompt_300, ChatMessage("assistant", text)])
            - llm.count_tokens(prompt_300)
        )
    )
    decode = (generated - 1) / max(end - (first or end), 1e-9) if generated > 1 else 0.0
    warning = busy_warning(load_before)
    return {
        "backend": type(llm).__name__,
        "model": llm.name,
        "device": llm.device,
        "threads": getattr(llm, "threads", None),
        "load_s": round(load_s, 3),
        "model_rss_mib": round(rss_loaded - rss_before, 1),
        "rss_mib": rss_mib(),
        "prompt_tokens_300": llm.count_tokens(prompt_300),
        "ttft_300_ms": round(ttft_300 * 1000, 1),
        "prompt_tokens_500": llm.count_tokens(context_500),
        "ttft_500_cold_ms": round(ttft_500_cold * 1000, 1),
        "prompt_tokens_500_next_turn": llm.count_tokens(next_turn),
        "ttft_500_next_turn_ms": round(ttft_500_next * 1000, 1),
        "ttft_500_prefilled_ms": (
            round(ttft_500_prefilled * 1000, 1) if ttft_500_prefilled is not None else None
        ),
        "decode_tokens_per_s": round(decode, 1),
        "generated_tokens": generated,
        "load_average_before": load_before,
        "warning": warning,
    }


CONVERSATION = (
    "Hi! I am planning a hike near Lyon on Sunday. Any advice?",
    "What should I pack for five hours of walking?",
    "Can you suggest a jazz album for the drive?",
    "And what could I cook when I get home tired?",
    "How do I keep my basil alive on the windowsill?",
    "Thanks. Any stretching tips after the hike?",
)


def bench_conversation(
    llm: LanguageModel, seconds_between_turns: float = 40.0, max_new_tokens: int = 48
) -> dict[str, Any]:
    """Typed turns through the real engine (its system prompt and context window; the clock
    moves ``seconds_between_turns`` a turn): time to first token and reused prompt tokens of
    each turn. This is where KV reuse across turns shows, or where the prompt breaks it."""
    import tempfile
    from datetime import datetime, timedelta

    from assistant.config import Config
    from assistant.conversation import ConversationEngine
    from assistant.memory.store import MemoryStore

    config = Config()
    config.llm.max_new_tokens = max_new_tokens
    now = [datetime(2026, 11, 23, 15, 29, 30)]

    def clock() -> datetime:
        return now[0]

    load_before = load_average()
    llm.load()
    _forget(llm)
    turns = []
    with tempfile.TemporaryDirectory() as folder:
        store = MemoryStore(Path(folder) / "bench.db")
        try:
            engine = ConversationEngine(store=store, llm=llm, config=config, clock=clock)
            for text in CONVERSATION:
                result = engine.handle(text)
                stats = getattr(llm, "last_stats", None)
                turns.append(
                    {
                        "ttft_ms": result.timings.get("first_token"),
                        "prompt_tokens": stats.prompt_tokens if stats else None,
                        "reused_tokens": stats.reused_tokens if stats else None,
                    }
                )
                now[0] += timedelta(seconds=seconds_between_turns)
        finally:
            store.close()
    later = [t["ttft_ms"] for t in turns[1:] if t["ttft_ms"] is not None]
    return {
        "backend": type(llm).__name__,
        "turns": turns,
        "ttft_later_turns_median_ms": round(sorted(later)[len(later) // 2], 1) if later else None,
        "load_average_before": load_before,
        "warning": busy_warning(load_before),
    }


def compare_onnx_torch(
    hf_dir: Path, onnx_dir: Path, tokens: int = 64, threads: int = 2
) -> dict[str, Any]:
    """Torch and ONNX in one run on the same ~300-token prompt ids: decode tokens/s of each
    (``tokens`` greedy tokens, end of text suppressed), ratio, and greedy identity."""
    from assistant.llm.onnx_backend import encode_chat, load_genai_model
    from assistant.llm.onnx_export import chat_prompt_ids, compare_ids, onnx_greedy, torch_greedy
    from assistant.llm.torch_backend import offline_env

    offline_env()
    import torch
    from transformers import AutoModelForCausalLM

    load_before = load_average()
    onnx_model, tokenizer = load_genai_model(onnx_dir, threads)
    messages = context_messages(300, lambda m: len(encode_chat(tokenizer, m)))
    ids = chat_prompt_ids(hf_dir, tuple(messages))
    torch.set_num_threads(threads)
    torch_model = AutoModelForCausalLM.from_pretrained(
        hf_dir, dtype=torch.float32, local_files_only=True
    ).eval()
    torch_greedy(hf_dir, ids[:32], 4, threads, torch_model)  # warm-up both
    onnx_greedy(onnx_dir, ids[:32], 4, threads, onnx_model)
    torch_run = torch_greedy(hf_dir, ids, tokens, threads, torch_model)
    onnx_run = onnx_greedy(onnx_dir, ids, tokens, threads, onnx_model)
    parity = compare_ids(torch_run.ids, onnx_run.ids, len(ids))
    return {
        "prompt_tokens": len(ids),
        "tokens": tokens,
        "threads": threads,
        "torch_decode_tokens_per_s": round(torch_run.decode_tokens_per_s, 1),
        "onnx_decode_tokens_per_s": round(onnx_run.decode_tokens_per_s, 1),
        "onnx_vs_torch_decode_ratio": round(
            onnx_run.decode_tokens_per_s / max(torch_run.decode_tokens_per_s, 1e-9), 2
        ),
        "torch_first_token_ms": round(torch_run.first_token_s * 1000, 1),
        "onnx_first_token_ms": round(onnx_run.first_token_s * 1000, 1),
        "greedy_tokens_identical": parity.identical,
        "greedy_matching_prefix": parity.matching_prefix,
        "load_average_before": load_before,
        "warning": busy_warning(load_before),
    }


ALL_BACKENDS = ("torch", "onnx", "llamacpp")


def backend_ready(model: str, backend: str) -> str | None:
    """Why ``backend`` cannot run ``model`` here (None when it can)."""
    from assistant.config import Config
    from assistant.errors import AssistantError
    from assistant.llm import factory
    from assistant.model_store import ModelStore

    config = Config()
    config.llm.model = model
    store = ModelStore()
    try:
        if backend == "onnx" and factory.onnx_export_dir(config, store) is None:
            return "no ONNX export of this model (`assistant export-onnx --model M`)"
        if backend == "llamacpp" and factory.gguf_path(config, store) is None:
            return "no GGUF file of this model"
        if backend == "torch":
            factory.resolve_model(config, store)
    except AssistantError as err:
        return str(err)
    return None


def bench_side_by_side(
    model: str,
    backends: Sequence[str] = ALL_BACKENDS,
    tokens: int = 64,
    timeout_s: float = 1800,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``bench_backend`` of ``model`` under each backend, each in its own child process, on the
    same prompts; the decode speeds measured on the CPU are recorded for ``auto``."""
    from assistant.llm.factory import record_speeds
    from assistant.model_store import ModelStore

    results: dict[str, Any] = {}
    for backend in backends:
        why = backend_ready(model, backend)
        if why:
            results[backend] = {"skipped": why}
            continue
        if log:
            log(f"language model: {model} on {backend} …")
        env = dict(
            os.environ,
            ASSISTANT_LLM_MODEL=model,
            ASSISTANT_LLM_BACKEND=backend,
            ASSISTANT_LLM_DEVICE="cpu",
        )
        command = [sys.executable, "-m", "assistant", "bench", "llm", "--one", "--json"]
        done = subprocess.run(
            [*command, "--tokens", str(tokens)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            results[backend] = {"failed": lines[-1] if lines else f"exit {done.returncode}"}
            continue
        results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
    speeds = {
        b: float(r["decode_tokens_per_s"])
        for b, r in results.items()
        if b in ("onnx", "llamacpp") and "decode_tokens_per_s" in r
    }
    if speeds:
        record_speeds(ModelStore(), model, speeds)
    measured = [b for b in results if "decode_tokens_per_s" in results[b]]
    return {
        "model": model,
        "backends": results,
        "fastest_decode": (
            max(measured, key=lambda b: results[b]["decode_tokens_per_s"]) if measured else None
        ),
    }
