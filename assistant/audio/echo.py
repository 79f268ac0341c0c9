"""Echo handling: the assistant's own voice, heard back through the microphone, is removed.

The canceller gets the microphone and the signal the speaker played (the reference), both 16 kHz,
in 10 ms frames. Its output only *decides* barge-in (is the user talking over the reply?); the
recogniser gets the raw microphone audio of the user's turn, because the suppressor of a strong
canceller damages words during double talk (measured: see shared TESTING.md).

Backend: WebRTC AEC3 (``aec-audio-processing``). Speex (``pyaec``) was measured too and dropped:
on the simulated room it passed the first ~2 s of every reply as speech (a false barge-in) while
it adapted, and then hid most of the user's speech. Without AEC3 the voice loop falls back to
half-duplex: the microphone is ignored while the assistant speaks.
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


ECHO_BACKENDS = ("auto", "webrtc", "off")


def build_echo_canceller(kind: str = "auto") -> tuple[EchoCanceller | None, str | None]:
    """(canceller or None for half-duplex, a notice for the user or None)."""
    if kind not in ECHO_BACKENDS:
        raise ConfigError(
            f"audio.echo_cancellation = {kind!r}; use one of {', '.join(ECHO_BACKENDS)}."
        )
    if kind == "off":
        return None, None
    problem = "it is not installed"
    if importlib.util.find_spec("aec_audio_processing") is not None:
        try:
            return WebRtcAec3(), None
        except Exception as err:  # a broken build of the binding
            log.warning("the echo canceller failed to start: %s", err)
            problem = f"it failed to start ({err})"
    return None, (
        f"echo cancellation is off because {problem}, so the assistant does not listen while "
        "it speaks (no barge-in by voice; the Stop button, Enter or Ctrl-C still stop it). "
        f"To enable it: {INSTALL_HINT}."
    )
