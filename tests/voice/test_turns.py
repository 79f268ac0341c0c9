"""Turn detection, barge-in counting, spoken-text accounting and the sample buffers."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.audio import SAMPLE_RATE
from assistant.audio.ring import History, RingBuffer
from assistant.audio.vad import FRAME, EnergyVad, SileroVad, TurnDetector, TurnEnd, TurnSettings
from assistant.audio.vad import TurnStart as Start
from assistant.voice.listener import BargeInDetector
from assistant.voice.reply_speaker import spoken_text
from tests.audio.clips import clip


def feed(detector: TurnDetector, probabilities: list[float]) -> list[object]:
    events = []
    for k, p in enumerate(probabilities):
        event = detector.feed(p, (k + 1) * FRAME)
        if event is not None:
            events.append(event)
    return events


def test_turn_keeps_pre_roll_and_ends_after_the_configured_silence() -> None:
    settings = TurnSettings(end_silence_ms=320, start_ms=96, min_speech_ms=200, pre_roll_ms=256)
    probs = [0.0] * 20 + [0.9] * 20 + [0.0] * 10 + [0.0] * 5
    start, end = feed(TurnDetector(settings), probs)
    assert isinstance(start, Start) and isinstance(end, TurnEnd)
    assert start.speech_start == 20 * FRAME
    assert start.start == 20 * FRAME - 256 * SAMPLE_RATE // 1000
    assert end.speech_end == 40 * FRAME
    assert end.end == 50 * FRAME  # exactly 10 frames (320 ms) of silence
    assert not end.dropped


def test_a_short_sound_is_dropped_and_a_short_pause_does_not_end_the_turn() -> None:
    settings = TurnSettings(end_silence_ms=320, min_speech_ms=250)
    (_, click) = feed(TurnDetector(settings), [0.9] * 4 + [0.0] * 12)
    assert isinstance(click, TurnEnd) and click.dropped
    events = feed(TurnDetector(settings), [0.9] * 20 + [0.1] * 8 + [0.9] * 20 + [0.0] * 12)
    assert [type(e).__name__ for e in events] == ["TurnStart", "TurnEnd"]


def test_hysteresis_needs_a_confident_frame_to_resume_speech() -> None:
    detector = TurnDetector(TurnSettings(end_silence_ms=320))
    feed(detector, [0.9] * 10 + [0.2] * 3)
    assert detector.silence_ms > 0
    detector.feed(0.4, 14 * FRAME)  # between the thresholds: still silence
    assert detector.silence_ms == pytest.approx(4 * 32)


def test_silero_finds_human_speech_and_not_silence() -> None:
    vad = SileroVad()
    speech = clip("librivox-0880").audio
    probs = [vad(speech[i : i + FRAME]) for i in range(0, len(speech) - FRAME, FRAME)]
    assert max(probs) > 0.9
    vad.reset()
    quiet = np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32) * 1e-3
    assert max(vad(quiet[i : i + FRAME]) for i in range(0, SAMPLE_RATE - FRAME, FRAME)) < 0.3
    with pytest.raises(ValueError):
        vad(np.zeros(100, dtype=np.float32))


def test_energy_vad_is_a_level_gate() -> None:
    vad = EnergyVad(-30)
    assert vad(np.full(FRAME, 0.1, dtype=np.float32)) == 1.0
    assert vad(np.full(FRAME, 0.001, dtype=np.float32)) == 0.0


def test_barge_in_needs_sustained_speech() -> None:
    barge = BargeInDetector(min_ms=400)
    short = [barge.feed(0.9, (k + 1) * FRAME) for k in range(8)]  # 256 ms: a "mm-hmm"
    assert short == [None] * 8
    pause = [barge.feed(0.0, (k + 9) * FRAME) for k in range(20)]
    assert pause == [None] * 20
    hits = [barge.feed(0.9, (k + 29) * FRAME) for k in range(13)]
    assert hits[-1] == 28 * FRAME  # where the interrupting speech began
    assert hits[:-1] == [None] * 12


def test_barge_in_takes_a_less_certain_voice_when_its_energy_is_heard() -> None:
    """p 0.6 over the reply counts when the microphone holds more than the echo explains (the
    voice is there; Silero is slow on the canceller's output), not when it does not (residue)."""
    heard, unheard = BargeInDetector(min_ms=200), BargeInDetector(min_ms=200)
    assert [heard.feed(0.6, (k + 1) * FRAME, heard=True) for k in range(7)][-1] == 0
    assert [unheard.feed(0.6, (k + 1) * FRAME, heard=False) for k in range(30)] == [None] * 30


def test_spoken_text_counts_whole_sentences_and_the_played_part_of_the_cut_one() -> None:
    sentences = {0: "One two three four.", 1: "Five six seven eight.", 2: "Nine ten."}
    assert (
        spoken_text(sentences, {0: 1.0, 1: 1.0, 2: 1.0}) == "One two three four. Five six "
        "seven eight. Nine ten."
    )
    assert spoken_text(sentences, {0: 1.0, 1: 0.5}) == "One two three four. Five six"
    assert spoken_text(sentences, {0: 0.1}) == ""
    assert spoken_text(sentences, {}) == ""


def test_ring_buffer_overwrites_the_oldest_and_waits_for_data() -> None:
    ring = RingBuffer(8)
    ring.write(np.arange(6, dtype=np.float32))
    ring.write(np.arange(6, 12, dtype=np.float32))
    assert ring.overruns == 1
    assert ring.read().tolist() == list(range(4, 12))
    assert ring.read(4, timeout=0.05).size == 0


def test_history_slices_by_absolute_index() -> None:
    history = History(10)
    for k in range(5):
        history.append(np.arange(k * 4, k * 4 + 4, dtype=np.float32))
    assert history.end == 20
    assert history.slice(12, 18).tolist() == list(range(12, 18))
    assert history.slice(0, 12).tolist() == [10, 11]  # older samples are gone
    history.append(np.arange(20, 45, dtype=np.float32))
    assert history.slice(0, 100).tolist() == list(range(35, 45))


def test_backchannels_are_told_from_words_that_take_the_turn() -> None:
    from assistant.voice.endpoint import is_backchannel

    backchannels = ("Mm-hmm.", "mhm", "Uh-huh.", "Yeah.", "Yeah, yeah.", "Okay.", "Oh, I see.")
    for said in backchannels:
        assert is_backchannel(said), said
    for said in ("Wait.", "Stop.", "No.", "I", "Yeah, but what about Paris?", "", "Okay, stop."):
        assert not is_backchannel(said), said
