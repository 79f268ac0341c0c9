"""A structured parse by the language model, for the messages the embedding detector is unsure
about ("jot down that the wifi password is blue-heron-77", "ping me in 45 minutes to …").

The model gets the intent catalogue (``intents.py``) and its worked examples, and its reply is
held by a JSON schema (llama.cpp turns it into a grammar; a model server reads it as
``response_format``): one of the intents, with only that intent's fields. The parse is then
validated before anything acts on it: the intent must be one we have; copied fields must come
from the message (no invented fact is stored); durations and moments are read from the message
by our own slot parsers, an expression is evaluated by the safe calculator (each intent's
``parsed`` reader, ``parsed_slots.py``). An invalid parse counts as no parse, and the detector's
own answer stands.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from assistant.errors import AssistantError
from assistant.llm.base import ChatMessage, JsonStart, LanguageModel, StructuredOutput
from assistant.nlu.base import CHAT, Intent
from assistant.nlu.intents import MESSAGE_INTENTS, IntentSpec
from assistant.nlu.normalize import normalize

log = logging.getLogger(__name__)

MAX_NEW_TOKENS = 48
MAX_FIELD_CHARS = 120


def _field_schema(name: str) -> dict[str, Any]:
    if name == "all":
        return {"type": "boolean"}
    return {"type": "string", "maxLength": MAX_FIELD_CHARS}


def parse_schema(specs: Sequence[IntentSpec]) -> dict[str, Any]:
    """One object per intent: its name as a constant and only its own fields."""
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "intent": {"const": spec.name},
                    **{name: _field_schema(name) for name in spec.fields},
                },
                "required": ["intent"],
                "additionalProperties": False,
            }
            for spec in specs
        ]
    }


PARSE_PREFIX = '{"intent": "'
# a field's text in the grammar: JSON string characters, escapes of one character
_GBNF_STRING = r'"\"" ([^"\\\x7F\x00-\x1F] | "\\" ["\\/bfnrt])* "\""'


def parse_start(specs: Sequence[IntentSpec]) -> JsonStart:
    """The parse's reply after ``{"intent": "``, as a GBNF grammar: one intent's name, then
    only its own fields (each optional, in order). The schema's ``anyOf`` as llama.cpp reads
    it, less the four tokens every parse begins with."""
    alternatives = []
    for spec in specs:
        fields = "".join(
            f' (", \\"{name}\\": " {"bool" if name == "all" else "string"})?'
            for name in spec.fields
        )
        alternatives.append(f'"{spec.name}\\""{fields} "}}"')
    grammar = (
        "root ::= "
        + " | ".join(alternatives)
        + f'\nstring ::= {_GBNF_STRING}\nbool ::= "true" | "false"\n'
    )
    return JsonStart(PARSE_PREFIX, grammar)


def parse_prompt(specs: Sequence[IntentSpec]) -> list[ChatMessage]:
    """The instructions and worked examples: the same for every message, so the model's
    prompt cache keeps them and a parse only reads the new message."""
    lines = []
    for spec in specs:
        fields = f" (fields: {', '.join(spec.fields)})" if spec.fields else ""
        lines.append(f"- {spec.name}: {spec.meaning}{fields}")
    system = (
        "You sort messages to a voice assistant into one intent and copy the needed words "
        "from the message. Intents:\n" + "\n".join(lines) + "\nAnswer with one line of JSON."
    )
    messages = [ChatMessage("system", system)]
    for spec in specs:
        for text, found in spec.shots:
            messages.append(ChatMessage("user", text))
            messages.append(ChatMessage("assistant", json.dumps({"intent": spec.name, **found})))
    return messages


GAVE_UP = "?"  # the intent a parse named when it stopped at the name (not ours, nor chat)


@dataclass(frozen=True)
class ParseResult:
    intent: Intent | None  # the validated parse
    named: str | None  # the intent the model named, valid or not (None: no parse at all)


def _parsed(raw: str) -> dict[str, Any] | None:
    """The model's JSON object (None when it is not one)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@dataclass
class ParseStats:
    """How often the parse ran and what it cost (for ``bench intents``)."""

    calls: int = 0
    accepted: int = 0
    milliseconds: list[float] = field(default_factory=list)


class LlmIntentParser:
    """Asks the language model for ``{"intent", fields…}`` and validates it."""

    def __init__(
        self,
        llm: LanguageModel,
        specs: Sequence[IntentSpec] = MESSAGE_INTENTS,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self._llm = llm
        self._specs = {spec.name: spec for spec in specs}
        self._prompt = parse_prompt(specs)  # the same for every message (cached)
        self._schema = parse_schema(specs)
        self._start = parse_start(specs)
        self._clock = clock
        self._lock = threading.Lock()
        self.stats = ParseStats()

    @property
    def intents(self) -> tuple[str, ...]:
        return tuple(self._specs)

    @property
    def available(self) -> bool:
        return isinstance(self._llm, StructuredOutput)

    def could_hold(self, text: str) -> set[str]:
        """The intents a parse of ``text`` could end in (their ``possible``), chat aside."""
        normalized = normalize(text)
        return {n for n, spec in self._specs.items() if n != CHAT and spec.possible(normalized)}

    def parse(
        self,
        text: str,
        now: datetime | None = None,
        give_up_on: Collection[str] = (),
        expected: str | None = None,
    ) -> ParseResult:
        """The validated parse (None when invalid) and the intent the model named (None when
        there was no parse: no structured output, a failure; ``GAVE_UP`` when it named an
        intent that cannot hold for the message (its ``possible``) or one of ``give_up_on``,
        and stopped there instead of writing out fields that would be thrown away).
        ``expected`` (the detector's answer) is always written out whole."""
        if not isinstance(self._llm, StructuredOutput):
            return ParseResult(None, None)
        started = time.perf_counter()
        hopeless = set(self._specs) - self.could_hold(text)
        stop = sorted((hopeless | set(give_up_on)) - {expected, CHAT})
        start = replace(self._start, give_up=tuple(f'{name}"' for name in stop))
        try:
            raw = self._llm.complete_json(
                [*self._prompt, ChatMessage("user", text)], self._schema, MAX_NEW_TOKENS, start
            )
        except AssistantError as err:
            log.info("structured parse unavailable: %s", err)
            return ParseResult(None, None)
        finally:
            with self._lock:
                self.stats.calls += 1
                self.stats.milliseconds.append((time.perf_counter() - started) * 1000.0)
        if stop and raw.strip() == self._start.prefix.strip():
            log.info("structured parse of %r: gave up at the intent's name", text)
            return ParseResult(None, GAVE_UP)
        data = _parsed(raw)
        intent = self._validated(data, text, now or self._clock())
        if intent is not None:
            with self._lock:
                self.stats.accepted += 1
        log.info("structured parse of %r: %s → %s", text, raw, intent)
        return ParseResult(intent, str(data.get("intent")) if data is not None else None)

    def validated(self, raw: str, text: str, now: datetime) -> Intent | None:
        """The model's reply ``raw`` as an intent we act on, or None when it does not hold."""
        return self._validated(_parsed(raw), text, now)

    def _validated(self, data: dict[str, Any] | None, text: str, now: datetime) -> Intent | None:
        if data is None:
            return None
        spec = self._specs.get(str(data.get("intent")))
        if spec is None:
            return None
        found = {k: v for k, v in data.items() if k in spec.fields}
        slots = spec.parsed(found, text, normalize(text), now)
        return None if slots is None else Intent(spec.name, 0.9, slots)
