"""Sound devices: list them, and find the one the config names (part of a name, or an index)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from assistant.errors import DeviceError

Direction = Literal["input", "output"]


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_rate: float
    is_default_input: bool = False
    is_default_output: bool = False


def sounddevice() -> ModuleType:
    """The sounddevice module; DeviceError with the fix when PortAudio is missing."""
    try:
        import sounddevice as sd
    except OSError as err:  # the PortAudio library is not installed
        raise DeviceError(
            f"sound is unavailable: {err}; install PortAudio "
            "(apt install libportaudio2) — text chat still works."
        ) from None
    return sd


SERVER_GONE = "the sound server went away"


def _sound_server_socket() -> Path | None:
    """The PulseAudio (or PipeWire's pulse) socket this process talks to, if it uses one."""
    server = os.environ.get("PULSE_SERVER", "")
    if server.startswith("unix:"):
        return Path(server[5:])
    if server:
        return None  # a TCP server: not checked (no network from here)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime, "pulse", "native") if runtime else None


def sound_server_gone() -> bool:
    """True when the local sound server this process uses no longer answers."""
    path = _sound_server_socket()
    if path is None:
        return False
    if not path.exists():
        return os.environ.get("PULSE_SERVER", "").startswith("unix:")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return True
    return False


def explain(problem: str) -> str:
    """``problem``, unless the real cause is that the sound server went away."""
    return f"{SERVER_GONE}; reconnecting…" if sound_server_gone() else problem


def list_devices() -> list[Device]:
    sd = sounddevice()
    try:
        raw = sd.query_devices()
        apis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except Exception as err:  # PortAudio raises PortAudioError when there is no sound system
        raise DeviceError(f"cannot list sound devices: {err}") from None
    devices = []
    for d in raw:
        devices.append(
            Device(
                index=int(d["index"]),
                name=str(d["name"]),
                hostapi=str(apis[d["hostapi"]]["name"]),
                inputs=int(d["max_input_channels"]),
                outputs=int(d["max_output_channels"]),
                default_rate=float(d["default_samplerate"]),
                is_default_input=int(d["index"]) == default_in,
                is_default_output=int(d["index"]) == default_out,
            )
        )
    return devices


def find_device(
    spec: str | int | None, direction: Direction, devices: list[Device] | None = None
) -> Device:
    """The device ``spec`` names (index, or case-insensitive part of a name); '' = the default."""
    devices = list_devices() if devices is None else devices
    usable = [d for d in devices if (d.inputs if direction == "input" else d.outputs) > 0]
    what = "microphone" if direction == "input" else "speaker"
    key = "audio.input_device" if direction == "input" else "audio.output_device"
    if not usable:
        raise DeviceError(
            f"no {what} found (`assistant devices` lists what there is); text chat still works."
        )
    spec = "" if spec is None else str(spec).strip()
    if not spec:
        flag = "is_default_input" if direction == "input" else "is_default_output"
        return next((d for d in usable if getattr(d, flag)), usable[0])
    if spec.isdigit():
        match = [d for d in usable if d.index == int(spec)]
    else:
        match = [d for d in usable if spec.lower() in d.name.lower()]
        exact = [d for d in match if d.name.lower() == spec.lower()]
        match = exact or match
    if not match:
        names = "; ".join(f"{d.index}: {d.name}" for d in usable)
        raise DeviceError(f"{key} = {spec!r} matches no {what}; choose one of: {names}.")
    return match[0]


def open_stream(
    direction: Direction,
    device: Device,
    rate: float,
    block_ms: float,
    callback: Callable[..., None],
    finished: Callable[[], None],
) -> Any:
    """Open and start a mono float32 low-latency stream; DeviceError with the device's name
    when PortAudio refuses (busy, gone, unsupported)."""
    sd = sounddevice()
    kind = sd.InputStream if direction == "input" else sd.OutputStream
    try:
        stream = kind(
            device=device.index,
            samplerate=rate,
            channels=1,
            dtype="float32",
            blocksize=int(rate * block_ms / 1000),
            latency="low",
            callback=callback,
            finished_callback=finished,
        )
        stream.start()
    except Exception as err:  # PortAudioError: busy, gone, refused
        what = "microphone" if direction == "input" else "speaker"
        raise DeviceError(explain(f"cannot open the {what} {device.name!r}: {err}")) from None
    return stream
