"""Voice activity (Silero VAD under onnxruntime) and end-of-turn detection.

``SpeechProbability`` scores 32 ms frames (512 samples at 16 kHz). ``TurnDetector`` turns those
scores into user turns: a turn starts after ``start_ms`` of speech (the pre-roll before it is kept,
so the first syllable is not lost), ends after ``end_silence_ms`` of silence, and is dropped when
it holds less than ``min_speech_ms`` of speech (a cough, a click).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.onnx_session import cpu_session

FRAME = 512  # samples per VAD frame at 16 kHz (32 ms)
FRAME_MS = FRAME * 1000 / SAMPLE_RATE
_CONTEXT = 64  # Silero v5+ wants the last 64 samples of the previous frame in front


class SpeechProbability(Protocol):
    def reset(self) -> None: ...

    def __call__(self, frame: np.ndarray) -> float:
        """Probability of speech in one 512-sample float32 frame at 16 kHz."""
        ...


class SileroVad:
    """Silero VAD (ONNX) without torch. Not thread-safe: one instance per audio stream."""

    def __init__(self, model_path: str | None = None, threads: int = 1) -> None:
        self._path = model_path
        self._threads = threads
        self._session = None
        self._load_lock = threading.Lock()
        self.reset()

    def load(self) -> None:
        with self._load_lock:
            if self._session is not None:
                return
            path = self._path
            if path is None:
                from assistant.model_store import ModelStore

                path = str(ModelStore().file("silero-vad", "data/silero_vad.onnx"))
            self._session = cpu_session(path, self._threads, "the voice-activity model")

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        if self._session is None:
            self.load()
        assert self._session is not None
        frame = np.asarray(frame, dtype=np.float32).reshape(-1)
        if frame.size != FRAME:
            raise ValueError(f"Silero VAD needs {FRAME}-sample frames, got {frame.size}")
        x = np.concatenate([self._context, frame])[np.newaxis, :]
        out, self._state = self._session.run(
            None, {"input": x, "state": self._state, "sr": np.array(SAMPLE_RATE, dtype=np.int64)}
        )
        self._context = frame[-_CONTEXT:]
        return float(out.reshape(-1)[0])


class EnergyVad:
    """A light stand-in for tests: 'speech' when the frame's RMS exceeds a threshold."""

    def __init__(self, threshold_dbfs: float = -40.0) -> None:
        self.threshold = threshold_dbfs

    def reset(self) -> None:
        return None

    def __call__(self, frame: np.ndarray) -> float:
        return 1.0 if dbfs(frame) > self.threshold else 0.0


def dbfs(samples: np.ndarray) -> float:
    """RMS level in dBFS, floored at −100."""
    if samples.size == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(-100.0, 20.0 * np.log10(rms + 1e-12))


@dataclass(frozen=True)
class TurnSettings:
    end_silence_ms: int = 700
    start_ms: int = 96  # speech needed to open a turn (3 frames)
    min_speech_ms: int = 250  # shorter turns are dropped
    pre_roll_ms: int = 300  # audio kept before the detected start
    threshold: float = 0.5  # speech when p >= threshold
    neg_threshold: float = 0.35  # silence when p < neg_threshold (hysteresis)
    max_turn_s: float = 30.0  # a turn is closed after this long, whatever happens


@dataclass(frozen=True)
class TurnStart:
    start: int  # absolute sample index of the first kept sample (pre-roll included)
    speech_start: int  # where speech was detected


@dataclass(frozen=True)
class TurnEnd:
    start: int
    speech_end: int  # absolute sample index where the last speech frame ended
    end: int  # absolute sample index where the turn was closed
    speech_ms: float
    dropped: bool  # True when the turn held too little speech


TurnEvent = TurnStart | TurnEnd


class TurnDetector:
    """Feeds VAD probabilities frame by frame; reports where turns start and end.

    Positions are absolute sample indices of the 16 kHz stream, so the caller can take the audio
    of a turn from its own history (raw microphone audio, not the echo-cancelled copy).
    """

    def __init__(self, settings: TurnSettings | None = None) -> None:
        self.settings = settings or TurnSettings()
        self.reset()

    def reset(self) -> None:
        self._in_turn = False
        self._run = 0  # consecutive speech frames (before a turn) …
        self._silence = 0  # … or consecutive silence frames (inside a turn)
        self._speech_frames = 0
        self._start = 0
        self._speech_end = 0

    @property
    def in_turn(self) -> bool:
        return self._in_turn

    @property
    def last_speech_end(self) -> int:
        return self._speech_end

    @property
    def silence_ms(self) -> float:
        return self._silence * FRAME_MS if self._in_turn else 0.0

    def feed(self, p: float, frame_end: int) -> TurnEvent | None:
        """``p``: speech probability of the frame ending at absolute sample ``frame_end``."""
        s = self.settings
        if not self._in_turn:
            self._run = self._run + 1 if p >= s.threshold else 0
            if self._run * FRAME_MS >= s.start_ms:
                speech_start = frame_end - self._run * FRAME
                self._in_turn = True
                self._start = max(0, speech_start - s.pre_roll_ms * SAMPLE_RATE // 1000)
                self._speech_frames = self._run
                self._speech_end = frame_end
                self._silence = 0
                return TurnStart(self._start, speech_start)
            return None
        if p >= s.neg_threshold and not (p < s.threshold and self._silence):
            self._speech_frames += 1
            self._speech_end = frame_end
            self._silence = 0
        else:
            self._silence += 1
        too_long = (frame_end - self._start) / SAMPLE_RATE >= s.max_turn_s
        if self._silence * FRAME_MS >= s.end_silence_ms or too_long:
            return self.close(frame_end)
        return None

    def close(self, at: int) -> TurnEnd:
        """End the current turn now (push-to-talk release, device lost)."""
        speech_ms = self._speech_frames * FRAME_MS
        end = TurnEnd(
            self._start,
            self._speech_end,
            at,
            speech_ms,
            dropped=speech_ms < self.settings.min_speech_ms,
        )
        self.reset()
        return end

    def extend(self, start: int) -> None:
        """The open turn began earlier, at sample ``start`` (a turn the user continued)."""
        self._start = min(self._start, start)

    def open(self, at: int, now: int | None = None) -> TurnStart:
        """Start a turn at sample ``at`` with the pre-roll (push-to-talk press, barge-in);
        ``now``: speech already heard from ``at`` up to this sample."""
        self.reset()
        self._in_turn = True
        self._start = max(0, at - self.settings.pre_roll_ms * SAMPLE_RATE // 1000)
        self._speech_end = at if now is None else now
        self._speech_frames = (self._speech_end - at) // FRAME
        return TurnStart(self._start, at)
