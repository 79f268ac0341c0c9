"""`assistant intent`, `assistant timers`, `assistant bench intents` as a user runs them."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from assistant import paths
from assistant.cli import main
from assistant.memory.store import MemoryStore
from assistant.skills.alarms import AlarmBook


def test_intent_json_has_exactly_the_promised_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intent", "What's 15 percent of 80?", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    data = json.loads(out[0])
    assert list(data) == ["intent", "confidence", "slots", "sentiment", "emotion"]
    assert data["intent"] == "calculate"
    assert data["slots"]["result"] == 12 and isinstance(data["slots"]["result"], int)
    assert set(data["sentiment"]) == {"label", "score"}
    assert isinstance(data["confidence"], float) and data["emotion"] == "neutral"


def test_intent_stdin_one_object_a_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = "set a timer for ninety seconds\n\nI'm so angry at you\nhello\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["intent", "--stdin"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["intent"] for r in rows] == ["timer.set", "chat", "chat"]
    assert rows[0]["slots"] == {"duration_s": 90}
    assert rows[1]["sentiment"]["label"] == "negative" and rows[1]["emotion"] == "anger"


def test_intent_human_output_and_missing_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intent", "remind me in 10 minutes to stretch"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("reminder.set") and "text='stretch'" in out
    assert main(["intent"]) == 1
    assert "give a message" in capsys.readouterr().err


def test_timers_lists_what_is_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timers"]) == 0
    assert "No timers or reminders" in capsys.readouterr().out
    store = MemoryStore(paths.database_file())
    book = AlarmBook(store)
    book.add("timer", time.time() + 300, "eggs", 300)
    book.add("reminder", time.time() + 7200, "call your mom")
    store.close()
    assert main(["timers"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("timer") and out[0].endswith("eggs")
    assert out[1].startswith("reminder") and out[1].endswith("call your mom")
    assert main(["timers", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["kind"] for r in rows] == ["timer", "reminder"]
    assert 290 <= rows[0]["remaining_s"] <= 300


def test_bench_intents_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "set.jsonl"
    rows = [
        {"text": "what time is it", "intent": "time", "slots": {}, "sentiment": "neutral"},
        {
            "text": "set a timer for 5 minutes",
            "intent": "timer.set",
            "slots": {"duration_s": 300},
            "sentiment": "neutral",
        },
        {
            "text": "twelve times seven",
            "intent": "calculate",
            "slots": {"result": 84},
            "sentiment": "neutral",
        },
        {
            "text": "how do kitchen timers work",
            "intent": "chat",
            "slots": {},
            "sentiment": "neutral",
        },
        {"text": "I love this!", "intent": "chat", "slots": {}, "sentiment": "positive"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert main(["bench", "intents", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["messages"] == 5
    assert report["intent_accuracy"] == 1.0
    assert report["chat_kept_from_commands"] == 1.0
    assert report["command_precision"] == 1.0 and report["command_recall"] == 1.0
    assert report["slot_exact"] == 1.0 and report["sentiment_agreement"] == 1.0
    assert report["confusion"]["chat"] == {"chat": 2}
    assert report["latency_ms"]["p50"] > 0


def test_bench_intents_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi"}\n')
    assert main(["bench", "intents", str(bad)]) == 1
    assert "bad.jsonl:1: not a labelled example" in capsys.readouterr().err
    assert main(["bench", "intents", str(tmp_path / "missing.jsonl")]) == 1
    assert "cannot read" in capsys.readouterr().err
