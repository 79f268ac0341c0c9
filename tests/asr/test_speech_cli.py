"""`assistant transcribe`, `assistant say` and `assistant bench asr` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from assistant.bench.asr import word_error_rate

ASSISTANT = [sys.executable, "-m", "assistant"]
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def run(
    *args: str, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ASSISTANT, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@pytest.mark.slow
def test_transcribe_json(clips_dir: Path, tmp_path: Path) -> None:
    clip = clips_dir / "librivox-0890.wav"
    reference = clip.with_suffix(".txt").read_text()
    done = run("transcribe", "--json", "--backend", "faster-whisper", str(clip))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert word_error_rate([reference], [result["text"]]) <= 0.15
    assert result["language"] == "en"
    assert result["audio_seconds"] == pytest.approx(5.3, abs=0.01)
    assert result["compute_seconds"] > 0
    assert result["rtf"] == pytest.approx(
        result["compute_seconds"] / result["audio_seconds"], abs=0.01
    )
    first, last = result["segments"][0], result["segments"][-1]
    assert 0 <= first["start"] < first["end"] <= last["end"] <= 5.4
    assert " ".join(s["text"] for s in result["segments"]) == result["text"]


@pytest.mark.slow
def test_transcribe_goes_on_after_a_bad_file(clips_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not a recording\n" * 20)
    good = clips_dir / "cards-003.wav"
    done = run("transcribe", "--backend", "openai-whisper", str(bad), str(good))
    assert done.returncode == 6
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "notes.wav is not an audio file" in done.stderr
    assert done.stdout.startswith(f"{good}: ") and "clubs" in done.stdout.lower()


@needs_espeak
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["piper", "espeak"])
def test_say_writes_a_wav(tmp_path: Path, backend: str) -> None:
    out = tmp_path / "out.wav"
    done = run("say", "--backend", backend, "-o", str(out), "Good morning, how can I help?")
    assert done.returncode == 0, done.stderr
    info = sf.info(str(out))
    assert info.channels == 1 and 1.0 < info.duration < 4.0
    assert f"wrote {out}" in done.stdout


@needs_espeak
def test_say_lists_voices_and_checks_rate() -> None:
    done = run("say", "--list-voices", "--backend", "espeak")
    assert done.returncode == 0 and "en-us\t" in done.stdout
    done = run("say", "--rate", "5", "hello")
    assert done.returncode == 2 and "0.5 to 2" in done.stderr


@needs_espeak
def test_say_without_a_sound_device_suggests_a_file(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(tmp_path),
        "PULSE_SERVER": "unix:/nonexistent",
        "AUDIODEV": "null",
    }
    probe = subprocess.run(
        [sys.executable, "-c", "import sounddevice as s; s.query_devices(kind='output')"],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    if probe.returncode == 0:
        pytest.skip("this machine has a sound output device")
    done = run("say", "--backend", "espeak", "hello", env=env)
    assert done.returncode == 5
    assert "-o out.wav" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_bench_asr_json(clips_dir: Path, tmp_path: Path) -> None:
    for name in ("cards-001", "librivox-0880"):
        for suffix in (".wav", ".txt"):
            shutil.copy(clips_dir / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    done = run("bench", "asr", str(tmp_path), "--json", "--backend", "faster-whisper")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["clips"] == 2 and report["words"] == 11
    (result,) = report["results"]
    assert result["setup"] == "faster-whisper int8 whisper-tiny-en greedy"
    assert 0 <= result["wer"] <= 0.3 and result["rtf"] > 0
    assert [c["clip"] for c in result["clips"]] == ["cards-001.wav", "librivox-0880.wav"]
