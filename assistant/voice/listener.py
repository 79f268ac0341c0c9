"""The voice loop's listener: microphone → echo canceller → voice activity → turns, barge-in.

Self-hearing: while a reply is being spoken, the microphone goes through the echo canceller and
only a sustained stretch of speech in its output (``audio.barge_in_ms``, so a "mm-hmm" does not
count) interrupts the reply; Whisper hears the user's turn from the *raw* microphone (the
canceller's suppressor damages words said over the reply), but its pre-roll, where only the
reply was playing, from the canceller's output.
Until the canceller has measured the echo path (the first ~1.3 s of speech after start) and
without a canceller, the loop is half-duplex while it speaks.

End of turn: a turn ends after ``audio.end_of_turn_silence_ms`` of silence, or already after
``audio.early_end_of_turn_ms`` when the speculative transcript of the pause does not read as
going on and the acoustic end-of-turn model (Smart Turn, ``audio.turn_model``; scored on the same
audio at the same time) hears a finished voice (``endpoint.ends_turn``); with the model off, a
finished-looking transcript ends it at once and an unsure one at half the silence. If the user
speaks again within the full silence, the early turn was only the first half: its reply is
stopped and withdrawn from memory, and the new turn starts where the early one started, so
Whisper hears the whole sentence. Going on over the reply is heard only once the echo path is
known (measured, or found absent, as with a headset); until then (the first turn) and without
echo cancelling, the reply of an early end is prepared at once but its voice waits for the full
silence, so going on is still heard.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.asr.base import SpeechRecognizer
from assistant.audio import SAMPLE_RATE
from assistant.audio.base import AudioInput
from assistant.audio.capture import DeviceLost
from assistant.audio.devices import SERVER_GONE
from assistant.audio.echo import EchoCanceller, ReferenceAligner, TimedAligner
from assistant.audio.ring import History
from assistant.audio.vad import (
    FRAME,
    FRAME_MS,
    SpeechProbability,
    TurnDetector,
    TurnEnd,
    TurnSettings,
    TurnStart,
    dbfs,
)
from assistant.config import AudioSection
from assistant.errors import DeviceError
from assistant.events import (
    AssistantState,
    EndOfTurn,
    Error,
    EventBus,
    FinalTranscript,
    InputLevel,
    Notice,
    PartialTranscript,
)
from assistant.voice.endpoint import WITHDRAWABLE_SKILLS, ends_turn, is_backchannel, verdict
from assistant.voice.reply_speaker import ReplySpeaker
from assistant.voice.smart_turn import TurnModel
from assistant.voice.status import VoiceStatus
from assistant.voice.transcriber import Job, Result, TurnTranscriber
from assistant.voice.turn_runner import TurnRunner

log = logging.getLogger(__name__)

PARTIAL_EVERY_S = 1.0  # a partial transcript per second of speech
TAIL_MS = 96  # audio kept after the last speech frame for Whisper (3 frames)
SPECULATE_AFTER_MS = TAIL_MS  # a pause this long starts the speculative final transcript
LEVEL_EVERY = SAMPLE_RATE // 20  # InputLevel at ~20 Hz
# A long turn's partial transcripts are read into the model's cache while the user speaks, so
# the reply reads only the words after them; not a short one's (a command's few tokens cost
# little, and the model would take the cores its reply's voice needs), nor at a pause, where
# the turn may end and find the model busy
PREPARE_HEARD_AFTER_MS = 2000
# Speech over a reply first pauses it; confident speech longer than this is an interruption …
BACKCHANNEL_MAX_MS = 900
# … shorter speech waits for its transcript (at most this long after the pause): a "mm-hmm" or
# "yeah" lets the reply go on from where it paused, anything else interrupts it
BACKCHANNEL_WAIT_MS = 700


class BargeInDetector:
    """Speech over the reply: ≥ ``min_ms`` of speech frames within a window of 1.5 × that, of
    which ≥ ``min_heard_ms`` are frames where the microphone held more energy than the echo of
    the reply explains (``heard``). A frame is speech at p ≥ ``threshold``, or at p ≥
    ``heard_threshold`` when heard: Silero, on the canceller's output, rises 40-500 ms after
    the energy of a voice over the reply shows (device benchmark), so the stricter bar alone
    stopped replies up to 1.2 s after the user began. The canceller's output alone is not
    enough: when the echo path moves (a late playback block on a busy machine) AEC3 lets the
    echo through at full strength while it re-adapts, and Silero scores that residue as
    speech."""

    def __init__(
        self,
        min_ms: int,
        threshold: float = 0.7,
        min_heard_ms: int = 96,
        heard_threshold: float = 0.5,
    ) -> None:
        self._need = max(1, math.ceil(min_ms / FRAME_MS))
        self._need_heard = max(1, math.ceil(min_heard_ms / FRAME_MS))
        size = max(self._need, int(self._need * 1.5))
        self._frames: collections.deque[tuple[int, bool, bool]] = collections.deque(maxlen=size)
        self._threshold = threshold
        self._heard_threshold = heard_threshold

    def reset(self) -> None:
        self._frames.clear()

    def feed(self, p: float, frame_end: int, heard: bool = True) -> int | None:
        """Returns the sample index where the interrupting speech began (the first speech frame
        in the window: echo residue may keep the window from ever emptying), once it counts."""
        speech = p >= (self._heard_threshold if heard else self._threshold)
        self._frames.append((frame_end, speech, speech and heard))
        if (
            sum(f[1] for f in self._frames) >= self._need
            and sum(f[2] for f in self._frames) >= self._need_heard
        ):
            began = next(end for end, is_speech, _ in self._frames if is_speech) - FRAME
            self.reset()
            return began
        return None


@dataclass(frozen=True)
class _Paused:
    """The reply paused for speech over it that may only be a backchannel."""

    began: int  # absolute sample index where the speech began
    at: int  # … and where the reply paused


@dataclass(frozen=True)
class _EarlyEnd:
    """A voice turn ended at a short pause (it may still be continued)."""

    seq: int
    start: int  # absolute sample index of the turn's audio
    speech_end: int


class TurnListener:
    """``run()`` reads the microphone on the thread ``voice-capture``; the transcriber (its own
    thread, ``asr``) takes the jobs it submits and calls back ``_on_transcript``.

    Puts: final transcripts, withdrawals and "prepare" into the turn runner's inbox; cuts into
    the reply speaker's inbox (barge-in, a continued turn).
    """

    def __init__(
        self,
        mic: AudioInput,
        vad: SpeechProbability,
        recognizer: SpeechRecognizer,
        language: str | None,
        audio: AudioSection,
        bus: EventBus,
        status: VoiceStatus,
        runner: TurnRunner,
        replies: ReplySpeaker,
        interrupt: Callable[[str], None],
        push_to_talk_only: bool = False,
        turn_model: TurnModel | None = None,
    ) -> None:
        self.mic = mic
        self.vad = vad
        self.echo: EchoCanceller | None = None  # set by the loop at start
        self.audio = audio
        self.bus = bus
        self._status = status
        self._runner = runner
        self._replies = replies
        self._interrupt = interrupt
        self.push_to_talk_only = push_to_talk_only
        self.turn_model = turn_model
        # the model's score of each speculative pause, beside Whisper's transcript of it
        self._scorer = ThreadPoolExecutor(1, thread_name_prefix="turn-model")
        self._scores: dict[tuple[int, int], Future[float]] = {}
        self.settings = TurnSettings(
            end_silence_ms=audio.end_of_turn_silence_ms,
            min_speech_ms=audio.min_speech_ms,
            pre_roll_ms=audio.pre_roll_ms,
        )
        self.transcriber = TurnTranscriber(
            recognizer, language, self._on_transcript, self._on_asr_error
        )
        self._detector = TurnDetector(self.settings)
        self._barge = BargeInDetector(audio.barge_in_ms)
        self._history = History(SAMPLE_RATE * 60)  # the raw microphone
        self._cleaned = History(SAMPLE_RATE * 60)  # … less the reply's echo, while it played
        self._clean_until = 0  # a barge-in turn's audio before this is taken from _cleaned
        self._aligner = ReferenceAligner()  # simulated devices: by sample counts
        self._timed = TimedAligner()  # real devices: by the streams' DAC/ADC times
        self._ref_resampler: Any = None
        self._ref_rate = 0.0
        self._early: _EarlyEnd | None = None
        self._paused: _Paused | None = None
        self.ptt = False  # push-to-talk held (set by the GUI/CLI thread)
        self._ptt_turn = False  # the current turn was opened by push-to-talk
        self._turn_seq = 0
        self._turn_start = 0
        self._last_partial = 0
        self._speculated_end = -1
        self._level_count = 0

    # --- the run loop ---------------------------------------------------------------------

    def run(self, halt: threading.Event) -> None:
        backoff = 0.5
        said_error = False
        while not halt.is_set():
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
                    halt.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if said_error:
                    self.bus.emit(Notice(f"microphone ready: {getattr(name, 'name', name)}"))
                said_error = False
                backoff = 0.5
                self._reopened()
            try:
                frame = self.mic.read(FRAME, timeout=0.5)
            except DeviceLost as err:
                self.mic.close()
                lost_turn = self._detector.in_turn
                self._detector.reset()
                if str(err).startswith(SERVER_GONE):
                    line = f"{err}{' Your turn was ended.' if lost_turn else ''}"
                else:
                    ended = "Your turn was ended; " if lost_turn else ""
                    line = f"{err} {ended}reconnecting when it comes back."
                self.bus.emit(Error("audio", line))
                said_error = True
                self._status.settle()
                continue
            if len(frame) == FRAME:
                self._process(frame)

    def _reopened(self) -> None:
        """Pair the speaker's newest output with the microphone's newest input; start afresh."""
        self._replies.speaker.reference.clear()
        self._aligner.sync()
        self._timed.sync()
        self._detector.reset()
        self._barge.reset()
        self.vad.reset()

    def _reference(self, mic_end: int, n: int) -> np.ndarray:
        """What the speaker played (16 kHz) lined up with the microphone samples up to
        ``mic_end``: the echo canceller's far-end signal. By the devices' clock when both
        streams report it (real devices), else by sample counts (simulated ones)."""
        speaker = self._replies.speaker
        raw, played_at = speaker.reference.read_stamped()
        mic_at = getattr(self.mic, "last_read_end", None)
        if raw.size:
            rate = float(speaker.rate)
            samples = raw
            if rate != SAMPLE_RATE:
                if self._ref_resampler is None or rate != self._ref_rate:
                    import soxr

                    self._ref_resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
                    self._ref_rate = rate
                samples = self._ref_resampler.resample_chunk(raw)
            if played_at is not None and mic_at is not None:
                # the resampled block ends where the played one ends (less a constant delay)
                self._timed.push(samples, played_at + len(raw) / rate - len(samples) / SAMPLE_RATE)
            else:
                self._aligner.push(samples)
        if mic_at is not None and self._timed.started:
            return self._timed.frame(mic_at, n)
        return self._aligner.frame(mic_end, n)

    def _echo_path(self) -> bool:
        """True while the assistant's voice may be in the microphone (its tail only outside a
        turn: the user's own turn is not cut short by the room ringing)."""
        if self._replies.audible():
            return True
        return self._replies.ringing() and not self._detector.in_turn

    def _process(self, frame: np.ndarray) -> None:
        pos = self._history.end + len(frame)
        reference = self._reference(pos, len(frame))
        cleaned = self.echo.process(frame, reference) if self.echo is not None else frame
        self._level_count += len(frame)
        if self._level_count >= LEVEL_EVERY:
            self._level_count -= LEVEL_EVERY
            self.bus.emit(InputLevel(dbfs(frame)))
        echo_path = self._echo_path()
        self._history.append(frame)
        self._cleaned.append(cleaned if echo_path else frame)
        if self.ptt or self._ptt_turn:
            self._push_to_talk_frame(pos, echo_path)
            return
        if self.push_to_talk_only:
            return
        if self._paused is not None:
            self._paused_frame(frame, pos)
            return
        if echo_path:
            self._detector.reset()
            if self.echo is None or not self.hears_over_replies():
                return  # half-duplex while speaking (until the echo path has been measured)
            began = self._barge.feed(self.vad(cleaned), pos, heard=self.echo.double_talk)
            if began is not None and not self.echo.moved():  # not its own echo by a new path
                self._pause_for(began, pos)
            return
        self._barge.reset()
        self._track_turn(self._detector.feed(self.vad(frame), pos), pos)

    def hears_over_replies(self) -> bool:
        """The user can be heard while the assistant speaks (echo path measured, barge-in on)."""
        return self.echo is not None and self.echo.ready and self.audio.barge_in

    # --- turns ------------------------------------------------------------------------------

    def _push_to_talk_frame(self, pos: int, echo_path: bool) -> None:
        if self.ptt and not self._detector.in_turn:
            if echo_path:
                self._interrupt("stopped")
            self._ptt_turn = True
            self._early = None  # a deliberate new turn
            self._start_turn(self._detector.open(pos))
        elif not self.ptt:
            self._ptt_turn = False
            start = self._detector.close(pos).start
            held_ms = (pos - start) * 1000 / SAMPLE_RATE - self.settings.pre_roll_ms
            self._end_turn(TurnEnd(start, pos, pos, held_ms, dropped=held_ms < 200), pos)
        else:
            self._maybe_partial(pos)

    def _pause_for(self, began: int, pos: int) -> None:
        """Speech over the reply: pause it (the user hears it stop at once) and listen."""
        log.info("speech over the reply: paused")
        self._replies.speaker.hold(True)
        self._paused = _Paused(began, pos)
        self._clean_until = began
        self._start_turn(self._detector.open(began, now=pos))

    def _paused_frame(self, frame: np.ndarray, pos: int) -> None:
        """While the reply is paused: an interruption (long speech, words that are not a
        backchannel, no verdict in time) stops it; a backchannel, or a sound Whisper finds no
        words in, lets it go on."""
        paused = self._paused
        assert paused is not None
        detector = self._detector
        event = detector.feed(self.vad(frame), pos)
        speech_ms = (detector.last_speech_end - paused.began) * 1000 / SAMPLE_RATE
        waited_ms = (pos - paused.at) * 1000 / SAMPLE_RATE
        if (
            isinstance(event, TurnEnd)
            or speech_ms >= BACKCHANNEL_MAX_MS
            or waited_ms >= BACKCHANNEL_WAIT_MS
        ):
            self._barge_in(event, pos)
            return
        self._maybe_partial(pos)  # at the pause: the transcript of exactly this speech
        if detector.silence_ms < SPECULATE_AFTER_MS or self._speculated_end < 0:
            return
        text = self.transcriber.cached(self._turn_seq, self._speculated_end)
        if text is None:
            return
        if not (is_backchannel(text) or _is_noise(text)):
            self._barge_in(None, pos)
            return
        log.info("a backchannel (or no words) over the reply (%r): it goes on", text)
        self._paused = None
        detector.reset()
        self._barge.reset()
        self._replies.speaker.hold(False)
        self._status.settle()

    def _barge_in(self, event: TurnStart | TurnEnd | None, pos: int) -> None:
        """The paused reply was interrupted: it stops (and its answer), the turn goes on."""
        log.info("barge-in")
        self._paused = None
        self._interrupt("barge-in")  # the cut stops the speaker, which ends its pause
        self._status.set(AssistantState.LISTENING)
        if isinstance(event, TurnEnd):
            self._end_turn(event, pos)

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
        self._runner.prepare()
        self._status.set(AssistantState.LISTENING)

    def _maybe_end_early(self, pos: int) -> bool:
        """End the turn at a short pause when what was said reads as finished. Only when the
        user can be heard over the reply: going on after the pause must reach the loop."""
        early_ms = self.audio.early_end_of_turn_ms
        if not early_ms or self._detector.silence_ms < early_ms or self._speculated_end < 0:
            return False
        key = (self._turn_seq, self._speculated_end)
        text = self.transcriber.cached(*key)
        score = self._scores.get(key)
        probability = None
        if score is not None:
            if not score.done():
                return False  # the transcript and the model's score are read together
            probability = _score(score)
        reading = None if text is None else verdict(text)
        if not ends_turn(
            reading, probability, self._detector.silence_ms, self.settings.end_silence_ms
        ):
            return False
        event = self._detector.close(pos)
        if event.dropped:
            return False
        if not self.hears_over_replies():
            # going on over the reply would not be heard: its voice waits for the full silence
            wait_ms = self.settings.end_silence_ms - self._detector.silence_ms
            self._replies.hold_voice(self._turn_seq, max(0.0, wait_ms) / 1000)
        self._end_turn(event, pos)
        self._early = _EarlyEnd(self._turn_seq, self._turn_start, event.speech_end)
        return True

    def _continues(self, early: _EarlyEnd, speech_start: int) -> bool:
        """Speech within the full end-of-turn silence after an early end continues that turn
        (unless a command already acted on it): its reply is stopped and withdrawn."""
        gap_ms = (speech_start - early.speech_end) * 1000 / SAMPLE_RATE
        if gap_ms > self.settings.end_silence_ms:
            return False
        answering = self._replies.answering(early.seq)
        if (
            answering is not None
            and answering.by == "skill"
            and answering.intent not in WITHDRAWABLE_SKILLS
        ):
            return False
        log.info("the user went on after an early end of turn; joining the two parts")
        self.bus.emit(Notice("you went on speaking: answering the whole sentence"))
        self._runner.withdraw(early.seq)
        if answering is not None:
            self._replies.cut(answering.turn_id, "continued")
        return True

    def _score_pause(self, end: int, audio: np.ndarray) -> None:
        """The end-of-turn model scores the same audio as the speculative transcript, at the
        same time (one after the other would add its ~0.1 s to every early end)."""
        if self.turn_model is None or not self.audio.early_end_of_turn_ms:
            return
        if len(self._scores) > 16:
            self._scores = {k: v for k, v in self._scores.items() if k[0] == self._turn_seq}
        self._scores[(self._turn_seq, end)] = self._scorer.submit(
            self.turn_model.probability, audio
        )

    def _turn_audio(self, start: int, end: int) -> np.ndarray:
        """What Whisper hears of a turn: the raw microphone, but the echo canceller's output
        for the pre-roll of a turn that began over the reply (only the assistant's own voice
        is there, and Whisper wrote it down as the user's words)."""
        split = min(max(start, self._clean_until), end)
        if split == start:
            return self._history.slice(start, end)
        return np.concatenate([self._cleaned.slice(start, split), self._history.slice(split, end)])

    def _final_end(self, speech_end: int, pos: int) -> int:
        return min(speech_end + TAIL_MS * SAMPLE_RATE // 1000, pos)

    def _maybe_partial(self, pos: int) -> None:
        detector = self._detector
        if detector.silence_ms >= SPECULATE_AFTER_MS:
            # the same audio the final transcript will use (unless the user speaks again)
            end = self._final_end(detector.last_speech_end, pos)
            if end != self._speculated_end:
                self._speculated_end = end
                audio = self._turn_audio(self._turn_start, end)
                self.transcriber.submit(Job(self._turn_seq, end, audio, final=False))
                self._score_pause(end, audio)
            return
        if pos - self._last_partial >= PARTIAL_EVERY_S * SAMPLE_RATE and not self.transcriber.busy:
            self._last_partial = pos
            audio = self._turn_audio(self._turn_start, pos)
            self.transcriber.submit(Job(self._turn_seq, pos, audio, final=False))

    def _end_turn(self, event: TurnEnd, pos: int) -> None:
        if event.dropped:
            log.debug("dropped a %.0f ms sound", event.speech_ms)
            return
        silence_ms = (pos - event.speech_end) * 1000 / SAMPLE_RATE
        self.bus.emit(EndOfTurn(event.speech_ms, silence_ms))
        end = self._final_end(event.speech_end, pos)
        self._status.set(AssistantState.THINKING)
        audio = self._turn_audio(event.start, end)
        self.transcriber.submit(Job(self._turn_seq, end, audio, final=True))

    # --- transcripts (on the transcriber's thread) -----------------------------------------

    def _on_transcript(self, result: Result) -> None:
        if not result.final:
            if result.turn == self._turn_seq and self._detector.in_turn and result.text:
                self.bus.emit(PartialTranscript(result.text))
                if (
                    result.audio_ms >= PREPARE_HEARD_AFTER_MS
                    and result.end != self._speculated_end
                    and not _is_noise(result.text)
                ):
                    self._runner.prepare(result.text)
            return
        self.bus.emit(FinalTranscript(result.text))
        if not result.text or _is_noise(result.text):
            self._status.settle()
            return
        self._runner.said(result.text, result.turn)

    def _on_asr_error(self, err: Exception) -> None:
        self.bus.emit(Error("asr", f"speech recognition failed: {err}"))
        self._status.settle()


def _score(future: Future[float]) -> float | None:
    """The model's probability, or None when it failed (the transcript decides alone)."""
    try:
        return future.result()
    except Exception:
        log.exception("the end-of-turn model failed")
        return None


_NOISE = {"", "you", "thank you.", "thanks for watching!", "[blank_audio]", "(silence)"}


def _is_noise(text: str) -> bool:
    """Whisper's stock output on noise (the ASR backend filters most; this is the last guard)."""
    return text.strip().lower() in _NOISE
