"""The voice loop's reply speaker: the engine's sentences → the voice → the speaker.

It alone keeps the record of each reply (what was said, what was played, whether it was cut),
on its own thread; every other thread only puts messages in its inbox. Synthesis runs on a
second thread so a long sentence never delays a cut. After a cut only the words actually played
stay in memory (``ConversationEngine.record_spoken``): whole sentences played, plus the played
fraction of the sentence that was cut, by words.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from assistant.audio.base import AudioOutput
from assistant.audio.devices import SERVER_GONE
from assistant.audio.playback import ClipDone
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.errors import DeviceError
from assistant.events import (
    AssistantState,
    Error,
    Event,
    IntentDetected,
    Interrupted,
    Notice,
    ReplyDone,
    ReplySentence,
    ReplyStarted,
    SpeakingStarted,
    SpeakingStopped,
    StageTiming,
)
from assistant.tts.base import SpeechSynthesizer
from assistant.voice.status import VoiceStatus

log = logging.getLogger(__name__)

FIRST_AUDIO_HOLD_S = 2.0  # longest hold of the generation while the first sentence is voiced
# a voice's clip starts with 30-50 ms of near silence (Piper): heard as that much more delay
LEAD_SILENCE_DBFS = -55.0
LEAD_KEPT_S = 0.005
ECHO_TAIL_S = 0.5  # after playback the room still rings: keep the echo path this long


def spoken_text(sentences: dict[int, str], played: dict[int, float]) -> str:
    """Whole sentences fully played + the played fraction (by words) of a cut one."""
    words: list[str] = []
    for index in sorted(sentences):
        fraction = played.get(index, 0.0)
        sentence_words = sentences[index].split()
        if fraction >= 0.999:
            words.extend(sentence_words)
        else:
            words.extend(sentence_words[: round(fraction * len(sentence_words))])
            break
    return " ".join(words)


@dataclass(frozen=True)
class ReplyView:
    """What other threads may know of the newest reply (a snapshot, replaced on change)."""

    turn_id: int
    seq: int  # the voice turn it answers (0: typed or unprompted)
    by: str
    intent: str
    started: bool = False  # its first sound has been played
    active: bool = True  # not finished and not cut


# --- the inbox's messages -------------------------------------------------------------------


@dataclass(frozen=True)
class _Started:
    turn_id: int
    seq: int
    by: str
    intent: str
    at: float  # time.monotonic() of ReplyStarted


@dataclass(frozen=True)
class _Cut:
    turn_id: int | None  # None: the newest reply
    reason: str
    announce: bool
    keep_text: bool = False  # muted: the text was shown, keep it whole in memory


@dataclass(frozen=True)
class _Voiced:
    turn_id: int
    index: int
    audio: np.ndarray | None  # None: not voiced (muted, failed, cut)


@dataclass(frozen=True)
class _HoldVoice:
    """The reply of voice turn ``seq`` is not heard (``held``) or is heard from now on."""

    seq: int
    held: bool


@dataclass(frozen=True)
class _ClipStarted:
    key: Hashable


@dataclass(frozen=True)
class _ClipDone:
    done: ClipDone
    at: float


_Message = (
    _Started
    | ReplySentence
    | ReplyDone
    | _Cut
    | _Voiced
    | _ClipStarted
    | _ClipDone
    | _HoldVoice
    | Interrupted
    | None
)


def _key(
    message: ReplySentence | ReplyDone | Interrupted | _Voiced | _ClipStarted | _ClipDone,
) -> tuple[int, int]:
    """(engine turn, sentence index or -1) a message is about."""
    if isinstance(message, _ClipStarted | _ClipDone):
        key = message.key if isinstance(message, _ClipStarted) else message.done.key
        return cast(tuple[int, int], key)
    if isinstance(message, ReplySentence | _Voiced):
        return message.turn_id, message.index
    return message.turn_id, -1


@dataclass
class _Reply:
    """The speaking side of one engine turn (touched only by the reply speaker's thread)."""

    turn_id: int
    started_at: float
    seq: int
    by: str
    intent: str
    heard: threading.Event  # audio out, or never will (the engine's hold waits on it)
    sentences: dict[int, str] = field(default_factory=dict)
    played: dict[int, float] = field(default_factory=dict)
    pending: int = 0  # sentences handed to synthesis/playback and not yet reported back
    done: bool = False  # ReplyDone seen
    message_id: int | None = None
    cut: bool = False
    keep_text: bool = False
    started: bool = False  # SpeakingStarted was emitted
    finished: bool = False
    waiting: list[tuple[int, np.ndarray]] = field(default_factory=list)  # voiced, held back

    def view(self) -> ReplyView:
        active = not self.finished and not self.cut
        return ReplyView(self.turn_id, self.seq, self.by, self.intent, self.started, active)


class ReplySpeaker:
    """``run()`` takes from ``_inbox`` on the thread ``voice-replies``; ``_synthesize_loop``
    takes from ``_to_voice`` on the thread ``voice-tts``.

    _inbox: engine events (put by ``on_event`` on the engine's thread), cuts (put by ``cut`` and
    ``cut_newest`` from the listener, the GUI or the CLI), voiced sentences (put by the
    synthesis thread), clip starts and ends (put by the speaker's notifier thread), ``None``
    (put by ``stop``).
    _to_voice: (turn, sentence index, text, first?) put by ``run()``, taken by synthesis;
    ``None`` ends it.
    """

    def __init__(
        self,
        engine: ConversationEngine,
        synthesizer: SpeechSynthesizer | None,
        speaker: AudioOutput,
        config: Config,
        status: VoiceStatus,
        current_seq: Callable[[], int],
    ) -> None:
        self.engine = engine
        self.bus = engine.bus
        self.synthesizer = synthesizer
        self.speaker = speaker
        self.config = config
        self._status = status
        self._current_seq = current_seq
        self._inbox: queue.SimpleQueue[_Message] = queue.SimpleQueue()
        self._to_voice: queue.SimpleQueue[tuple[int, int, str, bool] | None] = queue.SimpleQueue()
        self._replies: dict[int, _Reply] = {}
        self._newest: _Reply | None = None
        self._heard: dict[int, threading.Event] = {}  # written by on_event, read by the hold
        self._intent: tuple[int, str] = (0, "")  # engine turn id, intent name
        self._cut_ids: set[int] = set()  # written by run(), read by synthesis (skip cut turns)
        self._voice_held: set[int] = set()  # voice turns whose replies wait (run() only)
        self.view: ReplyView | None = None  # the newest reply, for other threads
        self.last_audio_end = 0.0  # time.monotonic() when the last clip ended
        self.muted = config.tts.muted or synthesizer is None
        self.tts_broken = False
        self._speaker_error_said = False
        speaker.on_start = lambda key: self._inbox.put(_ClipStarted(key))
        speaker.on_done = lambda done: self._inbox.put(_ClipDone(done, time.monotonic()))

    # --- what the other stages ask ----------------------------------------------------------

    def speaking(self) -> bool | None:
        """True while the newest reply is heard, False while it is prepared, None if none."""
        view = self.view
        return None if view is None or not view.active else view.started

    def audible(self) -> bool:
        """The assistant's voice is playing now (a reply heard, or clips still queued), not
        paused."""
        return not self.speaker.held and (bool(self.speaking()) or self.speaker.busy)

    def ringing(self) -> bool:
        """Playback ended less than ECHO_TAIL_S ago: the room may still carry it."""
        return time.monotonic() - self.last_audio_end < ECHO_TAIL_S

    def answering(self, seq: int) -> ReplyView | None:
        """The newest reply if it answers voice turn ``seq`` (and is not finished)."""
        view = self.view
        return view if view is not None and view.seq == seq and view.active else None

    def cut_newest(self, reason: str, announce: bool, keep_text: bool = False) -> None:
        self._inbox.put(_Cut(None, reason, announce, keep_text))

    def cut(self, turn_id: int, reason: str) -> None:
        self._inbox.put(_Cut(turn_id, reason, announce=False))

    def hold_voice(self, seq: int, seconds: float) -> None:
        """The reply to voice turn ``seq`` is prepared as usual but heard only ``seconds``
        from now (an early end of turn while going on over the reply would not be heard)."""
        self._inbox.put(_HoldVoice(seq, held=True))
        timer = threading.Timer(seconds, self._inbox.put, args=(_HoldVoice(seq, held=False),))
        timer.daemon = True
        timer.start()

    def until_first_audio(self, turn_id: int) -> None:
        """Hold the engine's generation until the first sentence is heard (on 2 cores the
        model and the voice would otherwise share the CPU and both be slow)."""
        heard = self._heard.get(turn_id)
        if heard is not None and not (self.muted or self.tts_broken):
            heard.wait(FIRST_AUDIO_HOLD_S)

    def on_event(self, event: Event) -> None:
        """Engine events, on the engine's thread: keep it quick, hand them to the inbox."""
        if isinstance(event, IntentDetected):
            self._intent = (event.turn_id, event.intent)
        elif isinstance(event, ReplyStarted):
            intent = self._intent[1] if self._intent[0] == event.turn_id else ""
            self._heard[event.turn_id] = threading.Event()
            started = _Started(
                event.turn_id, self._current_seq(), event.by, intent, time.monotonic()
            )
            self._inbox.put(started)
        elif isinstance(event, ReplySentence | ReplyDone | Interrupted):
            self._inbox.put(event)

    def tts_failed(self, err: Exception) -> None:
        if not self.tts_broken:
            self.tts_broken = True
            self.bus.emit(
                Error("tts", f"speech output failed ({err}); replies are shown but not spoken.")
            )

    def open_speaker(self) -> bool:
        rate = self.synthesizer.sample_rate if self.synthesizer is not None else 48_000
        try:
            self.speaker.open(float(rate))
        except DeviceError as err:
            if str(err).startswith(SERVER_GONE):
                self._speaker_error_said = True  # the listener says it, once
            if not self._speaker_error_said:
                self.bus.emit(Error("audio", f"{err} Replies are shown but not spoken."))
                self._speaker_error_said = True
            return False
        if self._speaker_error_said:
            self.bus.emit(Notice("speaker ready"))
            self._speaker_error_said = False
        return True

    def stop(self) -> None:
        self._inbox.put(None)
        self._to_voice.put(None)

    # --- the run loop (its thread alone touches the _Reply records) -------------------------

    def run(self) -> None:
        while (message := self._inbox.get()) is not None:
            try:
                self._take(message)
            except Exception:  # a bug here must not silence every later reply
                log.exception("the reply speaker failed on %s", type(message).__name__)

    def _take(self, message: _Message) -> None:
        if isinstance(message, _Started):
            self._start(message)
            return
        if isinstance(message, _Cut):
            reply = self._newest if message.turn_id is None else self._replies.get(message.turn_id)
            if reply is not None and not reply.finished:
                reply.keep_text = reply.keep_text or message.keep_text
                self._cut(reply, message.reason, message.announce)
            return
        if message is None:
            return
        if isinstance(message, _HoldVoice) and message.held:
            self._voice_held.add(message.seq)
            return
        if isinstance(message, _HoldVoice):
            self._voice_held.discard(message.seq)
            for reply in list(self._replies.values()):
                if reply.seq == message.seq:
                    waiting, reply.waiting = reply.waiting, []
                    for index, audio in waiting:
                        self._play(reply, index, audio)
            return
        turn_id, index = _key(message)
        reply = self._replies.get(turn_id)
        if reply is None:
            return
        if isinstance(message, ReplySentence):
            self._add_sentence(reply, index, message.text)
        elif isinstance(message, ReplyDone):
            reply.done, reply.message_id = True, message.message_id
            self._maybe_finish(reply)
        elif isinstance(message, Interrupted):
            if not reply.finished:
                self._cut(reply, message.reason, announce=False)
        elif isinstance(message, _Voiced):
            self._play(reply, index, message.audio)
        elif isinstance(message, _ClipStarted):
            self._clip_started(reply)
        elif isinstance(message, _ClipDone):
            self.last_audio_end = message.at
            reply.played[index] = message.done.fraction
            reply.pending -= 1
            self._maybe_finish(reply)

    def _start(self, message: _Started) -> None:
        heard = self._heard.get(message.turn_id) or threading.Event()
        reply = _Reply(message.turn_id, message.at, message.seq, message.by, message.intent, heard)
        old, self._newest = self._newest, reply
        self._replies[reply.turn_id] = reply
        self._publish(reply)
        if old is not None and not old.finished:
            self._cut(old, "new turn", announce=False)
        self.speaker.hold(False)  # a new reply is never left paused

    def _publish(self, reply: _Reply) -> None:
        if reply is self._newest:
            self.view = reply.view()

    def _add_sentence(self, reply: _Reply, index: int, text: str) -> None:
        if reply.cut or self.muted or self.tts_broken:
            return
        first = not reply.sentences
        reply.sentences[index] = text
        reply.pending += 1
        self._to_voice.put((reply.turn_id, index, text, first))

    def _cut(self, reply: _Reply, reason: str, announce: bool) -> None:
        if reply.cut:
            return
        reply.cut = True
        self._cut_ids.add(reply.turn_id)
        reply.pending -= len(reply.waiting)  # held back: never to be heard
        reply.waiting = []
        reply.heard.set()
        self.speaker.stop()
        self._publish(reply)
        if announce:
            self.bus.emit(Interrupted(reply.turn_id, reason))
        self._maybe_finish(reply)

    def _play(self, reply: _Reply, index: int, audio: np.ndarray | None) -> None:
        if audio is not None and not reply.cut and reply.seq in self._voice_held:
            reply.waiting.append((index, audio))  # heard when the hold ends
            return
        if audio is None or reply.cut or not self._to_speaker(audio, (reply.turn_id, index)):
            reply.heard.set()  # this sentence will not be heard: do not hold the reply for it
            reply.pending -= 1
            self._maybe_finish(reply)

    def _to_speaker(self, audio: np.ndarray, key: Hashable) -> bool:
        assert self.synthesizer is not None
        for attempt in range(2):
            try:
                self.speaker.play(audio, self.synthesizer.sample_rate, key)
                return True
            except DeviceError as err:
                if attempt or not self.open_speaker():
                    if str(err).startswith(SERVER_GONE):
                        self._speaker_error_said = True  # the listener says it, once
                    if not self._speaker_error_said:
                        self.bus.emit(Error("audio", str(err)))
                        self._speaker_error_said = True
                    return False
        return False

    def _clip_started(self, reply: _Reply) -> None:
        if reply.started:
            return
        reply.started = True
        reply.heard.set()
        self._publish(reply)
        ms = (time.monotonic() - reply.started_at) * 1000.0
        self.bus.emit(StageTiming(reply.turn_id, "first_audio", ms))
        self.bus.emit(SpeakingStarted(reply.turn_id))
        self._status.set(AssistantState.SPEAKING)

    def _maybe_finish(self, reply: _Reply) -> None:
        if reply.finished or not reply.done or reply.pending > 0:
            return
        reply.finished = True
        self._replies.pop(reply.turn_id, None)
        self._heard.pop(reply.turn_id, None)
        self._publish(reply)
        spoken = spoken_text(reply.sentences, reply.played)
        if reply.cut and reply.started and not reply.keep_text and reply.message_id is not None:
            self.engine.record_spoken(reply.message_id, spoken)
        if reply.started:
            self.bus.emit(SpeakingStopped(reply.turn_id, spoken, reply.cut))
        self._status.settle()

    # --- synthesis (its own thread) ---------------------------------------------------------

    def synthesize_loop(self) -> None:
        while (job := self._to_voice.get()) is not None:
            turn_id, index, text, first = job
            audio = None
            if turn_id not in self._cut_ids:
                t0 = time.perf_counter()
                audio = self._synthesize(text)
                if audio is not None and first:
                    ms = (time.perf_counter() - t0) * 1000.0
                    self.bus.emit(StageTiming(turn_id, "tts_first", ms))
            self._inbox.put(_Voiced(turn_id, index, audio))

    def _synthesize(self, text: str) -> np.ndarray | None:
        """The voice for ``text`` at the configured volume; None when muted or failing."""
        if self.muted or self.tts_broken or self.synthesizer is None:
            return None
        try:
            audio = self.synthesizer.synthesize(text)
        except Exception as err:  # any backend failure: say it once, keep showing text
            log.exception("speech synthesis failed")
            self.tts_failed(err)
            return None
        audio = without_lead_silence(audio, self.synthesizer.sample_rate)
        return audio * float(self.config.tts.volume) if audio.size else None


def without_lead_silence(audio: np.ndarray, rate: int) -> np.ndarray:
    """``audio`` from 5 ms before its first 5 ms window above ``LEAD_SILENCE_DBFS``."""
    window = max(1, rate // 200)
    n = len(audio) // window * window
    if not n:
        return audio
    power = np.mean(np.square(audio[:n].reshape(-1, window), dtype=np.float64), axis=1)
    loud = np.flatnonzero(power > 10 ** (LEAD_SILENCE_DBFS / 10))
    if not loud.size:
        return audio
    return audio[max(0, loud[0] * window - int(LEAD_KEPT_S * rate)) :]
