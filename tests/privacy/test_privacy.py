"""Privacy: private files, no message text in the logs, export of everything, forget --all.

One real session (the real command, real understanding models, real OCR, a scripted language
model for speed) runs in a child process; the tests then look at what it left on disk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REAL_CACHE
from tests.privacy.session import child_env, run_cli
from tests.vision.samples import available_fonts, render_lines

# Words that only the user typed (or showed in an image): they must never reach the logs and
# must be gone after forget --all.
SECRETS = ("Quibblesworth", "4821-ZEBRA", "Marmalade-Octopus", "Bluefin")
SESSION = (
    "\n".join(
        [
            "remember that my cat is called Quibblesworth",
            "remember that my locker code is 4821-ZEBRA",
            "set a timer for 10 minutes",
            "tell me about the project Marmalade-Octopus",
            "/quit",
        ]
    )
    + "\n"
)
TABLES = ("conversations", "messages", "facts", "attachments", "alarms", "state")


def _data_dir(root: Path) -> Path:
    return root / "data" / "assistant"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("privacy")
    for name in ("config", "data"):
        (root / name).mkdir()
    env = child_env(
        root,
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_CACHE_HOME=str(REAL_CACHE),
        ASSISTANT_LLM_BACKEND="fake",
    )
    chat = run_cli(["chat"], env, stdin=SESSION)
    assert chat.returncode == 0, chat.stderr
    fonts = available_fonts()
    image = root / "note.png"
    render_lines([["INVOICE Bluefin 77", "Total 12.50"]], fonts[0], 28).save(image)
    ask = run_cli(["ask", "--image", str(image), "what does this say"], env)
    assert ask.returncode == 0, ask.stderr
    # the input history of an interactive chat (prompt_toolkit writes it on a terminal)
    _open_terminal_history(env["XDG_DATA_HOME"])
    history = _data_dir(root) / "chat_history"
    with history.open("a", encoding="utf-8") as fh:
        fh.write("\n# 2026-11-23\n+my name is Zoltan Quibblesworth\n")
    yield root, env


def _open_terminal_history(data_home: str) -> None:
    """The terminal branch of `assistant chat` (prompt_toolkit with a history file)."""
    import sys
    from unittest import mock

    from assistant.cli import chat as chat_cli

    with (
        mock.patch.dict(os.environ, {"XDG_DATA_HOME": data_home}),
        mock.patch.object(sys.stdin, "isatty", return_value=True),
        mock.patch.object(sys.stdout, "isatty", return_value=True),
    ):
        chat_cli._line_reader(None)  # type: ignore[arg-type]


def _rows(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def test_session_stored_everything(session: tuple[Path, dict[str, str]]) -> None:
    rows = _rows(_data_dir(session[0]) / "assistant.db")
    assert rows["messages"] >= 10
    assert rows["facts"] >= 2  # the name and the locker code
    assert rows["alarms"] == 1
    assert rows["attachments"] == 1


def test_data_directory_0700_and_every_file_0600(session: tuple[Path, dict[str, str]]) -> None:
    data = _data_dir(session[0])
    checked = []
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, f"{path} is {oct(mode)}"
        else:
            assert mode == 0o600, f"{path} is {oct(mode)}"
        checked.append(path.name)
    for expected in ("assistant.db", "assistant.log", "chat_history"):
        assert expected in checked
    assert any(name.endswith(".png") for name in checked)


def test_logs_hold_no_message_text(session: tuple[Path, dict[str, str]]) -> None:
    logs = _data_dir(session[0]) / "logs"
    text = "".join(p.read_text(encoding="utf-8") for p in logs.iterdir())
    assert text.strip(), "the session logged nothing at all"
    for secret in SECRETS:
        assert secret not in text


def test_config_holds_no_secrets(session: tuple[Path, dict[str, str]]) -> None:
    from assistant.config import Config, render

    rendered = render(Config())
    for word in ("password", "token =", "api_key =", "secret", "apikey"):
        assert word not in rendered.lower()
    config_file = session[0] / "config" / "assistant" / "config.toml"
    if config_file.exists():
        for secret in SECRETS:
            assert secret not in config_file.read_text(encoding="utf-8")


def test_export_all_then_forget_all(session: tuple[Path, dict[str, str]]) -> None:
    root, env = session
    data = _data_dir(root)
    exported = run_cli(["history", "export", "--all", "--format", "json"], env)
    assert exported.returncode == 0, exported.stderr
    everything = json.loads(exported.stdout)
    texts = json.dumps(everything)
    for secret in SECRETS[:3]:
        assert secret in texts
    assert everything["alarms"] and everything["facts"]

    refused = run_cli(["forget", "--all"], env)  # no terminal and no --yes: nothing happens
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert _rows(data / "assistant.db")["messages"] >= 10

    forgot = run_cli(["forget", "--all", "--yes"], env)
    assert forgot.returncode == 0, forgot.stderr
    assert "Forgot" in forgot.stdout
    assert all(n == 0 for n in _rows(data / "assistant.db").values())
    assert not (data / "images").exists()
    assert not (data / "chat_history").exists()
    for log in (data / "logs").iterdir():
        assert log.stat().st_size == 0 or all(s not in log.read_text() for s in SECRETS)
    raw = b"".join(p.read_bytes() for p in data.glob("assistant.db*"))
    for secret in SECRETS:
        assert secret.encode() not in raw, f"{secret} still in the database file"
    empty = run_cli(["history", "export", "--all", "--format", "json"], env)
    assert json.loads(empty.stdout)["conversations"] == []
    again = run_cli(["ask", "hello again"], env)  # the app still works afterwards
    assert again.returncode == 0, again.stderr
