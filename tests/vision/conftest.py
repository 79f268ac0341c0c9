"""Fixtures of the vision tests: private data dirs, one shared OCR reader, rendered images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))


@pytest.fixture(scope="session")
def ocr_reader():
    """The real PP-OCRv4 reader, loaded once for the session (2 threads)."""
    from assistant.vision.ocr import RapidOcrReader

    reader = RapidOcrReader(threads=2)
    reader.load()
    return reader


@pytest.fixture(scope="session")
def embedder():
    from assistant.nlu.embeddings import MiniLMEmbedder

    model = MiniLMEmbedder()
    model.load()
    return model
