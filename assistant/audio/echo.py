"""Echo handling: the assistant's own voice, heard back through the microphone, is removed.

The canceller gets the microphone and the signal the speaker played (the reference), both 16 kHz,
in 10 ms frames. Its output only *decides* barge-in (is the user talking over the reply?); the
recogniser gets the raw microphone audio of the user's turn, because the suppressor of a strong
canceller damages words during double talk (measured: see shared TESTING.md).

Backends, best first: WebRTC AEC3 (``aec-audio-processing``), Speex (``pyaec``). Without either
the voice loop falls back to half-duplex: the microphone is ignored while the assistant speaks.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any, Protocol

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

FRAME_10MS = SAMPLE_RATE // 100
INSTALL_HINT = (
    "pip install aec-audio-processing==1.0.1 (needs apt packages swig meson "
    "ninja-build g++) or pyaec==1.0.1"
)


class EchoCanceller(Protocol):
    @property
    def name(self) -> str: ...

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """float32 16 kHz ``mic`` with the echo of ``reference`` removed (same length, a
        multiple of 160 samples)."""
        ...


def _to_pcm(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)


class WebRtcAec3:
    """WebRTC AEC3 (robust to an unknown speaker-to-mic delay of a few hundred ms)."""

    name = "webrtc-aec3"

    def __init__(self, delay_ms: int = 60) -> None:
        from aec_audio_processing import AudioProcessor

        self._ap: Any = AudioProcessor(
            enable_aec=True, enable_ns=False, enable_agc=False, enable_vad=False
        )
        self._ap.set_stream_format(SAMPLE_RATE, 1, SAMPLE_RATE, 1)
        self._ap.set_reverse_stream_format(SAMPLE_RATE, 1)
        self._ap.set_stream_delay(delay_ms)

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        mic_pcm, ref_pcm = _to_pcm(mic), _to_pcm(reference)
        out = np.empty(len(mic_pcm), dtype=np.int16)
        for i in range(0, len(mic_pcm) - FRAME_10MS + 1, FRAME_10MS):
            self._ap.process_reverse_stream(ref_pcm[i : i + FRAME_10MS].tobytes())
            cleaned = self._ap.process_stream(mic_pcm[i : i + FRAME_10MS].tobytes())
            out[i : i + FRAME_10MS] = np.frombuffer(cleaned, dtype=np.int16)
        return out.astype(np.float32) / 32768.0


class SpeexAec:
    """Speex linear echo canceller with its residual-echo preprocessor (``pyaec``)."""

    name = "speex"

    def __init__(self, filter_ms: int = 200) -> None:
        from pyaec import Aec

        self._aec: Any = Aec(FRAME_10MS, SAMPLE_RATE * filter_ms // 1000, SAMPLE_RATE, True)

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        mic_pcm, ref_pcm = _to_pcm(mic), _to_pcm(reference)
        out = np.empty(len(mic_pcm), dtype=np.int16)
        for i in range(0, len(mic_pcm) - FRAME_10MS + 1, FRAME_10MS):
            cleaned = self._aec.cancel_echo(
                mic_pcm[i : i + FRAME_10MS], ref_pcm[i : i + FRAME_10MS]
            )
            out[i : i + FRAME_10MS] = np.asarray(cleaned, dtype=np.int16)
        return out.astype(np.float32) / 32768.0


ECHO_BACKENDS = ("auto", "webrtc", "speex", "off")
_MODULES = {"webrtc": "aec_audio_processing", "speex": "pyaec"}


def build_echo_canceller(kind: str = "auto") -> tuple[EchoCanceller | None, str | None]:
    """(canceller or None for half-duplex, a notice for the user or None)."""
    if kind not in ECHO_BACKENDS:
        raise ConfigError(
            f"audio.echo_cancellation = {kind!r}; use one of {', '.join(ECHO_BACKENDS)}."
        )
    if kind == "off":
        return None, None
    wanted = ["webrtc", "speex"] if kind == "auto" else [kind]
    for name in wanted:
        if importlib.util.find_spec(_MODULES[name]) is None:
            continue
        try:
            canceller: EchoCanceller = WebRtcAec3() if name == "webrtc" else SpeexAec()
        except Exception as err:  # a broken build of the binding: try the next one
            log.warning("echo canceller %s failed to start: %s", name, err)
            continue
        return canceller, None
    return None, (
        "echo cancellation is not available, so the assistant does not listen while "
        f"it speaks (no voice barge-in; press Enter or say nothing). To enable it: "
        f"{INSTALL_HINT}."
    )
