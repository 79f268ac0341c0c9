"""`assistant export-onnx`: the chat model with its KV cache as ONNX, parity-checked, recorded."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from assistant.cli.common import print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export-onnx",
        help="export the chat model to ONNX (the fast CPU backend) and check it against torch",
        description="Exports the chat model with its KV cache using the onnxruntime-genai model "
        "builder into the model cache, checks that its first 64 greedy tokens equal "
        "torch's, and records the result. `assistant models prepare` does the same "
        "with --quantize none.",
    )
    parser.add_argument(
        "--model", help="model name from `assistant models` (default: llm.model of the config)"
    )
    parser.add_argument(
        "--quantize",
        choices=("none", "int8", "int4"),
        default="none",
        help="weight quantisation: none keeps float32 and torch's exact tokens "
        "(default); int8/int4 are smaller and faster but drift from torch",
    )
    parser.add_argument("--json", action="store_true", help="print what was recorded as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from functools import partial

    from assistant import config as config_module
    from assistant.errors import ModelError
    from assistant.llm.onnx_export import STEP, export_model, require_builder
    from assistant.model_store import ModelStore

    name = args.model or config_module.load().llm.model
    store = ModelStore()
    entry = store.entry(name)
    if entry.role != "llm":
        raise ModelError(f"{name} is a {entry.role} model; export-onnx exports chat models.")
    if "gguf-to-hf" not in entry.prepare:
        raise ModelError(
            f"{name} runs from its GGUF under llama.cpp; export-onnx exports the models prepared "
            "for torch (e.g. --model smollm2-135m-instruct)."
        )
    require_builder()
    store.artefact(entry, "gguf-to-hf")  # a clear error before any work if it is not prepared

    def progress(what: str, fraction: float) -> None:
        print(f"[{fraction:4.0%}] {what}", file=sys.stderr, flush=True)

    info = store.run_step(entry, STEP, progress, fn=partial(export_model, quantize=args.quantize))
    if args.json:
        print_json({"model": entry.name, "path": str(store.artefact_path(entry, STEP)), **info})
        return 0
    parity = info["parity"]
    print(
        f"exported {entry.name} ({info['precision']}, {info['size_bytes'] / 1e6:.0f} MB) in "
        f"{info['export_seconds']:.1f} s to {store.artefact_path(entry, STEP)}"
    )
    verdict = (
        "identical"
        if parity["identical"]
        else (
            f"differ after {parity['matching_prefix']} tokens (expected with --quantize "
            f"{args.quantize})"
        )
    )
    print(f"greedy tokens vs torch, first {parity['compared']}: {verdict}")
    return 0
