"""A private PulseAudio with a virtual speaker and a file-fed virtual microphone (the audio
tests and `assistant bench voice --device` run the voice loop against it; nothing touches the
user's own sound server).

Devices (see shared TESTING.md):
  vsink          null sink: the assistant's speaker; ``vsink.monitor`` hears what it plays
  vmic           pipe source fed from a FIFO by a feeder thread (silence, plus speech on demand)
  vmix           null sink where vsink.monitor and vmic are looped together: ``vmix.monitor`` is
                 a microphone that hears the user *and* the assistant's own voice (open speakers)

The feeder writes 20 ms of silence (digital zeros, or a room-noise floor) at real-time pace
whenever no speech is queued, so the pipe source never starves (a starved pipe source makes
stream open/close hang forever). The daemon dies with the process that started it
(PR_SET_PDEATHSIG), so a killed test leaves nothing behind.

Run ``python -m assistant.audio.virtual_server`` for a shell with the devices (exit to tear down).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

RATE = 16_000
CHUNK = RATE // 50  # 20 ms

_LOOP = "load-module module-loopback latency_msec=20 source_dont_move=1 sink_dont_move=1"
PA_TEMPLATE = "\n".join(
    [
        "load-module module-native-protocol-unix auth-anonymous=1 socket={runtime}/pulse/native",
        "load-module module-null-sink sink_name=vsink rate=48000 channels=2 norewinds=1",
        "load-module module-pipe-source source_name=vmic file={runtime}/vmic.fifo format=s16le "
        "rate=16000 channels=1",
        "load-module module-null-sink sink_name=vmix rate=16000 channels=1 norewinds=1",
        _LOOP + " source=vsink.monitor sink=vmix",
        _LOOP + " source=vmic sink=vmix",
        "set-default-sink vsink",
        "set-default-source vmic",
        "",
    ]
)


def available() -> bool:
    return shutil.which("pulseaudio") is not None and shutil.which("pactl") is not None


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Feeder(threading.Thread):
    """Writes the FIFO at real-time pace: queued speech, else silence."""

    def __init__(self, fifo: Path) -> None:
        super().__init__(name="vmic-feeder", daemon=True)
        self._fifo = fifo
        self._lock = threading.Lock()
        self._pending = np.zeros(0, dtype=np.int16)
        self._halt = threading.Event()
        self.ready = threading.Event()
        self.noise_dbfs: float | None = None  # None: digital silence between the speech
        self._rng = np.random.default_rng(7)
        self._written = 0  # samples written so far
        self._times: collections.deque[tuple[int, float]] = collections.deque(maxlen=3000)

    def feed(self, audio: np.ndarray) -> int:
        """Queue float32 16 kHz audio; returns the index (in samples written since the start)
        where it begins: ``written_at`` tells when that part went into the pipe."""
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
        with self._lock:
            start = self._written + len(self._pending)
            self._pending = np.concatenate([self._pending, pcm])
            return start

    @property
    def pending_seconds(self) -> float:
        with self._lock:
            return len(self._pending) / RATE

    def written_at(self, index: int) -> float | None:
        """time.monotonic() when sample ``index`` was written (None: not yet, or too long ago)."""
        with self._lock:
            times = list(self._times)
        for start, at in reversed(times):
            if start <= index:
                return at + (index - start) / RATE if index < start + CHUNK * 2 else None
        return None

    def _filler(self, n: int) -> np.ndarray:
        if self.noise_dbfs is None:
            return np.zeros(n, dtype=np.int16)
        rms = 10.0 ** (self.noise_dbfs / 20.0) * 32767
        return (self._rng.standard_normal(n) * rms).astype(np.int16)

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        fd = os.open(self._fifo, os.O_RDWR)  # RDWR: never blocks, even before the reader
        self.ready.set()
        next_t = time.monotonic()
        try:
            while not self._halt.is_set():
                with self._lock:
                    chunk = self._pending[:CHUNK]
                    self._pending = self._pending[CHUNK:]
                if len(chunk) < CHUNK:
                    chunk = np.concatenate([chunk, self._filler(CHUNK - len(chunk))])
                with self._lock:
                    self._times.append((self._written, time.monotonic()))
                    self._written += CHUNK
                with contextlib.suppress(BlockingIOError, BrokenPipeError):
                    os.write(fd, chunk.tobytes())
                next_t += CHUNK / RATE
                delay = next_t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_t = time.monotonic()
        finally:
            os.close(fd)


class VirtualAudio:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runtime = root / "xdg-runtime"
        self.process: subprocess.Popen[bytes] | None = None
        self.feeder: Feeder | None = None

    @property
    def env(self) -> dict[str, str]:
        """Variables a client process needs (the microphone is vmic, the speaker vsink)."""
        return {
            "XDG_RUNTIME_DIR": str(self.runtime),
            "PULSE_SERVER": f"unix:{self.runtime}/pulse/native",
            "PULSE_SOURCE": "vmic",
            "PULSE_SINK": "vsink",
        }

    def start(self) -> None:
        self.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.runtime, 0o700)
        (self.runtime / "pulse").mkdir(exist_ok=True)
        (self.root / "virtual.pa").write_text(PA_TEMPLATE.format(runtime=self.runtime))
        self._start_server()

    def _start_server(self) -> None:
        fifo = self.runtime / "vmic.fifo"
        fifo.unlink(missing_ok=True)  # module-pipe-source makes the FIFO itself
        env = {**os.environ, **self.env, "HOME": str(self.root)}
        self.process = subprocess.Popen(
            [
                "pulseaudio",
                "-n",
                "-F",
                str(self.root / "virtual.pa"),
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "--use-pid-file=no",
                "--log-target=stderr",
                "--log-level=1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "pulse.log").open("ab"),
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 15
        while self.pactl("info", check=False).returncode != 0 or not fifo.exists():
            if self.process.poll() is not None:
                raise RuntimeError("pulseaudio exited: " + (self.root / "pulse.log").read_text())
            if time.monotonic() > deadline:
                raise RuntimeError("pulseaudio did not answer within 15 s")
            time.sleep(0.1)
        self.feeder = Feeder(fifo)
        self.feeder.start()
        self.feeder.ready.wait(5)

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=10,
            check=check,
        )

    def kill_server(self) -> None:
        """The sound system vanishes (as when a device is unplugged)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
            self.process = None
        if self.feeder is not None:
            self.feeder.stop()
            self.feeder.join(5)
            self.feeder = None

    def restart_server(self) -> None:
        self.kill_server()
        self._start_server()

    def feed(self, audio: np.ndarray) -> int:
        """Queue speech for the microphone; returns its first sample's index (``written_at``)."""
        assert self.feeder is not None
        return self.feeder.feed(audio)

    def set_echo_gain(self, db: float) -> None:
        """How loud the speaker is in ``vmix.monitor`` (the open-speakers microphone)."""
        info = self.pactl("list", "sink-inputs").stdout
        for line in self.pactl("list", "short", "sink-inputs").stdout.splitlines():
            index = line.split("\t")[0]
            if "Loopback from Monitor" in _section(info, index):  # vsink.monitor → vmix
                self.pactl("set-sink-input-volume", index, f"{db:+.1f}dB".replace("+", ""))

    def set_echo_delay(self, ms: int) -> None:
        """How long the speaker takes to reach ``vmix.monitor``: the loopback is made again
        with this latency (at full level: set the level again with ``set_echo_gain``)."""
        for line in self.pactl("list", "short", "modules").stdout.splitlines():
            index, name, *args = line.split("\t")
            if name == "module-loopback" and "source=vsink.monitor" in " ".join(args):
                self.pactl("unload-module", index)
        loop = _LOOP.replace("latency_msec=20", f"latency_msec={ms}").split()[1:]
        self.pactl("load-module", *loop, "source=vsink.monitor", "sink=vmix")

    def tap(self, device: str = "vsink.monitor") -> Tap:
        """A running recording of ``device`` with the time each sample was heard."""
        return Tap(device, self.env)

    @contextlib.contextmanager
    def record(self, device: str = "vsink.monitor") -> Iterator[list[np.ndarray]]:
        """Record ``device`` (16 kHz mono float32) while the block runs; yields a list that
        holds the recording when the block ends."""
        out: list[np.ndarray] = []
        raw = self.root / f"rec-{time.monotonic_ns()}.f32"
        proc = subprocess.Popen(
            _parec(device, 20, str(raw)),
            env={**os.environ, **self.env},
            preexec_fn=_die_with_parent,
        )
        try:
            time.sleep(0.3)
            yield out
        finally:
            _end(proc)
            data = np.fromfile(raw, dtype=np.float32) if raw.exists() else np.zeros(0)
            out.append(data)

    def stop(self) -> None:
        self.kill_server()


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Stop a recorder: politely, then for good after 5 s."""
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _parec(device: str, latency_ms: int, *out: str) -> list[str]:
    """Record ``device`` as raw float32 mono 16 kHz (to stdout, or to the file in ``out``)."""
    return [
        "parec",
        "-d",
        device,
        "--rate=16000",
        "--channels=1",
        "--format=float32le",
        "--raw",
        f"--latency-msec={latency_ms}",
        *out,
    ]


def _section(listing: str, index: str) -> str:
    """The block of ``pactl list sink-inputs`` about sink input ``index``."""
    start = listing.index(f"Sink Input #{index}")
    end = listing.find("Sink Input #", start + 1)
    return listing[start : end if end > 0 else None]


class Tap:
    """``parec`` of a device into memory on a reader thread. The time of sample k is
    ``t0 + k / RATE``, where t0 is the lower envelope of (arrival time − samples so far / rate):
    a chunk never arrives before it was heard, and the earliest arrival is the closest bound."""

    def __init__(self, device: str, env: dict[str, str]) -> None:
        self._proc = subprocess.Popen(
            _parec(device, 10),
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        self._chunks: list[np.ndarray] = []
        self._lock = threading.Lock()
        self._count = 0
        self.t0 = float("inf")
        self._reader = threading.Thread(target=self._read, name="tap", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while data := self._proc.stdout.read1(3200):  # type: ignore[attr-defined]
            now = time.monotonic()
            chunk = np.frombuffer(data[: len(data) // 4 * 4], dtype=np.float32)
            with self._lock:
                self._chunks.append(chunk)
                self._count += len(chunk)
                self.t0 = min(self.t0, now - self._count / RATE)

    def audio(self) -> np.ndarray:
        with self._lock:
            self._chunks = [np.concatenate(self._chunks)] if self._chunks else []
            return self._chunks[0].copy() if self._chunks else np.zeros(0, np.float32)

    def index_at(self, t: float) -> int:
        return max(0, round((t - self.t0) * RATE))

    def time_of(self, index: int) -> float:
        return self.t0 + index / RATE

    def close(self) -> None:
        _end(self._proc)
        self._reader.join(5)


@contextlib.contextmanager
def virtual_audio(root: Path | None = None) -> Iterator[VirtualAudio]:
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vaudio-")))
        va = VirtualAudio(root)
        try:
            va.start()
            yield va
        finally:
            va.stop()


if __name__ == "__main__":
    with virtual_audio() as va:
        print("virtual audio running; in this shell the mic is vmic and the speaker vsink.")
        subprocess.run([os.environ.get("SHELL", "bash")], env={**os.environ, **va.env})
