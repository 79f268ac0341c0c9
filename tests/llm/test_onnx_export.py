"""`assistant export-onnx`: a real export with the KV cache, greedy parity with torch, recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.llm.base import ChatMessage
from assistant.llm.onnx_export import PARITY_MESSAGES, chat_prompt_ids, compare_ids
from assistant.model_store import ModelStore
from tests.llm.conftest import MODEL, ExportRun, manifest, run_cli


def test_export_without_the_hf_folder_says_how_to_prepare_it(tmp_path: Path) -> None:
    result = run_cli(["export-onnx", "--model", MODEL], tmp_path, timeout=120)
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"assistant: the model {MODEL} is not prepared (gguf-to-hf); run `assistant models "
        "prepare` (make run does it)."
    ]
    assert not (tmp_path / "assistant" / "models" / f"{MODEL}-onnx").exists()


def test_export_rejects_a_model_that_is_not_a_chat_model(tmp_path: Path) -> None:
    result = run_cli(["export-onnx", "--model", "silero-vad"], tmp_path, timeout=120)
    assert result.returncode == 3
    assert "silero-vad is a vad model" in result.stderr
    assert "Traceback" not in result.stderr


def test_parity_compares_every_token() -> None:
    assert compare_ids([1, 2, 3], [1, 2, 3], 10).identical
    diverged = compare_ids([1, 2, 3], [1, 9, 3], 10)
    assert (diverged.identical, diverged.matching_prefix, diverged.compared) == (False, 1, 3)
    assert not compare_ids([1, 2, 3], [1, 2], 10).identical  # a short run is not a match


@pytest.mark.slow
@pytest.mark.timeout(1200)  # export + torch parity; minutes when other work shares the 2 cores
def test_export_writes_a_parity_checked_model_and_records_it(export_run: ExportRun) -> None:
    assert export_run.result.returncode == 0, export_run.result.stderr
    out = json.loads(export_run.result.stdout)
    assert out["model"] == MODEL and out["precision"] == "fp32"
    assert out["exporter"] == "onnxruntime-genai model builder"
    assert out["parity"] == {
        "identical": True,
        "compared": 64,
        "matching_prefix": 64,
        "prompt_tokens": out["parity"]["prompt_tokens"],
    }
    assert {"onnxruntime-genai", "onnxruntime", "transformers", "torch"} <= set(out["versions"])
    store = export_run.store
    entry = store.entry(MODEL)
    folder = store.artefact(entry, "onnx-export")
    assert {"model.onnx", "model.onnx.data", "genai_config.json", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()
    }
    config = json.loads((folder / "genai_config.json").read_text())["model"]["decoder"]
    assert config["inputs"]["past_key_names"] == "past_key_values.%d.key"  # the KV cache
    recorded = manifest(store)[f"{MODEL}:onnx-export"]
    assert recorded["parity"]["identical"] is True and recorded["quantize"] == "none"
    # no builder leftovers beside the export
    assert sorted(p.name for p in store.cache.iterdir()) == [
        "manifest.json",
        f"{MODEL}-hf",
        f"{MODEL}-onnx",
    ]


@pytest.mark.slow
@pytest.mark.timeout(1200)  # may need this session's export
def test_onnx_chat_template_gives_the_torch_prompt_ids(hf_dir: Path, onnx_lm) -> None:  # type: ignore[no-untyped-def]
    chats = [
        PARITY_MESSAGES,
        (
            ChatMessage("system", "Be brief."),
            ChatMessage("user", "Hi!"),
            ChatMessage("assistant", "Hello! How can I help?"),
            ChatMessage("user", "Ünïcode, emoji 🙂 and\nnew lines."),
        ),
    ]
    for messages in chats:
        assert onnx_lm.encode(messages) == chat_prompt_ids(hf_dir, messages)


def test_the_llm_model_entry_prepares_the_onnx_export() -> None:
    assert ModelStore().entry(MODEL).prepare == ("gguf-to-hf", "onnx-export")
