"""Simulated devices at real-time pace: a microphone fed from arrays and a speaker that plays
into memory. ``assistant bench voice`` and fast tests use them; the microphone can also hear the
speaker through a simple room (delay, gain, reverberation) to exercise echo handling offline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.capture import DeviceLost
from assistant.audio.playback import ClipDone, _Clip, resample
from assistant.audio.ring import RingBuffer

BLOCK = SAMPLE_RATE // 50  # 20 ms


@dataclass(frozen=True)
class Room:
    """Speaker → microphone path: ``delay_ms``, ``gain``, and a reverberant tail decaying over
    ``decay_ms`` whose energy is ``drr_db`` below the direct sound (a desk: +3 … +10 dB)."""

    delay_ms: float = 40.0
    gain: float = 0.5
    decay_ms: float = 150.0
    drr_db: float = 6.0

    def impulse(self) -> np.ndarray:
        start = int(SAMPLE_RATE * self.delay_ms / 1000)
        n = int(SAMPLE_RATE * self.decay_ms / 1000)
        tail = np.random.default_rng(7).standard_normal(n) * np.exp(-np.arange(n) / (n / 5))
        tail *= np.sqrt(10 ** (-self.drr_db / 10) / np.sum(tail**2))
        ir = np.zeros(start + n, dtype=np.float32)
        ir[start] = 1.0
        ir[start + 1 :] += tail[1:].astype(np.float32)
        return ir * self.gain


class NullSpeaker:
    """Plays into memory at real-time pace; ``recording`` holds everything it played."""

    def __init__(
        self,
        on_start: Callable[[Hashable], None] | None = None,
        on_done: Callable[[ClipDone], None] | None = None,
    ) -> None:
        self.on_start = on_start
        self.on_done = on_done
        self.rate = float(SAMPLE_RATE)
        self.reference = RingBuffer(SAMPLE_RATE * 5)
        self.echo = RingBuffer(SAMPLE_RATE * 5)
        self.recording: list[np.ndarray] = []
        self.first_sample_at: float | None = None
        self._clips: list[_Clip] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._fail = threading.Event()
        self.held = False

    @property
    def is_open(self) -> bool:
        return self._running.is_set() and not self._fail.is_set()

    def hold(self, held: bool) -> None:
        self.held = held

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._clips)

    def open(self, preferred_rate: float = 48_000.0) -> str:
        if self._thread is None:
            self._running.set()
            self._thread = threading.Thread(target=self._run, name="null-speaker", daemon=True)
            self._thread.start()
        return "null speaker"

    def vanish(self) -> None:
        """Simulate the device disappearing."""
        self._fail.set()

    def play(self, audio: np.ndarray, rate: float, key: Hashable) -> None:
        if not self.is_open:
            raise DeviceLost("the speaker is not available.")
        with self._lock:
            self._clips.append(_Clip(key, resample(audio, rate, self.rate)))

    def stop(self, timeout: float = 0.25) -> None:
        with self._lock:
            clips, self._clips = self._clips, []
        self.held = False
        for clip in clips:
            self._report(ClipDone(clip.key, clip.pos, len(clip.audio), True))

    def close(self) -> None:
        self.stop()
        self._running.clear()
        if self._thread is not None:
            self._thread.join(1.0)
            self._thread = None

    def _report(self, done: ClipDone) -> None:
        if self.on_done is not None:
            self.on_done(done)

    def _run(self) -> None:
        next_t = time.monotonic()
        while self._running.is_set():
            out = np.zeros(BLOCK, dtype=np.float32)
            started: list[Hashable] = []
            finished: list[ClipDone] = []
            with self._lock:
                filled = 0
                while filled < BLOCK and self._clips and not self.held:
                    clip = self._clips[0]
                    if clip.pos == 0:
                        started.append(clip.key)
                    take = min(BLOCK - filled, len(clip.audio) - clip.pos)
                    out[filled : filled + take] = clip.audio[clip.pos : clip.pos + take]
                    clip.pos += take
                    filled += take
                    if clip.pos >= len(clip.audio):
                        finished.append(ClipDone(clip.key, clip.pos, len(clip.audio), False))
                        self._clips.pop(0)
            if filled and self.first_sample_at is None:
                self.first_sample_at = time.monotonic()
            self.reference.write(out)
            self.echo.write(out)
            self.recording.append(out)
            for key in started:
                if self.on_start is not None:
                    self.on_start(key)
            for done in finished:
                self._report(done)
            next_t += BLOCK / SAMPLE_RATE
            time.sleep(max(0.0, next_t - time.monotonic()))


class ArrayMicrophone:
    """Delivers queued audio (else silence) at real-time pace, plus the speaker's echo."""

    def __init__(
        self,
        speaker: NullSpeaker | None = None,
        room: Room | None = None,
        noise_dbfs: float = -70.0,
    ) -> None:
        self._speaker = speaker
        self._ir = (room or Room()).impulse() if speaker is not None else None
        self._echo_tail = np.zeros(0 if self._ir is None else len(self._ir) - 1, np.float32)
        self._noise = 10 ** (noise_dbfs / 20)
        self._rng = np.random.default_rng(1)
        self._pending = np.zeros(0, dtype=np.float32)
        self._lock = threading.Lock()
        self._t0 = 0.0
        self._delivered = 0
        self._open = False
        self.vanished = threading.Event()

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> str:
        if self.vanished.is_set():
            from assistant.errors import DeviceError

            raise DeviceError("no microphone found (simulated).")
        self._open = True
        self._t0 = time.monotonic()
        self._delivered = 0
        return "array microphone"

    def feed(self, audio: np.ndarray) -> float:
        """Queue speech; returns the seconds until it has all been delivered."""
        with self._lock:
            self._pending = np.concatenate([self._pending, audio.astype(np.float32)])
            return len(self._pending) / SAMPLE_RATE

    @property
    def pending_seconds(self) -> float:
        with self._lock:
            return len(self._pending) / SAMPLE_RATE

    def read(self, n: int, timeout: float = 0.5) -> np.ndarray:
        if not self._open or self.vanished.is_set():
            raise DeviceLost("the microphone stopped delivering audio (simulated).")
        due = self._t0 + (self._delivered + n) / SAMPLE_RATE
        time.sleep(max(0.0, min(timeout, due - time.monotonic())))
        if time.monotonic() < due:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            out = self._pending[:n]
            self._pending = self._pending[n:]
        out = np.concatenate([out, np.zeros(n - len(out), np.float32)])
        out = out + self._rng.standard_normal(n).astype(np.float32) * self._noise
        if self._speaker is not None and self._ir is not None:
            played = self._speaker.echo.read(n)
            played = np.concatenate([played, np.zeros(n - len(played), np.float32)])
            wet = np.convolve(played, self._ir)
            wet[: len(self._echo_tail)] += self._echo_tail
            self._echo_tail = wet[n:]
            out = out + wet[:n]
        self._delivered += n
        return out.astype(np.float32)

    def drain(self) -> None:
        return None

    def close(self) -> None:
        self._open = False
