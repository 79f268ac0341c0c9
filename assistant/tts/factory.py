"""Chooses and builds the voice from the config: ``auto`` = the neural Piper voice when its
package is installed (it needs espeak-ng for phonemes), else espeak-ng."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.config import Config
from assistant.errors import ModelError
from assistant.model_store import ModelStore
from assistant.tts.base import SpeechSynthesizer

PIPER_MODEL = "piper-joe-medium"
PIPER_FILE = "data/en_US-joe-medium.onnx"
BACKENDS = ("piper", "espeak", "pyttsx3")


def piper_model(voice: str, store: ModelStore) -> Path:
    """A Piper ``.onnx`` voice: ``tts.voice`` when it is a path to one, else the packaged voice."""
    if voice.endswith(".onnx"):
        path = Path(voice).expanduser()
        if not path.is_file():
            raise ModelError(f"tts.voice: {path} does not exist.")
        return path
    return store.file(PIPER_MODEL, PIPER_FILE)


def choose_backend(requested: str, store: ModelStore) -> str:
    if requested != "auto":
        return requested
    has_espeak = shutil.which("espeak-ng") is not None
    has_piper = store.module_dir(store.entry(PIPER_MODEL).module) is not None
    if has_piper and has_espeak:
        return "piper"
    if has_espeak:
        return "espeak"
    raise ModelError(
        "no voice is available: install espeak-ng (`sudo apt-get install "
        "espeak-ng`; the neural voice needs it too) or set tts.backend = none."
    )


def build_synthesizer(
    config: Config, store: ModelStore | None = None, backend: str | None = None
) -> SpeechSynthesizer | None:
    """The configured voice (``backend`` overrides ``tts.backend``); None for ``none``."""
    tts = config.tts
    requested = backend or tts.backend
    if requested == "none":
        return None
    store = store or ModelStore()
    chosen = choose_backend(requested, store)
    if chosen == "piper":
        from assistant.tts.piper_voice import PiperSynthesizer

        return PiperSynthesizer(piper_model(tts.voice, store), rate=tts.rate, volume=tts.volume)
    if chosen == "espeak":
        from assistant.tts.espeak_voice import EspeakSynthesizer

        return EspeakSynthesizer(tts.voice, rate=tts.rate, volume=tts.volume)
    if chosen == "pyttsx3":
        from assistant.tts.pyttsx3_voice import Pyttsx3Synthesizer

        return Pyttsx3Synthesizer(tts.voice, rate=tts.rate, volume=tts.volume)
    raise ModelError(
        f"unknown TTS backend {requested!r}; choose auto, {', '.join(BACKENDS)} or none."
    )
