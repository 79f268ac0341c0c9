"""Fault matrix, model rows: the Whisper model missing, truncated or with a wrong sha256; the chat
model corrupt (GGUF, prepared folder, ONNX export). Each gives a one-line ModelError with the fix;
the chat model failing still stores the message and answers with the reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ModelError
from assistant.model_store import ModelStore
from tests.conftest import REAL_CACHE

MODELS = REAL_CACHE / "assistant" / "models"
TINY = "whisper-tiny-en"


def _tiny_dir() -> Path:
    return ModelStore().package_dir(TINY) / "model"


def _copy_with(folder: Path, source: Path, damage: Callable[[Path], None]) -> Path:
    """A copy of a model folder (links for the big files) with one file damaged by ``damage``."""
    folder.mkdir(parents=True)
    for item in source.iterdir():
        target = folder / item.name
        if item.stat().st_size < 5_000_000:
            target.write_bytes(item.read_bytes())
        else:
            target.symlink_to(item)
    damage(folder)
    return folder


def _truncate(name: str, keep: int = 1 << 20) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        data = (folder / name).read_bytes()[:keep] if (folder / name).exists() else b""
        (folder / name).unlink(missing_ok=True)
        (folder / name).write_bytes(data)

    return damage


def _remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def _garbage(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        (folder / name).unlink(missing_ok=True)
        (folder / name).write_bytes(np.random.default_rng(1).bytes(3 << 20))

    return damage


@pytest.mark.parametrize(
    ("damage", "message"),
    [(_remove("model.bin"), "has no model.bin"), (_truncate("model.bin"), "cannot load")],
    ids=["missing", "truncated"],
)
def test_faster_whisper_model_missing_or_truncated(
    tmp_path: Path, damage: Callable[[Path], None], message: str
) -> None:
    from assistant.asr.faster_whisper_backend import FasterWhisperEngine

    folder = _copy_with(tmp_path / "tiny", _tiny_dir(), damage)
    with pytest.raises(ModelError, match=message) as err:
        FasterWhisperEngine(folder, threads=1).load()
    assert "\n" not in str(err.value)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_openai_whisper_checkpoint_missing_or_truncated(tmp_path: Path, damage: str) -> None:
    from assistant.asr.openai_whisper_backend import OpenAIWhisperEngine

    checkpoint = tmp_path / "tiny.pt"
    if damage == "truncated":
        checkpoint.write_bytes((MODELS / "whisper-tiny-en-openai.pt").read_bytes()[: 1 << 20])
    with pytest.raises(ModelError, match="models prepare") as err:
        OpenAIWhisperEngine(checkpoint, threads=1).load()
    assert "\n" not in str(err.value)


def test_wrong_sha256_is_found_by_verify_and_prepare(tmp_path: Path) -> None:
    """A model package whose file was replaced: `assistant models verify|prepare` say which and
    how to reinstall; nothing is prepared from it."""
    package = tmp_path / "site" / "damaged_tiny_whisper"

    def flip(folder: Path) -> None:
        data = bytearray((folder / "vocabulary.txt").read_bytes())
        data[100] ^= 0xFF
        (folder / "vocabulary.txt").write_bytes(bytes(data))

    _copy_with(package / "model", _tiny_dir(), flip)
    (package / "__init__.py").write_text("")
    real = ModelStore().entry(TINY)
    registry = tmp_path / "registry.toml"
    files = ",\n".join(f'  {{ path = "{f.path}", sha256 = "{f.sha256}" }}' for f in real.files)
    registry.write_text(
        f'[[model]]\nname = "{TINY}"\nrole = "asr"\ndescription = "test"\n'
        f'package = "damaged-tiny-whisper"\nversion = "1.0"\nmodule = "damaged_tiny_whisper"\n'
        f'license = "MIT"\nprepare = []\nfiles = [\n{files}\n]\n'
    )
    env = dict(
        os.environ,
        ASSISTANT_MODEL_REGISTRY=str(registry),
        PYTHONPATH=str(tmp_path / "site"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    for action in (["verify"], ["prepare", TINY]):
        done = subprocess.run(
            [sys.executable, "-m", "assistant", "models", *action],
            env=env,
            text=True,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode != 0, done.stdout
        out = done.stdout + done.stderr
        assert "vocabulary.txt does not match its sha256" in out and "reinstall" in out, out
        assert "Traceback" not in out
    assert not (
        tmp_path / "cache" / "assistant" / "models" / "manifest.json"
    ).exists() or TINY + ":verified" not in json.loads(
        (tmp_path / "cache" / "assistant" / "models" / "manifest.json").read_text()
    )


LLM_DAMAGE = {
    "gguf-garbage": lambda tmp: _garbage_gguf(tmp),
    "safetensors-truncated": lambda tmp: _copy_with(
        tmp / "hf", MODELS / "smollm2-135m-instruct-hf", _truncate("model.safetensors")
    ),
    "onnx-truncated": lambda tmp: _copy_with(
        tmp / "onnx", MODELS / "smollm2-135m-instruct-onnx", _truncate("model.onnx.data")
    ),
}


def _garbage_gguf(tmp: Path) -> Path:
    path = tmp / "broken.gguf"
    path.write_bytes(b"GGUF" + np.random.default_rng(2).bytes(1 << 20))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(LLM_DAMAGE))
def test_corrupt_chat_model_is_a_clear_message_and_nothing_is_lost(
    tmp_path: Path, kind: str
) -> None:
    env = dict(os.environ, ASSISTANT_LLM_BACKEND="fake")
    _ask(["earlier message"], env)
    env = dict(os.environ, ASSISTANT_LLM_MODEL=str(LLM_DAMAGE[kind](tmp_path)))
    done = _ask(["--json", "hello there"], env)
    assert done.returncode == 3, done.stdout
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("assistant: cannot load the"), done.stderr
    assert "`assistant" in message  # the fix
    assert "Traceback" not in done.stderr
    from assistant import paths
    from assistant.memory.store import MemoryStore

    store = MemoryStore(paths.database_file())
    texts = [m.text for m in store.messages(store.current_conversation())]
    # the message and an apology naming the failure are stored; the earlier turn is intact
    assert texts[:3] == ["earlier message", "This is a fake reply.", "hello there"]
    assert len(texts) == 4 and texts[3].startswith("Sorry, I could not answer: cannot load the")
    assert store.integrity_ok()


def _ask(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "ask", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=240,
        check=False,
    )
