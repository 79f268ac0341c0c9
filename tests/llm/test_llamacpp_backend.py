"""The llama.cpp backend with real GGUF files: SmolLM2 (98 MB, fast) for the mechanics, the
default Qwen2.5-Coder-1.5B for what a user hears."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cancel import CancelToken
from assistant.config import Config
from assistant.errors import ModelError
from assistant.llm.base import ChatMessage, GenerationOptions, Prefilling
from assistant.llm.factory import registry_gguf
from assistant.llm.llamacpp_backend import LlamaCppLanguageModel, request_body
from assistant.model_store import ModelStore
from tests.llm.conftest import MODEL, REAL_MODELS

pytestmark = pytest.mark.slow

GREEDY = GenerationOptions(temperature=0.0, max_new_tokens=24)
SYSTEM = ChatMessage("system", "You are a concise assistant. Answer in one short sentence.")


def _gguf(name: str) -> Path:
    found = registry_gguf(ModelStore(cache=REAL_MODELS), name)
    if found is None:
        pytest.skip(f"{name} is not prepared (make run prepares it)")
    return found


@pytest.fixture(scope="module")
def small() -> Iterator[LlamaCppLanguageModel]:
    llm = LlamaCppLanguageModel(_gguf(MODEL), threads=2, context_tokens=2048)
    llm.load()
    yield llm
    llm.close()


def test_sampling_options_become_the_request() -> None:
    body = request_body([SYSTEM], GenerationOptions(temperature=0.0, max_new_tokens=7))
    assert body["temperature"] == 0.0 and body["top_k"] == 1 and body["max_tokens"] == 7
    assert body["stream"] and body["cache_prompt"]
    sampled = request_body([SYSTEM], GenerationOptions(temperature=0.7, top_k=20, top_p=0.8))
    assert (sampled["temperature"], sampled["top_k"], sampled["top_p"]) == (0.7, 20, 0.8)


def test_streams_pieces_and_counts_tokens(small: LlamaCppLanguageModel) -> None:
    assert isinstance(small, Prefilling) and small.device == "cpu" and small.threads == 2
    messages = [SYSTEM, ChatMessage("user", "Say hello in a few words.")]
    pieces = list(small.stream(messages, GREEDY))
    assert len(pieces) > 2 and "".join(pieces).strip()
    count = small.count_tokens(messages)
    stats = small.last_stats
    assert stats is not None and stats.prompt_tokens == count  # the model's own tokenizer
    assert small.count_tokens(messages) == count  # cached, same answer


def test_the_next_turn_reuses_the_unchanged_prefix(small: LlamaCppLanguageModel) -> None:
    whole = GenerationOptions(temperature=0.0, max_new_tokens=200)  # ends by itself
    first = [SYSTEM, ChatMessage("user", "Name a colour.")]
    reply = "".join(small.stream(first, whole)).strip()  # stored stripped, as the engine does
    second = [*first, ChatMessage("assistant", reply), ChatMessage("user", "Name another one.")]
    "".join(small.stream(second, GREEDY))
    stats = small.last_stats
    assert stats is not None
    # the whole previous prompt came from the cache (and the reply, as far as its text
    # tokenizes back to the tokens generated: small models sometimes generate other splits)
    assert stats.reused_tokens >= small.count_tokens(first), stats


def test_a_window_that_drops_its_oldest_turns_reuses_the_rest(
    small: LlamaCppLanguageModel,
) -> None:
    """The context window moved: the turns still in it are shifted into place in the cache,
    not read again (the conversation no longer starts where the cache does)."""
    small.forget()
    turns = []
    for i in range(6):
        turns += [
            ChatMessage("user", f"Tell me a fact about the number {i * 7}, please."),
            ChatMessage("assistant", f"{i * 7} is a number " + "that shows up in sums. " * 6),
        ]
    "".join(small.stream([SYSTEM, *turns, ChatMessage("user", "And?")], GREEDY))
    moved = [SYSTEM, *turns[4:], ChatMessage("user", "What next?")]
    "".join(small.stream(moved, GREEDY))
    stats = small.last_stats
    assert stats is not None
    assert stats.reused_tokens >= small.count_tokens(moved[:-1]) - 16, stats


def test_prefill_puts_the_conversation_in_the_cache_ahead(small: LlamaCppLanguageModel) -> None:
    small.forget()
    history = [SYSTEM, ChatMessage("user", "Hi!"), ChatMessage("assistant", "Hello!")]
    assert small.prefill(history, GREEDY) >= small.count_tokens(history[:2])
    "".join(small.stream([*history, ChatMessage("user", "How are you?")], GREEDY))
    stats = small.last_stats
    assert stats is not None and stats.reused_tokens >= small.count_tokens(history[:2]) - 4


def test_cancel_stops_decoding_within_100_ms(small: LlamaCppLanguageModel) -> None:
    token = CancelToken()
    long = GenerationOptions(temperature=0.0, max_new_tokens=400)
    messages = [SYSTEM, ChatMessage("user", "Tell me a very long story about a dragon.")]
    stream = small.stream(messages, long, token)
    seen = [next(stream) for _ in range(3)]
    cancelled = time.perf_counter()
    token.cancel()
    rest = list(stream)
    assert time.perf_counter() - cancelled < 0.1
    assert seen and len(rest) <= 1
    # the engine is free again at once: the next turn answers
    started = time.perf_counter()
    assert "".join(small.stream([SYSTEM, ChatMessage("user", "Hi")], GREEDY)).strip()
    assert time.perf_counter() - started < 10


def test_python_threads_keep_running_while_it_generates(small: LlamaCppLanguageModel) -> None:
    gaps: list[float] = []
    done = threading.Event()

    def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        long = GenerationOptions(temperature=0.0, max_new_tokens=48)
        "".join(small.stream([SYSTEM, ChatMessage("user", "Describe the sea.")], long))
    finally:
        done.set()
        ticker.join()
    assert max(gaps) < 0.1, f"the GIL was held for {max(gaps) * 1000:.0f} ms"


def test_a_broken_gguf_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "half.gguf"
    bad.write_bytes(_gguf(MODEL).read_bytes()[: 1 << 20])
    with pytest.raises(ModelError, match=r"cannot load the chat model half\.gguf"):
        LlamaCppLanguageModel(bad).load()
    with pytest.raises(ModelError, match="does not exist"):
        LlamaCppLanguageModel(tmp_path / "missing.gguf").load()


def test_the_default_model_answers_correctly_and_briefly() -> None:
    name = Config().llm.model
    llm = LlamaCppLanguageModel(_gguf(name), threads=2, context_tokens=2048)
    try:
        questions = {
            "What is the capital of Australia?": "canberra",
            "What colour do you get when you mix blue and yellow?": "green",
            "How many legs does a spider have?": "eight|8",
        }
        for question, answer in questions.items():
            reply = "".join(llm.stream([SYSTEM, ChatMessage("user", question)], GREEDY))
            assert re.search(answer, reply.lower()), (question, reply)
            assert len(reply.split()) <= 24
    finally:
        llm.close()


def test_structured_output_holds_to_the_schema(small: LlamaCppLanguageModel) -> None:
    """Even the 135 M model, greedy, cannot leave the schema: llama.cpp's grammar holds it."""
    import json

    from assistant.nlu.intents import MESSAGE_INTENTS as INTENTS
    from assistant.nlu.parse import parse_prompt, parse_schema, parse_start

    names = {spec.name for spec in INTENTS}
    for text in ("set a timer for five minutes", "tell me about whales", "§§§ ??? 42"):
        asked = [*parse_prompt(INTENTS), ChatMessage("user", text)]
        for start in (None, parse_start(INTENTS)):  # the whole object, or after its start
            raw = small.complete_json(asked, parse_schema(INTENTS), 48, start)
            data = json.loads(raw)
            assert data["intent"] in names, raw
            allowed = {"intent", *next(s.fields for s in INTENTS if s.name == data["intent"])}
            assert set(data) <= allowed, raw


def test_the_default_model_parses_new_phrasings_and_keeps_the_conversation_cached() -> None:
    """The parse on its own slot: the conversation's cache survives it."""
    from assistant.nlu.parse import LlmIntentParser

    llm = LlamaCppLanguageModel(_gguf(Config().llm.model), threads=2, context_tokens=2048)
    try:
        conversation = [SYSTEM, ChatMessage("user", "Hello"), ChatMessage("assistant", "Hi!")]
        llm.prefill(conversation, GREEDY)
        parser = LlmIntentParser(llm)
        found = parser.parse("jot down that the wifi password is blue-heron-77").intent
        assert found is not None and found.name == "memory.remember"
        assert found.slots == {"fact": "the wifi password is blue-heron-77"}
        ping = parser.parse("ping me in 45 minutes to move the laundry").intent
        assert ping is not None and ping.name == "reminder.set"
        assert ping.slots["text"] == "move the laundry" and "when" in ping.slots
        list(llm.stream([*conversation, ChatMessage("user", "Thanks.")], GREEDY))
        stats = llm.last_stats
        assert stats is not None and stats.reused_tokens >= stats.prompt_tokens - 12
    finally:
        llm.close()


def test_announcements_in_a_row_keep_the_conversation_answerable(
    small: LlamaCppLanguageModel, tmp_path: Path
) -> None:
    """Two unprompted announcements (a timer, a cut reply) and then the user's turn: the
    prefill and the reply both work (llama.cpp refused two trailing assistant messages)."""
    from assistant.conversation import ConversationEngine
    from assistant.memory.store import MemoryStore

    store = MemoryStore(tmp_path / "announce.db")
    engine = ConversationEngine(store=store, llm=small, config=Config())
    try:
        engine.announce("Your three-minute timer is done.")
        engine.announce("Here is a longer answer, so that there is time to listen.")
        assert engine.prepare() > 0
        result = engine.handle("Tell me a colour.")
        assert result.reply and not result.reply.startswith("Sorry, I could not answer")
    finally:
        store.close()


def test_what_the_user_said_so_far_is_in_the_cache_before_their_turn_ends(
    small: LlamaCppLanguageModel, tmp_path: Path
) -> None:
    """The voice loop prepares with each transcript of the turn in progress: the reply then
    reads only the words said after it (and nothing when the last transcript was the turn)."""
    from assistant.conversation import ConversationEngine
    from assistant.memory.store import MemoryStore

    store = MemoryStore(tmp_path / "heard.db")
    engine = ConversationEngine(store=store, llm=small, config=Config())
    try:
        engine.handle("Hello.")
        said = "Could you tell me a little about the planet Mars and its two small moons"
        engine.prepare()  # at the start of speech: the conversation so far
        engine.handle(said)
        stats = small.last_stats
        assert stats is not None
        unread = stats.prompt_tokens - stats.reused_tokens  # the message and the reply prompt
        assert unread >= 15
        engine.prepare(said.rsplit(" ", 3)[0])  # heard so far: all but the last three words
        engine.handle(said + ", please?")
        stats = small.last_stats
        assert stats is not None
        assert stats.prompt_tokens - stats.reused_tokens <= 12
    finally:
        store.close()


def test_a_parse_runs_beside_a_reply_in_the_apps_model_process() -> None:
    """The window's model process takes the intent parse while a reply streams (its own lane
    and llama.cpp slot): the parse does not wait for the reply to end, and both come out
    whole."""
    import json

    from assistant.llm.isolated import IsolatedLanguageModel
    from assistant.nlu.intents import MESSAGE_INTENTS as INTENTS
    from assistant.nlu.parse import parse_prompt, parse_schema

    config = Config()
    config.llm.backend, config.llm.model, config.llm.threads = "llamacpp", str(_gguf(MODEL)), 2
    llm = IsolatedLanguageModel(config)
    try:
        llm.load()
        arrivals: list[float] = []
        pieces: list[str] = []
        first = threading.Event()

        def read() -> None:
            # a reply that runs to its 160 tokens: a "long story" under the one-sentence system
            # prompt ended 0.16 s after the parse answered
            question = ChatMessage(
                "user", "Write a long story about a lighthouse keeper, at least ten sentences."
            )
            options = GenerationOptions(temperature=0.0, max_new_tokens=160)
            for piece in llm.stream([question], options):
                pieces.append(piece)
                arrivals.append(time.perf_counter())
                first.set()

        reader = threading.Thread(target=read)
        reader.start()
        assert first.wait(60)
        raw = llm.complete_json(
            [*parse_prompt(INTENTS), ChatMessage("user", "set a timer for five minutes")],
            parse_schema(INTENTS),
            48,
        )
        parsed_at = time.perf_counter()
        reader.join(60)
        assert json.loads(raw)["intent"] == "timer.set"
        assert arrivals[-1] > parsed_at + 0.2  # the reply went on after the parse had answered
        assert len(pieces) >= 20 and len("".join(pieces).split()) >= 10  # a whole reply
    finally:
        llm.close()
