"""`assistant ask --image` and `assistant bench ocr` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main

from .samples import INVOICE_TOTAL, available_fonts, render_invoice, write_set

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _fake_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "fake")


def test_ask_with_an_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "invoice.png"
    render_invoice(available_fonts()[0]).save(path)
    assert main(["ask", "--json", "--image", str(path), "how much is the total?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reply"] == f"The total is {INVOICE_TOTAL} EUR."
    images = list((tmp_path / "xdg_data_home" / "assistant" / "images").rglob("*.png"))
    assert len(images) == 1 and images[0].read_bytes() == path.read_bytes()


def test_ask_with_a_bad_file_prints_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just text")
    assert main(["ask", "--image", str(path), "read this"]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err == f"assistant: {path} is not an image I can read; share a PNG, JPEG, GIF, BMP, "
        "WebP or TIFF file."
    )


def test_bench_ocr_reports_cer_and_time(tmp_path: Path, capsys) -> None:
    for png in write_set(tmp_path / "set"):  # keep two images: enough for the report shape
        if png.stem not in ("invoice", "white-on-dark"):
            png.unlink()
            png.with_suffix(".txt").unlink()
    assert main(["bench", "ocr", str(tmp_path / "set"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["images"] == 2 and report["mean_cer"] <= 0.03
    assert all(row["seconds"] > 0 and "cer" in row for row in report["per_image"])
