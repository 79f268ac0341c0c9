"""`assistant bench replies`: how good the replies are, played through the real engine.

The set (``replies.toml`` beside this module) has single questions (facts, definitions, unit
conversions, how-tos), multi-turn cases (an earlier turn gives a fact the last question needs)
and prompts that must not make the model invent anything about the user or itself, and long
small-talk conversations where no reply may (each reply is scored). Each case is
played as a user of `assistant ask` gets it — persona system prompt, self-facts memory, intent
detection and skills, the configured language model — in a fresh conversation and a fresh
database inside a temporary data directory, with greedy decoding (temperature 0) and a fixed
clock so that runs repeat. The final reply is scored with the case's regexes, and its length is
checked against what a spoken reply should be (≤ 2 sentences and ≤ 40 words unless the question
asks for more).
"""

from __future__ import annotations

import copy
import os
import re
import statistics
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.app import conversation_engine
from assistant.config import Config
from assistant.errors import AssistantError
from assistant.events import EventBus
from assistant.llm.base import LanguageModel
from assistant.memory.store import MemoryStore
from assistant.nlu.base import CHAT
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.nlu.normalize import straight_apostrophes
from assistant.sentences import SentenceSplitter
from assistant.skills.setup import build_understanding_stage

DEFAULT_SET = Path(__file__).with_name("replies.toml")
CATEGORIES = ("questions", "memory", "no_invention", "smalltalk")
# in these every turn's reply is scored (a conversation), elsewhere only the last one's
EVERY_TURN = {"smalltalk"}
MAX_WORDS = 40
MAX_SENTENCES = 2
BENCH_NOW = datetime(2026, 12, 2, 15, 0, 0)  # a Wednesday afternoon: the prompt never changes
BACKENDS = ("auto", "torch", "onnx", "llamacpp", "openai", "fake")
_LIST_MARK = re.compile(r"(?m)^\s*(?:\d+[.)]|[-*•])\s+")
_CASE_KEYS = {"id", "tag", "ask", "turns", "accept", "reject", "long_ok"}
_BACKEND_NAMES = {
    "OnnxLanguageModel": "onnx",
    "LlamaCppLanguageModel": "llamacpp",
    "TorchLanguageModel": "torch",
    "FakeLanguageModel": "fake",
    "IsolatedLanguageModel": "isolated",
    "FallbackLanguageModel": "openai",
    "OpenAICompatibleModel": "openai",
}


@dataclass(frozen=True)
class ReplyCase:
    id: str
    category: str
    ask: str
    turns: tuple[str, ...] = ()
    accept: tuple[re.Pattern[str], ...] = ()
    reject: tuple[re.Pattern[str], ...] = ()
    long_ok: bool = False
    tag: str = ""


@dataclass(frozen=True)
class CaseResult:
    case: ReplyCase
    reply: str
    correct: bool
    why: str  # "" when correct
    words: int
    sentences: int
    complies: bool
    intent: str
    first_token_ms: float | None
    reply_ms: float


# --- the set ---------------------------------------------------------------------------------


def _patterns(raw: Any, named: dict[str, list[str]], where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise AssistantError(f"{where}: must be a list of regex strings.")
    texts: list[str] = []
    for item in raw:
        if item.startswith("@"):
            if item[1:] not in named:
                raise AssistantError(f"{where}: no [patterns].{item[1:]} for {item}.")
            texts.extend(named[item[1:]])
        else:
            texts.append(item)
    try:
        return tuple(re.compile(text, re.IGNORECASE) for text in texts)
    except re.error as err:
        raise AssistantError(f"{where}: bad regex {err.pattern!r}: {err}.") from None


def load_cases(path: Path | None = None) -> list[ReplyCase]:
    """Every case of the set, in file order (categories in ``CATEGORIES`` order)."""
    path = path or DEFAULT_SET
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise AssistantError(f"cannot read {path}: {err.strerror}.") from None
    except tomllib.TOMLDecodeError as err:
        raise AssistantError(f"{path} is not valid TOML: {err}.") from None
    named = data.get("patterns", {})
    cases: list[ReplyCase] = []
    seen: set[str] = set()
    for category in CATEGORIES:
        for number, row in enumerate(data.get(category, []), start=1):
            where = f"{path.name}: {category} #{number}"
            unknown = set(row) - _CASE_KEYS
            if unknown or not isinstance(row.get("id"), str) or not isinstance(row.get("ask"), str):
                raise AssistantError(f"{where}: needs id and ask; unknown keys {sorted(unknown)}.")
            if row["id"] in seen:
                raise AssistantError(f"{where}: duplicate id {row['id']!r}.")
            seen.add(row["id"])
            cases.append(
                ReplyCase(
                    id=row["id"],
                    category=category,
                    ask=row["ask"],
                    turns=tuple(str(t) for t in row.get("turns", ())),
                    accept=_patterns(row.get("accept", []), named, f"{where} accept"),
                    reject=_patterns(row.get("reject", []), named, f"{where} reject"),
                    long_ok=bool(row.get("long_ok", False)),
                    tag=str(row.get("tag", "")),
                )
            )
    return cases


def first_of_each(cases: Sequence[ReplyCase], limit: int) -> list[ReplyCase]:
    """The first ``limit`` cases of each category (quick runs); in a category where every
    turn is scored, the first ``limit`` turns of its first conversation."""
    taken: dict[str, int] = {}
    chosen = []
    for case in cases:
        if case.category in EVERY_TURN:
            if limit and case.category not in taken:
                taken[case.category] = limit
                lines = [*case.turns, case.ask][:limit]
                chosen.append(
                    ReplyCase(
                        case.id,
                        case.category,
                        lines[-1],
                        tuple(lines[:-1]),
                        case.accept,
                        case.reject,
                    )
                )
        elif taken.get(case.category, 0) < limit:
            taken[case.category] = taken.get(case.category, 0) + 1
            chosen.append(case)
    return chosen


# --- scoring ---------------------------------------------------------------------------------


_NEGATION = re.compile(r"\b(?:not|no|never|cannot)\b|n't\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.!?\n,;:]|\bbut\b", re.IGNORECASE)


def _denied(text: str, found: re.Match[str]) -> bool:
    """The invention pattern matched inside a clause that denies it before it says it: "I
    can't say what my favorite song is", "I don't have memories from my childhood" (the first
    runs with the persona of now counted 7 such denials as inventions)."""
    before = text[: found.start()]
    clause = _CLAUSE_END.split(before)[-1]
    return bool(_NEGATION.search(clause))


def miss_reason(case: ReplyCase, reply: str) -> str:
    """Why the reply is wrong ("" when it is right)."""
    text = straight_apostrophes(reply)
    if case.accept and not any(p.search(text) for p in case.accept):
        return "no accepted answer"
    for pattern in case.reject:
        if any(not _denied(text, found) for found in pattern.finditer(text)):
            return f"rejected: {pattern.pattern}"
    return ""


def score_reply(case: ReplyCase, reply: str) -> bool:
    return miss_reason(case, reply) == ""


def reply_shape(reply: str) -> tuple[int, int]:
    """(words, sentences) of a reply; a line break ends a sentence, as it does for speech."""
    splitter = SentenceSplitter(min_chars=1)
    text = _LIST_MARK.sub("", reply)  # "1. Jack" is one item, not the sentences "1." and "Jack"
    sentences = [*splitter.feed(text), *splitter.flush()]
    return len(reply.split()), len(sentences)


def complies(case: ReplyCase, words: int, sentences: int) -> bool:
    return case.long_ok or (words <= MAX_WORDS and sentences <= MAX_SENTENCES)


# --- playing the cases -----------------------------------------------------------------------


@contextmanager
def private_dirs() -> Iterator[Path]:
    """Config and data in a temporary folder (``paths`` reads the XDG variables on each call);
    the model cache stays the real one."""
    names = ("XDG_DATA_HOME", "XDG_CONFIG_HOME")
    saved = {name: os.environ.get(name) for name in names}
    with tempfile.TemporaryDirectory(prefix="bench-replies-") as folder:
        for name in names:
            os.environ[name] = str(Path(folder) / name.lower())
        try:
            yield Path(folder)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def no_launch(argv: Sequence[str]) -> None:
    """Nothing is started during a benchmark (the skill still answers as it would)."""


def play_case(
    case: ReplyCase,
    llm: LanguageModel,
    config: Config,
    embedder: MiniLMEmbedder,
    database: Path,
    clock: Callable[[], datetime] = lambda: BENCH_NOW,
) -> list[CaseResult]:
    """One case in a fresh database and conversation: the earlier turns, then the question;
    the result of its last reply (of every reply in a small-talk conversation)."""
    paths.ensure_private_dir(database.parent)
    store = MemoryStore(database)
    results: list[CaseResult] = []
    try:
        bus = EventBus()
        understanding = build_understanding_stage(
            config, store, bus, embedder=embedder, llm=llm, launch=no_launch, clock=clock
        )
        engine = conversation_engine(config, store, bus, llm, understanding, clock)
        every = case.category in EVERY_TURN
        lines = [*case.turns, case.ask]
        for number, text in enumerate(lines, start=1):
            turn = engine.handle(text)
            if every or number == len(lines):
                scored = case if not every else replace_ask(case, text, number)
                results.append(_result(scored, turn.reply, turn.intent.name, turn.timings))
    finally:
        store.close()
    return results


def replace_ask(case: ReplyCase, text: str, number: int) -> ReplyCase:
    """Turn ``number`` of a conversation as a case of its own (its id gets ``#number``)."""
    return ReplyCase(
        f"{case.id}#{number}", case.category, text, (), case.accept, case.reject, case.long_ok
    )


def _result(case: ReplyCase, reply: str, intent: str, timings: dict[str, float]) -> CaseResult:
    words, sentences = reply_shape(reply)
    why = miss_reason(case, reply)
    return CaseResult(
        case=case,
        reply=reply,
        correct=not why,
        why=why,
        words=words,
        sentences=sentences,
        complies=complies(case, words, sentences),
        intent=intent,
        first_token_ms=timings.get("first_token"),
        reply_ms=timings.get("total", 0.0),
    )


def run_cases(
    cases: Sequence[ReplyCase],
    llm: LanguageModel,
    config: Config,
    *,
    embedder: MiniLMEmbedder | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every case through the engine with ``llm`` (greedy); the JSON report."""
    config = copy.deepcopy(config)
    config.llm.temperature = 0.0
    load_before = os.getloadavg()[0]
    embedder = embedder or MiniLMEmbedder()
    started = time.perf_counter()
    llm.load()
    load_s = time.perf_counter() - started
    results = []
    with private_dirs():
        for number, case in enumerate(cases, start=1):
            played = play_case(case, llm, config, embedder, paths.data_dir() / f"{number}.db")
            results.extend(played)
            for result in played:
                mark = "ok  " if result.correct else "MISS"
                if log is not None:
                    log(f"[{number}/{len(cases)}] {mark} {result.case.id}: {result.reply[:100]!r}")
    return summarise(
        results,
        model=llm.name,
        backend=_BACKEND_NAMES.get(type(llm).__name__, type(llm).__name__),
        load_s=load_s,
        seconds=time.perf_counter() - started,
        load_average=(load_before, os.getloadavg()[0]),
    )


def split_model_spec(spec: str) -> tuple[str, str | None]:
    """``name@backend`` → (name, backend); a plain name or path → (it, None)."""
    name, at, backend = spec.rpartition("@")
    if at and backend in BACKENDS:
        return name, backend
    return spec, None


def bench_models(
    models: Sequence[str],
    config: Config,
    cases: Sequence[ReplyCase],
    *,
    backend: str | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The same cases for each model (``""`` = the configured one; ``name@backend`` picks its
    backend, else ``backend`` or the configured one), one after the other in this process."""
    from assistant.llm.factory import build_llm

    embedder = MiniLMEmbedder()
    runs: list[dict[str, Any]] = []
    for spec in models or [""]:
        name, chosen = split_model_spec(spec)
        local = copy.deepcopy(config)
        local.llm.model = name or local.llm.model
        local.llm.backend = chosen or backend or local.llm.backend
        if log is not None:
            log(f"{local.llm.model} (backend {local.llm.backend}) …")
        try:
            llm = build_llm(local)
            try:
                run = run_cases(cases, llm, local, embedder=embedder, log=log)
            finally:
                close = getattr(llm, "close", None)
                if callable(close):
                    close()
        except AssistantError as err:
            run = {"model": local.llm.model, "backend": local.llm.backend, "error": str(err)}
        runs.append({"configured": {"model": local.llm.model, "backend": local.llm.backend}, **run})
    return {
        "set": {c: sum(x.category == c for x in cases) for c in CATEGORIES},
        "temperature": 0.0,
        "runs": runs,
    }


# --- the report ------------------------------------------------------------------------------


def _score(results: Sequence[CaseResult]) -> dict[str, Any]:
    correct = sum(r.correct for r in results)
    total = len(results)
    return {
        "correct": correct,
        "total": total,
        "fraction": round(correct / total, 3) if total else None,
    }


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "p50": None, "p90": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "mean": round(statistics.fmean(ordered), 1),
        "p50": round(statistics.median(ordered), 1),
        "p90": round(p90, 1),
    }


def summarise(
    results: Sequence[CaseResult],
    *,
    model: str,
    backend: str,
    load_s: float,
    seconds: float,
    load_average: tuple[float, float] = (0.0, 0.0),
) -> dict[str, Any]:
    tags = sorted({r.case.tag for r in results if r.case.tag})
    short = [r.complies for r in results]
    return {
        "model": model,
        "backend": backend,
        "cases": len(results),
        "overall": _score(results),
        "categories": {
            c: _score([r for r in results if r.case.category == c])
            for c in CATEGORIES
            if any(r.case.category == c for r in results)
        },
        "tags": {t: _score([r for r in results if r.case.tag == t]) for t in tags},
        "short_replies": {
            "complies": sum(short),
            "total": len(short),
            "fraction": round(sum(short) / len(short), 3) if short else None,
            "max_words": MAX_WORDS,
            "max_sentences": MAX_SENTENCES,
            "words": _stats([r.words for r in results]),
        },
        "skill_replies": sum(r.intent != CHAT for r in results),
        "first_token_ms": _stats([r.first_token_ms for r in results if r.first_token_ms]),
        "reply_ms": _stats([r.reply_ms for r in results]),
        "load_s": round(load_s, 2),
        "seconds": round(seconds, 1),
        # other work on the machine slows every figure above (two cores here)
        "load_average": {"before": round(load_average[0], 2), "after": round(load_average[1], 2)},
        "misses": [
            {
                "id": r.case.id,
                "category": r.case.category,
                "question": r.case.ask,
                "turns": list(r.case.turns),
                "reply": r.reply,
                "why": r.why,
            }
            for r in results
            if not r.correct
        ],
        "results": [
            {
                "id": r.case.id,
                "category": r.case.category,
                "correct": r.correct,
                "complies": r.complies,
                "words": r.words,
                "sentences": r.sentences,
                "intent": r.intent,
                "first_token_ms": r.first_token_ms,
                "reply_ms": r.reply_ms,
                "reply": r.reply,
            }
            for r in results
        ],
    }


def side_by_side(runs: Sequence[dict[str, Any]]) -> str:
    """The runs' figures as a text table, one column per model (failed runs as notes below)."""
    done = [r for r in runs if "error" not in r]
    notes = [f"{r['model']} ({r['backend']}) failed: {r['error']}" for r in runs if "error" in r]
    if not done:
        return "\n".join(notes)

    def score(s: dict[str, Any]) -> str:
        return f"{s['correct']}/{s['total']} ({s['fraction']:.0%})" if s["total"] else "-"

    rows: list[tuple[str, list[str]]] = [
        ("model", [str(r.get("configured", r)["model"]) for r in done]),
        ("backend", [str(r["backend"]) for r in done]),
    ]
    for name in done[0]["categories"]:
        rows.append((name, [score(r["categories"][name]) for r in done]))
        if name == "questions":  # the kinds of question (facts, conversions …) under it
            rows += [(f"  {t}", [score(r["tags"][t]) for r in done]) for t in done[0]["tags"]]
    rows.append(("overall", [score(r["overall"]) for r in done]))
    short = [{**r["short_replies"], "correct": r["short_replies"]["complies"]} for r in done]
    rows.append(("short replies", [score(s) for s in short]))
    for key, label in (("first_token_ms", "first token p50/p90 ms"), ("reply_ms", "reply p50/p90")):
        rows.append((label, [f"{r[key]['p50']} / {r[key]['p90']}" for r in done]))
    rows.append(("run (s)", [str(r["seconds"]) for r in done]))
    width = max(len(label) for label, _ in rows)
    columns = [max(len(values[i]) for _, values in rows) for i in range(len(done))]
    lines = [
        label.ljust(width)
        + "  "
        + "  ".join(v.ljust(w) for v, w in zip(values, columns, strict=True))
        for label, values in rows
    ]
    return "\n".join(line.rstrip() for line in [*lines, *notes])
