"""Smart Turn v3.2 on human speech: the real ONNX model from the pipecat-ai package, its
features checked against openai-whisper's log-mel spectrogram."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import SAMPLE_RATE
from assistant.bench.voice import paused_mid_sentence
from assistant.errors import ModelError
from assistant.model_store import ModelStore
from assistant.voice.smart_turn import MODEL, LogMel, SmartTurn, last_window
from tests.audio.clips import clip


@pytest.fixture(scope="module")
def model() -> SmartTurn:
    turn = SmartTurn()
    turn.load()
    return turn


def _speech(name: str) -> np.ndarray:
    c = clip(name)
    return c.audio[: int(c.speech_end_s * SAMPLE_RATE)]


def test_the_constructor_loads_nothing_and_load_is_once() -> None:
    turn = SmartTurn(model_path="/nonexistent/smart-turn.onnx")
    assert not turn.loaded
    with pytest.raises(ModelError, match="cannot load the end-of-turn model"):
        turn.load()


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "smart-turn.onnx"
    bad.write_bytes(b"not an onnx model")
    with pytest.raises(ModelError, match="assistant models verify"):
        SmartTurn(model_path=bad).probability(np.zeros(SAMPLE_RATE, dtype=np.float32))


def test_the_registered_file_is_the_one_installed() -> None:
    store = ModelStore()
    assert store.verify(store.entry(MODEL)) == []


def test_features_match_openai_whispers_log_mel() -> None:
    import whisper

    audio = clip("librivox-0870").audio
    ours = LogMel()(audio)
    window = last_window(audio)
    scaled = (window - window.mean()) / np.sqrt(window.var() + 1e-7)
    reference = whisper.log_mel_spectrogram(scaled.astype(np.float32), n_mels=80).numpy()
    assert ours.shape == reference.shape == (80, 800)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=1e-4)


def test_short_audio_is_left_padded_and_long_audio_keeps_its_last_8_s() -> None:
    short = np.ones(SAMPLE_RATE, dtype=np.float32)
    padded = last_window(short)
    assert padded.size == 8 * SAMPLE_RATE
    assert not padded[: 7 * SAMPLE_RATE].any() and padded[-SAMPLE_RATE:].all()
    long = np.arange(10 * SAMPLE_RATE, dtype=np.float32)
    assert last_window(long)[0] == 2 * SAMPLE_RATE


@pytest.mark.slow
@pytest.mark.parametrize("name", ["librivox-0890", "librivox-0920"])
def test_a_finished_sentence_scores_complete_and_its_first_part_does_not(
    model: SmartTurn, name: str
) -> None:
    speech = _speech(name)
    tail = np.zeros(SAMPLE_RATE // 10, dtype=np.float32)
    first, _, _ = paused_mid_sentence(speech, between=(0.5, 0.8))
    whole = model.probability(np.concatenate([speech, tail]))
    cut = model.probability(np.concatenate([first, tail]))
    assert whole > 0.9
    assert cut < 0.5
    assert cut < whole


@pytest.mark.slow
def test_silence_and_a_call_take_well_under_a_second(model: SmartTurn) -> None:
    p = model.probability(np.zeros(8 * SAMPLE_RATE, dtype=np.float32))
    assert 0.0 <= p <= 1.0
    started = time.perf_counter()
    model.probability(_speech("librivox-0870"))
    assert time.perf_counter() - started < 1.0
