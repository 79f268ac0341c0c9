"""`assistant chat` as a user drives it (a subprocess fed line by line, fake language model)."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def test_chat_session_commands_streaming_and_a_timer_between_turns() -> None:
    env = dict(os.environ, ASSISTANT_LLM_BACKEND="fake")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write("hello there\n/new\nset a timer for 2 seconds\n/history\n")
        proc.stdin.flush()
        time.sleep(6)  # the timer fires while the user is at the prompt
        proc.stdin.write("/bogus\n/quit\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "This is a fake reply." in out
    assert "(new conversation" in out
    assert "unknown command /bogus" in out
    assert "msgs" in out  # /history lists conversations
    timer_lines = [line for line in out.splitlines() if "timer" in line.lower()]
    assert len(timer_lines) >= 2, out  # "I set a timer …" and the alert when it fires
    assert "Traceback" not in err
