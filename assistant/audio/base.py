"""The audio device Protocols the voice loop uses (real: capture/playback; simulated: tests,
benchmarks)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol

import numpy as np

from assistant.audio.playback import ClipDone
from assistant.audio.ring import RingBuffer


class AudioInput(Protocol):
    @property
    def is_open(self) -> bool: ...

    def open(self) -> Any:
        """Open the device; DeviceError with a clear message when impossible."""
        ...

    def read(self, n: int, timeout: float = 0.5) -> np.ndarray:
        """Up to ``n`` float32 samples at 16 kHz; DeviceLost when the device is gone."""
        ...

    def drain(self) -> None: ...

    def close(self) -> None: ...


class AudioOutput(Protocol):
    on_start: Callable[[Hashable], None] | None
    on_done: Callable[[ClipDone], None] | None
    reference: RingBuffer  # what was played, at ``rate``

    @property
    def rate(self) -> float: ...

    @property
    def is_open(self) -> bool: ...

    @property
    def busy(self) -> bool: ...

    def open(self, preferred_rate: float = 48_000.0) -> Any: ...

    def play(self, audio: np.ndarray, rate: float, key: Hashable) -> None: ...

    def stop(self, timeout: float = 0.25) -> None: ...

    def hold(self, held: bool) -> None:
        """Pause (silence, the clips kept where they are) or go on from there."""
        ...

    @property
    def held(self) -> bool:
        """Paused by ``hold`` (nothing is heard, whatever is queued)."""
        ...

    def close(self) -> None: ...
