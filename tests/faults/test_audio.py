"""Fault matrix, audio rows: no sound devices at all (a real machine without a sound server) and
a speaker that refuses the sample rate. The other audio rows are covered where the stage is
tested: a microphone lost mid-turn and a failing voice (tests/voice/test_loop.py), a missing
espeak-ng (tests/tts/test_voices.py), malformed/NaN/empty/long audio files
(tests/asr/test_audio_file.py), silence and noise (tests/asr/test_recognizers.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from assistant.audio import playback
from assistant.errors import DeviceError
from tests.conftest import ctrl_c_works


def _no_sound_env(tmp_path: Path) -> dict[str, str]:
    runtime = tmp_path / "runtime"  # no PulseAudio socket in it: PortAudio finds no device
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), ASSISTANT_LLM_BACKEND="fake")
    env.pop("PULSE_SERVER", None)
    return env


def test_no_sound_devices_commands_say_so_in_one_line(tmp_path: Path) -> None:
    env = _no_sound_env(tmp_path)
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "assistant", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    devices = run("devices")
    assert devices.returncode == 0 and "none found" in devices.stdout
    say = run("say", "hello")
    assert say.returncode == 5
    assert say.stderr.startswith("assistant: no sound output device") and "-o" in say.stderr
    assert len(say.stderr.strip().splitlines()) == 1
    assert run("say", "-o", str(tmp_path / "out.wav"), "hello").returncode == 0


@pytest.mark.timeout(180)
def test_no_sound_devices_voice_mode_still_takes_typed_text(tmp_path: Path) -> None:
    env = _no_sound_env(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-m", "assistant", "listen"],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ctrl_c_works,
    )
    assert child.stdin is not None and child.stdout is not None
    lines: list[str] = []
    try:
        child.stdin.write("what is 6 times 7\n")
        child.stdin.flush()
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "42" in line:
                break
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert any("42" in line for line in lines), "".join(lines)
    assert "no microphone found" in err and "no speaker found" in err
    assert "Traceback" not in err


class _FakeStream:
    """A PortAudio output stream that pulls audio from the callback on its own thread."""

    def __init__(
        self, samplerate: float, blocksize: int, callback: Any, finished_callback: Any, **_: Any
    ) -> None:
        self.samplerate, self.blocksize, self.callback = samplerate, blocksize, callback
        self.finished_callback = finished_callback
        self.latency = 0.01
        self.played: list[np.ndarray] = []
        self._run = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._run.set()
        self._thread.start()

    def _loop(self) -> None:
        while self._run.is_set():
            out = np.zeros((self.blocksize, 1), dtype=np.float32)
            self.callback(out, self.blocksize, None, None)
            self.played.append(out[:, 0].copy())
            time.sleep(self.blocksize / self.samplerate / 4)

    def abort(self) -> None:
        self._run.clear()
        self._thread.join(1)

    def close(self) -> None:
        self.finished_callback()


def _fake_sounddevice(accepted: set[float], streams: list[_FakeStream]) -> SimpleNamespace:
    def check_output_settings(device: int, samplerate: float, **_: Any) -> None:
        if samplerate not in accepted:
            raise ValueError(f"Invalid sample rate {samplerate}")

    def output_stream(**kwargs: Any) -> _FakeStream:
        streams.append(_FakeStream(**kwargs))
        return streams[-1]

    return SimpleNamespace(
        query_devices=lambda: [
            {
                "index": 0,
                "name": "USB speaker",
                "hostapi": 0,
                "max_input_channels": 0,
                "max_output_channels": 2,
                "default_samplerate": 96_000.0,
            }
        ],
        query_hostapis=lambda: [{"name": "ALSA"}],
        default=SimpleNamespace(device=(-1, 0)),
        check_output_settings=check_output_settings,
        OutputStream=output_stream,
    )


def _patch_sd(monkeypatch: pytest.MonkeyPatch, sd: SimpleNamespace) -> None:
    for module in (
        "assistant.audio.devices",
        "assistant.audio.capture",
        "assistant.audio.playback",
    ):
        monkeypatch.setattr(f"{module}.sounddevice", lambda: sd, raising=False)


def test_speaker_refusing_the_rate_opens_at_one_it_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    streams: list[_FakeStream] = []
    _patch_sd(monkeypatch, _fake_sounddevice({44_100.0}, streams))
    done = threading.Event()
    speaker = playback.Speaker("", on_done=lambda clip: done.set())
    speaker.open(48_000.0)
    try:
        assert speaker.rate == 44_100.0 and streams[0].samplerate == 44_100.0
        tone = np.sin(2 * np.pi * 440 * np.arange(22_050) / 22_050).astype(np.float32) * 0.5
        speaker.play(tone, 22_050, "tone")
        assert done.wait(10)
    finally:
        speaker.close()
    played = np.concatenate(streams[0].played)
    assert abs(np.count_nonzero(played) - 44_100) < 2_000  # 1 s at the device's rate
    spectrum = np.abs(np.fft.rfft(played[np.flatnonzero(played)[0] :][:44_100]))
    assert abs(int(np.argmax(spectrum)) - 440) < 5  # 1 Hz bins: the same pitch after resampling


def test_speaker_refusing_every_rate_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_sd(monkeypatch, _fake_sounddevice(set(), []))
    with pytest.raises(DeviceError, match="takes none of the usual sample rates"):
        playback.Speaker("").open(48_000.0)
