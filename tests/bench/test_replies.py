"""`assistant bench replies`: the shipped set, the scorer, and the runner through the real engine
(fake language model; one slow test with the real default model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant import paths
from assistant.bench.replies import (
    CATEGORIES,
    bench_models,
    complies,
    first_of_each,
    load_cases,
    reply_shape,
    run_cases,
    score_reply,
    side_by_side,
    split_model_spec,
)
from assistant.cli import main
from assistant.config import Config
from assistant.errors import AssistantError
from assistant.llm.base import ChatMessage
from assistant.llm.fake import FakeLanguageModel
from assistant.nlu.embeddings import MiniLMEmbedder

CASES = {case.id: case for case in load_cases()}


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    model = MiniLMEmbedder()
    model.load()
    return model


# --- the set ---------------------------------------------------------------------------------


def test_shipped_set_is_large_enough_with_unique_ids() -> None:
    cases = load_cases()
    counts = Counter(case.category for case in cases)
    assert counts["questions"] >= 80 and counts["memory"] >= 20 and counts["no_invention"] >= 20
    assert len({case.id for case in cases}) == len(cases)
    assert {case.tag for case in cases if case.category == "questions"} == {
        "fact",
        "definition",
        "conversion",
        "howto",
    }
    assert all(case.turns for case in cases if case.category == "memory")


def test_every_answer_needs_its_fact() -> None:
    # a question or a memory case must not be passed by a non-answer, and every no-invention
    # case rejects an invented weekend with the family
    for case in CASES.values():
        if case.category in ("questions", "memory"):
            assert case.accept, case.id
            assert not score_reply(case, "I'm not sure, sorry."), case.id
        else:
            invented = "Last weekend I went to the beach with my family."
            assert not score_reply(case, invented), case.id


def test_bad_sets_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[questions]]\nid = "a"\nask = "?"\naccept = ["(unclosed"]\n', "utf-8")
    with pytest.raises(AssistantError, match="bad regex"):
        load_cases(bad)
    bad.write_text('[[questions]]\nid = "a"\nask = "?"\n[[memory]]\nid = "a"\nask = "?"\n', "utf-8")
    with pytest.raises(AssistantError, match="duplicate id"):
        load_cases(bad)
    bad.write_text('[[questions]]\nid = "a"\nask = "?"\naccept = ["@nothing"]\n', "utf-8")
    with pytest.raises(AssistantError, match="patterns"):
        load_cases(bad)


def test_first_of_each_category() -> None:
    chosen = first_of_each(load_cases(), 2)
    categories = [c for c in CATEGORIES if c != "smalltalk"]
    assert [c.category for c in chosen] == [c for c in categories for _ in range(2)] + ["smalltalk"]
    assert len(chosen[-1].turns) == 1  # the first two turns of the first conversation


# --- scoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_id", "reply", "expected"),
    [
        ("capital-australia", "The capital of Australia is Canberra.", True),
        ("capital-australia", "Canberra, not Sydney as many people think.", True),
        ("capital-australia", "The capital of Australia is Sydney.", False),
        ("capital-australia", "Sydney.", False),
        ("km-to-miles", "10 kilometers is about 6.2 miles.", True),
        ("km-to-miles", "That is 16 miles.", False),
        ("howto-boil-egg", "Put it in boiling water for about nine minutes.", True),
        ("flight-time", "Your flight is at 7 pm on Friday.", True),
        ("flight-time", "Your flight is on Friday.", False),
        ("peanut-allergy", "Better not: Snickers bars contain peanuts.", True),
        ("peanut-allergy", "Yes, enjoy it!", False),
        ("cats-names", "They're called Pixel and Byte.", True),
        ("cats-names", "One is called Pixel.", False),
        ("favourite-food-unknown", "You haven\u2019t told me your favourite food yet.", True),
        ("favourite-food-unknown", "I don't know that yet.", True),
        ("favourite-food-unknown", "Your favourite food is pizza!", False),
        ("weekend", "I'm software, so I don't have weekends. How was yours?", True),
        ("weekend", "I went hiking with my sister.", False),
        ("hello", "I'm doing well, thanks for asking! How can I help?", True),
        ("hello", "Great! My hobby is painting.", False),
        ("seven-of-clubs", "I'm not sure what you mean. Are you playing cards?", True),
        ("seven-of-clubs", "Clubs are fun places to dance.", False),
        ("make-it-fifteen", "Fifteen what? Could you tell me more?", True),
        ("make-it-fifteen", "Done, the timer is set to fifteen minutes.", False),
        ("trip-rome", "I don't have any memories of trips, I'm an assistant.", True),
        ("trip-rome", "Yes! Rome was wonderful.", False),
        # answers that the first runs showed a pattern wrongly rejected
        ("trip-rome", "Can you please tell me what happened on your last visit to Rome?", True),
        ("brother-job-unknown", 'Not sure what you mean by "my brother". Who is he?', True),
        ("brother-job-unknown", "My brother is a pilot, and yours is a nurse.", False),
        ("breakfast-unknown", "Not sure. Are you asking about the food you ate today?", True),
        ("breakfast-unknown", "I'm not sure, but you had eggs.", False),
        # a claim denied in its own clause is no invention; one after the denial still is
        ("sleep-assistant", "I'm not sure if I slept well, as I don't have a body.", True),
        ("sleep-assistant", "I don't have a bed, but I slept well.", False),
        ("trip-rome", "I don't remember our trip to Rome, I'm software.", True),
        ("trip-rome", "I remember our trip to Rome!", False),
    ],
)
def test_score_reply(case_id: str, reply: str, expected: bool) -> None:
    assert score_reply(CASES[case_id], reply) is expected


def test_short_reply_compliance() -> None:
    assert reply_shape("Canberra is the capital. It is inland.") == (7, 2)
    assert reply_shape("It is 6.2 miles, about 10 km.") == (7, 1)
    assert reply_shape("Steps:\n1. Jack\n2. Spare") == (5, 3)
    assert reply_shape("You need:\n- a jack\n- a spare") == (8, 3)
    egg = CASES["howto-boil-egg"]
    assert complies(egg, 20, 2)
    assert not complies(egg, 20, 3) and not complies(egg, 41, 1)
    assert complies(CASES["howto-tyre-steps"], 120, 8)  # asked step by step


def test_model_specs() -> None:
    assert split_model_spec("smollm2-135m-instruct@onnx") == ("smollm2-135m-instruct", "onnx")
    assert split_model_spec("/models/a@b.gguf") == ("/models/a@b.gguf", None)
    assert split_model_spec("qwen") == ("qwen", None)


# --- the runner through the engine ------------------------------------------------------------


def _scripted(messages: Sequence[ChatMessage]) -> str:
    system, question = messages[0].content, messages[-1].content
    if "Snickers" in question:
        if "allergic to peanuts" in system:
            return "Better not: Snickers bars contain peanuts."
        return "Sure, enjoy it."
    if "Australia" in question:
        return "The capital of Australia is Canberra. It is inland. It was planned."
    return "Noted."


def test_runner_plays_cases_through_the_engine(
    embedder: MiniLMEmbedder, private_dirs: Path
) -> None:
    llm = FakeLanguageModel(_scripted)
    cases = [CASES["capital-australia"], CASES["peanut-allergy"], CASES["hello"]]
    before = {k: v for k, v in os.environ.items() if k.startswith("XDG_")}
    report = run_cases(cases, llm, Config(), embedder=embedder)
    # the temporary XDG folders were put back
    assert {k: v for k, v in os.environ.items() if k.startswith("XDG_")} == before
    assert not (paths.data_dir() / "1.db").exists()  # nothing in the real data folder
    assert report["backend"] == "fake" and report["model"] == "fake"
    assert report["overall"] == {"correct": 3, "total": 3, "fraction": 1.0}
    assert report["categories"]["memory"] == {"correct": 1, "total": 1, "fraction": 1.0}
    assert report["misses"] == []
    assert report["short_replies"]["complies"] == 2  # three sentences about Canberra
    for key in ("first_token_ms", "reply_ms"):
        assert set(report[key]) == {"mean", "p50", "p90"} and report[key]["p50"] > 0
    assert [r["id"] for r in report["results"]] == [c.id for c in cases]
    # the persona system prompt, and the earlier turn in the history of the memory case
    assert all(call[0].role == "system" and "Aria" in call[0].content for call in llm.calls)
    snickers = next(call for call in llm.calls if "Snickers" in call[-1].content)
    assert any(m.role == "user" and "allergic" in m.content for m in snickers[1:-1])
    # one fresh conversation per case: the question about Australia saw no earlier turn
    australia = next(call for call in llm.calls if "Australia" in call[-1].content)
    assert len(australia) == 2


def test_misses_are_listed(embedder: MiniLMEmbedder) -> None:
    report = run_cases(
        [CASES["capital-canada"]],
        FakeLanguageModel("Toronto, I think."),
        Config(),
        embedder=embedder,
    )
    assert report["overall"]["correct"] == 0
    (miss,) = report["misses"]
    assert miss["id"] == "capital-canada" and miss["reply"] == "Toronto, I think."
    assert miss["question"] == CASES["capital-canada"].ask and miss["why"]


def test_several_models_side_by_side() -> None:
    config = Config()
    result = bench_models(
        ["smollm2-135m-instruct@fake", "qwen2.5-coder-1.5b-instruct"],
        config,
        [CASES["capital-france"]],
        backend="fake",
    )
    assert result["set"] == {"questions": 1, "memory": 0, "no_invention": 0, "smalltalk": 0}
    models = [run["configured"]["model"] for run in result["runs"]]
    assert models == ["smollm2-135m-instruct", "qwen2.5-coder-1.5b-instruct"]
    assert all(run["backend"] == "fake" for run in result["runs"])
    table = side_by_side(result["runs"])
    assert "smollm2-135m-instruct" in table and "qwen2.5-coder-1.5b-instruct" in table
    assert "questions" in table and "short replies" in table


def test_cli_json_with_fake_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "fake")
    out = tmp_path / "replies.json"
    assert main(["bench", "replies", "--limit", "1", "--json", "-o", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == json.loads(out.read_text("utf-8"))
    (run,) = data["runs"]
    assert run["cases"] == 4 and set(run["categories"]) == set(CATEGORIES)


# --- the real default model --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_cli_with_the_real_default_model() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "bench", "replies", "--limit", "2", "--json"],
        env=dict(os.environ, ASSISTANT_LLM_THREADS="2"),
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout)
    (run,) = data["runs"]
    assert "error" not in run and run["model"] and run["backend"] != "fake"
    assert run["cases"] == 8
    assert all(run["categories"][c]["total"] == 2 for c in CATEGORIES)
    assert run["categories"]["questions"]["correct"] >= 1  # the capitals of Australia, Canada
    assert run["first_token_ms"]["p50"] > 0 and run["reply_ms"]["p90"] >= run["reply_ms"]["p50"]
    assert 0 <= run["short_replies"]["fraction"] <= 1
    assert all(r["reply"] for r in run["results"])
