"""`assistant listen` end to end on the virtual devices: a human speaks into the microphone, the
real Whisper model transcribes, the reply is spoken, recorded from the speaker and transcribed
back."""

from __future__ import annotations

import difflib
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.asr.factory import build_recognizer
from assistant.audio.virtual_server import VirtualAudio
from assistant.bench.asr import word_error_rate
from assistant.config import Config
from tests.audio.clips import clip
from tests.conftest import ctrl_c_works

pytestmark = pytest.mark.timeout(300)


class Listen:
    """`assistant listen` in a subprocess; its output lines arrive on queues."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "listen", *args],
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=1,
            preexec_fn=ctrl_c_works,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
        for stream, store in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, store), daemon=True).start()

    def _pump(self, stream, store: list[str]) -> None:
        for line in stream:
            store.append(line.rstrip("\n"))
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if text in self.lines.get(timeout=0.5):
                    return
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
        raise AssertionError(f"no {text!r}; stdout={self.out} stderr={self.err[-20:]}")

    def type_then_ctrl_c(self, line: str) -> None:
        """Type ``line``, wait for the (fake) reply, then press Ctrl-C."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.wait_for("assistant: This is a fake reply.", timeout=30)
        self.proc.send_signal(2)  # Ctrl-C
        self.proc.wait(timeout=20)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def letter_similarity(said: str, heard: str) -> float:
    """How alike two sentences' letters are (0–1), spaces and punctuation ignored."""
    letters = [re.sub(r"[^a-z]", "", text.lower()) for text in (said, heard)]
    return difflib.SequenceMatcher(None, *letters).ratio()


@pytest.fixture
def listen_env(pulse: VirtualAudio, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config" / "assistant"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text('[llm]\nbackend = "fake"\n')
    return {**os.environ, **pulse.env, "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_a_spoken_turn_is_heard_answered_and_spoken_back(
    pulse: VirtualAudio, listen_env: dict[str, str]
) -> None:
    app = Listen(["--once"], listen_env)
    try:
        app.wait_for("Listening", timeout=180)
        with pulse.record() as recording:
            pulse.feed(clip("librivox-0930").audio)
            app.proc.wait(timeout=120)
    finally:
        app.close()
    assert app.proc.returncode == 0, app.err
    said = next(line for line in app.out if line.startswith("you: "))[5:]
    assert word_error_rate([clip("librivox-0930").text], [said]) <= 0.15, said
    reply = next(line for line in app.out if line.startswith("assistant: "))[11:]
    assert reply == "This is a fake reply."
    assert "bye." in app.err[-1]
    # what the speaker played, transcribed back, is the printed reply
    heard = recording[0]
    assert np.max(np.abs(heard)) > 0.05
    recognizer = build_recognizer(Config())
    back = recognizer.transcribe(heard).text
    # letters, not words: Piper's voice varies per run and Whisper sometimes splits "fake reply"
    # as "fakery ply" (1 in 8 straight from the synthesizer), two word errors in five
    assert letter_similarity(reply, back) >= 0.85, back


def test_typed_lines_join_the_conversation_and_ctrl_c_closes_cleanly(
    pulse: VirtualAudio, listen_env: dict[str, str]
) -> None:
    app = Listen(["--mute"], listen_env)
    try:
        app.wait_for("Listening", timeout=180)
        app.type_then_ctrl_c("hello from the keyboard")
    finally:
        app.close()
    assert app.proc.returncode == 0
    assert "bye." in app.err[-1]
    assert not any("Traceback" in line for line in app.err)


def test_without_any_sound_device_it_says_so_and_text_still_works(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    config = tmp_path / "config" / "assistant"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('[llm]\nbackend = "fake"\n')
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(runtime),
        "PULSE_SERVER": f"unix:{runtime}/none",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    app = Listen([], env)
    try:
        app.wait_for("no microphone found", timeout=180)
        app.type_then_ctrl_c("are you there")
    finally:
        app.close()
    assert app.proc.returncode == 0
    assert not any("Traceback" in line for line in app.err)
