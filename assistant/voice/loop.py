"""The voice loop: microphone → end of turn → Whisper → engine → sentences → TTS → speaker.

Threads (queues between them, nothing heavy on the audio callbacks):
  capture   reads 32 ms frames, runs echo cancellation, voice activity and turn detection
  asr       transcribes the growing turn (partials, a speculative final at each pause, the final)
  turns     hands final transcripts (and typed lines) to ``engine.handle`` one at a time
  tts       synthesises each ReplySentence while the model still generates, queues it to play
  speaker   (its own notifier thread) reports which sentences started and how much was played

Self-hearing: while a reply is being spoken, the microphone goes through the echo canceller and
only a sustained stretch of speech in its output (``audio.barge_in_ms``, so a "mm-hmm" does not
count) interrupts the reply; the user's turn then starts with the *raw* microphone audio (with
pre-roll) for Whisper. Until the canceller has measured the echo path (the first ~1.3 s of
speech after start) and without a canceller, the loop is half-duplex while it speaks.

End of turn: a turn ends after ``audio.end_of_turn_silence_ms`` of silence, or already after
``audio.early_end_of_turn_ms`` when the speculative transcript of the pause reads as a finished
request, or after half the silence when it is unsure (``endpoint.verdict``). If the user speaks
again within the full silence, the early turn was only the first half: its reply is stopped and
withdrawn from memory, and the new turn starts where the early one started, so Whisper hears the
whole sentence.

After an interruption only the words actually played stay in memory
(``ConversationEngine.record_spoken``): whole sentences played, plus the played fraction of the
sentence that was cut, by words.
"""

from __future__ import annotations

import collections
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from assistant.asr.base import SpeechRecognizer
from assistant.audio import SAMPLE_RATE
from assistant.audio.base import AudioInput, AudioOutput
from assistant.audio.capture import DeviceLost, Microphone
from assistant.audio.echo import EchoCanceller, ReferenceAligner, build_echo_canceller
from assistant.audio.playback import ClipDone, Speaker
from assistant.audio.ring import History
from assistant.audio.vad import (
    FRAME,
    FRAME_MS,
    SileroVad,
    SpeechProbability,
    TurnDetector,
    TurnEnd,
    TurnSettings,
    TurnStart,
    dbfs,
)
from assistant.cancel import CancelToken
from assistant.config import Config
from assistant.conversation import ConversationEngine, TurnResult
from assistant.errors import AssistantError, DeviceError
from assistant.events import (
    AssistantState,
    EndOfTurn,
    Error,
    Event,
    FinalTranscript,
    InputLevel,
    IntentDetected,
    Interrupted,
    ModelLoaded,
    ModelLoading,
    Notice,
    PartialTranscript,
    ReplyDone,
    ReplySentence,
    ReplyStarted,
    SpeakingStarted,
    SpeakingStopped,
    StageTiming,
    StateChanged,
)
from assistant.tts.base import SpeechSynthesizer
from assistant.turns import TurnRequest
from assistant.voice.endpoint import WITHDRAWABLE_SKILLS, Verdict, verdict
from assistant.voice.transcriber import Job, Result, TurnTranscriber

log = logging.getLogger(__name__)

PARTIAL_EVERY_S = 1.0  # a partial transcript per second of speech
TAIL_MS = 96  # audio kept after the last speech frame for Whisper (3 frames)
SPECULATE_AFTER_MS = TAIL_MS  # a pause this long starts the speculative final transcript
FIRST_AUDIO_HOLD_S = 2.0  # longest hold of the generation while the first sentence is voiced
ECHO_TAIL_S = 0.5  # after playback the room still rings: keep the echo path this long
LEVEL_EVERY = SAMPLE_RATE // 20  # InputLevel at ~20 Hz


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
class _Said:
    """A line for the engine: typed (``seq`` 0) or the transcript of voice turn ``seq``."""

    text: str
    source: str
    seq: int = 0


@dataclass(frozen=True)
class _Withdraw:
    """Voice turn ``seq`` was the first half of a longer turn: forget it."""

    seq: int


@dataclass(frozen=True)
class _Prepare:
    """The user started speaking: get the language model's cache ready for their message."""


@dataclass(frozen=True)
class _EarlyEnd:
    """A voice turn ended at a short pause (it may still be continued)."""

    seq: int
    start: int  # absolute sample index of the turn's audio
    speech_end: int


@dataclass
class _Reply:
    """The speaking side of one engine turn."""

    turn_id: int
    started_at: float
    seq: int = 0  # the voice turn it answers (0: typed or unprompted)
    by: str = "llm"
    intent: str = ""
    sentences: dict[int, str] = field(default_factory=dict)
    played: dict[int, float] = field(default_factory=dict)
    pending: int = 0  # sentences handed to TTS/playback and not yet reported back
    done: bool = False  # ReplyDone seen
    message_id: int | None = None
    cut: bool = False  # stopped while speaking (barge-in, Stop)
    keep_text: bool = False  # muted mid-reply: the text was shown, keep it whole
    started: bool = False  # SpeakingStarted was emitted
    finished: bool = False
    heard: threading.Event = field(default_factory=threading.Event)  # audio out, or never will


class BargeInDetector:
    """Speech over the reply: ≥ ``min_ms`` of confident speech frames (p ≥ 0.7) within a window
    of 1.5 × that, of which ≥ ``min_heard_ms`` are frames where the microphone held more energy
    than the echo of the reply explains (``heard``). The canceller's output alone is not enough:
    when the echo path moves (a late playback block on a busy machine) AEC3 lets the echo
    through at full strength while it re-adapts, and Silero scores that residue as speech."""

    def __init__(self, min_ms: int, threshold: float = 0.7, min_heard_ms: int = 96) -> None:
        self._need = max(1, math.ceil(min_ms / FRAME_MS))
        self._need_heard = max(1, math.ceil(min_heard_ms / FRAME_MS))
        size = max(self._need, int(self._need * 1.5))
        self._frames: collections.deque[tuple[int, bool, bool]] = collections.deque(maxlen=size)
        self._threshold = threshold

    def reset(self) -> None:
        self._frames.clear()

    def feed(self, p: float, frame_end: int, heard: bool = True) -> int | None:
        """Returns the sample index where the interrupting speech began (the first speech frame
        in the window: echo residue may keep the window from ever emptying), once it counts."""
        speech = p >= self._threshold
        self._frames.append((frame_end, speech, speech and heard))
        if (
            sum(f[1] for f in self._frames) >= self._need
            and sum(f[2] for f in self._frames) >= self._need_heard
        ):
            began = next(end for end, is_speech, _ in self._frames if is_speech) - FRAME
            self.reset()
            return began
        return None


class VoiceLoop:
    """Implements ``VoiceControl`` for the CLI and the GUI; everything else is events."""

    def __init__(
        self,
        engine: ConversationEngine,
        recognizer: SpeechRecognizer,
        synthesizer: SpeechSynthesizer | None,
        config: Config,
        *,
        microphone: AudioInput | None = None,
        speaker: AudioOutput | None = None,
        vad: SpeechProbability | None = None,
        echo: EchoCanceller | str | None = "config",
        push_to_talk_only: bool = False,
    ) -> None:
        audio = config.audio
        self.engine = engine
        self.bus = engine.bus
        self.config = config
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.mic: AudioInput = microphone or Microphone(audio.input_device)
        self.speaker: AudioOutput = speaker or Speaker(audio.output_device)
        self.speaker.on_start = self._on_clip_start
        self.speaker.on_done = self._on_clip_done
        self.vad: SpeechProbability = vad or SileroVad()
        self._echo_setting = echo
        self.echo: EchoCanceller | None = None
        self.push_to_talk_only = push_to_talk_only
        self.settings = TurnSettings(
            end_silence_ms=audio.end_of_turn_silence_ms,
            min_speech_ms=audio.min_speech_ms,
            pre_roll_ms=audio.pre_roll_ms,
        )
        self._detector = TurnDetector(self.settings)
        self._barge = BargeInDetector(audio.barge_in_ms)
        self._history = History(SAMPLE_RATE * 60)
        self._aligner = ReferenceAligner()
        self._ref_resampler: Any = None
        self._ref_rate = 0.0
        self._transcriber = TurnTranscriber(
            recognizer, config.asr.language, self._on_transcript, self._on_asr_error
        )
        self._texts: queue.Queue[_Said | _Withdraw | _Prepare | None] = queue.Queue()
        self._early: _EarlyEnd | None = None
        self._withdrawn: set[int] = set()
        self._tokens: dict[int, CancelToken] = {}  # voice turn → its engine turn's token
        self._results: dict[int, TurnResult] = {}  # voice turn → what the engine stored
        self._handling_seq = 0
        self._intent: tuple[int, str] = (0, "")  # engine turn id, intent name
        self._sentences: queue.Queue[tuple[_Reply, int, str] | None] = queue.Queue()
        self._lock = threading.RLock()
        self._replies: dict[int, _Reply] = {}
        self._reply: _Reply | None = None  # the newest reply
        self._state = AssistantState.IDLE
        self._halt = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._muted = config.tts.muted or synthesizer is None
        self._tts_broken = False
        self._speaker_error_said = False
        self._ptt = False
        self._ptt_turn = False  # the current turn was opened by push-to-talk
        self._turn_seq = 0
        self._turn_start = 0
        self._last_partial = 0
        self._speculated_end = -1
        self._last_audio_end = 0.0
        self._level_count = 0

    # --- VoiceControl ---------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        return self._state is not AssistantState.IDLE

    @property
    def state(self) -> AssistantState:
        return self._state

    def warm_up(self) -> None:
        """Load the models now (reported as events) so the first turn is not slow."""
        parts: list[tuple[str, str, object]] = [("vad", "silero-vad", self.vad)]
        parts.append(("asr", self.recognizer.name, self.recognizer))
        if self.synthesizer is not None and not self._muted:
            parts.append(("tts", self.synthesizer.name, self.synthesizer))
        for role, name, part in parts:
            load = getattr(part, "load", None)
            if load is None:
                continue
            self.bus.emit(ModelLoading(role, name))
            t0 = time.perf_counter()
            try:
                load()
            except AssistantError as err:
                if role != "tts":
                    raise
                self._tts_failed(err)
                continue
            self.bus.emit(ModelLoaded(role, name, time.perf_counter() - t0))

    def start(self) -> None:
        if self._threads:
            return
        self._halt.clear()
        if self._echo_setting == "config":
            self.echo, notice = build_echo_canceller(self.config.audio.echo_cancellation)
            if notice and self.config.audio.barge_in:
                self.bus.emit(Notice(notice, "warning"))
        else:
            self.echo = self._echo_setting  # type: ignore[assignment]
        if self.synthesizer is not None:
            self._open_speaker()
        self._unsubscribe = self.bus.subscribe(self._on_event)
        self._transcriber.start()
        for name, target in (
            ("capture", self._capture_loop),
            ("turns", self._turn_loop),
            ("tts", self._tts_loop),
        ):
            thread = threading.Thread(target=target, name=f"voice-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._set_state(AssistantState.LISTENING)

    def stop(self) -> None:
        if not self._threads:
            return
        self._halt.set()
        self.interrupt()
        self._texts.put(None)
        self._sentences.put(None)
        for thread in self._threads:
            thread.join(5.0)
        self._threads = []
        self._transcriber.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.mic.close()
        self.speaker.close()
        self._set_state(AssistantState.IDLE)

    def push_to_talk(self, pressed: bool) -> None:
        self._ptt = pressed

    def interrupt(self) -> None:
        """Stop the reply being spoken (and the answer being generated)."""
        with self._lock:
            reply = self._reply
        cancelled = self.engine.cancel("stopped")
        if reply is not None and not reply.finished:
            self._cut(reply, "stopped", announce=not cancelled)

    def set_muted(self, muted: bool) -> None:
        self._muted = muted or self.synthesizer is None
        if muted:
            with self._lock:
                reply = self._reply
            if reply is not None and not reply.finished:
                reply.keep_text = True
                self._cut(reply, "muted", announce=False)

    def submit(self, text: str, source: str = "typed") -> None:
        """A typed line joins the same conversation (cancelling a reply in progress)."""
        self.engine.cancel("new message")
        self._texts.put(_Said(text, source))

    # --- state ------------------------------------------------------------------------------

    def _set_state(self, state: AssistantState) -> None:
        with self._lock:
            if state is self._state:
                return
            self._state = state
        self.bus.emit(StateChanged(state))

    def _settle_state(self) -> None:
        """Back to listening unless a reply is still being prepared or spoken."""
        with self._lock:
            reply = self._reply
            active = reply is not None and not reply.finished and not reply.cut
        if self._halt.is_set():
            return
        if active and reply is not None and reply.started:
            self._set_state(AssistantState.SPEAKING)
        elif active or self.engine.busy or not self._texts.empty():
            self._set_state(AssistantState.THINKING)
        else:
            self._set_state(AssistantState.LISTENING)

    # --- capture ------------------------------------------------------------------------------

    def _capture_loop(self) -> None:
        backoff = 0.5
        said_error = False
        while not self._halt.is_set():
            if not self.mic.is_open:
                try:
                    name = self.mic.open()
                except DeviceError as err:
                    if not said_error:
                        self.bus.emit(
                            Error(
                                "audio",
                                f"{err} Text chat still works; the "
                                "microphone is retried in the background.",
                            )
                        )
                        said_error = True
                    self._halt.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if said_error:
                    self.bus.emit(Notice(f"microphone ready: {getattr(name, 'name', name)}"))
                said_error = False
                backoff = 0.5
                self._sync_reference()
                self._detector.reset()
                self._barge.reset()
                self.vad.reset()
            try:
                frame = self.mic.read(FRAME, timeout=0.5)
            except DeviceLost as err:
                self.mic.close()
                lost_turn = self._detector.in_turn
                self._detector.reset()
                self.bus.emit(
                    Error(
                        "audio",
                        f"{err} {'Your turn was ended; ' if lost_turn else ''}"
                        "reconnecting when it comes back.",
                    )
                )
                said_error = True
                self._settle_state()
                continue
            if len(frame) == FRAME:
                self._process(frame)

    def _sync_reference(self) -> None:
        """Pair the speaker's newest output with the microphone's newest input (on open)."""
        self.speaker.reference.clear()
        self._aligner.sync()

    def _reference(self, mic_end: int, n: int) -> np.ndarray:
        """What the speaker played (16 kHz) lined up with the microphone samples up to
        ``mic_end``: the echo canceller's far-end signal."""
        raw = self.speaker.reference.read()
        if raw.size:
            rate = float(self.speaker.rate)
            if rate != SAMPLE_RATE:
                if self._ref_resampler is None or rate != self._ref_rate:
                    import soxr

                    self._ref_resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
                    self._ref_rate = rate
                raw = self._ref_resampler.resample_chunk(raw)
            self._aligner.push(raw)
        return self._aligner.frame(mic_end, n)

    def _echo_path(self) -> bool:
        """True while the assistant's voice may be in the microphone."""
        with self._lock:
            reply = self._reply
            speaking = reply is not None and reply.started and not reply.finished and not reply.cut
        if speaking or self.speaker.busy:
            return True
        return time.monotonic() - self._last_audio_end < ECHO_TAIL_S and not self._detector.in_turn

    def _process(self, frame: np.ndarray) -> None:
        self._history.append(frame)
        pos = self._history.end
        reference = self._reference(pos, len(frame))
        cleaned = self.echo.process(frame, reference) if self.echo is not None else frame
        self._level_count += len(frame)
        if self._level_count >= LEVEL_EVERY:
            self._level_count -= LEVEL_EVERY
            self.bus.emit(InputLevel(dbfs(frame)))
        echo_path = self._echo_path()
        if self._ptt or self._ptt_turn:
            self._push_to_talk_frame(pos, echo_path)
            return
        if self.push_to_talk_only:
            return
        if echo_path:
            self._detector.reset()
            if self.echo is None or not self._hears_over_replies():
                return  # half-duplex while speaking (until the echo path has been measured)
            began = self._barge.feed(self.vad(cleaned), pos, heard=self.echo.double_talk)
            if began is not None:
                self._barge_in(began, pos)
            return
        self._barge.reset()
        self._track_turn(self._detector.feed(self.vad(frame), pos), pos)

    def _push_to_talk_frame(self, pos: int, echo_path: bool) -> None:
        if self._ptt and not self._detector.in_turn:
            if echo_path:
                self.interrupt()
            self._ptt_turn = True
            self._early = None  # a deliberate new turn
            self._start_turn(self._detector.open(pos))
        elif not self._ptt:
            self._ptt_turn = False
            start = self._detector.close(pos).start
            held_ms = (pos - start) * 1000 / SAMPLE_RATE - self.settings.pre_roll_ms
            self._end_turn(TurnEnd(start, pos, pos, held_ms, dropped=held_ms < 200), pos)
        else:
            self._maybe_partial(pos)

    def _barge_in(self, began: int, pos: int) -> None:
        with self._lock:
            reply = self._reply
        log.info("barge-in")
        cancelled = self.engine.cancel("barge-in")
        if reply is not None and not reply.finished:
            self._cut(reply, "barge-in", announce=not cancelled)
        self._start_turn(self._detector.open(began, now=pos))
        self._set_state(AssistantState.LISTENING)

    def _track_turn(self, event: TurnStart | TurnEnd | None, pos: int) -> None:
        if isinstance(event, TurnStart):
            self._start_turn(event)
        elif isinstance(event, TurnEnd):
            self._end_turn(event, pos)
        elif self._detector.in_turn and not self._maybe_end_early(pos):
            self._maybe_partial(pos)

    def _start_turn(self, event: TurnStart) -> None:
        early, self._early = self._early, None
        self._turn_seq += 1
        self._turn_start = event.start
        self._last_partial = event.speech_start
        self._speculated_end = -1
        if early is not None and self._continues(early, event.speech_start):
            self._turn_start = early.start
            self._detector.extend(early.start)
        self._texts.put(_Prepare())
        self._set_state(AssistantState.LISTENING)

    def _hears_over_replies(self) -> bool:
        """The user can be heard while the assistant speaks (echo path measured, barge-in on)."""
        return self.echo is not None and self.echo.ready and self.config.audio.barge_in

    def _maybe_end_early(self, pos: int) -> bool:
        """End the turn at a short pause when what was said reads as finished. Only when the
        user can be heard over the reply: going on after the pause must reach the loop."""
        early_ms = self.config.audio.early_end_of_turn_ms
        if not early_ms or self._detector.silence_ms < early_ms or self._speculated_end < 0:
            return False
        if not self._hears_over_replies():
            return False
        text = self._transcriber.cached(self._turn_seq, self._speculated_end)
        if text is None:
            return False
        reading = verdict(text)
        if reading is Verdict.GOES_ON or (
            reading is Verdict.UNSURE
            and self._detector.silence_ms < self.settings.end_silence_ms / 2
        ):
            return False
        event = self._detector.close(pos)
        if event.dropped:
            return False
        self._end_turn(event, pos)
        self._early = _EarlyEnd(self._turn_seq, self._turn_start, event.speech_end)
        return True

    def _continues(self, early: _EarlyEnd, speech_start: int) -> bool:
        """Speech within the full end-of-turn silence after an early end continues that turn
        (unless a command already acted on it): its reply is stopped and withdrawn."""
        gap_ms = (speech_start - early.speech_end) * 1000 / SAMPLE_RATE
        if gap_ms > self.settings.end_silence_ms:
            return False
        with self._lock:
            reply = self._reply
            answering = reply if reply is not None and reply.seq == early.seq else None
            if (
                answering is not None
                and answering.by == "skill"
                and answering.intent not in WITHDRAWABLE_SKILLS
            ):
                return False
            self._withdrawn.add(early.seq)
            token = self._tokens.get(early.seq)
        log.info("the user went on after an early end of turn; joining the two parts")
        self.bus.emit(Notice("you went on speaking: answering the whole sentence"))
        if token is not None:
            token.cancel()
        if answering is not None and not answering.finished:
            self._cut(answering, "continued", announce=False)
        self._texts.put(_Withdraw(early.seq))
        return True

    def _final_end(self, speech_end: int, pos: int) -> int:
        return min(speech_end + TAIL_MS * SAMPLE_RATE // 1000, pos)

    def _maybe_partial(self, pos: int) -> None:
        detector = self._detector
        if detector.silence_ms >= SPECULATE_AFTER_MS:
            # the same audio the final transcript will use (unless the user speaks again)
            end = self._final_end(detector.last_speech_end, pos)
            if end != self._speculated_end:
                self._speculated_end = end
                self._transcriber.submit(
                    Job(
                        self._turn_seq, end, self._history.slice(self._turn_start, end), final=False
                    )
                )
            return
        if pos - self._last_partial >= PARTIAL_EVERY_S * SAMPLE_RATE and not self._transcriber.busy:
            self._last_partial = pos
            self._transcriber.submit(
                Job(self._turn_seq, pos, self._history.slice(self._turn_start, pos), False)
            )

    def _end_turn(self, event: TurnEnd, pos: int) -> None:
        if event.dropped:
            log.debug("dropped a %.0f ms sound", event.speech_ms)
            return
        silence_ms = (pos - event.speech_end) * 1000 / SAMPLE_RATE
        self.bus.emit(EndOfTurn(event.speech_ms, silence_ms))
        end = self._final_end(event.speech_end, pos)
        self._set_state(AssistantState.THINKING)
        self._transcriber.submit(
            Job(self._turn_seq, end, self._history.slice(event.start, end), final=True)
        )

    # --- transcripts and turns ------------------------------------------------------------

    def _on_transcript(self, result: Result) -> None:
        if not result.final:
            if result.turn == self._turn_seq and self._detector.in_turn and result.text:
                self.bus.emit(PartialTranscript(result.text))
            return
        self.bus.emit(FinalTranscript(result.text))
        if not result.text or _is_noise(result.text):
            self._settle_state()
            return
        with self._lock:
            if result.turn in self._withdrawn:
                return
            self._tokens[result.turn] = CancelToken()
        self.engine.cancel("user spoke")
        self._texts.put(_Said(result.text, "voice", result.turn))

    def _on_asr_error(self, err: Exception) -> None:
        self.bus.emit(Error("asr", f"speech recognition failed: {err}"))
        self._settle_state()

    def _turn_loop(self) -> None:
        while True:
            item = self._texts.get()
            if item is None:
                return
            if isinstance(item, _Withdraw):
                self._withdraw(item.seq)
                continue
            if isinstance(item, _Prepare):
                self._prepare()
                continue
            with self._lock:
                if item.seq in self._withdrawn:
                    continue
                token = self._tokens.get(item.seq)  # None for typed lines
                self._handling_seq = item.seq
            self._set_state(AssistantState.THINKING)
            try:
                result = self.engine.handle(
                    TurnRequest(
                        item.text,
                        item.source,  # type: ignore[arg-type]
                        cancel=token,
                        on_first_sentence=self._until_first_audio,
                    )
                )
            except AssistantError as err:
                self.bus.emit(Error("voice", str(err)))
            except Exception as err:
                log.exception("a voice turn failed")
                self.bus.emit(Error("voice", f"the turn failed: {err}"))
            else:
                if item.seq:  # only the newest voice turn can still be continued
                    with self._lock:
                        self._results = {item.seq: result}
            finally:
                with self._lock:
                    self._handling_seq = 0
                    self._tokens.pop(item.seq, None)
            self._settle_state()

    def _prepare(self) -> None:
        if not self._texts.empty():
            return  # a message is already waiting: it reads the context itself
        try:
            self.engine.prepare()
        except Exception:  # only a head start: the turn reports real failures
            log.exception("preparing the language model failed")

    def _withdraw(self, seq: int) -> None:
        """Forget the stored first half of a continued turn (after it has finished)."""
        with self._lock:
            result = self._results.pop(seq, None)
        if result is not None:
            self.engine.retract(result)

    # --- speaking -------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """Engine events (on the engine's thread): keep it quick, hand work to the queues."""
        if isinstance(event, IntentDetected):
            self._intent = (event.turn_id, event.intent)
        elif isinstance(event, ReplyStarted):
            intent = self._intent[1] if self._intent[0] == event.turn_id else ""
            with self._lock:
                old = self._reply
                reply = _Reply(
                    event.turn_id, time.monotonic(), self._handling_seq, event.by, intent
                )
                self._replies[event.turn_id] = reply
                self._reply = reply
            if old is not None and not old.finished:
                self._cut(old, "new turn", announce=False)
        elif isinstance(event, ReplySentence):
            with self._lock:
                speaking = self._replies.get(event.turn_id)
                if speaking is None or speaking.cut or self._muted or self._tts_broken:
                    return
                speaking.sentences[event.index] = event.text
                speaking.pending += 1
            self._sentences.put((speaking, event.index, event.text))
        elif isinstance(event, ReplyDone):
            with self._lock:
                finished = self._replies.get(event.turn_id)
                if finished is None:
                    return
                finished.done = True
                finished.message_id = event.message_id
            self._maybe_finish(finished)
        elif isinstance(event, Interrupted):
            with self._lock:
                stopped = self._replies.get(event.turn_id)
            if stopped is not None and not stopped.finished:
                self._cut(stopped, event.reason, announce=False)

    def _until_first_audio(self, turn_id: int) -> None:
        """Hold the engine's generation until the first sentence is heard (on 2 cores the
        model and the voice would otherwise share the CPU and both be slow)."""
        with self._lock:
            reply = self._replies.get(turn_id)
        if reply is not None and not (self._muted or self._tts_broken):
            reply.heard.wait(FIRST_AUDIO_HOLD_S)

    def _cut(self, reply: _Reply, reason: str, announce: bool) -> None:
        with self._lock:
            if reply.cut:
                return
            reply.cut = True
        reply.heard.set()
        self.speaker.stop()
        if announce:
            self.bus.emit(Interrupted(reply.turn_id, reason))
        self._maybe_finish(reply)

    def _tts_failed(self, err: Exception) -> None:
        if not self._tts_broken:
            self._tts_broken = True
            self.bus.emit(
                Error("tts", f"speech output failed ({err}); replies are shown but not spoken.")
            )

    def _discard(self, reply: _Reply, index: int) -> None:
        reply.heard.set()  # this sentence will not be heard: do not hold the reply for it
        with self._lock:
            reply.pending -= 1
        self._maybe_finish(reply)

    def _tts_loop(self) -> None:
        while True:
            item = self._sentences.get()
            if item is None:
                return
            reply, index, text = item
            if reply.cut:
                self._discard(reply, index)
                continue
            t0 = time.perf_counter()
            audio = self._synthesize(text)
            if audio is not None and index == min(reply.sentences):
                ms = (time.perf_counter() - t0) * 1000.0
                self.bus.emit(StageTiming(reply.turn_id, "tts_first", ms))
            with self._lock:  # a cut between this check and the play would let the clip out
                played = (
                    audio is not None
                    and not reply.cut
                    and self._play(audio, (reply.turn_id, index))
                )
            if not played:
                self._discard(reply, index)

    def _synthesize(self, text: str) -> np.ndarray | None:
        """The voice for ``text`` at the configured volume; None when muted or failing."""
        if self._muted or self._tts_broken or self.synthesizer is None:
            return None
        try:
            audio = self.synthesizer.synthesize(text)
        except Exception as err:  # any backend failure: say it once, keep showing text
            log.exception("speech synthesis failed")
            self._tts_failed(err)
            return None
        return audio * float(self.config.tts.volume) if audio.size else None

    def _open_speaker(self) -> bool:
        rate = self.synthesizer.sample_rate if self.synthesizer is not None else 48_000
        try:
            self.speaker.open(float(rate))
        except DeviceError as err:
            if not self._speaker_error_said:
                self.bus.emit(Error("audio", f"{err} Replies are shown but not spoken."))
                self._speaker_error_said = True
            return False
        if self._speaker_error_said:
            self.bus.emit(Notice("speaker ready"))
            self._speaker_error_said = False
        return True

    def _play(self, audio: np.ndarray, key: Hashable) -> bool:
        assert self.synthesizer is not None
        for attempt in range(2):
            try:
                self.speaker.play(audio, self.synthesizer.sample_rate, key)
                return True
            except DeviceError as err:
                if attempt or not self._open_speaker():
                    if not self._speaker_error_said:
                        self.bus.emit(Error("audio", str(err)))
                        self._speaker_error_said = True
                    return False
        return False

    def _on_clip_start(self, key: Hashable) -> None:
        turn_id, _index = cast(tuple[int, int], key)
        with self._lock:
            reply = self._replies.get(turn_id)
            if reply is None or reply.started:
                return
            reply.started = True
        reply.heard.set()
        self.bus.emit(
            StageTiming(turn_id, "first_audio", (time.monotonic() - reply.started_at) * 1000.0)
        )
        self.bus.emit(SpeakingStarted(turn_id))
        self._set_state(AssistantState.SPEAKING)

    def _on_clip_done(self, done: ClipDone) -> None:
        turn_id, index = cast(tuple[int, int], done.key)
        self._last_audio_end = time.monotonic()
        with self._lock:
            reply = self._replies.get(turn_id)
            if reply is None:
                return
            reply.played[index] = done.fraction
            reply.pending -= 1
        self._maybe_finish(reply)

    def _maybe_finish(self, reply: _Reply) -> None:
        with self._lock:
            if reply.finished or not reply.done or reply.pending > 0:
                return
            reply.finished = True
            self._replies.pop(reply.turn_id, None)
        spoken = spoken_text(reply.sentences, reply.played)
        if reply.cut and reply.started and not reply.keep_text and reply.message_id is not None:
            self.engine.record_spoken(reply.message_id, spoken)
        if reply.started:
            self.bus.emit(SpeakingStopped(reply.turn_id, spoken, reply.cut))
        self._settle_state()


_NOISE = {"", "you", "thank you.", "thanks for watching!", "[blank_audio]", "(silence)"}


def _is_noise(text: str) -> bool:
    """Whisper's stock output on noise (the ASR backend filters most; this is the last guard)."""
    return text.strip().lower() in _NOISE
