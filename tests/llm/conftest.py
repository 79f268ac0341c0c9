"""Fixtures of the language-model tests: the prepared HF folder, one real ONNX export made by the
`assistant export-onnx` command into a temporary cache, and a loaded ONNX backend.

The user's prepared models (``make``) are reused read-only; what is missing is built into
temporary folders, never into the user cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.model_store import ModelStore
from tests.conftest import REAL_CACHE

MODEL = "smollm2-135m-instruct"
REAL_MODELS = REAL_CACHE / "assistant" / "models"


@dataclass(frozen=True)
class ExportRun:
    result: subprocess.CompletedProcess[str]
    store: ModelStore  # the temporary store the command exported into


def run_cli(args: list[str], cache_home: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home), OMP_NUM_THREADS="2")
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def hf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `gguf-to-hf` folder: the user's prepared one, else one built for this session."""
    store = ModelStore(cache=REAL_MODELS)
    entry = store.entry(MODEL)
    if store.is_prepared(entry, "gguf-to-hf"):
        return store.artefact(entry, "gguf-to-hf")
    scratch = ModelStore(cache=tmp_path_factory.mktemp("hf-cache") / "assistant" / "models")
    scratch.run_step(entry, "gguf-to-hf")
    return scratch.artefact(entry, "gguf-to-hf")


@pytest.fixture(scope="session")
def export_run(tmp_path_factory: pytest.TempPathFactory, hf_dir: Path) -> ExportRun:
    """`assistant export-onnx --json` into a temporary cache that holds only the HF folder."""
    home = tmp_path_factory.mktemp("export-cache")
    store = ModelStore(cache=home / "assistant" / "models")
    entry = store.entry(MODEL)
    store.cache.mkdir(parents=True)
    store.artefact_path(entry, "gguf-to-hf").symlink_to(hf_dir, target_is_directory=True)
    store.record(entry, "gguf-to-hf", {"linked_from": str(hf_dir)})
    return ExportRun(run_cli(["export-onnx", "--json", "--model", MODEL], home, timeout=900), store)


@pytest.fixture(scope="session")
def onnx_dir(request: pytest.FixtureRequest) -> Path:
    """The user's prepared ONNX export, else the one this session's export made."""
    store = ModelStore(cache=REAL_MODELS)
    entry = store.entry(MODEL)
    if store.is_prepared(entry, "onnx-export"):
        info = store.manifest_info(entry, "onnx-export") or {}
        if info.get("precision") == "fp32":
            return store.artefact(entry, "onnx-export")
    run: ExportRun = request.getfixturevalue("export_run")
    assert run.result.returncode == 0, run.result.stderr
    return run.store.artefact(entry, "onnx-export")


@pytest.fixture(scope="module")
def onnx_lm(onnx_dir: Path):  # type: ignore[no-untyped-def]
    from assistant.llm.onnx_backend import OnnxLanguageModel

    lm = OnnxLanguageModel(onnx_dir, threads=2, max_length=1024)
    lm.load()
    return lm


def manifest(store: ModelStore) -> dict:  # type: ignore[type-arg]
    return dict(json.loads((store.cache / "manifest.json").read_text()))
