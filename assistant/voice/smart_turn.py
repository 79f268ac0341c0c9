"""Smart Turn v3.2: does the voice itself sound finished? An acoustic end-of-turn model.

Pipecat's Smart Turn (BSD-2-Clause, Daily; the ONNX file ships in the ``pipecat-ai`` wheel,
read by path, pipecat's own code is never imported) scores the last 8 s of a turn: Whisper's
80-band log-mel features of the audio left-padded with silence to 8 s, after scaling the waveform
to zero mean and unit variance, as pipecat's ``local_smart_turn_v3.py`` does. The features come
from faster-whisper's numpy extractor (the same Whisper front end, already a dependency).
Output: the probability that the turn is complete (> 0.5 = complete). ~40 ms a call on one
thread (two were slower).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.onnx_session import cpu_session

MODEL = "smart-turn-v3.2"
MODEL_FILE = "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
WINDOW_S = 8  # the model hears the last 8 s
_WINDOW = WINDOW_S * SAMPLE_RATE
_NORMALISE_EPS = 1e-7  # transformers' WhisperFeatureExtractor(do_normalize=True)


class TurnModel(Protocol):
    """Probability that the speech so far is a finished turn (the voice loop's seam)."""

    def load(self) -> None: ...

    def probability(self, audio: np.ndarray) -> float:
        """``audio``: float32 mono 16 kHz, the turn up to now (only the last 8 s count)."""
        ...


def last_window(audio: np.ndarray) -> np.ndarray:
    """The last 8 s of ``audio``, left-padded with zeros to exactly 8 s, as float32."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)[-_WINDOW:]
    return np.pad(audio, (_WINDOW - audio.size, 0))


class LogMel:
    """Whisper's 80-band log-mel features of an 8-s window: [80, 800] float32."""

    def __init__(self) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        self._extract = FeatureExtractor(feature_size=80, chunk_length=WINDOW_S)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        x = last_window(audio)
        x = (x - x.mean()) / np.sqrt(x.var() + _NORMALISE_EPS)
        return np.asarray(self._extract(x, padding=0), dtype=np.float32)


class SmartTurn:
    """Smart Turn v3.2 under onnxruntime; the constructor does no heavy work (see ``load``).
    Thread-safe: calls are serialised (one thread is the fastest anyway)."""

    def __init__(self, model_path: str | Path | None = None, threads: int = 1) -> None:
        self._path = model_path
        self._threads = threads
        self._session: Any = None
        self._features: LogMel | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            path = self._path
            if path is None:
                from assistant.model_store import ModelStore

                path = ModelStore().file(MODEL, MODEL_FILE)
            session = cpu_session(
                path, self._threads, "the end-of-turn model", "; run `assistant models verify`"
            )
            self._features = LogMel()
            self._session = session

    def probability(self, audio: np.ndarray) -> float:
        if self._session is None:
            self.load()
        assert self._features is not None
        features = self._features(audio)[np.newaxis]
        with self._lock:
            (out,) = self._session.run(None, {"input_features": features})
        return float(np.asarray(out).reshape(-1)[0])
