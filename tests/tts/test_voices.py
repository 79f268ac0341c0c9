"""Voices: Piper, espeak-ng and pyttsx3 speak, at a sane length and level, and Whisper hears the
words back (the real proof a voice is intelligible)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.asr.audio_file import to_mono_16k
from assistant.bench.asr import word_error_rate
from assistant.config import Config
from assistant.errors import ModelError
from assistant.model_store import ModelStore
from assistant.tts import espeak_voice
from assistant.tts import factory as tts_factory
from assistant.tts.base import SpeechSynthesizer
from assistant.tts.factory import build_synthesizer
from assistant.tts.piper_voice import PiperSynthesizer, clauses
from tests.asr.conftest import RecognizerFactory

SENTENCE = "Tomorrow morning the weather will be sunny, with a light breeze from the west."
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def voice(backend: str) -> SpeechSynthesizer:
    synthesizer = build_synthesizer(Config(), ModelStore(), backend=backend)
    assert synthesizer is not None
    return synthesizer


def dbfs(audio: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(audio))) + 1e-12))


def check_speech(audio: np.ndarray, rate: int, words: int) -> None:
    seconds = len(audio) / rate
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.2 * words <= seconds <= 0.8 * words, seconds  # ~2-4 words a second
    assert 0.2 < np.max(np.abs(audio)) <= 1.0
    assert -35 < dbfs(audio) < -6


@needs_espeak
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["piper", "espeak"])
def test_voice_is_heard_back_by_whisper(backend: str, recognizer: RecognizerFactory) -> None:
    synthesizer = voice(backend)
    audio = synthesizer.synthesize(SENTENCE)
    check_speech(audio, synthesizer.sample_rate, len(SENTENCE.split()))
    heard = recognizer("faster-whisper").transcribe(to_mono_16k(audio, synthesizer.sample_rate))
    assert word_error_rate([SENTENCE], [heard.text]) <= 0.15, heard.text


@needs_espeak
def test_piper_rate_and_volume() -> None:
    normal = voice("piper")
    fast = build_synthesizer(Config(), ModelStore(), backend="piper")
    assert isinstance(fast, PiperSynthesizer) and isinstance(normal, PiperSynthesizer)
    fast.rate, fast.volume = 1.6, 0.5
    a, b = (
        normal.synthesize("One two three four five."),
        fast.synthesize("One two three four five."),
    )
    assert len(b) < 0.8 * len(a)
    assert np.max(np.abs(b)) < 0.75 * np.max(np.abs(a))
    assert normal.synthesize("  ").size == 0


def test_clauses_keep_punctuation_and_numbers() -> None:
    assert clauses("It costs 3.5 dollars, really?! Yes") == [
        ("It costs 3.5 dollars", ","),
        ("really", "?!"),
        ("Yes", ""),
    ]


@needs_espeak
def test_piper_keeps_sentence_punctuation_in_phonemes() -> None:
    sentences = voice("piper").phonemes("Hello there, friend. Are you well?")  # type: ignore[attr-defined]
    assert len(sentences) == 2
    assert sentences[0].endswith(".") and "," in sentences[0] and sentences[1].endswith("?")


@needs_espeak
def test_espeak_voices_and_rate() -> None:
    synthesizer = voice("espeak")
    ids = {v.id for v in synthesizer.voices()}
    assert {"en-us", "de", "fr-fr"} <= ids
    slow = espeak_voice.EspeakSynthesizer("en-us", rate=0.6).synthesize("one two three four")
    fast = espeak_voice.EspeakSynthesizer("en-us", rate=1.8).synthesize("one two three four")
    assert len(fast) < 0.6 * len(slow)


@needs_espeak
@pytest.mark.slow
def test_pyttsx3_speaks_twice_in_a_row() -> None:
    synthesizer = voice("pyttsx3")
    first = synthesizer.synthesize("This is the first sentence.")
    second = synthesizer.synthesize("And this is the second one.")
    for audio in (first, second):
        check_speech(audio, synthesizer.sample_rate, 5)


def test_auto_picks_piper_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    store = ModelStore()
    monkeypatch.setattr(tts_factory.shutil, "which", lambda name: "/usr/bin/" + name)
    assert tts_factory.choose_backend("auto", store) == "piper"
    monkeypatch.setattr(store, "module_dir", lambda module: None)
    assert tts_factory.choose_backend("auto", store) == "espeak"
    monkeypatch.setattr(tts_factory.shutil, "which", lambda name: None)
    with pytest.raises(ModelError, match="apt-get install espeak-ng"):
        tts_factory.choose_backend("auto", store)


def test_missing_espeak_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    espeak_voice.espeak_program.cache_clear()
    monkeypatch.setattr(espeak_voice.shutil, "which", lambda name: None)
    try:
        with pytest.raises(ModelError, match="espeak-ng is not installed"):
            espeak_voice.EspeakSynthesizer().synthesize("hello")
    finally:
        espeak_voice.espeak_program.cache_clear()


def test_none_means_no_voice() -> None:
    config = Config()
    config.tts.backend = "none"
    assert build_synthesizer(config) is None
