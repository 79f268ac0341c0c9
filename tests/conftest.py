"""Shared test set-up: private XDG directories, fixed thread counts, offline hubs, Qt offscreen."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

# Two cores: fix thread counts before any numeric library is imported.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The models prepared by `make` live in the real user cache; tests reuse them (read-only) so
# the slow tests do not re-prepare them. Everything else goes to per-test temporary folders.
REAL_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def ctrl_c_works() -> None:
    """``preexec_fn`` of a child that a test stops with Ctrl-C (SIGINT): started from a background
    job without job control (`make test &` in a script, some CI runners) it would inherit SIGINT
    ignored, and Python then never raises KeyboardInterrupt; a terminal user's Ctrl-C works."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Config and data in a temporary folder; the model cache stays the prepared one."""
    for name in ("config", "data"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(REAL_CACHE))
    for var in list(os.environ):
        if var.startswith("ASSISTANT_") and var != "ASSISTANT_MODEL_REGISTRY":
            monkeypatch.delenv(var, raising=False)
    yield tmp_path
