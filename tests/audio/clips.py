"""Human speech with transcripts and word timings: the clips of the pocketsphinx 5.1.1 sdist.

The sdist is fetched once with pip into the user cache (never into the repository) and the
clips are read from there: ``librivox`` (5 read sentences with word alignments) and ``cards``
(5 short commands).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest

SDIST = "pocketsphinx-5.1.1"


@dataclass(frozen=True)
class Clip:
    name: str
    audio: np.ndarray  # float32 mono 16 kHz
    text: str
    speech_end_s: float  # where the last word ends (from the alignment, else the level)


def _cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "assistant" / "test-data"


def _data_dir() -> Path:
    root = _cache_dir()
    data = root / SDIST / "test" / "data"
    if (data / "librivox").is_dir() and (data / "cards").is_dir():
        return data
    root.mkdir(parents=True, exist_ok=True)
    archive = root / f"{SDIST}.tar.gz"
    if not archive.exists():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "pocketsphinx==5.1.1",
                "-d",
                str(root),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not archive.exists():
            pytest.skip(f"cannot fetch the speech clips ({SDIST} sdist): {done.stderr[-300:]}")
    with tarfile.open(archive) as tar:
        members = [
            m
            for m in tar.getmembers()
            if "/test/data/librivox/" in m.name or "/test/data/cards/" in m.name
        ]
        tar.extractall(root, members=members, filter="data")
    return data


def _speech_end(audio: np.ndarray, alignment: Path) -> float:
    if alignment.exists():
        words = [w for w in json.loads(alignment.read_text())["w"] if w["t"] != "<sil>"]
        last = words[-1]
        return float(last["b"] + last["d"])
    frames = np.abs(audio[: len(audio) // 160 * 160]).reshape(-1, 160).max(axis=1)
    loud = np.nonzero(frames > 0.05 * frames.max())[0]
    return float((loud[-1] + 1) * 160 / 16000)


@cache
def human_clips() -> tuple[Clip, ...]:
    import soundfile as sf

    data = _data_dir()
    clips = []
    for wav in sorted((data / "librivox").glob("*.wav")):
        audio, rate = sf.read(wav, dtype="float32")
        assert rate == 16000
        text = wav.with_suffix(".txt").read_text().strip()
        clips.append(Clip(wav.stem[-4:], audio, text, _speech_end(audio, wav.with_suffix(".json"))))
    cards = {}
    for line in (data / "cards" / "cards.transcription").read_text().splitlines():
        words = line.replace("<s>", "").replace("</s>", "").split()
        cards[words[-1].strip("()")] = " ".join(words[:-1])
    for wav in sorted((data / "cards").glob("*.wav")):
        audio, rate = sf.read(wav, dtype="float32")
        clips.append(
            Clip(
                f"cards-{wav.stem}",
                audio,
                cards[wav.stem],
                _speech_end(audio, wav.with_suffix(".json")),
            )
        )
    return tuple(clips)


def clip(name: str) -> Clip:
    return next(c for c in human_clips() if c.name == name)
