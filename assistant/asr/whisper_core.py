"""What both Whisper backends share: silence gate, speech chunks, hallucination filter, windows.

A backend is a ``WhisperEngine``: it decodes one clip of at most 30 s (one Whisper window) and
returns raw segments with Whisper's confidence figures. ``WhisperRecognizer`` wraps an engine:

1. energy gate: audio whose loudest 30 ms frame is below ``silence_dbfs`` is silence;
2. Silero VAD (faster-whisper's batched copy) finds speech; only speech is decoded, in chunks of
   at most 30 s cut at pauses, each decoded on its own (no conditioning on previous text);
3. segments Whisper itself marks as non-speech (``no_speech_prob`` high and ``avg_logprob`` low)
   are dropped, and so are Whisper's stock phrases ("Thank you.", "you", "Thanks for watching!")
   unless the model is sure of them.

``transcribe_blocks`` runs a recognizer over a long stream in windows of a few minutes cut at the
quietest point, so a 2-hour recording needs the memory of one window.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from assistant.asr.base import SAMPLE_RATE, Segment, SpeechRecognizer, Transcript

MAX_CHUNK_SECONDS = 29.0  # one Whisper window, with a little room for padding
_FRAME = 480  # 30 ms


@dataclass(frozen=True)
class RawSegment:
    start: float
    end: float
    text: str
    no_speech_prob: float
    avg_logprob: float
    compression_ratio: float


@dataclass(frozen=True)
class Decoded:
    language: str
    segments: tuple[RawSegment, ...]


class WhisperEngine(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def multilingual(self) -> bool: ...

    def load(self) -> None: ...

    def decode(self, clip: np.ndarray, language: str | None) -> Decoded:
        """One clip of at most 30 s; ``language`` None = detect it."""
        ...


# Whisper's training subtitles leak into its output on noise and silence.
STOCK_PHRASES = frozenset(
    {
        "you",
        "thank you",
        "thank you very much",
        "thanks",
        "thanks for watching",
        "thank you for watching",
        "thanks for watching and see you next time",
        "please subscribe",
        "subscribe",
        "bye",
        "bye bye",
        "so",
        "uh",
        "um",
        "blank audio",
        "silence",
        "music",
        "applause",
        "laughter",
        "sigh",
        "no audio",
    }
)


@dataclass(frozen=True)
class GateOptions:
    silence_dbfs: float = -50.0  # loudest 30 ms frame below this = silence
    vad_threshold: float = 0.5  # Silero speech probability
    min_speech_ms: int = 120  # shorter bursts are clicks
    no_speech_prob: float = 0.6  # Whisper's own rule: drop when above this …
    logprob_threshold: float = -1.0  # … and the average log-probability is below this
    stock_phrase_logprob: float = -0.5  # stock phrases must be at least this sure
    hallucinations: frozenset[str] = field(default_factory=lambda: STOCK_PHRASES)


def normalise_phrase(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def frame_dbfs(audio: np.ndarray) -> np.ndarray:
    """Level of each 30 ms frame in dBFS (RMS; -120 for digital silence)."""
    n = len(audio) // _FRAME
    if n == 0:
        frames = np.pad(audio, (0, _FRAME - len(audio)))[None, :]
    else:
        frames = audio[: n * _FRAME].reshape(n, _FRAME)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-6)), dtype=np.float32)


_vad_lock = threading.Lock()


def speech_spans(audio: np.ndarray, options: GateOptions) -> list[tuple[int, int]]:
    """(start, end) sample indices of speech, padded, in chunks of at most 29 s."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        threshold=options.vad_threshold,
        min_speech_duration_ms=options.min_speech_ms,
        max_speech_duration_s=MAX_CHUNK_SECONDS,
        min_silence_duration_ms=300,
        speech_pad_ms=200,
    )
    with _vad_lock:  # one shared ONNX session with a recurrent state
        spans = get_speech_timestamps(audio, vad)
    return _merge([(int(s["start"]), int(s["end"])) for s in spans])


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join neighbouring spans while the joined chunk stays within one Whisper window."""
    limit = int(MAX_CHUNK_SECONDS * SAMPLE_RATE)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and end - merged[-1][0] <= limit:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class WhisperRecognizer:
    """A ``SpeechRecognizer`` on top of a Whisper engine (thread-safe: one decode at a time)."""

    def __init__(
        self, engine: WhisperEngine, language: str | None = "en", gate: GateOptions | None = None
    ) -> None:
        self.engine = engine
        self.language = None if language in (None, "", "auto") else language
        self.gate = gate or GateOptions()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.engine.name

    def load(self) -> None:
        with self._lock:
            self.engine.load()

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        started = time.perf_counter()
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        seconds = len(audio) / SAMPLE_RATE
        language = language if language not in (None, "", "auto") else self.language
        if not np.isfinite(audio).all():
            raise ValueError("audio contains NaN or infinite samples")
        segments: list[Segment] = []
        detected = ""
        if audio.size and float(frame_dbfs(audio).max()) >= self.gate.silence_dbfs:
            with self._lock:
                self.engine.load()
                if not self.engine.multilingual:
                    language = "en"
                for start, end in speech_spans(audio, self.gate):
                    decoded = self.engine.decode(audio[start:end], language)
                    if not language:  # detect once, on the first speech, then keep it
                        language = detected = decoded.language
                    offset = start / SAMPLE_RATE
                    segments.extend(
                        Segment(
                            round(offset + s.start, 2), round(offset + s.end, 2), s.text.strip()
                        )
                        for s in decoded.segments
                        if self._keep(s)
                    )
        text = " ".join(s.text for s in segments if s.text).strip()
        return Transcript(
            text,
            detected or language or "en",
            tuple(segments),
            seconds,
            time.perf_counter() - started,
        )

    def _keep(self, s: RawSegment) -> bool:
        g = self.gate
        if not s.text.strip():
            return False
        if s.no_speech_prob > g.no_speech_prob and s.avg_logprob < g.logprob_threshold:
            return False
        if s.compression_ratio > 2.4 and s.avg_logprob < g.logprob_threshold:
            return False  # a repetition loop
        phrase = normalise_phrase(s.text)
        return phrase not in g.hallucinations or s.avg_logprob >= g.stock_phrase_logprob


def _cut_point(window: np.ndarray, search_seconds: float = 10.0) -> int:
    """Index of the quietest 30 ms frame in the last ``search_seconds`` of ``window``."""
    search = min(len(window), int(search_seconds * SAMPLE_RATE))
    tail = window[len(window) - search :]
    levels = frame_dbfs(tail)
    return len(window) - search + int(np.argmin(levels)) * _FRAME + _FRAME // 2


def transcribe_blocks(
    recognizer: SpeechRecognizer,
    blocks: Iterable[np.ndarray],
    language: str | None = None,
    window_seconds: float = 300.0,
) -> Iterator[Transcript]:
    """Transcripts of consecutive windows of a long stream (times are from the stream start)."""
    limit = int(window_seconds * SAMPLE_RATE)
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0
    for block in blocks:
        buffer = np.concatenate([buffer, block])
        while len(buffer) >= limit:
            cut = _cut_point(buffer[:limit])
            yield _shift(recognizer.transcribe(buffer[:cut], language), offset)
            offset += cut
            buffer = buffer[cut:]
    if len(buffer) or offset == 0:
        yield _shift(recognizer.transcribe(buffer, language), offset)


def _shift(t: Transcript, offset_samples: int) -> Transcript:
    if not offset_samples:
        return t
    dt = offset_samples / SAMPLE_RATE
    return replace(
        t,
        segments=tuple(
            Segment(round(s.start + dt, 2), round(s.end + dt, 2), s.text) for s in t.segments
        ),
    )


def join(transcripts: Iterable[Transcript]) -> Transcript:
    """One transcript of consecutive windows."""
    parts = list(transcripts)
    segments = tuple(s for t in parts for s in t.segments)
    return Transcript(
        " ".join(t.text for t in parts if t.text).strip(),
        next((t.language for t in parts if t.text), parts[0].language if parts else "en"),
        segments,
        sum(t.audio_seconds for t in parts),
        sum(t.compute_seconds for t in parts),
    )
