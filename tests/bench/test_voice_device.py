"""The device benchmark's stopwatch and gap finder, on synthetic recordings (the real run needs
a PulseAudio server: `assistant bench voice DIR --device`)."""

from __future__ import annotations

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.bench.voice_device import _Played, first_sound, silent_from


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _heard(
    clip: np.ndarray, offset_s: float, hole: tuple[float, float] | None = None
) -> np.ndarray:
    out = np.zeros(int((offset_s + 3.0) * SAMPLE_RATE), dtype=np.float32)
    start = int(offset_s * SAMPLE_RATE)
    out[start : start + len(clip)] = clip
    if hole is not None:
        a, b = (int((offset_s + x) * SAMPLE_RATE) for x in hole)
        out[a:b] = 0.0
    return out


def test_a_sentence_heard_whole_has_no_gap_and_one_with_a_hole_has_one() -> None:
    clip = _tone(1.0)
    played = _Played()
    played.audio["s"] = clip
    played.starts["s"] = 10.0

    def index_at(t: float) -> int:
        return round((t - 9.5) * SAMPLE_RATE)  # the recording began at 9.5 s

    whole = _heard(clip, 0.5 + 0.08)  # heard 80 ms after it was handed over
    assert played.gaps(whole, index_at, latency_s=0.05) == 0
    holed = _heard(clip, 0.5 + 0.08, hole=(0.4, 0.45))  # a 50 ms underrun
    assert played.gaps(holed, index_at, latency_s=0.05) == 1


def test_the_stopwatch_finds_the_first_sound_and_the_silence_after() -> None:
    audio = _heard(_tone(0.5), 1.0)
    begin = first_sound(audio, 0)
    assert begin is not None and abs(begin - SAMPLE_RATE) <= SAMPLE_RATE // 100
    quiet = silent_from(audio, begin)
    assert quiet is not None and abs(quiet - int(1.5 * SAMPLE_RATE)) <= SAMPLE_RATE // 100
