"""System voices through pyttsx3 (espeak-ng on Linux, SAPI5 on Windows, NSSpeechSynthesizer on
macOS).

pyttsx3 caches one engine per driver, and on that engine a second ``save_to_file`` +
``runAndWait`` returns before writing anything (and the first can return early); it also prints
to stdout. So every synthesis runs in a fresh child process (``python -m
assistant.tts.pyttsx3_voice``) that writes a WAV file, and the file is checked before it is used.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.errors import ModelError
from assistant.tts.base import Voice

_TIMEOUT = 60.0
DEFAULT_WPM = 200  # pyttsx3's default rate


def _child(args: list[str]) -> str:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "assistant.tts.pyttsx3_voice", *args],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModelError("pyttsx3 did not finish within 60 s.") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise ModelError(
            f"pyttsx3 failed: {lines[-1] if lines else done.returncode} "
            "(is pyttsx3 installed, with espeak-ng on Linux?)."
        )
    return done.stdout


class Pyttsx3Synthesizer:
    def __init__(self, voice: str = "", rate: float = 1.0, volume: float = 1.0) -> None:
        self.voice = voice
        self.rate = rate
        self.volume = volume
        self._rate_hz = 22_050

    @property
    def name(self) -> str:
        return f"pyttsx3 {self.voice or 'default'}"

    @property
    def sample_rate(self) -> int:
        return self._rate_hz

    def load(self) -> None:
        import importlib.util

        if importlib.util.find_spec("pyttsx3") is None:
            raise ModelError(
                "pyttsx3 is not installed; `pip install pyttsx3` (and on Linux "
                "`sudo apt-get install espeak-ng`)."
            )

    def voices(self) -> list[Voice]:
        self.load()
        out = _child(["--list-voices"])
        return [Voice(**v) for v in json.loads(out.strip().splitlines()[-1])]

    def synthesize(self, text: str) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        self.load()
        import soundfile as sf

        with tempfile.TemporaryDirectory(prefix="assistant-tts-") as tmp:
            out = Path(tmp) / "speech.wav"
            _child(
                [
                    "--out",
                    str(out),
                    "--rate",
                    str(round(DEFAULT_WPM * self.rate)),
                    "--volume",
                    str(self.volume),
                    "--voice",
                    self.voice,
                    "--",
                    text,
                ]
            )
            try:
                audio, rate = sf.read(str(out), dtype="float32", always_2d=True)
            except (sf.LibsndfileError, OSError):
                raise ModelError("pyttsx3 wrote no audio (the system voice failed).") from None
        if not len(audio):
            raise ModelError("pyttsx3 wrote an empty file (the system voice failed).")
        self._rate_hz = int(rate)
        return audio.mean(axis=1, dtype=np.float32)


def _wait_for_file(path: Path, timeout: float = 10.0) -> None:
    """runAndWait may return before the driver has flushed the file: wait until it settles."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        size = path.stat().st_size if path.exists() else 0
        if size > 44 and size == last:
            return
        last = size
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pyttsx3 in a fresh process (internal)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rate", type=int, default=DEFAULT_WPM)
    parser.add_argument("--volume", type=float, default=1.0)
    parser.add_argument("--voice", default="")
    parser.add_argument("--list-voices", action="store_true")
    parser.add_argument("text", nargs="?", default="")
    args = parser.parse_args(argv)
    import pyttsx3

    engine = pyttsx3.init()
    if args.list_voices:
        voices = [
            {"id": v.id, "name": v.name, "language": str((v.languages or ["en"])[0]).lstrip("\x05")}
            for v in engine.getProperty("voices")
        ]
        print(json.dumps(voices))
        return 0
    if args.voice:
        engine.setProperty("voice", args.voice)
    engine.setProperty("rate", args.rate)
    engine.setProperty("volume", args.volume)
    engine.save_to_file(args.text, str(args.out))
    engine.runAndWait()
    _wait_for_file(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
