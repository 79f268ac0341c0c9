"""Echo handling: the assistant's own voice, heard back through the microphone, is removed.

The canceller gets the microphone and the signal the speaker played (the reference), both 16 kHz,
in 10 ms frames. Its output only *decides* barge-in (is the user talking over the reply?); the
recogniser gets the raw microphone audio of the user's turn, because the suppressor of a strong
canceller damages words during double talk (measured: see shared TESTING.md).
A frame counts as the user's only where the microphone also holds more energy than the echo of
the reference explains (``DoubleTalkDetector``): AEC3 lets its residue through when the echo path
moves, e.g. a late playback block on a busy machine, and Silero scores that residue as speech.

Backend: WebRTC AEC3 (``aec-audio-processing``). Speex (``pyaec``) was measured too and dropped:
on the simulated room it passed the first ~2 s of every reply as speech (a false barge-in) while
it adapted, and then hid most of the user's speech. Without AEC3 the voice loop falls back to
half-duplex: the microphone is ignored while the assistant speaks.
"""

from __future__ import annotations

import collections
import importlib.util
import logging
from typing import Any, Protocol

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

FRAME_10MS = SAMPLE_RATE // 100
QUIET_RMS = 10 ** (-50 / 20)  # a microphone below −50 dBFS while the reply plays hears none of it
# Speech over the reply is checked against the last second and a half: an echo at another delay
# than the canceller's is the reply come by a new path (a speaker moved, a device's latency
# changed), not the user; measured, a path changed from 40 to 90 ms gave 3 false barge-ins in
# one reply before the running estimate caught up
RECHECK_S = 1.5
RECHECK_MAX_MS = 300
# the running estimate wanders 22-47 ms on a path that does not move (PulseAudio's timing):
# within this much the echo is where the canceller has it (at 12 ms, a user's voice over the
# reply was taken for the echo by a new path, "moved 22 → 47 ms", and the interruption lost)
RECHECK_SAME_MS = 30
SETTLE_S = 1.0  # after the path moved, speech over the reply is taken for its echo this long
NO_ECHO_WINDOWS = 3  # ~3 s of playback in a quiet microphone: no echo path (a headset)
INSTALL_HINT = (
    "pip install aec-audio-processing==1.0.1 (it builds from source: needs the apt packages "
    "swig meson ninja-build g++)"
)


class EchoCanceller(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def ready(self) -> bool:
        """True once it knows the echo path: measured, or found absent (a headset); before
        that it cannot be trusted."""
        ...

    @property
    def double_talk(self) -> bool:
        """True when the last frame held more than the echo of the reference can explain."""
        ...

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """float32 16 kHz ``mic`` with the echo of ``reference`` removed (same length)."""
        ...

    def moved(self) -> bool:
        """Is what sounds like speech over the reply its own echo come by another path (a
        speaker moved, a device's latency changed)? Then the canceller takes the new delay and
        True is returned: it was no one talking."""
        ...


def _to_pcm(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)


class ReferenceAligner:
    """Lines up what the speaker played with the microphone, by sample counts.

    The canceller needs each reference sample *before* its echo reaches the microphone. At
    ``sync`` the microphone's newest sample is paired with the newest reference sample less a
    small cushion (so a late output callback rarely leaves a gap); since both streams run at the
    same rate, the pairing then holds: a late block gives a short run of zeros, never a drift.
    It re-syncs when the streams have drifted apart by more than ``resync_s`` (a stalled or
    reopened device); a busy machine that processes the microphone late is not drift (the
    reference waits in the history), so that bound is generous.
    """

    def __init__(self, cushion_ms: int = 20, resync_s: float = 2.5) -> None:
        from assistant.audio.ring import History

        self._history = History(SAMPLE_RATE * 4)
        self._cushion = SAMPLE_RATE * cushion_ms // 1000
        self._resync = int(SAMPLE_RATE * resync_s)
        self._offset: int | None = None

    def sync(self) -> None:
        self._offset = None

    def push(self, samples: np.ndarray) -> None:
        """What the speaker played (16 kHz), in order."""
        self._history.append(samples)

    def frame(self, mic_end: int, n: int) -> np.ndarray:
        """The reference for the microphone samples ``mic_end - n … mic_end``."""
        end = self._history.end
        if self._offset is None:
            self._offset = end - self._cushion - mic_end
        stop = mic_end + self._offset
        if stop > end + self._resync or stop < end - self._resync - self._cushion:
            self._offset = end - self._cushion - mic_end
            stop = end - self._cushion
        start = stop - n
        out = np.zeros(n, dtype=np.float32)
        got = self._history.slice(start, stop)
        first = max(start, end - SAMPLE_RATE * 4, 0)
        out[first - start : first - start + len(got)] = got
        return out


class TimedAligner:
    """Lines up what the speaker played with the microphone by the devices' clock.

    Each block the speaker played is placed on a timeline at the time its first sample left the
    device (the output callback's DAC time); each microphone frame takes the reference of the
    time it was captured (ADC time), plus ``lead_ms`` so that errors in the reported latencies
    still leave the echo *after* its reference (PulseAudio's reported output latency runs
    ~20–40 ms long: with no lead the measured delay sat at 0 ms, the edge of what the
    estimator can see; with 60 ms it measured 37–46 ms). A block the device asked for late (an
    underrun) leaves silence in the timeline instead of shifting everything after it, so the
    echo path the canceller measured stays where it is.
    """

    def __init__(self, lead_ms: int = 60, jump_ms: int = 4) -> None:
        from assistant.audio.ring import History

        self._history = History(SAMPLE_RATE * 4)
        self._lead = lead_ms / 1000.0
        self._jump = SAMPLE_RATE * jump_ms // 1000
        self._origin: float | None = None
        self.jumps = 0  # discontinuities seen in the speaker's output (underruns, restarts)

    def sync(self) -> None:
        from assistant.audio.ring import History

        self._history = History(SAMPLE_RATE * 4)
        self._origin = None

    @property
    def started(self) -> bool:
        return self._origin is not None

    def push(self, samples: np.ndarray, at: float) -> None:
        """What the speaker played (16 kHz) from device time ``at`` on."""
        if self._origin is None:
            self._origin = at
        target = round((at - self._origin) * SAMPLE_RATE)
        end = self._history.end
        if target > end + self._jump:  # the device played silence in between
            self.jumps += 1
            gap = target - end
            if gap > SAMPLE_RATE * 4:
                self.sync()
                self._origin = at
            else:
                self._history.append(np.zeros(gap, dtype=np.float32))
        elif target < end - SAMPLE_RATE // 20:  # the stream restarted earlier in time
            self.jumps += 1
            self.sync()
            self._origin = at
        self._history.append(samples)

    def frame(self, mic_end_at: float, n: int) -> np.ndarray:
        """The reference for the ``n`` microphone samples that ended at device time
        ``mic_end_at``."""
        out = np.zeros(n, dtype=np.float32)
        if self._origin is None:
            return out
        stop = round((mic_end_at + self._lead - self._origin) * SAMPLE_RATE)
        start = stop - n
        got = self._history.slice(start, stop)
        first = max(start, self._history.end - SAMPLE_RATE * 4, 0)
        if got.size and first >= start:
            out[first - start : first - start + len(got)] = got
        return out


class DelayEstimator:
    """Measures how far the echo lags the reference (GCC-PHAT over ~1 s of playback).

    WebRTC's own audio stack tells AEC3 the delay of the sound card; here the devices are
    PortAudio streams with unreliable latency figures, so the delay is measured from the
    signals themselves while the assistant speaks.
    """

    def __init__(self, max_ms: int = 300, window_s: float = 1.0) -> None:
        self._max = SAMPLE_RATE * max_ms // 1000
        self._need = int(SAMPLE_RATE * window_s)
        self._mic: list[np.ndarray] = []
        self._ref: list[np.ndarray] = []
        self._held = 0
        self._talked = False  # someone spoke over the playback in the window being gathered
        self.quiet_windows = 0  # windows of playback the microphone stayed quiet through

    def add(self, mic: np.ndarray, reference: np.ndarray, talk: bool = False) -> int | None:
        """Feed aligned chunks; returns a delay in ms when a confident estimate is ready.
        ``talk``: the chunk holds more than the echo (the user speaking over the reply); a
        window with any such chunk is not measured (measured, a user's voice in it moved the
        estimate from 22 to 41 ms, and the canceller then took that voice for the reply's echo
        come by a new path: the interruption it was went unheard)."""
        if float(np.max(np.abs(reference), initial=0.0)) < 0.01:  # nothing played
            return None
        self._mic.append(mic)
        self._ref.append(reference)
        self._held += len(mic)
        self._talked = self._talked or talk
        if self._held < self._need + self._max:
            return None
        y, x = np.concatenate(self._mic), np.concatenate(self._ref)
        talked, self._talked = self._talked, False
        self._mic, self._ref, self._held = [], [], 0
        if talked:
            log.debug("echo delay not measured: someone spoke over the reply")
            return None
        if float(np.sqrt(np.mean(y**2))) < QUIET_RMS:  # the speaker is not in the microphone
            self.quiet_windows += 1
            return None
        return echo_lag_ms(y, x, self._max)


def echo_lag_ms(mic: np.ndarray, reference: np.ndarray, max_lag: int) -> int | None:
    """How many ms the echo of ``reference`` lags in ``mic`` (GCC-PHAT), or None when no clear
    echo is there (a muted speaker, noise, only someone talking)."""
    n = 1 << int(np.ceil(np.log2(len(reference) + max_lag)))
    cross = np.fft.rfft(mic, n) * np.conj(np.fft.rfft(reference, n))
    cc = np.fft.irfft(cross / (np.abs(cross) + 1e-9), n)[:max_lag]
    lag = int(np.argmax(cc))
    if cc[lag] < 6.0 * float(np.std(cc)):
        return None
    return lag * 1000 // SAMPLE_RATE


class DoubleTalkDetector:
    """Is someone besides the speaker in the microphone? An energy check beside the canceller.

    The echo of a frame comes from the reference ``delay`` earlier; its energy is at most the
    echo path gain times the loudest 10 ms of that stretch of reference (widened by ``slack_ms``
    both ways, for a delay that moved since it was measured). A user adds energy the reference
    cannot explain: the frame counts when the microphone holds ``margin`` times more. The gain
    is a high percentile of the microphone/reference energy ratio over recent frames that were
    not double talk. This stays right when the canceller's output does not (a late playback
    block shifts the echo and AEC3 lets it through while it re-adapts).
    """

    def __init__(self, margin: float = 2.0, slack_ms: int = 100, floor_dbfs: float = -60.0) -> None:
        self._margin = margin
        self._slack = SAMPLE_RATE * slack_ms // 1000
        self._floor = 10.0 ** (floor_dbfs / 10.0)
        self._ref = np.zeros(SAMPLE_RATE, dtype=np.float32)  # the last second of reference
        self._ratios: collections.deque[float] = collections.deque(maxlen=300)  # ~10 s
        self.gain: float | None = None
        self.active = False

    def reset(self) -> None:
        """The echo path changed: learn its gain again."""
        self._ratios.clear()
        self.gain = None
        self.active = False

    def feed(self, mic: np.ndarray, reference: np.ndarray, delay_ms: int) -> bool:
        n = len(mic)
        self._ref = np.concatenate([self._ref[n:], reference])
        delay = SAMPLE_RATE * delay_ms // 1000
        stop = len(self._ref) - max(delay - self._slack, 0)
        start = max(len(self._ref) - n - delay - self._slack, 0)
        window = self._ref[start:stop]
        blocks = window[: len(window) // FRAME_10MS * FRAME_10MS].reshape(-1, FRAME_10MS)
        echo_src = float(np.max(np.mean(blocks**2, axis=1), initial=0.0))
        energy = float(np.mean(mic**2))
        if echo_src < self._floor:  # nothing played just then: any sound is not the echo
            self.active = energy > self._floor
            return self.active
        ratio = energy / echo_src
        self.active = self.gain is not None and ratio > self._margin * self.gain
        if not self.active:
            self._ratios.append(ratio)
            if len(self._ratios) >= 20:
                self.gain = float(np.percentile(self._ratios, 90))
        return self.active


class WebRtcAec3:
    """WebRTC AEC3, told the measured speaker-to-microphone delay."""

    name = "webrtc-aec3"

    def __init__(self, delay_ms: int = 30) -> None:
        from aec_audio_processing import AudioProcessor

        self._ap: Any = AudioProcessor(
            enable_aec=True, enable_ns=False, enable_agc=False, enable_vad=False
        )
        self._ap.set_stream_format(SAMPLE_RATE, 1, SAMPLE_RATE, 1)
        self._ap.set_reverse_stream_format(SAMPLE_RATE, 1)
        self.delay_ms = delay_ms
        self.ready = False  # the echo path is known: measured, or found absent
        self.echo_free = False  # the microphone does not hear the speaker at all
        self._delay = DelayEstimator()
        self._talk = DoubleTalkDetector()
        # AEC3 takes 10 ms blocks and a frame is 32 ms: the samples of a block not yet complete
        # wait here, and the output runs one block (10 ms) behind the input, so every call
        # returns as many cleaned samples as it was given
        self._mic_left = np.zeros(0, dtype=np.int16)
        self._ref_left = np.zeros(0, dtype=np.int16)
        self._out = np.zeros(FRAME_10MS, dtype=np.int16)
        # the last moments of both, to look again when speech seems to come over the reply
        from assistant.audio.ring import History

        self._heard = History(int(SAMPLE_RATE * RECHECK_S))
        self._played = History(int(SAMPLE_RATE * RECHECK_S))
        self.moves = 0  # echo paths found moved (each would have been a false barge-in)
        self._moved_at = -SAMPLE_RATE * 60  # microphone sample where the path last moved

    def moved(self) -> bool:
        if self._heard.end - self._moved_at < SAMPLE_RATE * SETTLE_S:
            return True  # it just moved: the canceller is still learning the new path
        mic = self._heard.slice(0, self._heard.end)
        reference = self._played.slice(0, self._played.end)
        if len(mic) < SAMPLE_RATE * RECHECK_S or float(np.max(np.abs(reference))) < 0.01:
            return False
        lag = echo_lag_ms(mic, reference, SAMPLE_RATE * RECHECK_MAX_MS // 1000)
        if lag is None or abs(lag - self.delay_ms) <= RECHECK_SAME_MS:
            return False  # no clear echo, or the echo where the canceller has it: someone spoke
        log.info("the echo path moved: %d ms (was %d ms)", lag, self.delay_ms)
        self.delay_ms = lag
        self.moves += 1
        self._moved_at = self._heard.end
        self._talk.reset()
        return True

    @property
    def double_talk(self) -> bool:
        return self._talk.active

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        talk = self._talk.feed(mic, reference, self.delay_ms)
        measured = self._delay.add(mic, reference, talk)
        if measured is not None:
            if abs(measured - self.delay_ms) > 4 or not self.ready:
                log.info("echo delay %d ms (was %d ms)", measured, self.delay_ms)
            if self.ready and abs(measured - self.delay_ms) > RECHECK_SAME_MS:
                self._moved_at = self._heard.end  # the canceller re-adapts from here
            self.delay_ms = measured
            self.ready = True
            self.echo_free = False
            self._delay.quiet_windows = 0
        elif not self.ready and self._delay.quiet_windows >= NO_ECHO_WINDOWS:
            log.info("no echo path: the microphone does not hear the speaker (a headset?)")
            self.ready = self.echo_free = True
        self._heard.append(mic)
        self._played.append(reference)
        mic_pcm = np.concatenate([self._mic_left, _to_pcm(mic)])
        ref_pcm = np.concatenate([self._ref_left, _to_pcm(reference)])
        whole = len(mic_pcm) // FRAME_10MS * FRAME_10MS
        blocks = [self._out]
        for i in range(0, whole, FRAME_10MS):
            self._ap.set_stream_delay(self.delay_ms)
            self._ap.process_reverse_stream(ref_pcm[i : i + FRAME_10MS].tobytes())
            cleaned = self._ap.process_stream(mic_pcm[i : i + FRAME_10MS].tobytes())
            blocks.append(np.frombuffer(cleaned, dtype=np.int16))
        self._mic_left, self._ref_left = mic_pcm[whole:], ref_pcm[whole:]
        out = np.concatenate(blocks)
        self._out = out[len(mic) :]
        return out[: len(mic)].astype(np.float32) / 32768.0


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
