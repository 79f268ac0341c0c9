"""Prepare step ``onnx-export``: the chat model as ONNX with its KV cache, for onnxruntime-genai.

The exporter is the onnxruntime-genai model builder, run on the cached Hugging Face folder of the
``gguf-to-hf`` step. It won against optimum-onnx 0.1.0 (in a throwaway venv: it needs
transformers < 4.58, so it cannot live beside the transformers 5 of the torch backend). Measured
on this 2-core machine while it was busy (load ~12), both in one process on the same prompt ids:
decode 4.4 vs 1.9 tokens/s (2.3x), resident memory 538 vs 1027 MiB, export 36 vs 72 s, and greedy
tokens equal to torch's for 64 of 64 vs diverging after 10. The builder's graph uses fused ONNX
Runtime operators (GroupQueryAttention, rotary embedding, SkipSimplifiedLayerNorm) and a KV buffer
shared between past and present, which is where its speed comes from.

After exporting, the greedy ids of the first 64 tokens on a fixed prompt are compared with torch;
the result, the precision and the tool versions go into the model store's manifest.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from assistant.llm.base import ChatMessage
from assistant.model_store import ModelEntry, ModelStore, Progress, preparer

STEP = "onnx-export"
EXPORTER = "onnxruntime-genai model builder"
# --quantize → the builder's precision. int8/int4 quantise the weights of every MatMul
# (MatMulNBits); smaller and faster, but their greedy tokens drift from torch. Measured here
# against fp32 (682 MiB resident): int8 241 MiB, decode 2.3x, equal to torch for 48 of 64 tokens;
# int4 190 MiB, 3.6x, different from the first token.
PRECISIONS = {"none": "fp32", "int8": "int8", "int4": "int4"}
BUILDER_MODULES = {
    "onnxruntime_genai": "onnxruntime-genai==0.18.0",
    "onnx": "onnx",
    "onnx_ir": "onnx-ir",
}
VERSIONED = ("onnxruntime-genai", "onnxruntime", "onnx", "onnx-ir", "transformers", "torch")
PARITY_TOKENS = 64
PARITY_MESSAGES = (
    ChatMessage("system", "You are a helpful assistant."),
    ChatMessage(
        "user",
        "Write a long story about a lighthouse keeper who finds a message in "
        "a bottle. Describe the sea, the weather and the keeper's daily life.",
    ),
)
EXPORT_TIMEOUT_S = 1800


def require_builder() -> None:
    missing = [
        pkg for module, pkg in BUILDER_MODULES.items() if importlib.util.find_spec(module) is None
    ]
    if missing:
        raise ModelError(
            f"exporting to ONNX needs {', '.join(missing)}: pip install {' '.join(missing)}"
        )


def tool_versions() -> dict[str, str]:
    found = {}
    for package in VERSIONED:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def build(hf_dir: Path, out: Path, quantize: str = "none") -> None:
    """Run the model builder (in a child process: it prints a lot and holds on to memory)."""
    if quantize not in PRECISIONS:
        raise ModelError(f"--quantize {quantize!r}: choose one of {', '.join(PRECISIONS)}.")
    require_builder()
    if not (hf_dir / "config.json").is_file():
        raise ModelError(f"{hf_dir} is not a Hugging Face model folder (no config.json).")
    out.mkdir(parents=True, exist_ok=True)
    work = out.with_name(out.name + ".builder-cache")
    log_file = out.with_name(out.name + ".builder.log")
    env = dict(
        os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1"
    )
    command = [
        sys.executable,
        "-m",
        "onnxruntime_genai.models.builder",
        "-i",
        str(hf_dir),
        "-o",
        str(out),
        "-p",
        PRECISIONS[quantize],
        "-e",
        "cpu",
        "-c",
        str(work),
    ]
    try:
        with log_file.open("w") as log:
            done = subprocess.run(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=EXPORT_TIMEOUT_S,
                check=False,
            )
        if done.returncode != 0 or not (out / "genai_config.json").is_file():
            raise ModelError(f"the ONNX export failed: {_last_error(log_file)}")
    except subprocess.TimeoutExpired:
        raise ModelError(f"the ONNX export took longer than {EXPORT_TIMEOUT_S} s.") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        log_file.unlink(missing_ok=True)


def _last_error(log_file: Path) -> str:
    lines = [line.strip() for line in log_file.read_text(errors="replace").splitlines()]
    lines = [line for line in lines if line and "%|" not in line]  # progress bars
    errors = [line for line in lines if "Error" in line]
    return (errors or lines or ["no output"])[-1][:300]


@dataclass(frozen=True)
class GreedyRun:
    """Greedy ids of one generation and how fast they came."""

    ids: list[int]
    first_token_s: float
    decode_tokens_per_s: float


def chat_prompt_ids(hf_dir: Path, messages: tuple[ChatMessage, ...] = PARITY_MESSAGES) -> list[int]:
    """Prompt ids from the Hugging Face tokenizer and chat template (the torch backend's)."""
    from assistant.llm.torch_backend import offline_env

    offline_env()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(hf_dir, local_files_only=True)
    chat = [{"role": m.role, "content": m.content} for m in messages]
    encoded: Any = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_dict=True)
    return [int(i) for i in encoded["input_ids"]]


def _rate(stamps: list[float]) -> float:
    if len(stamps) < 2:
        return 0.0
    return (len(stamps) - 1) / max(stamps[-1] - stamps[0], 1e-9)


def torch_greedy(
    hf_dir: Path, ids: list[int], tokens: int, threads: int = 2, model: Any = None
) -> GreedyRun:
    """Exactly ``tokens`` greedy tokens with transformers ``generate`` (end of text suppressed)."""
    from assistant.llm.torch_backend import offline_env

    offline_env()
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.generation.streamers import BaseStreamer

    torch.set_num_threads(threads)
    if model is None:
        model = AutoModelForCausalLM.from_pretrained(
            hf_dir, dtype=torch.float32, local_files_only=True
        ).eval()
    stamps: list[float] = []

    class _Clock(BaseStreamer):
        def __init__(self) -> None:
            self.prompt_seen = False

        def put(self, value: Any) -> None:
            if self.prompt_seen:
                stamps.append(time.perf_counter())
            self.prompt_seen = True

        def end(self) -> None:
            return None

    input_ids = torch.tensor([ids])
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(
            input_ids,
            attention_mask=torch.ones_like(input_ids),
            do_sample=False,
            max_new_tokens=tokens,
            min_new_tokens=tokens,
            repetition_penalty=1.0,
            streamer=_Clock(),
            pad_token_id=model.config.eos_token_id,
        )
    new = [int(i) for i in out[0, len(ids) :]]
    return GreedyRun(new, stamps[0] - started, _rate(stamps))


def onnx_greedy(
    onnx_dir: Path, ids: list[int], tokens: int, threads: int = 2, model: Any = None
) -> GreedyRun:
    """Exactly ``tokens`` greedy tokens with onnxruntime-genai (end of text suppressed)."""
    import onnxruntime_genai as og

    from assistant.llm.onnx_backend import load_genai_model

    if model is None:
        model, _ = load_genai_model(onnx_dir, threads)
    params = og.GeneratorParams(model)
    params.set_search_options(
        do_sample=False,
        repetition_penalty=1.0,
        max_length=len(ids) + tokens,
        min_length=len(ids) + tokens,
    )
    generator = og.Generator(model, params)
    stamps: list[float] = []
    new: list[int] = []
    started = time.perf_counter()
    generator.append_tokens(ids)
    while len(new) < tokens:
        generator.generate_next_token()
        new.append(int(generator.get_next_tokens()[0]))
        stamps.append(time.perf_counter())
    return GreedyRun(new, stamps[0] - started, _rate(stamps))


@dataclass(frozen=True)
class Parity:
    identical: bool
    compared: int  # tokens compared
    matching_prefix: int  # tokens equal before the first difference
    prompt_tokens: int


def compare_ids(torch_ids: list[int], onnx_ids: list[int], prompt_tokens: int) -> Parity:
    from assistant.llm.onnx_backend import common_prefix

    same = common_prefix(torch_ids, onnx_ids)
    compared = min(len(torch_ids), len(onnx_ids))
    return Parity(same == compared == len(torch_ids), compared, same, prompt_tokens)


def check_parity(
    hf_dir: Path, onnx_dir: Path, tokens: int = PARITY_TOKENS, threads: int = 2
) -> Parity:
    ids = chat_prompt_ids(hf_dir)
    expected = torch_greedy(hf_dir, ids, tokens, threads).ids
    return compare_ids(expected, onnx_greedy(onnx_dir, ids, tokens, threads).ids, len(ids))


def export_model(
    store: ModelStore, entry: ModelEntry, out: Path, progress: Progress, quantize: str = "none"
) -> dict[str, Any]:
    """Export ``entry``'s prepared HF folder into ``out``, check parity; the manifest details."""
    if entry.role != "llm":
        raise ModelError(f"{entry.name} is a {entry.role} model; only chat models are exported.")
    require_builder()
    hf_dir = store.artefact(entry, "gguf-to-hf")
    progress(f"{entry.name}: export to ONNX ({PRECISIONS.get(quantize, quantize)})", 0.05)
    started = time.perf_counter()
    build(hf_dir, out, quantize)
    export_s = time.perf_counter() - started
    progress(f"{entry.name}: greedy parity with torch ({PARITY_TOKENS} tokens)", 0.6)
    parity = check_parity(hf_dir, out)
    if quantize == "none" and not parity.identical:
        raise ModelError(
            f"the ONNX export of {entry.name} does not match torch (greedy tokens differ after "
            f"{parity.matching_prefix} of {parity.compared}); it was not installed."
        )
    progress(f"{entry.name}: ONNX export done", 1.0)
    return {
        "exporter": EXPORTER,
        "quantize": quantize,
        "precision": PRECISIONS[quantize],
        "export_seconds": round(export_s, 2),
        "size_bytes": sum(f.stat().st_size for f in out.iterdir() if f.is_file()),
        "parity": asdict(parity),
        "versions": tool_versions(),
    }


@preparer(STEP, "{name}-onnx")
def onnx_export(
    store: ModelStore, entry: ModelEntry, out: Path, progress: Progress
) -> dict[str, Any]:
    return export_model(store, entry, out, progress)
