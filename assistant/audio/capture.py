"""Microphone capture: the stream callback only copies into a ring; reads give 16 kHz audio.

The device runs at a rate it supports (16 kHz when it can, else its default rate); ``read``
resamples with soxr. A device that stops delivering (unplugged, sound server gone) raises
``DeviceLost`` from ``read``; the caller reports it and reopens with ``open`` when it can.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.devices import Device, explain, find_device, open_stream, sounddevice
from assistant.audio.ring import RingBuffer
from assistant.errors import DeviceError

log = logging.getLogger(__name__)


class DeviceLost(DeviceError):
    """The open device stopped delivering or playing audio."""


def close_stream(stream: Any, timeout: float = 2.0) -> None:
    """Abort and close a PortAudio stream without risking a hang (a dead server can block it)."""

    def run() -> None:
        try:
            stream.abort()
            stream.close()
        except Exception as err:  # closing a broken stream may fail; it is gone either way
            log.debug("closing a stream failed: %s", err)

    worker = threading.Thread(target=run, name="close-stream", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        log.warning("a sound stream did not close within %.1f s; leaving it", timeout)


def supported_rate(device: Device, direction: str, wanted: float) -> float:
    """``wanted`` if the device takes it, else its default rate (then resample)."""
    sd = sounddevice()
    check = sd.check_input_settings if direction == "input" else sd.check_output_settings
    for rate in (wanted, device.default_rate, 48_000.0, 44_100.0):
        try:
            check(device=device.index, samplerate=rate, channels=1, dtype="float32")
            return rate
        except Exception:  # PortAudioError / ValueError: the device refuses this rate
            continue
    raise DeviceError(explain(f"the device {device.name!r} takes none of the usual sample rates."))


class Microphone:
    def __init__(
        self, device: str = "", block_ms: int = 20, stall_s: float = 1.5, buffer_s: float = 10.0
    ) -> None:
        self.spec = device
        self.block_ms = block_ms
        self.stall_s = stall_s
        self.buffer_s = buffer_s
        self.device: Device | None = None
        self.rate = float(SAMPLE_RATE)
        self._stream: Any = None
        self._ring = RingBuffer(int(buffer_s * SAMPLE_RATE))
        self._resampler: Any = None
        self._pending = np.zeros(0, dtype=np.float32)
        self._last_data = 0.0
        self._finished = threading.Event()
        self._pending_end: float | None = None  # device time just after the pending samples
        self.last_read_end: float | None = None  # device time just after the last read's samples

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    def open(self) -> Device:
        """Open and start the stream; DeviceError with a clear message when impossible."""
        self.close()
        device = find_device(self.spec, "input")
        rate = supported_rate(device, "input", SAMPLE_RATE)
        self._ring = RingBuffer(int(self.buffer_s * rate), rate)
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_end = self.last_read_end = None
        if rate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
        else:
            self._resampler = None
        self._finished.clear()
        stream = open_stream(
            "input", device, rate, self.block_ms, self._callback, self._finished.set
        )
        self._stream, self.device, self.rate = stream, device, rate
        self._last_data = time.monotonic()
        log.info("microphone open: %s at %d Hz", device.name, rate)
        return device

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        self._ring.write(indata[:, 0], getattr(time_info, "inputBufferAdcTime", None))
        self._last_data = time.monotonic()

    def read(self, n: int, timeout: float = 0.5) -> np.ndarray:
        """Exactly ``n`` samples at 16 kHz, or none when ``timeout`` passes first.

        Raises ``DeviceLost`` when the device stopped delivering.
        """
        if self._stream is None:
            raise DeviceLost("the microphone is not open.")
        deadline = time.monotonic() + timeout
        while len(self._pending) < n:
            want = n - len(self._pending)
            raw_want = max(1, int(want * self.rate / SAMPLE_RATE))
            left = deadline - time.monotonic()
            self._ring.wait(raw_want, timeout=max(0.0, min(left, 0.1)))
            raw, at = self._ring.read_stamped()
            if raw.size:
                more = raw if self._resampler is None else self._resampler.resample_chunk(raw)
                self._pending = np.concatenate([self._pending, more])
                self._pending_end = None if at is None else at + len(raw) / self.rate
                continue
            if self._finished.is_set() or time.monotonic() - self._last_data > self.stall_s:
                name = self.device.name if self.device else "microphone"
                raise DeviceLost(explain(f"the microphone {name!r} stopped delivering audio."))
            if time.monotonic() >= deadline:
                return np.zeros(0, dtype=np.float32)  # keep what is pending for the next read
        out, self._pending = self._pending[:n], self._pending[n:]
        if self._pending_end is not None:
            self.last_read_end = self._pending_end - len(self._pending) / SAMPLE_RATE
        return out

    def drain(self) -> None:
        """Drop what is buffered (after a pause, to start from now)."""
        self._ring.clear()
        self._pending = np.zeros(0, dtype=np.float32)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            close_stream(stream)
