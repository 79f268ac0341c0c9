"""Human speech with transcripts (the pocketsphinx sdist clips of tests/speech_clips.py), loaded
as the voice benchmark loads them: float32 16 kHz with the end of speech measured."""

from __future__ import annotations

from functools import cache

import pytest

from assistant.bench.voice import SpeechClip, load_clips
from tests.speech_clips import FetchError, fetch


@cache
def human_clips() -> tuple[SpeechClip, ...]:
    """librivox-08x0 (5 read sentences) and cards-00x (5 short commands)."""
    try:
        folder = fetch()
    except FetchError as err:
        pytest.skip(str(err))
    return tuple(load_clips(folder))


def clip(name: str) -> SpeechClip:
    return next(c for c in human_clips() if c.name == name)
