"""Multi-turn flows (``tests/data/flows.toml``): does a conversation about a command do what the
user meant? Each flow is played through the real engine as ``assistant chat`` gets it (intent
detection, dialogue state, skills, the alarm book) in a fresh database at a fixed moment, and
checked turn by turn (intent, reply pattern) and at the end (the timers and reminders pending,
the facts stored). Chat turns go to a scripted model unless a real one is given: the flows test
understanding, the replies benchmark tests what the model says."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.bench.intents import REFERENCE_NOW
from assistant.config import Config
from assistant.errors import AssistantError
from assistant.events import EventBus
from assistant.llm.base import LanguageModel
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.skills.reminders import second_person

CHAT_REPLY = "Here is a chat reply."


@dataclass(frozen=True)
class FlowTurn:
    say: str
    intent: str | None = None
    reply: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Flow:
    name: str
    turns: tuple[FlowTurn, ...]
    timers: tuple[int, ...] | None = None
    reminders: tuple[tuple[str, str], ...] | None = None
    facts: int | None = None


@dataclass
class FlowResult:
    name: str
    failures: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str, str]] = field(default_factory=list)  # say, intent, reply

    @property
    def ok(self) -> bool:
        return not self.failures


def load_flows(path: Path) -> list[Flow]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise AssistantError(f"cannot read the flows in {path}: {err}") from None
    flows = []
    for number, raw in enumerate(data.get("flow", []), start=1):
        try:
            turns = tuple(
                FlowTurn(
                    str(t["say"]),
                    t.get("intent"),
                    re.compile(t["reply"], re.IGNORECASE) if t.get("reply") else None,
                )
                for t in raw["turns"]
            )
            flows.append(
                Flow(
                    name=str(raw.get("name") or f"flow {number}"),
                    turns=turns,
                    timers=tuple(raw["timers"]) if "timers" in raw else None,
                    reminders=tuple(tuple(r) for r in raw["reminders"])
                    if "reminders" in raw
                    else None,
                    facts=raw.get("facts"),
                )
            )
        except (KeyError, TypeError, re.error) as err:
            raise AssistantError(f"{path}: flow {number} is not valid ({err}).") from None
    if not flows:
        raise AssistantError(f"{path} holds no [[flow]] entries.")
    return flows


def play_flow(
    flow: Flow,
    config: Config,
    embedder: MiniLMEmbedder,
    database: Path,
    llm: LanguageModel | None = None,
    clock: Callable[[], datetime] = lambda: REFERENCE_NOW,
) -> FlowResult:
    from assistant.app import conversation_engine
    from assistant.bench.replies import no_launch
    from assistant.skills.setup import build_understanding_stage

    result = FlowResult(flow.name)
    store = MemoryStore(database)
    try:
        bus = EventBus()
        model = llm or FakeLanguageModel(CHAT_REPLY)
        understanding = build_understanding_stage(
            config, store, bus, embedder=embedder, llm=model, launch=no_launch, clock=clock
        )
        engine = conversation_engine(config, store, bus, model, understanding, clock)
        for number, turn in enumerate(flow.turns, start=1):
            done = engine.handle(turn.say)
            result.transcript.append((turn.say, done.intent.name, done.reply))
            if turn.intent is not None and done.intent.name != turn.intent:
                result.failures.append(
                    f"turn {number} {turn.say!r}: intent {done.intent.name}, expected {turn.intent}"
                )
            if turn.reply is not None and not turn.reply.search(done.reply):
                result.failures.append(
                    f"turn {number} {turn.say!r}: reply {done.reply!r} does not match "
                    f"/{turn.reply.pattern}/"
                )
        _check_end(flow, understanding.alarms, store, clock(), result)
    finally:
        store.close()
    return result


def _check_end(flow: Flow, book: Any, store: MemoryStore, now: datetime, r: FlowResult) -> None:
    if flow.timers is not None:
        left = [round(t.remaining_s(now.timestamp())) for t in book.pending("timer")]
        if left != list(flow.timers):
            r.failures.append(f"timers left {left}, expected {list(flow.timers)}")
    if flow.reminders is not None:
        got = [
            (a.label, datetime.fromtimestamp(a.due_at).isoformat(timespec="seconds"))
            for a in book.pending("reminder")
        ]
        expected = [(second_person(t), w) for t, w in flow.reminders]
        if got != expected:
            r.failures.append(f"reminders {got}, expected {expected}")
    if flow.facts is not None and len(store.facts()) != flow.facts:
        r.failures.append(f"{len(store.facts())} facts stored, expected {flow.facts}")


def run_flows(path: Path, config: Config, llm: LanguageModel | None = None) -> dict[str, Any]:
    """Every flow in a fresh database; the score and each failure."""
    from assistant.bench.replies import private_dirs

    flows = load_flows(path)
    embedder = MiniLMEmbedder()
    results: list[FlowResult] = []
    with private_dirs() as folder:
        for number, flow in enumerate(flows):
            results.append(play_flow(flow, config, embedder, folder / f"flow-{number}.db", llm))
    passed = sum(r.ok for r in results)
    return {
        "file": str(path),
        "flows": len(results),
        "passed": passed,
        "score": round(passed / len(results), 4),
        "failures": [
            {"flow": r.name, "why": r.failures, "transcript": r.transcript}
            for r in results
            if not r.ok
        ],
    }


def flows_summary(report: dict[str, Any], limit: int = 30) -> Sequence[str]:
    lines = [f"flows: {report['passed']}/{report['flows']} right ({report['score']:.1%})"]
    for failure in report["failures"][:limit]:
        lines.append(f"  ✗ {failure['flow']}: " + "; ".join(failure["why"]))
    return lines
