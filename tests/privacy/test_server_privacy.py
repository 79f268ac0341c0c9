"""Where the conversation goes. The real ``assistant`` command runs in a child process under the
audit hook of ``session.py`` (every socket connect and name lookup is recorded), extended here
to note whether each TCP connect goes to a port that the child process itself listens on (the
in-process llama.cpp engine's private loopback endpoint).

- The default config contacts no server: no socket leaves the machine, and the only TCP
  connects are to the app's own in-process engine (none at all for the other local backends).
- With ``llm.backend = "openai"`` the connects go to that server's host and port only; a skill
  command sends nothing; a chat turn sends the prompt (system prompt with the remembered facts,
  history, message) and nothing else leaves.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import REAL_CACHE
from tests.llm.test_openai_backend import llama_server
from tests.privacy.session import OWN_LISTENER, SITECUSTOMIZE, audit_entries, child_env, run_cli


def hooked_env(tmp: Path, **extra: str) -> dict[str, str]:
    hook = tmp / "hook"
    hook.mkdir(parents=True, exist_ok=True)
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE + OWN_LISTENER, encoding="utf-8")
    for name in ("config", "data"):
        (tmp / name).mkdir(exist_ok=True)
    return child_env(
        tmp,
        hook,
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CACHE_HOME=str(REAL_CACHE),
        ASSISTANT_LLM_MAX_NEW_TOKENS="16",
        **extra,
    )


def network(tmp: Path) -> list[dict[str, Any]]:
    return [e for e in audit_entries(tmp) if e["event"] not in ("import", "connect-target")]


def targets(tmp: Path) -> list[dict[str, Any]]:
    return [e for e in audit_entries(tmp) if e["event"] == "connect-target"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_default_config_contacts_no_server(tmp_path: Path) -> None:
    env = hooked_env(tmp_path)
    done = run_cli(["ask", "--json", "how are you today"], env, timeout=400)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["reply"].strip()
    for entry in network(tmp_path):
        assert entry["address"].startswith("('127.0.0.1', "), entry  # nothing leaves the machine
        assert entry["event"] in ("socket.getaddrinfo", "socket.connect"), entry
    # every TCP connect goes to a port this very process listens on (the in-process engine)
    assert all(t["own_listener"] is True for t in targets(tmp_path)), targets(tmp_path)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_openai_backend_talks_only_to_its_server(tmp_path: Path) -> None:
    with llama_server() as server:
        env = hooked_env(
            tmp_path,
            ASSISTANT_LLM_BACKEND="openai",
            ASSISTANT_LLM_BASE_URL=server.base_url,
            ASSISTANT_LLM_FALLBACK="true",  # the default; the local model is never built
        )
        chat = run_cli(["chat"], env, stdin="hello there\nhow are you today\n/quit\n", timeout=300)
        assert chat.returncode == 0, chat.stderr[-2000:]
        ask = run_cli(["ask", "--json", "tell me about the sea"], env, timeout=300)
        assert ask.returncode == 0, ask.stderr[-2000:]
    assert json.loads(ask.stdout)["reply"].strip()
    expected = repr(("127.0.0.1", server.port))
    seen = network(tmp_path)
    assert any(e["event"] == "socket.connect" for e in seen)
    assert [e for e in seen if e["address"] != expected] == [], seen
    assert {t["own_listener"] for t in targets(tmp_path)} == {False}  # no in-process engine


class _Recorder(BaseHTTPRequestHandler):
    """An OpenAI-compatible stub that records what it was sent and answers "Okay."."""

    protocol_version = "HTTP/1.0"
    received: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        type(self).received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.endswith("/models"):
            payload = json.dumps({"data": [{"id": "stub-model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {"choices": [{"index": 0, "delta": {"content": "Okay."}, "finish_reason": "stop"}]}
        self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n")

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, int, list[dict[str, Any]]]]:
    received: ClassVar[list[dict[str, Any]]] = []
    handler = type("Recorder", (_Recorder,), {"received": received})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/v1", httpd.server_port, received
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.timeout(300)
def test_what_leaves_with_the_openai_backend(
    tmp_path: Path, recorder: tuple[str, int, list[dict[str, Any]]]
) -> None:
    url, port, received = recorder
    env = hooked_env(
        tmp_path, ASSISTANT_LLM_BACKEND="openai", ASSISTANT_LLM_BASE_URL=url, OAI_PRIVACY_KEY="k1"
    )
    remember = run_cli(["ask", "remember that my cat is called Quibblesworth"], env, timeout=200)
    assert remember.returncode == 0, remember.stderr[-2000:]
    assert received == [] and network(tmp_path) == []  # a skill turn sends nothing
    env["ASSISTANT_LLM_API_KEY_ENV"] = "OAI_PRIVACY_KEY"
    story = run_cli(["ask", "--json", "tell me a short story about my cat"], env, timeout=200)
    assert story.returncode == 0, story.stderr[-2000:]
    assert json.loads(story.stdout)["reply"] == "Okay."
    chat = next(r for r in received if r["path"] == "/v1/chat/completions")
    assert chat["headers"]["Authorization"] == "Bearer k1"  # from the variable, at request time
    messages = chat["body"]["messages"]
    assert messages[0]["role"] == "system" and "Quibblesworth" in messages[0]["content"]
    assert messages[-1] == {"role": "user", "content": "tell me a short story about my cat"}
    # the earlier command is not sent when it runs, but it is history for the later turns
    assert {"role": "user", "content": "remember that my cat is called Quibblesworth"} in messages
    assert chat["body"]["model"] == "stub-model"
    assert [e for e in network(tmp_path) if e["address"] != repr(("127.0.0.1", port))] == []
    for log in (tmp_path / "data" / "assistant" / "logs").iterdir():
        text = log.read_text(encoding="utf-8")
        assert "Quibblesworth" not in text and "k1" not in text.split()
