"""The short-window encoder: the audio part encoded, the rest a cached encoding of silence."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.asr.short_window import WINDOW_FRAMES, ShortWindowEncoder, content_frames
from assistant.bench.asr import word_error_rate
from tests.asr.conftest import Clip, RecognizerFactory


def _window(audio_frames: int, mels: int = 80) -> np.ndarray:
    window = np.zeros((1, mels, WINDOW_FRAMES), dtype=np.float32)
    window[..., :audio_frames] = -0.5
    return window


def test_content_frames_stops_at_the_zero_padding() -> None:
    assert content_frames(_window(137)) == 137
    assert content_frames(_window(0)) == 0


def test_short_audio_encodes_only_its_part_and_borrows_the_silent_tail() -> None:
    calls: list[int] = []

    def encode(features: np.ndarray) -> np.ndarray:
        calls.append(features.shape[-1])
        out = np.full((1, features.shape[-1] // 2, 4), float(len(calls)), dtype=np.float32)
        return out

    encoder = ShortWindowEncoder(encode, lambda array: array, margin_frames=100)
    encoder.silence()  # at load: one empty window
    out = encoder(_window(201))
    assert calls == [WINDOW_FRAMES, 302]  # 201 + 100, rounded up to the stride of 2
    assert out.shape == (1, WINDOW_FRAMES // 2, 4)
    assert (out[0, :151] == 2).all() and (out[0, 151:] == 1).all()
    encoder(_window(2950))  # nearly full: encoded whole
    assert calls[-1] == WINDOW_FRAMES


@pytest.mark.slow
def test_same_words_as_the_whole_window_on_human_speech(
    human_clips: list[Clip], recognizer: RecognizerFactory
) -> None:
    whole = recognizer("faster-whisper", short_window=False)
    short = recognizer("faster-whisper")
    assert "short window" in short.name
    refs = [c.text for c in human_clips]
    texts_whole = [whole.transcribe(c.audio) for c in human_clips]
    texts_short = [short.transcribe(c.audio) for c in human_clips]
    wer_whole = word_error_rate(refs, [t.text for t in texts_whole])
    wer_short = word_error_rate(refs, [t.text for t in texts_short])
    assert wer_short <= wer_whole + 0.01, (wer_short, wer_whole)
    for t, ref in zip(texts_short, refs, strict=True):  # no repeated phrases
        assert len(t.text.split()) <= len(ref.split()) + 1, t.text
