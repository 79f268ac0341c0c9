"""`assistant bench intents FILE.jsonl`: how well messages are understood, and how fast.

Each line of the file: ``{"text", "intent", "slots", "sentiment", "split"?, "now"?}``. Reminder
times are resolved against ``now`` (default ``REFERENCE_NOW``, a Monday morning) so the expected
``when`` slots are fixed. With a ``split`` field (e.g. ``dev`` / ``heldout``) every figure is
given per split as well as overall.

Figures: intent accuracy (overall and per intent), the confusion table, chat-vs-command
precision and recall, the share of chat kept away from commands, slot exactness (all slots equal;
``calculate`` is judged on its ``result``), sentiment agreement, and latency per message after a
warm-up (intent + sentiment/emotion).
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.llm.base import LanguageModel
from assistant.nlu.affect import command_affect
from assistant.nlu.base import CHAT, Affect, Intent
from assistant.nlu.parse import LlmIntentParser

REFERENCE_NOW = datetime(2026, 3, 2, 10, 0, 0)
IGNORED_SLOTS = {"expression", "error"}


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    slots: dict[str, Any]
    sentiment: str | None
    emotion: str | None
    split: str
    now: datetime


def load_examples(path: Path) -> list[Example]:
    examples = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise AssistantError(f"cannot read {path}: {err.strerror}.") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append(
                Example(
                    text=str(row["text"]),
                    intent=str(row["intent"]),
                    slots=dict(row.get("slots", {})),
                    sentiment=row.get("sentiment"),
                    emotion=row.get("emotion"),
                    split=str(row.get("split", "all")),
                    now=datetime.fromisoformat(row["now"]) if row.get("now") else REFERENCE_NOW,
                )
            )
        except (ValueError, KeyError, TypeError) as err:
            raise AssistantError(
                f"{path}:{number}: not a labelled example ({err}); each line "
                'needs {"text", "intent", "slots", "sentiment"}.'
            ) from None
    if not examples:
        raise AssistantError(f"{path} holds no examples.")
    return examples


def slots_match(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    got = {k: v for k, v in got.items() if k not in IGNORED_SLOTS}
    expected = {k: v for k, v in expected.items() if k not in IGNORED_SLOTS}
    if set(got) != set(expected):
        return False
    for key, want in expected.items():
        have = got[key]
        if (
            isinstance(want, int | float)
            and isinstance(have, int | float)
            and not isinstance(want, bool)
        ):
            if not math.isclose(want, have, rel_tol=1e-9, abs_tol=1e-9):
                return False
        elif isinstance(want, str) and isinstance(have, str):
            if want.strip().lower() != have.strip().lower():
                return False
        elif want != have:
            return False
    return True


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def score(examples: list[Example], predictions: list[tuple[Intent, Affect]]) -> dict[str, Any]:
    total = len(examples)
    correct = sum(p.name == e.intent for e, (p, _) in zip(examples, predictions, strict=True))
    per_intent: dict[str, dict[str, Any]] = {}
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for e, (p, _) in zip(examples, predictions, strict=True):
        confusion[e.intent][p.name] += 1
    for name, row in sorted(confusion.items()):
        n = sum(row.values())
        per_intent[name] = {"n": n, "accuracy": _ratio(row[name], n)}
    gold_cmd = [e.intent != CHAT for e in examples]
    pred_cmd = [p.name != CHAT for p, _ in predictions]
    tp = sum(g and q for g, q in zip(gold_cmd, pred_cmd, strict=True))
    chat_total = sum(not g for g in gold_cmd)
    chat_kept = sum((not g) and (not q) for g, q in zip(gold_cmd, pred_cmd, strict=True))
    slot_cases = [
        (e, p) for e, (p, _) in zip(examples, predictions, strict=True) if e.intent != CHAT
    ]
    slot_exact = sum(
        p.name == e.intent and slots_match(e.slots, dict(p.slots)) for e, p in slot_cases
    )
    slot_when_right = [(e, p) for e, p in slot_cases if p.name == e.intent]
    labelled = [(e, a) for e, (_, a) in zip(examples, predictions, strict=True) if e.sentiment]
    sentiment_agree = sum(a.label == e.sentiment for e, a in labelled)
    with_emotion = [(e, a) for e, (_, a) in zip(examples, predictions, strict=True) if e.emotion]
    emotion_agree = sum(a.emotion == e.emotion for e, a in with_emotion)
    neutral_commands = [
        (e, a)
        for e, (_, a) in zip(examples, predictions, strict=True)
        if e.intent != CHAT and e.emotion == "neutral"
    ]
    false_emotions = [e.text for e, a in neutral_commands if a.emotion != "neutral"]
    errors = [
        {
            "text": e.text,
            "expected": e.intent,
            "got": p.name,
            "slots": dict(p.slots),
            "expected_slots": e.slots,
        }
        for e, (p, _) in zip(examples, predictions, strict=True)
        if p.name != e.intent or (e.intent != CHAT and not slots_match(e.slots, dict(p.slots)))
    ]
    return {
        "messages": total,
        "intent_accuracy": _ratio(correct, total),
        "per_intent": per_intent,
        "confusion": {k: dict(v) for k, v in sorted(confusion.items())},
        "command_precision": _ratio(tp, sum(pred_cmd)),
        "command_recall": _ratio(tp, sum(gold_cmd)),
        "chat_kept_from_commands": _ratio(chat_kept, chat_total),
        "slot_exact": _ratio(slot_exact, len(slot_cases)),
        "slot_exact_when_intent_right": _ratio(
            sum(slots_match(e.slots, dict(p.slots)) for e, p in slot_when_right),
            len(slot_when_right),
        ),
        "sentiment_agreement": _ratio(sentiment_agree, len(labelled)),
        "emotion_agreement": _ratio(emotion_agree, len(with_emotion)),
        "emotion_labelled": len(with_emotion),
        "neutral_commands": len(neutral_commands),
        "false_emotions_on_commands": false_emotions,
        "errors": errors,
    }


def run(path: Path, warmup: int = 5, llm: LanguageModel | None = None) -> dict[str, Any]:
    """Load the understanding models once, label every example, and score. With ``llm``, the
    messages the embedding detector is unsure about get its structured parse, as in the app."""
    from assistant.nlu.factory import build_understanding

    examples = load_examples(path)
    detector, affect = build_understanding(llm=llm)
    started = time.perf_counter()
    detector.load()
    affect.load()
    load_s = time.perf_counter() - started
    for e in examples[:warmup]:
        detector.detector.detect(e.text + " warm up", now=e.now)
        affect.analyze(e.text + " warm up")
    detector.warm_parse()  # the prompt, cached, as the app does at start
    predictions: list[tuple[Intent, Affect]] = []
    latencies: list[float] = []
    clear: list[float] = []  # messages the embedding detector decided alone
    cpu: list[float] = []
    for e in examples:
        calls = detector.parser.stats.calls if detector.parser is not None else 0
        t0, c0 = time.perf_counter(), time.thread_time()
        intent = detector.detect(e.text, now=e.now)
        feeling = affect.analyze(e.text)
        if intent.is_command:
            feeling = command_affect(feeling)
        latencies.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.thread_time() - c0) * 1000.0)
        if detector.parser is None or detector.parser.stats.calls == calls:
            clear.append(latencies[-1])
        predictions.append((intent, feeling))
    report: dict[str, Any] = {"file": str(path), "load_s": round(load_s, 3)}
    report.update(score(examples, predictions))
    report["parse"] = _parse_report(detector.parser, len(examples), clear)
    ordered = sorted(latencies)
    report["latency_ms"] = {
        "mean": round(statistics.fmean(latencies), 2),
        "p50": round(ordered[len(ordered) // 2], 2),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "max": round(ordered[-1], 2),
        # CPU time of the thread: what a message costs without other processes competing
        "cpu_mean": round(statistics.fmean(cpu), 2),
        "cpu_p95": round(sorted(cpu)[min(len(cpu) - 1, int(len(cpu) * 0.95))], 2),
    }
    splits = sorted({e.split for e in examples})
    if len(splits) > 1:
        report["splits"] = {}
        for split in splits:
            idx = [i for i, e in enumerate(examples) if e.split == split]
            part = score([examples[i] for i in idx], [predictions[i] for i in idx])
            part.pop("confusion")
            report["splits"][split] = part
    return report


def _parse_report(
    parser: LlmIntentParser | None, messages: int, clear: list[float]
) -> dict[str, Any]:
    """How often the language model's parse was needed, what it cost, and the cost of the rest."""
    clear_ms = sorted(clear)
    found: dict[str, Any] = {
        "clear_messages": len(clear),
        "clear_p50_ms": round(clear_ms[len(clear_ms) // 2], 2) if clear_ms else None,
    }
    if parser is None:
        return {"used": False, **found}
    ms = sorted(parser.stats.milliseconds)
    return {
        "used": True,
        "calls": parser.stats.calls,
        "share": _ratio(parser.stats.calls, messages),
        "accepted": parser.stats.accepted,
        "p50_ms": round(ms[len(ms) // 2], 1) if ms else None,
        "p90_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.9))], 1) if ms else None,
        **found,
    }


def summary(report: dict[str, Any]) -> str:
    """A few readable lines of the report (the JSON has everything)."""

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.1%}"

    def line(name: str, r: dict[str, Any]) -> str:
        return (
            f"{name}: {r['messages']} messages, intent accuracy {pct(r['intent_accuracy'])}, "
            f"chat kept {pct(r['chat_kept_from_commands'])}, command precision "
            f"{pct(r['command_precision'])} recall {pct(r['command_recall'])}, slots exact "
            f"{pct(r['slot_exact'])}, sentiment agreement {pct(r['sentiment_agreement'])}, "
            f"emotion agreement {pct(r['emotion_agreement'])}"
        )

    lines = [line("all", report)]
    for name, part in report.get("splits", {}).items():
        lines.append(line(name, part))
    lines.append(
        f"false emotions on neutral commands: {len(report['false_emotions_on_commands'])} of "
        f"{report['neutral_commands']}"
        + "".join(f"\n  ✗ emotion on {t!r}" for t in report["false_emotions_on_commands"][:10])
    )
    parse = report.get("parse", {})
    if parse.get("used"):
        lines.append(
            f"language-model parse: {parse['calls']} of {report['messages']} messages "
            f"({pct(parse['share'])}), {parse['accepted']} accepted, p50 {parse['p50_ms']} ms, "
            f"p90 {parse['p90_ms']} ms; the other messages p50 {parse['clear_p50_ms']} ms"
        )
    lat = report["latency_ms"]
    lines.append(
        f"latency per message: mean {lat['mean']} ms, p50 {lat['p50']} ms, p95 {lat['p95']} ms; "
        f"CPU time mean {lat['cpu_mean']} ms, p95 {lat['cpu_p95']} ms "
        f"(models loaded in {report['load_s']} s)"
    )
    for err in report["errors"][:20]:
        lines.append(
            f"  ✗ {err['text']!r}: expected {err['expected']} {err['expected_slots']}, "
            f"got {err['got']} {err['slots']}"
        )
    return "\n".join(lines)
