"""Prepare step ``gguf-to-hf``: dequantise the packaged GGUF chat model into a cached HF folder.

Loading a GGUF through transformers dequantises it (~12 s here); saving the result once makes
every later load take about a second.
"""

from __future__ import annotations

from pathlib import Path

from assistant.model_store import ModelEntry, ModelStore, Progress, preparer


def gguf_file(store: ModelStore, entry: ModelEntry) -> Path:
    gguf = next(f for f in entry.files if f.path.endswith(".gguf"))
    return store.file(entry, gguf.path)


@preparer("gguf-to-hf", "{name}-hf")
def gguf_to_hf(store: ModelStore, entry: ModelEntry, out: Path, progress: Progress) -> None:
    from assistant.llm.torch_backend import offline_env

    offline_env()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    source = gguf_file(store, entry)
    progress(f"{entry.name}: read tokenizer", 0.05)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    progress(f"{entry.name}: dequantise weights", 0.2)
    model = AutoModelForCausalLM.from_pretrained(
        source.parent, gguf_file=source.name, dtype=torch.float32
    )
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    progress(f"{entry.name}: save", 0.8)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    progress(f"{entry.name}: done", 1.0)
