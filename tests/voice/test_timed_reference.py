"""The echo canceller's reference lined up by the devices' clock: an underrun in the speaker's
output leaves silence where the device played none, and everything after stays aligned."""

from __future__ import annotations

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.echo import TimedAligner
from assistant.audio.ring import RingBuffer

BLOCK = SAMPLE_RATE // 50  # 20 ms


def _speech_like(n: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32) * 0.1


def test_a_late_output_block_leaves_a_gap_and_no_drift() -> None:
    played = _speech_like(BLOCK * 50)
    aligner = TimedAligner(lead_ms=0)
    t0 = 1000.0
    late = 0.0
    for k in range(50):
        if k == 20:
            late = 0.120  # the device played 120 ms of silence before block 20 (an underrun)
        aligner.push(played[k * BLOCK : (k + 1) * BLOCK], t0 + k * 0.02 + late)
    assert aligner.jumps == 1
    # before the underrun: the reference of a frame captured at t is what was played at t
    before = aligner.frame(t0 + 0.2, BLOCK)
    np.testing.assert_array_equal(before, played[9 * BLOCK : 10 * BLOCK])
    # inside it: silence, as the device played
    assert not aligner.frame(t0 + 0.4 + 0.06, BLOCK).any()
    # after it: block 30 was heard 120 ms later than its place in the stream
    after = aligner.frame(t0 + 31 * 0.02 + late, BLOCK)
    np.testing.assert_array_equal(after, played[30 * BLOCK : 31 * BLOCK])


def test_the_lead_hands_over_the_reference_a_little_early() -> None:
    played = _speech_like(BLOCK * 10)
    aligner = TimedAligner(lead_ms=20)
    for k in range(10):
        aligner.push(played[k * BLOCK : (k + 1) * BLOCK], 5.0 + k * 0.02)
    np.testing.assert_array_equal(aligner.frame(5.1, BLOCK), played[5 * BLOCK : 6 * BLOCK])


def test_a_stamped_ring_tells_when_its_unread_samples_were_played() -> None:
    ring = RingBuffer(48_000, rate=48_000.0)
    ring.write(np.ones(960, np.float32), at=10.0)
    ring.write(np.ones(960, np.float32), at=10.02)
    assert ring.read(480).size == 480
    samples, at = ring.read_stamped()
    assert samples.size == 1440
    assert at is not None and abs(at - 10.01) < 1e-9
    unstamped = RingBuffer(100)
    unstamped.write(np.ones(10, np.float32))
    assert unstamped.read_stamped()[1] is None
