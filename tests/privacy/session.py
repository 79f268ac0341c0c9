"""Run the real ``assistant`` command in a child process, with an audit hook that records every
network socket it opens and whether the model hubs were switched off when their libraries were
imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# sitecustomize for the child: sys.addaudithook sees every socket connect/bind/sendto and every
# import, whatever library does it (urllib3, httpx, requests, raw sockets).
SITECUSTOMIZE = r"""
import json, os, socket, sys
_out = os.environ["AUDIT_OUT"]
_HUBS = ("huggingface_hub", "transformers", "faster_whisper", "sentence_transformers")
_seen = set()

def _record(entry):
    with open(_out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")

def _hook(event, args):
    if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
        sock = args[0]
        family = getattr(sock, "family", None)
        if family != socket.AF_UNIX:
            _record({"event": event, "family": int(family or -1), "address": repr(args[1])})
    elif event == "socket.getaddrinfo":
        _record({"event": event, "family": -1, "address": repr(args[:2])})
    elif event == "import" and args[0] in _HUBS and args[0] not in _seen:
        _seen.add(args[0])
        _record({"event": "import", "module": args[0],
                 "hf_hub_offline": os.environ.get("HF_HUB_OFFLINE")})

sys.addaudithook(_hook)
"""

# A second hook: does a TCP connect go to a port this very process listens on? (The in-process
# llama.cpp engine's private loopback endpoint, which the app uses to count tokens.)
OWN_LISTENER = r"""
import psutil

def _own_listener(event, args):
    if event != "socket.connect":
        return
    sock, address = args[0], args[1]
    if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
        return
    try:
        mine = any(
            c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == address[1]
            for c in psutil.Process().net_connections(kind="inet")
        )
    except Exception as err:
        mine = repr(err)
    _record({"event": "connect-target", "address": repr(address), "own_listener": mine})

sys.addaudithook(_own_listener)
"""


def network_activity(entries: list[dict]) -> list[dict]:
    """Socket events other than connects to this process's own loopback listener."""
    found = []
    for entry, after in zip(entries, [*entries[1:], {}], strict=True):
        if entry["event"] in ("import", "connect-target"):
            continue
        own = after.get("event") == "connect-target" and after.get("own_listener") is True
        if entry["event"] == "socket.connect" and own and "127.0.0.1" in entry["address"]:
            continue
        if entry["event"] == "socket.getaddrinfo" and entry["address"].startswith("('127.0.0.1',"):
            continue  # a literal loopback address: no name is looked up; its connect is checked
        found.append(entry)
    return found


def write_hook(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE + OWN_LISTENER, encoding="utf-8")
    return folder


def child_env(tmp: Path, hook_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The test's XDG folders, no hub switches inherited (the app must set them itself)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
    }
    if hook_dir is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(hook_dir), *filter(None, [env.get("PYTHONPATH")])])
        env["AUDIT_OUT"] = str(tmp / "audit.jsonl")
    env.update(extra)
    return env


def run_cli(
    args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=stdin,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def audit_entries(tmp: Path) -> list[dict]:
    path = tmp / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
