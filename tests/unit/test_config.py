"""Config: commented default file, validation naming the key and allowed values, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import config
from assistant.errors import ConfigError


def test_default_file_is_created_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "c" / "config.toml"
    loaded = config.load(path, env={})
    text = path.read_text()
    assert "# Sampling temperature" in text and "[llm]" in text
    assert loaded.llm.temperature == config.LLMSection().temperature
    assert f"# temperature = {config.LLMSection().temperature}" in text  # the default: unset


def test_saved_file_sets_only_the_users_changes(tmp_path: Path) -> None:
    """A default changed in a later version reaches a user who never changed that setting
    (a file holding every default froze barge_in_ms at an old 400 ms on this machine)."""
    path = tmp_path / "config.toml"
    loaded = config.load(path, env={})
    loaded.audio.barge_in = False
    config.save(loaded, path)
    text = path.read_text()
    assert "\nbarge_in = false\n" in text
    assert f"\n# barge_in_ms = {config.AudioSection().barge_in_ms}\n" in text
    default = f"# barge_in_ms = {config.AudioSection().barge_in_ms}"
    path.write_text(text.replace(default, "barge_in_ms = 300"))  # the user's own choice
    assert config.load(path, env={}).audio.barge_in_ms == 300


def test_values_and_env_overrides(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[llm]\ntemperature = 0.7\n[assistant]\nname = "Nova"\n')
    loaded = config.load(path, env={"ASSISTANT_LLM_MAX_NEW_TOKENS": "64"})
    assert loaded.llm.temperature == 0.7 and loaded.assistant.name == "Nova"
    assert loaded.llm.max_new_tokens == 64


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[llm]\ntemperature = "hot"\n', "llm.temperature"),
        ("[llm]\ntemperature = 9\n", "from 0.0 to 2.0"),
        ('[llm]\nbackend = "gpu"\n', "one of 'auto', 'torch'"),
        ("[llm]\nnope = 1\n", "unknown key llm.nope"),
        ("[nope]\na = 1\n", "unknown section [nope]"),
        ("[llm\n", "not valid TOML"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[").replace("(", r"\(")):
        config.load(path, env={})


def test_bad_env_value_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"llm\.top_k"):
        config.load(tmp_path / "config.toml", env={"ASSISTANT_LLM_TOP_K": "many"})


def test_save_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    loaded = config.load(path, env={})
    loaded.llm.temperature = 0.1
    loaded.assistant.name = 'Quote "me"'
    config.save(loaded, path)
    again = config.load(path, env={})
    assert again.llm.temperature == 0.1 and again.assistant.name == 'Quote "me"'
