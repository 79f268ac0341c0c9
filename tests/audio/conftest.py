"""Audio tests run against a private PulseAudio (assistant/audio/virtual_server.py), never a real
sound card. Every test here has a hard timeout; the daemon dies with the test process."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.audio.virtual_server import VirtualAudio, available, virtual_audio


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.audio)
            item.add_marker(pytest.mark.slow)
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(180))


def _reinit_portaudio() -> None:
    """PortAudio reads the device list once: start it again under the current environment."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


@pytest.fixture
def pulse() -> Iterator[VirtualAudio]:
    """A running virtual sound server (vmic, vsink, vmix); torn down after the test."""
    if not available():
        pytest.skip(
            "pulseaudio is not installed (apt install pulseaudio pulseaudio-utils "
            "libasound2-plugins); the virtual-device tests need it"
        )
    root = Path(tempfile.mkdtemp(prefix="va", dir="/tmp"))  # short: unix socket paths are limited
    try:
        with virtual_audio(root) as va:
            yield va
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pulse_env(pulse: VirtualAudio, monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualAudio]:
    """This process talks to the virtual server (for in-process devices)."""
    for key, value in pulse.env.items():
        monkeypatch.setenv(key, value)
    _reinit_portaudio()
    yield pulse
    for key in pulse.env:
        os.environ.pop(key, None)
    _reinit_portaudio()
