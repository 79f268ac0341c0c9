"""The turn engine: one conversation, typed and spoken turns alike.

A turn records the user message, asks the intent detector, runs a local skill or streams the
language model, cuts the reply into sentences for speech, records the reply (only what was
produced before a cancel, and after an interruption of speech only what was spoken), and emits
typed events with per-stage timings. The stages do the work; this module only coordinates.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from assistant.cancel import CancelToken
from assistant.config import Config
from assistant.dialogue.state import DialogueStore
from assistant.dialogue.tracker import DialogueTracker
from assistant.errors import AssistantError
from assistant.events import (
    ConversationChanged,
    Error,
    EventBus,
    IntentDetected,
    Interrupted,
    ReplyDone,
    ReplySentence,
    ReplyStarted,
    ReplyToken,
    StageTiming,
    UserText,
)
from assistant.llm.ahead import ReplyAhead
from assistant.llm.base import (
    ChatMessage,
    GenerationOptions,
    LanguageModel,
    Prefilling,
)
from assistant.memory.context import PromptParts, build_context, system_prompt, user_message
from assistant.memory.self_facts import extract_self_facts
from assistant.memory.store import MemoryStore
from assistant.nlu.affect import command_affect
from assistant.nlu.base import (
    CHAT,
    Affect,
    AffectAnalyzer,
    ChatOnlyDetector,
    Intent,
    IntentDetector,
    NeutralAffect,
    OnUnsure,
)
from assistant.reply_opener import without_ai_opener
from assistant.sentences import FIRST_CLAUSE_WORDS, SentenceSplitter
from assistant.skills.base import ASK_LLM, SkillContext, SkillRegistry, SkillReply
from assistant.turns import TurnAttachment, TurnRequest

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 100_000
TOKEN_COUNTS_KEPT = 1024  # token counts of turns remembered (the window counts them each turn)


class WaitingImages(Protocol):
    """An image shared before the turn that asks about it (a capture, then a spoken question)."""

    def take(self) -> TurnAttachment | None: ...


class FactSelector(Protocol):
    """Picks the stored facts a message depends on (said next to it, for the model)."""

    def relevant(self, text: str, limit: int) -> list[str]: ...


class NoFacts:
    def relevant(self, text: str, limit: int) -> list[str]:
        return []


MIND_FACTS = 3  # at most this many facts said next to a request for advice
# The newest facts the system prompt carries, oldest first: the same list from turn to turn, so
# the conversation stays in the model's cache. Picking the facts most like each message changed
# the prompt's start at every turn once a user had more than a handful, and each reply read the
# whole conversation again (seconds on 2 cores). Older facts are still recalled ("what's my
# …?") by the memory skill. A fact learned during a conversation joins from the next one: until
# then it is in the conversation's history, the memory skill recalls it, and a request for
# advice has it said next to it. What the user asks to remember or forget applies at once.
PROMPT_FACTS = 12


@dataclass
class TurnResult:
    turn_id: int
    conversation_id: int
    user_message_id: int
    reply_message_id: int
    reply: str
    intent: Intent
    interrupted: bool
    timings: dict[str, float] = field(default_factory=dict)


def clean_user_text(text: str) -> str:
    """Drop control characters (keeping line breaks and tabs) and surrounding blanks."""
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return "".join(kept).strip()


def generation_options(config: Config) -> GenerationOptions:
    c = config.llm
    return GenerationOptions(
        c.temperature, c.top_k, c.top_p, c.repetition_penalty, c.max_new_tokens
    )


@dataclass
class _Turn:
    """What the stages of one turn share."""

    id: int
    request: TurnRequest
    cancel: CancelToken
    conversation_id: int  # the conversation the turn began in
    history: list
    started: float  # perf_counter at the start
    timings: dict[str, float]
    stage: Callable[[str], AbstractContextManager[None]]  # times a stage into ``timings``
    ahead: ReplyAhead | None = None  # the chat reply started beside the intent parse
    noted: bool = False  # the message was read with a note after it (upset, facts)

    def drop_ahead(self) -> None:
        if self.ahead is not None:
            self.ahead.drop()
            self.ahead = None


class ConversationEngine:
    """Coordinates a turn; safe to call from several threads (turns run one at a time)."""

    def __init__(
        self,
        *,
        store: MemoryStore,
        llm: LanguageModel,
        config: Config,
        bus: EventBus | None = None,
        detector: IntentDetector | None = None,
        affect: AffectAnalyzer | None = None,
        skills: SkillRegistry | None = None,
        facts: FactSelector | None = None,
        dialogue: DialogueTracker | None = None,
        fit_turn_context: Callable[[str, str], str] | None = None,
        waiting_images: WaitingImages | None = None,
        exact_answer: Callable[[str], str | None] | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.store = store
        self.llm = llm
        self.config = config
        self.bus = bus or EventBus()
        self.detector: IntentDetector = detector or ChatOnlyDetector()
        self.affect: AffectAnalyzer = affect or NeutralAffect()
        self.skills = skills or SkillRegistry()
        self.facts: FactSelector = facts or NoFacts()
        self.dialogue = dialogue or DialogueTracker(DialogueStore(store), self.bus)
        # (shared text, question) → the part of the text that fits the prompt budget
        self.fit_turn_context = fit_turn_context
        # an image waiting for the next turn (captured before a spoken question)
        self.waiting_images = waiting_images
        # a chat message's exact answer, said instead of the model's (a unit conversion)
        self.exact_answer = exact_answer
        self.clock = clock
        self._turn_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._turn_counter = 0
        self._cancel: CancelToken | None = None
        self._running_turn: int | None = None
        self._conversation_id = store.current_conversation()
        self._token_counts: dict[tuple[tuple[str, str], ...], int] = {}
        self._cache_stale = False  # see ``cache_stale``
        self._facts_upto: int | None = None  # the newest fact when the conversation opened

    # --- the conversation -----------------------------------------------------------------

    @property
    def conversation_id(self) -> int:
        return self._conversation_id

    def new_conversation(self) -> int:
        self._conversation_id = self.store.create_conversation()
        self._facts_upto = None
        self.bus.emit(ConversationChanged(self._conversation_id))
        return self._conversation_id

    def open_conversation(self, conversation_id: int) -> None:
        self.store.set_current_conversation(conversation_id)
        self._conversation_id = conversation_id
        self._facts_upto = None
        self.bus.emit(ConversationChanged(conversation_id))

    def last_reply(self) -> str | None:
        for message in reversed(self.store.messages(self._conversation_id, limit=20)):
            if message.role == "assistant" and message.text:
                return message.text
        return None

    # --- cancelling -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._running_turn is not None

    def cancel(self, reason: str = "stopped") -> bool:
        """Cancel the running turn (Stop, Ctrl-C, barge-in). True if one was running."""
        with self._state_lock:
            token, turn_id = self._cancel, self._running_turn
        if token is None or turn_id is None or token.cancelled:
            return False
        token.cancel()
        self.bus.emit(Interrupted(turn_id, reason))
        return True

    def record_spoken(self, message_id: int, spoken_text: str) -> None:
        """After speech was interrupted, keep only the words that were actually spoken."""
        self.store.update_message(message_id, text=spoken_text.strip(), interrupted=1)

    def retract(self, turn: TurnResult) -> None:
        """Forget a turn that turned out to be the first half of a longer one (the voice loop
        ended it at a pause, then the user went on): its message and reply are deleted, and
        views reload the conversation."""
        with self._turn_lock:
            self.store.delete_messages([turn.user_message_id, turn.reply_message_id])
        self.bus.emit(ConversationChanged(turn.conversation_id))

    def announce(self, text: str) -> int:
        """Say something unprompted (a timer going off) as a reply of its own.

        It is stored as an assistant message of the current conversation and streamed with the
        usual reply events, so the window shows it and the voice loop speaks it. Waits for a
        turn in progress to finish. Returns the turn id.
        """
        with self._turn_lock:
            with self._state_lock:
                self._turn_counter += 1
                turn_id = self._turn_counter
            conversation_id = self._conversation_id
            message_id = self.store.add_message(
                conversation_id, "assistant", text, "typed", intent="alarm"
            )
            self.bus.emit(ReplyStarted(turn_id, "skill"))
            self.bus.emit(ReplyToken(turn_id, text))
            splitter = SentenceSplitter(first_clause_words=FIRST_CLAUSE_WORDS)
            sentences = [*splitter.feed(text), *splitter.flush()]
            for index, sentence in enumerate(sentences):
                self.bus.emit(ReplySentence(turn_id, index, sentence))
            self.bus.emit(ReplyDone(turn_id, conversation_id, message_id, text, False))
        return turn_id

    # --- a turn ---------------------------------------------------------------------------

    def handle(self, request: TurnRequest | str) -> TurnResult:
        """Run one turn to its end and return what was stored; events stream meanwhile. A bare
        string is a typed message."""
        if isinstance(request, str):
            request = TurnRequest(request)
        text = clean_user_text(request.text)
        if not text:
            raise AssistantError("the message is empty; type or say something first.")
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[:MAX_MESSAGE_CHARS]
        with self._turn_lock:
            if not request.attachments and self.waiting_images is not None:
                waiting = self.waiting_images.take()  # a capture before a spoken question
                if waiting is not None:
                    request = replace(request, attachments=(waiting,))
            request = replace(request, text=text)
            token = request.cancel or CancelToken()
            with self._state_lock:
                self._turn_counter += 1
                turn_id = self._turn_counter
                self._cancel, self._running_turn = token, turn_id
            facts_before = self._prompt_facts()
            try:
                result = self._run_turn(turn_id, request, token)
            finally:
                with self._state_lock:
                    self._cancel, self._running_turn = None, None
        if result.intent.is_command:  # "remember that …" and "forget …" apply at once
            self._facts_upto = None
        if self._prompt_facts() != facts_before:
            self._cache_stale = True
        return result

    def _run_turn(self, turn_id: int, request: TurnRequest, cancel: CancelToken) -> TurnResult:
        text = request.text
        timings: dict[str, float] = {}
        conversation_id = self._conversation_id

        @contextmanager
        def stage(name: str) -> Iterator[None]:
            t0 = time.perf_counter()
            try:
                yield
            finally:
                ms = (time.perf_counter() - t0) * 1000.0
                timings[name] = round(ms, 2)
                self.bus.emit(StageTiming(turn_id, name, ms))

        turn = _Turn(
            turn_id,
            request,
            cancel,
            conversation_id,
            self.store.messages(conversation_id, limit=200),
            time.perf_counter(),
            timings,
            stage,
        )
        with stage("store_user"):
            files = request.attachments
            user_id = self.store.add_message(conversation_id, "user", text, request.source, files)
        self.bus.emit(
            UserText(
                turn_id,
                conversation_id,
                user_id,
                text,
                request.source,
                request.client_ref,
                len(files),
            )
        )
        with stage("affect"):
            affect = self._analyze(text)

        def start_reply(own: Intent) -> None:
            if not own.is_command:  # the detector leans to chat: its reply need not wait
                turn.ahead = self._reply_ahead(turn, affect)

        try:
            with stage("intent"):
                intent = self._follow_up(conversation_id, text) or self._detect(text, start_reply)
            if intent.is_command:
                affect = command_affect(affect)
                turn.drop_ahead()
            result = self._answer(turn, user_id, intent, affect)
            if turn.noted:  # the history will not hold the note the model read
                self._cache_stale = True
            return result
        finally:
            turn.drop_ahead()

    def _answer(self, turn: _Turn, user_id: int, intent: Intent, affect: Affect) -> TurnResult:
        """The rest of the turn, once its intent is known: the skill or the model's reply
        (the one started beside the parse, if any), stored and announced."""
        turn_id, request, stage, timings = turn.id, turn.request, turn.stage, turn.timings
        text, turn_context, conversation_id = (
            request.text,
            request.turn_context,
            turn.conversation_id,
        )
        self.store.update_message(
            user_id,
            intent=intent.name,
            intent_confidence=intent.confidence,
            slots=intent.slots,
            sentiment_label=affect.label,
            sentiment_score=affect.score,
            emotion=affect.emotion,
        )
        self.bus.emit(IntentDetected(turn_id, intent.name, intent.confidence, dict(intent.slots)))

        skill = self.skills.get(intent.name) if intent.is_command else None
        actions: tuple[str, ...] = ()
        skill_reply: SkillReply | None = None
        if skill is not None:
            with stage("skill"):
                ctx = SkillContext(
                    self.store,
                    conversation_id,
                    self.clock,
                    last_reply=self.last_reply(),
                    image_text=turn_context,
                    last_change=self.dialogue.last_change(conversation_id),
                )
                try:
                    skill_reply = skill.run(intent, ctx)
                except AssistantError as err:
                    skill_reply = SkillReply(str(err))
                reply_text, actions = skill_reply.text, skill_reply.actions
        exact = None if intent.is_command or turn_context else self._exact(text)
        if skill is not None and ASK_LLM not in actions:
            self.bus.emit(ReplyStarted(turn_id, "skill"))
            pieces: Iterator[str] = iter([reply_text])
        elif exact is not None:  # "how many pounds is five kilograms": worked out, not guessed
            turn.drop_ahead()
            self.bus.emit(ReplyStarted(turn_id, "skill"))
            pieces = iter([exact])
        else:
            if intent.is_command:
                intent = Intent(CHAT, intent.confidence, intent.slots)
            actions, skill_reply = (), None
            self.bus.emit(ReplyStarted(turn_id, "llm"))
            if turn.ahead is not None:
                pieces = turn.ahead.take(turn.cancel)
            else:
                pieces = self._llm_stream(turn, affect)
            pieces = without_ai_opener(pieces)

        reply_text, interrupted = self._stream_reply(
            turn_id, pieces, turn.cancel, timings, request.on_first_sentence
        )
        self._record_dialogue(conversation_id, intent, skill_reply)
        with stage("store_reply"):
            reply_id = self.store.add_message(
                conversation_id,
                "assistant",
                reply_text,
                "typed",
                intent=intent.name,
                timings=timings,
                interrupted=int(interrupted),
            )
        timings["total"] = round((time.perf_counter() - turn.started) * 1000.0, 2)
        self.store.update_message(reply_id, timings=timings)
        if not intent.is_command:  # from the next turn on, in the system prompt
            self._learn_facts(text, user_id)
        self.bus.emit(ReplyDone(turn_id, conversation_id, reply_id, reply_text, interrupted))
        if "new_conversation" in actions:
            self.new_conversation()
        return TurnResult(
            turn_id, conversation_id, user_id, reply_id, reply_text, intent, interrupted, timings
        )

    def _follow_up(self, conversation_id: int, text: str) -> Intent | None:
        """The turn read against the dialogue state (an answer, an undo, "cancel it")."""
        try:
            return self.dialogue.read(conversation_id, text, self.clock())
        except Exception:  # never lose the message over the dialogue state
            log.exception("reading the dialogue state failed")
            return None

    def _record_dialogue(
        self, conversation_id: int, intent: Intent, reply: SkillReply | None
    ) -> None:
        try:
            self.dialogue.record(conversation_id, intent, reply)
        except Exception:
            log.exception("recording the dialogue state failed")

    def _detect(self, text: str, on_unsure: OnUnsure) -> Intent:
        try:
            return self.detector.detect(text, on_unsure=on_unsure)
        except Exception as err:  # understanding must never lose the message
            log.exception("intent detection failed")
            self.bus.emit(Error("intent", f"intent detection failed ({err}); answering as chat."))
            return Intent(CHAT, 0.0)

    def _exact(self, text: str) -> str | None:
        if self.exact_answer is None:
            return None
        try:
            return self.exact_answer(text)
        except Exception:  # the model answers instead
            log.exception("working out an exact answer failed")
            return None

    def _analyze(self, text: str) -> Affect:
        try:
            return self.affect.analyze(text)
        except Exception:
            log.exception("sentiment analysis failed")
            return Affect()

    def _messages(self, turn: _Turn, affect: Affect) -> list[ChatMessage]:
        text, turn_context = turn.request.text, turn.request.turn_context
        with turn.stage("context"):
            if turn_context and self.fit_turn_context is not None:
                turn_context = self.fit_turn_context(turn_context, text)
            mind = self._keep_in_mind(text)
            messages = self._context(text, turn.history, affect, turn_context, mind)
            turn.noted = messages[-1].content != text
            return messages

    def _llm_stream(self, turn: _Turn, affect: Affect) -> Iterator[str]:
        """Builds the prompt when first asked for a piece, so that a model that fails to load
        (tokenizer, weights) is reported like any failure of the reply, and a reply is stored."""
        messages = self._messages(turn, affect)
        yield from self.llm.stream(messages, generation_options(self.config), turn.cancel)

    def _reply_ahead(self, turn: _Turn, affect: Affect) -> ReplyAhead:
        """The chat reply started now, beside the intent parse; its pieces wait for ``take``."""
        messages = self._messages(turn, affect)
        options = generation_options(self.config)
        return ReplyAhead(lambda cancel: self.llm.stream(messages, options, cancel))

    def _count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """The model's count, remembered: the context window counts every past turn at each
        turn (to keep its start in place), and a tokenizer call per turn adds up."""
        key = tuple((m.role, m.content) for m in messages)
        found = self._token_counts.get(key)
        if found is None:
            if len(self._token_counts) >= TOKEN_COUNTS_KEPT:
                self._token_counts.clear()
            found = self._token_counts[key] = self.llm.count_tokens(messages)
        return found

    def _context(
        self,
        text: str,
        history: list,
        affect: Affect,
        turn_context: str | None,
        mind: Sequence[str] = (),
    ) -> list[ChatMessage]:
        parts = PromptParts(
            persona=self.config.assistant.persona.format(name=self.config.assistant.name),
            now=self.clock(),
            facts=self._prompt_facts(),
            turn_context=turn_context,
        )
        return build_context(
            system_prompt(parts),
            history,
            user_message(text, affect, mind),
            self.config.llm.context_tokens,
            self._count_tokens,
            reserve_tokens=self.config.llm.max_new_tokens,
        )

    def _keep_in_mind(self, text: str) -> list[str]:
        try:
            return self.facts.relevant(text, MIND_FACTS)
        except Exception:  # the reply goes on without them
            log.exception("choosing the facts to keep in mind failed")
            return []

    def _prompt_facts(self) -> list[str]:
        facts = self.store.facts()
        if self._facts_upto is None:
            self._facts_upto = max((fact.id for fact in facts), default=0)
        return [fact.text for fact in facts if fact.id <= self._facts_upto][-PROMPT_FACTS:]

    def _learn_facts(self, text: str, user_id: int) -> None:
        """What the user said about themselves in passing ("I'm vegan", "my son's name is
        Oliver"), kept as facts (in the system prompt from the next conversation)."""
        try:
            for fact in extract_self_facts(text):
                self.store.replace_keyed_fact(fact.key, fact.text, user_id)
        except Exception:  # never lose the turn over a fact
            log.exception("noting a fact failed")

    @property
    def cache_stale(self) -> bool:
        """The model's cache no longer matches what the next turn will send: the facts in the
        system prompt changed ("remember …", "forget …"), or the last message was read with a
        note the history does not keep. The window and the voice loop then call ``prepare``
        while the reply is spoken or the user speaks, rather than the next reply reading it."""
        return self._cache_stale

    def prepare(self, heard: str = "") -> int:
        """Run the conversation so far into the language model's cache before the next message
        (at start, and while the user is speaking), so that its reply only has to read the new
        message; with ``heard`` (the transcript of the user's speech so far) that text too, as
        their message: the reply then reads only what they say after it. Best effort: returns
        the tokens cached (0 when the model cannot or is busy)."""
        if not isinstance(self.llm, Prefilling) or self.busy:
            return 0
        history = self.store.messages(self._conversation_id, limit=200)
        heard = clean_user_text(heard)[:MAX_MESSAGE_CHARS]
        try:
            # without ``heard``, an empty message: its header ("<|im_start|>user\n") is read
            # too, so the reply reads only the words and the reply's header (~40 ms less)
            messages = self._context(heard, history, Affect(), None)
            cached = self.llm.prefill(messages, generation_options(self.config))
            if cached:
                self._cache_stale = False
            return cached
        except AssistantError as err:
            log.info("prefill skipped: %s", err)
            return 0

    def _stream_reply(
        self,
        turn_id: int,
        pieces: Iterator[str],
        cancel: CancelToken,
        timings: dict[str, float],
        on_first_sentence: Callable[[int], None] | None = None,
    ) -> tuple[str, bool]:
        splitter = SentenceSplitter(first_clause_words=FIRST_CLAUSE_WORDS)
        produced: list[str] = []
        index = 0
        t0 = time.perf_counter()
        try:
            for piece in pieces:
                if cancel.cancelled:
                    break
                if not produced:
                    ms = (time.perf_counter() - t0) * 1000.0
                    timings["first_token"] = round(ms, 2)
                    self.bus.emit(StageTiming(turn_id, "first_token", ms))
                produced.append(piece)
                self.bus.emit(ReplyToken(turn_id, piece))
                for sentence in splitter.feed(piece):
                    self.bus.emit(ReplySentence(turn_id, index, sentence))
                    index += 1
                    if index == 1 and on_first_sentence is not None:
                        on_first_sentence(turn_id)
        except AssistantError as err:
            self.bus.emit(Error("llm", str(err)))
            if not produced:
                produced.append(f"Sorry, I could not answer: {err}")
        except Exception as err:
            log.exception("language model failed")
            self.bus.emit(Error("llm", f"the language model failed: {err}"))
            if not produced:
                produced.append("Sorry, something went wrong while I was answering.")
        if not cancel.cancelled:
            for sentence in splitter.flush():
                self.bus.emit(ReplySentence(turn_id, index, sentence))
                index += 1
        timings["reply"] = round((time.perf_counter() - t0) * 1000.0, 2)
        self.bus.emit(StageTiming(turn_id, "reply", timings["reply"]))
        return "".join(produced).strip(), cancel.cancelled
