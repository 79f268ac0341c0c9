"""Real sound devices (virtual PulseAudio): listing, capture, playback and its stop latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import SAMPLE_RATE, capture
from assistant.audio.capture import Microphone
from assistant.audio.devices import find_device, list_devices
from assistant.audio.playback import ClipDone, Speaker
from assistant.audio.virtual_server import VirtualAudio
from assistant.errors import DeviceError


def _assistant(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


def test_devices_lists_the_virtual_microphone_and_speaker(pulse: VirtualAudio) -> None:
    done = _assistant(["devices", "--json"], {**os.environ, **pulse.env})
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    assert any(d["name"] == "pulse" for d in listing["inputs"])
    assert any(d["default"] for d in listing["outputs"])
    text = _assistant(["devices"], {**os.environ, **pulse.env}).stdout
    assert "Microphones:" in text and "pulse" in text


def test_devices_without_any_sound_system_says_so(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_SERVER": f"unix:{runtime}/none"}
    done = _assistant(["devices"], env)
    assert done.returncode == 0, done.stderr
    assert "Microphones:\n  none found (voice input is off; text chat still works)" in done.stdout


def test_a_device_is_found_by_part_of_its_name_or_index(pulse_env: VirtualAudio) -> None:
    devices = list_devices()
    pulse_device = next(d for d in devices if d.name == "pulse")
    assert find_device("PUL", "input").name == "pulse"
    assert find_device(str(pulse_device.index), "output").index == pulse_device.index
    with pytest.raises(DeviceError, match="matches no microphone; choose one of"):
        find_device("usb headset", "input")


def _tone(seconds: float, rate: int = SAMPLE_RATE, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize("device_rate", [16_000, 48_000])
def test_capture_delivers_the_microphone_at_16k(
    pulse_env: VirtualAudio, device_rate: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if device_rate != SAMPLE_RATE:  # a device that only runs at 48 kHz: soxr brings it to 16 kHz
        monkeypatch.setattr(capture, "supported_rate", lambda *a: float(device_rate))
    mic = Microphone()
    mic.open()
    try:
        assert mic.rate == device_rate
        tone = _tone(1.0)
        pulse_env.feed(np.concatenate([np.zeros(1600, np.float32), tone]))
        got = np.concatenate([mic.read(512, timeout=1.0) for _ in range(60)])
    finally:
        mic.close()
    start = int(np.argmax(np.abs(got) > 0.1))
    segment = got[start + 800 : start + 800 + 8000]
    reference = tone[800:8800]
    best = max(np.corrcoef(segment, np.roll(reference, k))[0, 1] for k in range(-40, 41))
    assert best > 0.99
    assert abs(float(np.sqrt(np.mean(segment**2))) - 0.3 / np.sqrt(2)) < 0.02


def test_playback_reaches_the_speaker_and_reports_each_clip(pulse_env: VirtualAudio) -> None:
    done: list[ClipDone] = []
    started: list[object] = []
    speaker = Speaker(on_start=started.append, on_done=done.append)
    speaker.open(22_050)  # a voice's rate; the device takes it or gets it resampled
    try:
        with pulse_env.record() as recording:
            speaker.play(_tone(0.5, 22_050), 22_050, "a")
            speaker.play(_tone(0.5, 22_050, 660.0), 22_050, "b")
            time.sleep(1.6)
    finally:
        speaker.close()
    assert started == ["a", "b"]
    assert [(d.key, d.stopped, round(d.fraction, 2)) for d in done] == [
        ("a", False, 1.0),
        ("b", False, 1.0),
    ]
    heard = recording[0]
    loud = np.abs(heard) > 0.05
    assert 0.9 < loud.sum() / SAMPLE_RATE / 0.96 < 1.1  # about a second of tone was heard


def test_playback_stops_within_100_ms(pulse_env: VirtualAudio) -> None:
    """Measured on the speaker's monitor with PortAudio's stream clock (ADC timestamps)."""
    import sounddevice as sd

    blocks: list[tuple[float, np.ndarray]] = []
    lock = threading.Lock()

    def heard(indata: np.ndarray, frames: int, time_info, status) -> None:
        with lock:
            blocks.append((time_info.inputBufferAdcTime, indata[:, 0].copy()))

    os.environ["PULSE_SOURCE"] = "vsink.monitor"
    monitor = sd.InputStream(
        samplerate=SAMPLE_RATE,
        channels=1,
        dtype="float32",
        blocksize=160,
        latency="low",
        callback=heard,
    )
    speaker = Speaker()
    speaker.open(SAMPLE_RATE)
    latencies = []
    try:
        monitor.start()
        for _ in range(5):
            speaker.play(_tone(3.0), SAMPLE_RATE, "tone")
            time.sleep(0.6)
            stop_at = monitor.time
            speaker.stop()
            time.sleep(0.5)
            with lock:
                taken = list(blocks)
                blocks.clear()
            last_loud = max(
                t + (np.nonzero(np.abs(b) > 0.05)[0][-1] / SAMPLE_RATE)
                for t, b in taken
                if np.any(np.abs(b) > 0.05)
            )
            latencies.append(last_loud - stop_at)
    finally:
        capture.close_stream(monitor)
        speaker.close()
        os.environ["PULSE_SOURCE"] = pulse_env.env["PULSE_SOURCE"]
    print(f"playback stop latency (ms): {[round(x * 1000) for x in latencies]}")
    assert np.median(latencies) < 0.100
