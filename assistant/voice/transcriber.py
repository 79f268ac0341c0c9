"""Transcribes the user's turn on a worker while it is still being spoken.

Partial jobs (every ~1 s of speech) give live text; a *speculative* job starts as soon as the
user pauses, on exactly the audio the final transcript will use, so when the end-of-turn silence
has passed the final text is usually ready already. Only the newest partial job is kept.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.asr.base import SpeechRecognizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    turn: int  # sequence number of the user turn
    end: int  # absolute sample index where the audio ends (the cache key with ``turn``)
    audio: np.ndarray
    final: bool


@dataclass(frozen=True)
class Result:
    turn: int
    end: int  # the job's
    text: str
    final: bool
    audio_ms: float
    compute_ms: float
    cached: bool


class TurnTranscriber:
    def __init__(
        self,
        recognizer: SpeechRecognizer,
        language: str | None,
        on_result: Callable[[Result], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self._recognizer = recognizer
        self._language = None if language in (None, "", "auto") else language
        self._on_result = on_result
        self._on_error = on_error
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._cache: dict[tuple[int, int], str] = {}
        self._busy = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._busy.is_set() or not self._jobs.empty()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="asr", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(10.0)
            self._thread = None

    def submit(self, job: Job) -> None:
        if not job.final:
            self._drop_queued_partials()
        self._jobs.put(job)

    def cached(self, turn: int, end: int) -> str | None:
        """The text of a finished job on exactly this audio, if any."""
        return self._cache.get((turn, end))

    def _drop_queued_partials(self) -> None:
        kept = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None or job.final:
                kept.append(job)
        for job in kept:
            self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._busy.set()
            try:
                self._do(job)
            except Exception as err:  # the loop reports it; the next turn still works
                log.exception("transcription failed")
                self._on_error(err)
            finally:
                self._busy.clear()

    def _do(self, job: Job) -> None:
        key = (job.turn, job.end)
        audio_ms = len(job.audio) / 16.0
        cached = key in self._cache
        t0 = time.perf_counter()
        if not cached:
            text = self._recognizer.transcribe(job.audio, self._language).text.strip()
            self._cache[key] = text
            if len(self._cache) > 64:
                self._cache.pop(next(iter(self._cache)))
        compute_ms = (time.perf_counter() - t0) * 1000.0
        self._on_result(
            Result(job.turn, job.end, self._cache[key], job.final, audio_ms, compute_ms, cached)
        )
