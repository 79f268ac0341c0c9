"""Human speech with transcripts for the ASR tests and `assistant bench asr`.

The clips are the ``test/data/librivox`` (5 read sentences) and ``test/data/cards`` (5 short
commands) recordings of the ``pocketsphinx==5.1.1`` sdist (34 s, 91 words). pip fetches the sdist
once into the user cache (never into the repository); the clips are copied into a flat folder
``NAME.wav`` + ``NAME.txt`` there, the layout `assistant bench asr DIR` reads.

    python -m tests.speech_clips fetch     # prints the folder (make calls it before the tests)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

SDIST = "pocketsphinx-5.1.1"


class FetchError(RuntimeError):
    pass


def cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "assistant" / "test-data"


def clips_dir() -> Path:
    return cache_root() / "speech-clips"


def _sdist_data(root: Path) -> Path:
    data = root / SDIST / "test" / "data"
    if (data / "librivox").is_dir() and (data / "cards").is_dir():
        return data
    root.mkdir(parents=True, exist_ok=True)
    archive = root / f"{SDIST}.tar.gz"
    if not archive.exists():
        # --no-binary for pocketsphinx only: its build tools come as wheels (20 s, not minutes).
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-binary",
                "pocketsphinx",
                "pocketsphinx==5.1.1",
                "-d",
                str(root),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not archive.exists():
            raise FetchError(f"cannot fetch the {SDIST} sdist with pip: {done.stderr[-400:]}")
    with tarfile.open(archive) as tar:
        members = [
            m
            for m in tar.getmembers()
            if "/test/data/librivox/" in m.name or "/test/data/cards/" in m.name
        ]
        tar.extractall(root, members=members, filter="data")
    return data


def fetch() -> Path:
    """The flat folder of clips with transcripts (fetched and built once)."""
    out = clips_dir()
    if len(list(out.glob("*.txt"))) == 10:
        return out
    data = _sdist_data(cache_root())
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for wav in sorted((data / "librivox").glob("*.wav")):
        name = "librivox-" + wav.stem.rsplit("-", 1)[1]
        shutil.copy2(wav, tmp / f"{name}.wav")
        text = wav.with_suffix(".txt").read_text(encoding="utf-8")
        (tmp / f"{name}.txt").write_text(" ".join(text.split()) + "\n", encoding="utf-8")
    for line in (data / "cards" / "cards.transcription").read_text().splitlines():
        words = line.replace("<s>", "").replace("</s>", "").split()
        if not words:
            continue
        stem = words[-1].strip("()")
        shutil.copy2(data / "cards" / f"{stem}.wav", tmp / f"cards-{stem}.wav")
        (tmp / f"cards-{stem}.txt").write_text(" ".join(words[:-1]) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def main(argv: list[str]) -> int:
    if argv[:1] != ["fetch"]:
        print("usage: python -m tests.speech_clips fetch", file=sys.stderr)
        return 2
    try:
        print(fetch())
    except FetchError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
