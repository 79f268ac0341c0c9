"""Playback that stops within one block (~20 ms plus the device latency).

One output stream stays open; its callback takes samples from a queue of clips and writes
silence when there is nothing to play. Every block it plays is also copied to ``reference``
(the echo canceller's far-end signal). For each clip the speaker reports when it started and
how many of its samples were played, so the voice loop knows what was actually said.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.audio.capture import DeviceLost, close_stream, supported_rate
from assistant.audio.devices import Device, explain, find_device, open_stream
from assistant.audio.ring import RingBuffer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipDone:
    key: Hashable
    played: int  # samples played (at the output rate)
    total: int
    stopped: bool  # True when stop() cut it (or dropped it before it began)

    @property
    def fraction(self) -> float:
        return self.played / self.total if self.total else 1.0


@dataclass
class _Clip:
    key: Hashable
    audio: np.ndarray
    pos: int = 0


def resample(audio: np.ndarray, rate_in: float, rate_out: float) -> np.ndarray:
    if int(rate_in) == int(rate_out) or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    import soxr

    return np.asarray(soxr.resample(audio, rate_in, rate_out), dtype=np.float32)


class Speaker:
    def __init__(
        self,
        device: str = "",
        block_ms: int = 20,
        on_start: Callable[[Hashable], None] | None = None,
        on_done: Callable[[ClipDone], None] | None = None,
    ) -> None:
        self.spec = device
        self.block_ms = block_ms
        self.on_start = on_start
        self.on_done = on_done
        self.device: Device | None = None
        self.rate = 48_000.0
        self.reference = RingBuffer(48_000 * 5)
        self._stream: Any = None
        self._clips: collections.deque[_Clip] = collections.deque()
        self._current: _Clip | None = None
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._finished = threading.Event()
        self._held = False  # paused: the callback plays silence and keeps the clips
        self._notes: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._notifier: threading.Thread | None = None
        self.underflows = 0  # output blocks the device asked for too late (heard as a gap)

    # --- opening and closing --------------------------------------------------------------

    def open(self, preferred_rate: float = 48_000.0) -> Device:
        """Open the output at ``preferred_rate`` if the device takes it, else at one it does."""
        self.close()
        device = find_device(self.spec, "output")
        rate = supported_rate(device, "output", preferred_rate)
        self._finished.clear()
        stream = open_stream(
            "output", device, rate, self.block_ms, self._callback, self._finished.set
        )
        self.reference = RingBuffer(int(rate * 5), rate)
        self._stream, self.device, self.rate = stream, device, rate
        self._notifier = threading.Thread(
            target=self._notify_loop, name="speaker-notes", daemon=True
        )
        self._notifier.start()
        log.info(
            "speaker open: %s at %d Hz (latency %.0f ms)", device.name, rate, stream.latency * 1000
        )
        return device

    @property
    def latency_s(self) -> float:
        return float(self._stream.latency) if self._stream is not None else 0.0

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            self.stop()
            close_stream(stream)
            self._notes.put(("exit", None))
            if self._notifier is not None:
                self._notifier.join(2.0)
        self._clips.clear()
        self._current = None

    @property
    def is_open(self) -> bool:
        return self._stream is not None and not self._finished.is_set()

    # --- playing --------------------------------------------------------------------------

    def play(self, audio: np.ndarray, rate: float, key: Hashable) -> None:
        """Queue a clip (float32 mono at ``rate``); it plays after those already queued."""
        if self._stream is None or self._finished.is_set():
            raise DeviceLost(explain("the speaker is not available."))
        data = resample(np.asarray(audio, dtype=np.float32).reshape(-1), rate, self.rate)
        self._clips.append(_Clip(key, np.clip(data, -1.0, 1.0)))

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._clips)

    def stop(self, timeout: float = 0.25) -> None:
        """Silence now: the playing clip and the queued ones end (reported as stopped); a pause
        ends with them."""
        if self._stream is None or self._finished.is_set():
            self._drop_all()
        else:
            self._stopped.clear()
            self._stop.set()
            if not self._stopped.wait(timeout):  # the callback is not running: clean up here
                self._stop.clear()
                self._drop_all()
        self._held = False

    def hold(self, held: bool) -> None:
        """Pause within one block (the user may only be saying "mm-hmm"), or go on."""
        self._held = held

    @property
    def held(self) -> bool:
        return self._held

    def _drop_all(self) -> None:
        current, self._current = self._current, None
        if current is not None:
            self._notes.put(("done", ClipDone(current.key, current.pos, len(current.audio), True)))
        while self._clips:
            clip = self._clips.popleft()
            self._notes.put(("done", ClipDone(clip.key, 0, len(clip.audio), True)))

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        out = outdata[:, 0]
        if getattr(status, "output_underflow", False) and self._current is not None:
            self.underflows += 1
        if self._stop.is_set():
            self._drop_all()
            self._stop.clear()
            self._stopped.set()
        filled = 0
        while filled < frames and not self._held:
            if self._current is None:
                if not self._clips:
                    break
                self._current = self._clips.popleft()
                self._notes.put(("start", self._current.key))
            clip = self._current
            take = min(frames - filled, len(clip.audio) - clip.pos)
            out[filled : filled + take] = clip.audio[clip.pos : clip.pos + take]
            clip.pos += take
            filled += take
            if clip.pos >= len(clip.audio):
                self._notes.put(("done", ClipDone(clip.key, clip.pos, len(clip.audio), False)))
                self._current = None
        out[filled:] = 0.0
        self.reference.write(out, getattr(time_info, "outputBufferDacTime", None))

    def _notify_loop(self) -> None:
        while True:
            kind, value = self._notes.get()
            if kind == "exit":
                return
            try:
                if kind == "start" and self.on_start is not None:
                    self.on_start(value)
                elif kind == "done" and self.on_done is not None:
                    self.on_done(value)
            except Exception:
                log.exception("a playback listener failed")
