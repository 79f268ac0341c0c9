"""Echo cancellation: AEC3 removes the assistant's voice from the microphone, keeps the user's."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from assistant.audio import SAMPLE_RATE
from assistant.audio.echo import DelayEstimator, build_echo_canceller
from assistant.audio.playback import resample
from assistant.audio.simulated import Room
from assistant.audio.vad import FRAME, SileroVad
from assistant.errors import ConfigError
from assistant.tts.espeak_voice import EspeakSynthesizer
from tests.audio.clips import clip
from tests.voice.conftest import REPLY

needs_aec3 = pytest.mark.skipif(
    importlib.util.find_spec("aec_audio_processing") is None,
    reason="aec-audio-processing (WebRTC AEC3) is not installed",
)


def test_settings_off_and_unknown() -> None:
    assert build_echo_canceller("off") == (None, None)
    with pytest.raises(ConfigError, match="echo_cancellation"):
        build_echo_canceller("magic")


def test_without_the_package_the_loop_is_half_duplex_and_says_how_to_fix_it(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "aec_audio_processing" else real(name, *a),
    )
    canceller, notice = build_echo_canceller("auto")
    assert canceller is None
    assert notice is not None and "pip install aec-audio-processing" in notice


def _speech_frames(vad: SileroVad, audio: np.ndarray, since: int = 0) -> int:
    vad.reset()
    return sum(
        vad(audio[i : i + FRAME]) >= 0.5 and i >= since
        for i in range(0, len(audio) - FRAME + 1, FRAME)
    )


@needs_aec3
@pytest.mark.parametrize(
    "room", [Room(20, 0.3, 150), Room(40, 0.6, 250, drr_db=3), Room(60, 0.9, 300)]
)
def test_aec3_silences_the_echo_but_not_the_user(room: Room) -> None:
    tts = EspeakSynthesizer()
    reference = resample(tts.synthesize(REPLY), tts.sample_rate, SAMPLE_RATE)
    echo = np.convolve(reference, room.impulse())[: len(reference)].astype(np.float32)
    user = clip("librivox-0920").audio
    at = 4 * SAMPLE_RATE
    mic = echo.copy()
    mic[at : at + len(user)] += user[: len(mic) - at]
    canceller, _ = build_echo_canceller("webrtc")
    assert canceller is not None and not canceller.ready
    n = len(mic) // FRAME * FRAME
    blocks, ready_at = [], None
    for i in range(0, n, FRAME):
        blocks.append(canceller.process(mic[i : i + FRAME], reference[i : i + FRAME]))
        if canceller.ready and ready_at is None:
            ready_at = i + FRAME
    cleaned = np.concatenate(blocks)
    assert ready_at is not None and ready_at < 2 * SAMPLE_RATE
    vad = SileroVad()
    assert _speech_frames(vad, echo[:at]) > 40  # without cancellation the echo is "speech"
    # with it: nothing, once it knows the echo path (the listener trusts it only from then on:
    # while it converges, a frame may score 0.5-0.6)
    assert _speech_frames(vad, cleaned[:at], since=ready_at) == 0
    cut = np.mean(cleaned[SAMPLE_RATE:at] ** 2) / np.mean(echo[SAMPLE_RATE:at] ** 2)
    assert 10 * np.log10(cut) < -10
    assert _speech_frames(vad, cleaned[at:]) > 20  # the user is still heard over the reply
    assert canceller.ready  # it measured the echo path: the room's delay
    assert abs(canceller.delay_ms - room.delay_ms) <= 2  # type: ignore[attr-defined]


@needs_aec3
def test_aec3_returns_every_sample_of_a_frame_cleaned() -> None:
    """A 32 ms frame is not a whole number of AEC3's 10 ms blocks: the rest waits for the next
    frame (the output runs 10 ms behind), so no sample of the output is left unwritten."""
    canceller, _ = build_echo_canceller("webrtc")
    assert canceller is not None
    t = np.arange(FRAME * 40) / SAMPLE_RATE
    mic = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    silent = np.zeros(FRAME, dtype=np.float32)
    out = np.concatenate(
        [canceller.process(mic[i : i + FRAME], silent) for i in range(0, len(mic), FRAME)]
    )
    assert len(out) == len(mic)
    steady = out[FRAME * 20 :]
    # nothing was played, so the tone comes through whole: no sample of it is missing (an
    # unwritten sample breaks the sine: its difference from the one before jumps)
    step = np.max(np.abs(np.diff(mic)))
    assert np.max(np.abs(np.diff(steady))) < 1.5 * step
    assert np.sqrt(np.mean(steady**2)) > 0.5 * np.sqrt(np.mean(mic**2))


@needs_aec3
@pytest.mark.parametrize("user", [False, True])
def test_the_echo_come_by_a_new_path_is_no_one_talking(user: bool) -> None:
    """The speaker moves (40 → 90 ms) while the reply plays: what sounds like speech over it
    is found to be its own echo at another delay (the canceller takes the new one), while a
    user talking over it where the path has not moved is someone talking."""
    tts = EspeakSynthesizer()
    reference = resample(tts.synthesize(REPLY), tts.sample_rate, SAMPLE_RATE)
    half = len(reference) // 2 // FRAME * FRAME
    before = Room(40, 0.5, 150)
    after = before if user else Room(90, 0.5, 150)
    mic = np.concatenate(
        [
            np.convolve(reference, before.impulse())[:half],
            np.convolve(reference, after.impulse())[half : len(reference)],
        ]
    ).astype(np.float32)
    if user:
        speech = clip("librivox-0920").audio[: len(reference) - half]
        mic[half : half + len(speech)] += speech
    canceller, _ = build_echo_canceller("webrtc")
    assert canceller is not None
    cut = half + int(1.6 * SAMPLE_RATE) // FRAME * FRAME  # 1.6 s on the changed path
    for i in range(0, cut, FRAME):
        canceller.process(mic[i : i + FRAME], reference[i : i + FRAME])
        if i + FRAME == half:
            assert canceller.ready and abs(canceller.delay_ms - 40) <= 2  # type: ignore[attr-defined]
    assert canceller.moved() is not user
    if not user:
        assert abs(canceller.delay_ms - 90) <= 2  # type: ignore[attr-defined]


def test_a_window_the_user_spoke_in_is_not_measured() -> None:
    """The echo delay is measured only from playback no one spoke over: a voice in the
    window once moved the estimate (22 → 41 ms on the device benchmark), and the canceller
    then took the user's interruption for its own echo come by a new path."""
    tts = EspeakSynthesizer()
    reference = resample(tts.synthesize(REPLY), tts.sample_rate, SAMPLE_RATE)
    mic = np.convolve(reference, Room(40, 0.5, 150).impulse())[: len(reference)]
    mic = mic.astype(np.float32)

    def measure(talk_at: int | None) -> list[int | None]:
        estimator = DelayEstimator()
        found = []
        for n, i in enumerate(range(0, len(reference) // FRAME * FRAME, FRAME)):
            talk = talk_at is not None and n == talk_at
            found.append(estimator.add(mic[i : i + FRAME], reference[i : i + FRAME], talk))
        return [d for d in found if d is not None]

    alone = measure(None)
    assert alone and all(abs(d - 40) <= 2 for d in alone)
    assert len(measure(talk_at=5)) == len(alone) - 1  # the first window is dropped


@needs_aec3
def test_an_echo_within_the_estimates_wander_has_not_moved() -> None:
    """The running estimate wanders by up to ~25 ms on a path that stays (measured 22-47 ms on
    PulseAudio): an echo that far from it, with a user talking, is someone talking."""
    tts = EspeakSynthesizer()
    reference = resample(tts.synthesize(REPLY + " " + REPLY), tts.sample_rate, SAMPLE_RATE)
    mic = np.convolve(reference, Room(40, 0.5, 150).impulse())[: len(reference)]
    start = len(reference) // 2 // FRAME * FRAME
    speech = clip("librivox-0920").audio[: len(reference) - start]
    mic[start : start + len(speech)] += speech
    mic = mic.astype(np.float32)
    canceller, _ = build_echo_canceller("webrtc")
    assert canceller is not None
    for i in range(0, start + SAMPLE_RATE // 2, FRAME):
        canceller.process(mic[i : i + FRAME], reference[i : i + FRAME])
        if i + FRAME == start:
            canceller.delay_ms = 15  # type: ignore[attr-defined]  # as the estimate wanders
    assert not canceller.moved()
