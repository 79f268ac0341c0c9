"""The CLI parser and the commands that need no model (in-process, fake model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import __version__, paths
from assistant.cli import build_parser, main
from assistant.memory.store import MemoryStore


def test_every_command_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for command in ("chat", "ask", "history", "models", "config", "bench"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_ask_json_with_fake_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "fake")
    assert main(["ask", "--json", "tell me a story"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reply"] == "This is a fake reply."
    assert isinstance(data["conversation_id"], int) and "total" in data["timings"]


def test_bad_config_value_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_TEMPERATURE", "hot")
    assert main(["ask", "hi"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "llm.temperature" in err and "Traceback" not in err


def test_history_list_show_export_delete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = MemoryStore(paths.database_file())
    cid = store.create_conversation()
    uid = store.add_message(cid, "user", "I feel awful today")
    store.update_message(
        uid, intent="chat", sentiment_label="negative", sentiment_score=-0.6, emotion="sadness"
    )
    store.add_message(cid, "assistant", "I'm sorry to hear that.")
    store.close()
    assert main(["history", "list"]) == 0
    assert "I feel awful today" in capsys.readouterr().out
    assert main(["history", "show", str(cid)]) == 0
    shown = capsys.readouterr().out
    assert "negative -0.60" in shown and "sadness" in shown
    out = tmp_path / "c.json"
    assert main(["history", "export", str(cid), "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["messages"][1]["text"] == "I'm sorry to hear that."
    assert main(["history", "export", str(cid), "--format", "md"]) == 0
    assert "**You** (typed)" in capsys.readouterr().out
    assert main(["history", "delete", str(cid)]) == 0  # to the trash, as in the window
    assert "history restore" in capsys.readouterr().out
    assert main(["history", "show", str(cid)]) == 4
    assert "no conversation" in capsys.readouterr().err
    assert main(["history", "trash"]) == 0
    assert "I feel awful today" in capsys.readouterr().out
    assert main(["history", "restore", str(cid)]) == 0
    assert main(["history", "show", str(cid)]) == 0
    assert "I'm sorry to hear that." in capsys.readouterr().out
    assert main(["history", "restore", str(cid)]) == 4  # not in the trash: said, not a traceback
    assert "not in the trash" in capsys.readouterr().err
    assert main(["history", "delete", str(cid), "--now"]) == 0
    assert main(["history", "trash"]) == 0
    assert "The trash is empty." in capsys.readouterr().out


def test_config_show_and_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "path"]) == 0
    path = capsys.readouterr().out.strip()
    assert path.endswith("assistant/config.toml")
    assert main(["config", "show"]) == 0
    assert "[llm]" in capsys.readouterr().out
