"""espeak-ng, run as a separate program (it is GPL-3: never linked): formant voice, 100+
languages, ~0.04 s a sentence. Also the phonemizer of the Piper voice."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess

import numpy as np

from assistant.errors import ModelError
from assistant.tts.base import Voice

DEFAULT_WPM = 175
_TIMEOUT = 30.0


@functools.cache
def espeak_program() -> str:
    program = shutil.which("espeak-ng") or shutil.which("espeak")
    if program is None:
        raise ModelError(
            "espeak-ng is not installed; install it with `sudo apt-get install "
            "espeak-ng` (or choose tts.backend = none)."
        )
    return program


def run_espeak(args: list[str], text: str) -> bytes:
    """espeak-ng with ``args``, ``text`` on stdin (never parsed as options); its stdout."""
    try:
        done = subprocess.run(
            [espeak_program(), *args],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModelError("espeak-ng did not answer within 30 s.") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ModelError(f"espeak-ng failed: {message[-1] if message else done.returncode}.")
    return done.stdout


def espeak_voices() -> list[Voice]:
    """Installed espeak-ng voices (one per language; mbrola voices need extra programs)."""
    listing = subprocess.run(
        [espeak_program(), "--voices"],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    ).stdout
    voices: dict[str, Voice] = {}
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5 or parts[4].startswith("mb/"):
            continue
        language, name = parts[1], parts[3].replace("_", " ")
        voices.setdefault(language, Voice(language, name, language))
    return sorted(voices.values(), key=lambda v: v.id)


class EspeakSynthesizer:
    sample_rate_hz = 22_050

    def __init__(self, voice: str = "", rate: float = 1.0, volume: float = 1.0) -> None:
        self.voice = voice or "en-us"
        self.rate = rate
        self.volume = volume

    @property
    def name(self) -> str:
        return f"espeak-ng {self.voice}"

    @property
    def sample_rate(self) -> int:
        return self.sample_rate_hz

    def load(self) -> None:
        espeak_program()

    def voices(self) -> list[Voice]:
        return espeak_voices()

    def synthesize(self, text: str) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        import soundfile as sf

        wav = run_espeak(
            [
                "--stdout",
                "-v",
                self.voice,
                "-s",
                str(round(DEFAULT_WPM * self.rate)),
                "-a",
                str(round(100 * self.volume)),
            ],
            text,
        )
        # espeak-ng streams the WAV with placeholder sizes; read the PCM after the header.
        audio, rate = sf.read(io.BytesIO(_fix_wav_sizes(wav)), dtype="float32")
        self.sample_rate_hz = int(rate)
        return np.asarray(audio, dtype=np.float32).reshape(-1)


def _fix_wav_sizes(wav: bytes) -> bytes:
    """espeak-ng writes 0x7fffffff sizes when writing to a pipe; put the true sizes in."""
    if len(wav) < 44 or wav[:4] != b"RIFF":
        raise ModelError("espeak-ng produced no audio.")
    data = wav.find(b"data", 12)
    if data < 0:
        raise ModelError("espeak-ng produced a WAV without data.")
    body = len(wav) - data - 8
    return (
        wav[:4]
        + (len(wav) - 8).to_bytes(4, "little")
        + wav[8 : data + 4]
        + body.to_bytes(4, "little")
        + wav[data + 8 :]
    )
