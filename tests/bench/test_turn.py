"""`assistant bench turn`: the three end-of-turn rules on pauses (fakes for Whisper and the
model; the real Silero VAD finds the pauses in human clips)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.asr.base import FakeRecognizer
from assistant.audio import SAMPLE_RATE
from assistant.bench.turn import Pause, decided_after, score_pauses, summarize
from assistant.voice.endpoint import Verdict
from tests.audio.clips import clip

FULL_MS = 800


class LongerIsComplete:
    """A light stand-in for Smart Turn: complete once the audio is longer than ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    def load(self) -> None:
        return None

    def probability(self, audio: np.ndarray) -> float:
        self.calls += 1
        return 0.9 if len(audio) > self.seconds * SAMPLE_RATE else 0.1


def _pause(kind: str, reading: Verdict, p: float, pause_ms: float = 600.0) -> Pause:
    return Pause("clip", kind, pause_ms, "text", reading, p, 200.0, 100.0, 0.0)


def test_when_each_rule_decides() -> None:
    finished_incomplete = _pause("end", Verdict.FINISHED, 0.1)
    # the transcript alone: at once once Whisper is done (96 ms + 200 ms, in 32-ms frames)
    assert decided_after(finished_incomplete, "transcript", FULL_MS) == pytest.approx(320)
    # the model says incomplete: the full silence
    assert decided_after(finished_incomplete, "combined", FULL_MS) == pytest.approx(800)
    agreed = _pause("end", Verdict.FINISHED, 0.9)
    assert decided_after(agreed, "combined", FULL_MS) == pytest.approx(416)  # 96 + 200 + 100
    assert decided_after(agreed, "combined", FULL_MS, timing="parallel") == pytest.approx(320)
    assert decided_after(agreed, "combined", FULL_MS, timing="instant") == pytest.approx(96)
    assert decided_after(agreed, "model", FULL_MS) == pytest.approx(224)  # 96 + 100
    unsure = _pause("end", Verdict.UNSURE, 0.1)
    assert decided_after(unsure, "transcript", FULL_MS) == pytest.approx(416)  # half the silence


def test_summary_counts_cut_pauses_and_real_ends() -> None:
    pauses = [
        _pause("end", Verdict.FINISHED, 0.9, pause_ms=1000),
        _pause("end", Verdict.FINISHED, 0.2, pause_ms=1000),
        _pause("inserted", Verdict.FINISHED, 0.2),  # the model saves it
        _pause("inserted", Verdict.FINISHED, 0.9),  # both cut it
        _pause("inserted", Verdict.GOES_ON, 0.9),  # the words save it
    ]
    transcript = summarize(pauses, "transcript", FULL_MS)
    combined = summarize(pauses, "combined", FULL_MS)
    model = summarize(pauses, "model", FULL_MS)
    assert (transcript["inserted_pauses_cut"], combined["inserted_pauses_cut"]) == (2, 1)
    assert model["inserted_pauses_cut"] == 2
    assert combined["inserted_pauses"] == 3
    assert combined["inserted_cut_by_set"] == {"clip": "1 of 3"}
    assert transcript["real_ends_waiting_full_silence"] == 0
    assert combined["real_ends_waiting_full_silence"] == 1
    assert combined["real_end_decided_after_last_word_ms_instant"]["p90"] == pytest.approx(800)


@pytest.mark.timeout(120)
def test_pauses_of_human_clips_are_scored_at_the_end_and_mid_sentence() -> None:
    clips = [clip("cards-003"), clip("librivox-0880")]
    model = LongerIsComplete(seconds=2.5)
    pauses = score_pauses(clips, FakeRecognizer("Seven of clubs."), model)
    kinds = [(p.clip, p.kind) for p in pauses]
    for name in ("cards-003", "librivox-0880"):
        assert kinds.count((name, "end")) == 1
        assert kinds.count((name, "inserted")) == 2  # one in each half
    assert model.calls == len(pauses)
    assert all(p.reading is Verdict.FINISHED for p in pauses)
    inserted = [p for p in pauses if p.kind == "inserted"]
    assert all(p.pause_ms >= 500 for p in inserted)  # the 600-ms pause, as the VAD counts it
    ends = [p for p in pauses if p.kind == "end"]
    assert all(-150 < p.late_ms < 300 for p in ends)  # the VAD ends speech near the last word
