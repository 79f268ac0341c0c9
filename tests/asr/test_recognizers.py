"""Whisper recognizers: real accuracy on human speech, nothing from silence or noise, the gate's
rules (with a scripted engine), long input in windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from assistant.asr.audio_file import load_audio
from assistant.asr.base import SAMPLE_RATE, Segment, Transcript
from assistant.asr.whisper_core import (
    Decoded,
    RawSegment,
    WhisperRecognizer,
    join,
    transcribe_blocks,
)
from assistant.bench.asr import word_error_rate
from tests.asr.conftest import Clip, RecognizerFactory


class ScriptedEngine:
    """A Whisper engine that answers with given segments and records what it was asked."""

    def __init__(self, *segments: RawSegment, multilingual: bool = False) -> None:
        self.segments = segments
        self.calls: list[tuple[int, str | None]] = []
        self._multilingual = multilingual

    name = "scripted"

    @property
    def multilingual(self) -> bool:
        return self._multilingual

    def load(self) -> None:
        return None

    def decode(self, clip: np.ndarray, language: str | None) -> Decoded:
        self.calls.append((len(clip), language))
        return Decoded(language or "de", self.segments)


def seg(text: str, logprob: float = -0.2, no_speech: float = 0.01) -> RawSegment:
    return RawSegment(0.0, 1.0, text, no_speech, logprob, 1.2)


def noise_cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 6 * SAMPLE_RATE
    t = np.arange(n) / SAMPLE_RATE
    return {
        "digital silence": np.zeros(n, dtype=np.float32),
        "near silence": (rng.standard_normal(n) * 3e-4).astype(np.float32),
        "white noise": (rng.standard_normal(n) * 0.05).astype(np.float32),
        "mains hum": (0.2 * np.sin(2 * np.pi * 50 * t)).astype(np.float32),
        "clicks": np.where(rng.random(n) > 0.9995, 0.8, 0.0).astype(np.float32),
    }


# --- the gate, with a scripted engine ---------------------------------------------------------


def test_silence_never_reaches_the_model() -> None:
    engine = ScriptedEngine(seg("Thank you.", logprob=-0.1))
    recognizer = WhisperRecognizer(engine)
    for audio in noise_cases().values():
        assert recognizer.transcribe(audio).text == ""
    assert engine.calls == []


def test_stock_phrases_need_confidence(human_clips: list[Clip]) -> None:
    speech = human_clips[0].audio
    assert WhisperRecognizer(ScriptedEngine(seg("Thank you.", -0.9))).transcribe(speech).text == ""
    assert WhisperRecognizer(ScriptedEngine(seg(" you", -0.7))).transcribe(speech).text == ""
    kept = WhisperRecognizer(ScriptedEngine(seg(" Thank you.", -0.15))).transcribe(speech)
    assert kept.text == "Thank you."


def test_whisper_no_speech_rule_and_repetition_loops(human_clips: list[Clip]) -> None:
    speech = human_clips[0].audio
    unsure = seg("Some words.", logprob=-1.4, no_speech=0.9)
    loop = RawSegment(0.0, 1.0, "the the the the the the the the", 0.1, -1.3, 3.1)
    good = seg("Real words.")
    result = WhisperRecognizer(ScriptedEngine(unsure, loop, good)).transcribe(speech)
    assert result.text == "Real words."


def test_only_speech_is_decoded_with_times_of_the_input(human_clips: list[Clip]) -> None:
    speech = human_clips[1].audio
    gap = np.zeros(40 * SAMPLE_RATE, dtype=np.float32)  # > one Whisper window
    audio = np.concatenate([speech, gap, speech])
    engine = ScriptedEngine(seg("words"))
    result = WhisperRecognizer(engine).transcribe(audio)
    assert len(engine.calls) == 2  # two speech chunks; the 40 s of silence is skipped
    assert all(n < len(speech) + SAMPLE_RATE for n, _ in engine.calls)
    assert result.segments[1].start > 40.0
    assert result.audio_seconds == pytest.approx(len(audio) / SAMPLE_RATE)


def test_language_is_detected_once_then_kept(human_clips: list[Clip]) -> None:
    engine = ScriptedEngine(seg("Wörter"), multilingual=True)
    gap = np.zeros(40 * SAMPLE_RATE, dtype=np.float32)
    audio = np.concatenate([human_clips[1].audio, gap, human_clips[1].audio])
    result = WhisperRecognizer(engine, language="auto").transcribe(audio)
    assert [lang for _, lang in engine.calls] == [None, "de"]
    assert result.language == "de"
    english_only = ScriptedEngine(seg("words"))
    WhisperRecognizer(english_only, language="fr").transcribe(human_clips[1].audio)
    assert english_only.calls[0][1] == "en"  # an .en model is always told English


class WindowRecorder:
    name = "recorder"

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def load(self) -> None:
        return None

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        self.sizes.append(len(audio))
        seconds = len(audio) / SAMPLE_RATE
        return Transcript("w", "en", (Segment(0.0, seconds, "w"),), seconds, 0.01)


def test_long_streams_are_transcribed_in_windows() -> None:
    rng = np.random.default_rng(1)
    block = (rng.standard_normal(60 * SAMPLE_RATE) * 0.1).astype(np.float32)
    recorder = WindowRecorder()
    blocks = (block for _ in range(2 * 60))  # two hours, one minute at a time
    result = join(transcribe_blocks(recorder, blocks, window_seconds=300))
    assert max(recorder.sizes) <= 300 * SAMPLE_RATE
    assert sum(recorder.sizes) == 7200 * SAMPLE_RATE
    assert result.audio_seconds == pytest.approx(7200)
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts) and starts[-1] > 7000


# --- real Whisper -----------------------------------------------------------------------------

# (backend, model, beam, compute type) → the WER bound on the 10 human clips (91 words); measured
# 2026-11-23: see the README's speech section. The bounds leave ~1-2 words of margin.
WER_BOUNDS = {
    ("openai-whisper", "whisper-tiny-en", 1, "int8"): 0.12,
    ("openai-whisper", "whisper-tiny-en", 5, "int8"): 0.12,
    ("faster-whisper", "whisper-tiny-en", 1, "int8"): 0.12,
    ("faster-whisper", "whisper-tiny-en", 1, "float32"): 0.12,
    ("faster-whisper", "whisper-base", 1, "int8"): 0.1,
}


@pytest.mark.slow
@pytest.mark.parametrize("setup", list(WER_BOUNDS), ids=lambda s: f"{s[0]}-{s[1]}-b{s[2]}-{s[3]}")
def test_word_error_rate_on_human_speech(
    setup: tuple[str, str, int, str], human_clips: list[Clip], recognizer: RecognizerFactory
) -> None:
    asr = recognizer(*setup)
    hypotheses = [asr.transcribe(c.audio).text for c in human_clips]
    wer = word_error_rate([c.text for c in human_clips], hypotheses)
    assert wer <= WER_BOUNDS[setup], list(
        zip([c.text for c in human_clips], hypotheses, strict=True)
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["openai-whisper", "faster-whisper"])
def test_no_words_from_silence_or_noise(backend: str, recognizer: RecognizerFactory) -> None:
    asr = recognizer(backend)
    heard = {name: asr.transcribe(audio).text for name, audio in noise_cases().items()}
    assert heard == {name: "" for name in heard}


@pytest.mark.slow
def test_speech_in_a_quiet_noisy_room_is_still_heard(
    human_clips: list[Clip], recognizer: RecognizerFactory
) -> None:
    clip = human_clips[5]  # librivox 0870, the longest sentence
    rng = np.random.default_rng(3)
    quiet = clip.audio * 0.1 + (rng.standard_normal(len(clip.audio)) * 0.002).astype(np.float32)
    text = recognizer("faster-whisper").transcribe(quiet.astype(np.float32)).text
    assert word_error_rate([clip.text], [text]) <= 0.15, text


@pytest.mark.slow
@pytest.mark.parametrize("rate", [8_000, 48_000])
def test_telephone_and_studio_rates_in_stereo_files(
    rate: int, clips_dir: Path, tmp_path: Path, recognizer: RecognizerFactory
) -> None:
    clip = clips_dir / "librivox-0930.wav"
    audio, _ = sf.read(clip, dtype="float32")
    converted = soxr.resample(audio, SAMPLE_RATE, rate)
    path = tmp_path / f"stereo-{rate}.flac"
    sf.write(path, np.stack([converted, converted * 0.8], axis=1), rate)
    text = recognizer("faster-whisper").transcribe(load_audio(path)).text
    assert word_error_rate([clip.with_suffix(".txt").read_text()], [text]) <= 0.15, text
