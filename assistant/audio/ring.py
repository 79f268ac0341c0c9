"""A bounded, thread-safe sample ring: an audio callback writes, one worker reads."""

from __future__ import annotations

import collections
import threading

import numpy as np


class RingBuffer:
    """float32 mono samples; when full, the oldest samples are overwritten (and counted).

    A write may carry the device's time of its first sample (the stream callback's DAC or ADC
    time); ``read_stamped`` then says when the samples it returns were played or captured.
    """

    def __init__(self, capacity: int, rate: float = 16_000.0) -> None:
        self._data = np.zeros(capacity, dtype=np.float32)
        self._capacity = capacity
        self.rate = rate
        self._read = 0  # total samples read
        self._written = 0  # total samples written
        self.overruns = 0
        self._cond = threading.Condition()
        self._stamps: collections.deque[tuple[int, float]] = collections.deque(maxlen=512)

    def write(self, samples: np.ndarray, at: float | None = None) -> None:
        """Copy ``samples`` in (called from the audio callback: short and lock-light); ``at``:
        the device time of the first sample, if the stream tells it."""
        n = len(samples)
        if n == 0:
            return
        if n > self._capacity:
            samples = samples[-self._capacity :]
            n = self._capacity
        with self._cond:
            if at:
                self._stamps.append((self._written, at))
            pos = self._written % self._capacity
            first = min(n, self._capacity - pos)
            self._data[pos : pos + first] = samples[:first]
            self._data[: n - first] = samples[first:]
            self._written += n
            if self._written - self._read > self._capacity:
                self.overruns += 1
                self._read = self._written - self._capacity
            self._cond.notify()

    def wait(self, n: int, timeout: float) -> bool:
        """Wait up to ``timeout`` s until ``n`` samples are unread; True if they are."""
        with self._cond:
            return self._cond.wait_for(lambda: self._written - self._read >= n, timeout)

    def read_stamped(self) -> tuple[np.ndarray, float | None]:
        """Everything unread, and the device time of its first sample (None: not stamped)."""
        with self._cond:
            first = self._read
            stamp = next((st for st in reversed(self._stamps) if st[0] <= first), None)
            out = self.read()
        return out, None if stamp is None else stamp[1] + (first - stamp[0]) / self.rate

    def available(self) -> int:
        with self._cond:
            return self._written - self._read

    def read(self, n: int | None = None, timeout: float | None = None) -> np.ndarray:
        """Up to ``n`` samples (all when None); waits up to ``timeout`` s for at least ``n``.

        Returns fewer (maybe none) when the wait times out.
        """
        with self._cond:
            if n is not None and timeout:
                self._cond.wait_for(lambda: self._written - self._read >= n, timeout)
            count = self._written - self._read
            if n is not None:
                count = min(count, n)
            pos = self._read % self._capacity
            first = min(count, self._capacity - pos)
            out = np.concatenate([self._data[pos : pos + first], self._data[: count - first]])
            self._read += count
            return out

    def clear(self) -> None:
        with self._cond:
            self._read = self._written


class History:
    """The last ``capacity`` samples of a stream, addressed by absolute sample index."""

    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(capacity, dtype=np.float32)
        self._capacity = capacity
        self.end = 0  # absolute index one past the newest sample

    def append(self, samples: np.ndarray) -> None:
        n = len(samples)
        if n > self._capacity:
            self.end += n - self._capacity
            samples, n = samples[-self._capacity :], self._capacity
        pos = self.end % self._capacity
        first = min(n, self._capacity - pos)
        self._data[pos : pos + first] = samples[:first]
        self._data[: n - first] = samples[first:]
        self.end += n

    def slice(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop`` (clamped to what is still held)."""
        start = max(start, self.end - self._capacity, 0)
        stop = min(stop, self.end)
        if stop <= start:
            return np.zeros(0, dtype=np.float32)
        a, b = start % self._capacity, stop % self._capacity
        if a < b:
            return self._data[a:b].copy()
        return np.concatenate([self._data[a:], self._data[:b]])
