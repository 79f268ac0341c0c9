"""A full session with the real models opens no network socket and loads every model with the
model hubs switched off. The child process is watched by an audit hook (sys.addaudithook), which
sees every socket of every library; only local (AF_UNIX) sockets are allowed, and TCP connects to
127.0.0.1 ports that the process itself listens on (the in-process llama.cpp engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REAL_CACHE
from tests.privacy.session import (
    audit_entries,
    child_env,
    network_activity,
    run_cli,
    write_hook,
)

CHAT = "hello there\nset a timer for 2 minutes\nwhat is 12 times 7\nremember that I like tea\n"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_full_session_opens_no_network_socket(tmp_path: Path) -> None:
    env = child_env(
        tmp_path,
        write_hook(tmp_path / "hook"),
        XDG_CACHE_HOME=str(REAL_CACHE),
        ASSISTANT_LLM_MAX_NEW_TOKENS="16",
    )
    speech = tmp_path / "speech.wav"
    runs = [
        (["chat"], CHAT + "/quit\n"),
        (["say", "-o", str(speech), "Please set a timer for five minutes."], ""),
        (["transcribe", "--backend", "faster-whisper", str(speech)], ""),
        (["transcribe", "--backend", "openai-whisper", str(speech)], ""),
        (["ask", "--json", "how are you today"], ""),
    ]
    for args, stdin in runs:
        done = run_cli(args, env, stdin=stdin, timeout=300)
        assert done.returncode == 0, (args, done.stderr[-2000:])
    assert json.loads(done.stdout)["reply"].strip()  # the real model answered
    entries = audit_entries(tmp_path)
    network = network_activity(entries)
    assert network == [], f"network activity: {network[:5]}"
    imports = {e["module"]: e["hf_hub_offline"] for e in entries if e["event"] == "import"}
    assert "faster_whisper" in imports  # the hook saw the model libraries being loaded
    assert all(value == "1" for value in imports.values()), imports
