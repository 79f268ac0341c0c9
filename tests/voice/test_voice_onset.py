"""A reply's voice starts with its first sound, not with the voice's lead-in silence."""

from __future__ import annotations

import numpy as np

from assistant.config import Config
from assistant.tts.factory import build_synthesizer
from assistant.voice.reply_speaker import LEAD_KEPT_S, without_lead_silence


def test_the_lead_in_silence_goes_and_the_sound_stays() -> None:
    rate = 22_050
    tone = 0.2 * np.sin(2 * np.pi * 220 * np.arange(rate // 2) / rate).astype(np.float32)
    hiss = np.full(rate // 10, 1e-4, dtype=np.float32)  # 100 ms just above digital silence
    trimmed = without_lead_silence(np.concatenate([hiss, tone]), rate)
    kept = len(trimmed) - len(tone)  # 5 ms, give or take the 5 ms windows it looks in
    assert int(LEAD_KEPT_S * rate) <= kept < int(2 * LEAD_KEPT_S * rate)
    assert np.array_equal(trimmed[-len(tone) :], tone)
    assert without_lead_silence(np.zeros(100, np.float32), rate).size == 100  # all quiet: kept
    assert without_lead_silence(tone, rate).size == tone.size


def test_the_real_voice_starts_within_ten_ms() -> None:
    voice = build_synthesizer(Config())
    assert voice is not None
    audio = voice.synthesize("It's half past two.")
    trimmed = without_lead_silence(audio, voice.sample_rate)
    assert len(trimmed) < len(audio)  # Piper leads in with near silence
    first = trimmed[: voice.sample_rate // 100]
    assert 20 * np.log10(np.sqrt(np.mean(first**2)) + 1e-12) > -60
