"""Chooses and builds the language-model backend from the config and the machine.

``auto`` = torch on a CUDA GPU when one exists (half precision). On the CPU it is the faster of
llama.cpp (needs a GGUF of the model) and the ONNX export (needs `assistant export-onnx`) as
measured by `assistant bench llm` on this machine (recorded in the model cache); before any
measurement, llama.cpp when there is a GGUF (it decoded SmolLM2 ~2x faster than the ONNX export
here), else the ONNX export when prepared, else torch on the CPU. Whether a GPU exists is probed
without importing torch first (torch's import costs seconds and memory the other paths do not
need): only a CUDA/ROCm build of torch on a machine with a GPU device node is then asked
``torch.cuda.is_available()``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.config import Config
from assistant.errors import ModelError
from assistant.llm.base import LanguageModel
from assistant.model_store import ModelEntry, ModelStore

log = logging.getLogger(__name__)

ONNX_STEP = "onnx-export"
GPU_DEVICE_NODES = ("/dev/nvidia0", "/dev/nvidiactl", "/dev/kfd", "/dev/dxg")
_TORCH_GPU_BUILD = re.compile(r"^(cuda|hip)\s*(:[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


CPU_BACKENDS = ("llamacpp", "onnx")  # what `auto` chooses between on the CPU, by speed
SPEED_FILE = "llm-speed.json"  # decode tokens/s per model and backend, from `bench llm`


def choose_backend(
    requested: str,
    cuda: bool,
    onnx_ready: bool,
    gguf_ready: bool = False,
    measured: dict[str, float] | None = None,
) -> str:
    """``auto`` = CUDA torch when a GPU exists; on the CPU the fastest measured of llama.cpp and
    ONNX among those ready, else llama.cpp for a GGUF, else ONNX when prepared, else torch."""
    if requested != "auto":
        return requested
    if cuda:
        return "torch"
    ready = [b for b, ok in (("llamacpp", gguf_ready), ("onnx", onnx_ready)) if ok]
    timed = [b for b in ready if (measured or {}).get(b)]
    if timed:
        return max(timed, key=lambda b: (measured or {})[b])
    return ready[0] if ready else "torch"


def _speed_file(store: ModelStore) -> dict[str, Any]:
    """Everything `bench llm` recorded ({} when nothing was, or the file is unreadable)."""
    try:
        data = json.loads((store.cache / SPEED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def measured_speeds(store: ModelStore, model: str) -> dict[str, float]:
    """Decode tokens/s per CPU backend that `assistant bench llm` measured for ``model``."""
    found = _speed_file(store).get(model)
    if not isinstance(found, dict):
        return {}
    return {
        k: float(v) for k, v in found.items() if k in CPU_BACKENDS and isinstance(v, int | float)
    }


def record_speeds(store: ModelStore, model: str, speeds: dict[str, float]) -> None:
    """Keep the decode speeds `bench llm` measured, for ``auto`` to choose by."""
    path = store.cache / SPEED_FILE
    data = _speed_file(store)
    data[model] = {k: v for k, v in speeds.items() if k in CPU_BACKENDS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def torch_gpu_build(version_py: str) -> bool:
    """Whether torch's ``version.py`` text is that of a CUDA or ROCm build."""
    return _TORCH_GPU_BUILD.search(version_py) is not None


def gpu_device_present(nodes: tuple[str, ...] = GPU_DEVICE_NODES) -> bool:
    return any(os.path.exists(node) for node in nodes)


def cuda_present() -> bool:
    """A GPU torch can use: cheap checks first, ``torch.cuda.is_available()`` only if they pass."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return False
    version_py = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    try:
        gpu_build = torch_gpu_build(version_py.read_text(encoding="utf-8"))
    except OSError:
        gpu_build = False
    if not (gpu_build and gpu_device_present()):
        return False
    from assistant.llm.torch_backend import cuda_available

    return cuda_available()


def wants_cuda(device: str, probe: Callable[[], bool]) -> bool:
    """``llm.device``: cuda insists (torch then says clearly if there is none), cpu refuses."""
    if device == "cuda":
        return True
    return device == "auto" and probe()


def model_path(name: str) -> Path | None:
    """``llm.model`` as a path (a .gguf file or a model folder), or None for a registry name."""
    candidate = Path(name).expanduser()
    if candidate.suffix == ".gguf" or candidate.is_dir() or "/" in name or name.startswith("."):
        return candidate
    return None


def resolve_model(config: Config, store: ModelStore) -> tuple[Path, str | None]:
    """(folder, gguf file name or None) of the configured model for torch: a registry name (its
    dequantised folder when prepared, else its GGUF) or a path."""
    name = config.llm.model
    candidate = model_path(name)
    if candidate is not None:
        if candidate.suffix == ".gguf":
            if not candidate.is_file():
                raise ModelError(f"llm.model: {candidate} does not exist.")
            return candidate.parent, candidate.name
        if candidate.is_dir():
            return candidate, None
        raise ModelError(f"llm.model: {candidate} is not a model folder or .gguf file.")
    entry = _chat_entry(store, name)
    if "gguf-to-hf" in entry.prepare:
        return store.artefact(entry, "gguf-to-hf"), None
    gguf = registry_gguf(store, name)
    if gguf is None:
        raise ModelError(f"llm.model: {name} is not prepared; run `assistant models prepare`.")
    return gguf.parent, gguf.name


def _chat_entry(store: ModelStore, name: str) -> ModelEntry:
    entry = store.entry(name)
    if entry.role != "llm":
        raise ModelError(f"llm.model: {name} is a {entry.role} model, not a chat model.")
    return entry


def registry_gguf(store: ModelStore, name: str) -> Path | None:
    """The GGUF file of a registry chat model (joined when it ships in parts), if ready."""
    from assistant.llm.prepare import gguf_file

    entry = _chat_entry(store, name)
    if "concat-gguf" in entry.prepare and not store.is_prepared(entry, "concat-gguf"):
        return None
    try:
        path = gguf_file(store, entry)
    except (ModelError, StopIteration):
        return None
    return path if path.is_file() else None


def gguf_path(config: Config, store: ModelStore) -> Path | None:
    """The configured model as a GGUF file for llama.cpp, or None when it has none."""
    candidate = model_path(config.llm.model)
    if candidate is not None:
        return candidate if candidate.suffix == ".gguf" and candidate.is_file() else None
    return registry_gguf(store, config.llm.model)


def llamacpp_installed() -> bool:
    return importlib.util.find_spec("xllamacpp") is not None


def onnx_runtime_installed() -> bool:
    return importlib.util.find_spec("onnxruntime_genai") is not None


def onnx_export_dir(config: Config, store: ModelStore) -> Path | None:
    """The prepared ONNX export of the configured model, or a configured ONNX folder; else None."""
    candidate = model_path(config.llm.model)
    if candidate is not None:
        return candidate if (candidate / "genai_config.json").is_file() else None
    entry = store.entry(config.llm.model)
    if entry.role == "llm" and store.is_prepared(entry, ONNX_STEP):
        return store.artefact_path(entry, ONNX_STEP)
    return None


def build_llm(
    config: Config,
    store: ModelStore | None = None,
    on_load: Callable[[str, float], None] | None = None,
    probe_cuda: Callable[[], bool] = cuda_present,
    on_notice: Callable[[str], None] | None = None,
) -> LanguageModel:
    """The configured backend (nothing loaded yet). ``on_notice`` hears that a model server
    failed and the local model answers instead (``llm.backend = openai`` with ``llm.fallback``)."""
    store = store or ModelStore()
    requested = config.llm.backend
    if requested == "fake":
        from assistant.llm.fake import FakeLanguageModel

        return FakeLanguageModel()
    if requested == "openai":
        from assistant.llm.fallback import build_openai_llm

        return build_openai_llm(
            config, lambda local: build_llm(local, store, on_load, probe_cuda), on_notice
        )
    threads = config.llm.threads or os.cpu_count() or 1
    local = requested in ("auto", "onnx", "llamacpp")
    onnx_dir = onnx_export_dir(config, store) if requested in ("auto", "onnx") else None
    onnx_ready = onnx_dir is not None and onnx_runtime_installed()
    gguf = gguf_path(config, store) if local else None
    gguf_ready = gguf is not None and llamacpp_installed()
    cuda = requested == "auto" and wants_cuda(config.llm.device, probe_cuda)
    measured = measured_speeds(store, config.llm.model) if requested == "auto" else {}
    backend = choose_backend(requested, cuda, onnx_ready, gguf_ready, measured)
    log.info(
        "LLM backend %s (requested %s, cuda %s, gguf %s, onnx export %s, measured %s)",
        backend,
        requested,
        cuda,
        gguf or "none",
        onnx_dir or "none",
        measured or "none",
    )
    if backend == "llamacpp":
        if gguf is None:
            raise ModelError(
                f"llm.backend = 'llamacpp' needs a GGUF model; {config.llm.model} has none "
                "(set llm.model to a .gguf file or a chat model from `assistant models`)."
            )
        from assistant.llm.llamacpp_backend import LlamaCppLanguageModel

        return LlamaCppLanguageModel(
            gguf,
            threads=threads,
            context_tokens=config.llm.context_tokens + config.llm.max_new_tokens + 64,
            on_load=on_load,
            name=Path(config.llm.model).name,
        )
    if backend == "onnx":
        if onnx_dir is None:
            raise ModelError(
                f"llm.backend = 'onnx' but {config.llm.model} has no ONNX export; "
                "run `assistant export-onnx` (make run does it)."
            )
        if config.llm.device == "cuda":
            raise ModelError(
                "the onnx backend runs on the CPU; set llm.device to auto or cpu, "
                "or llm.backend to torch for the GPU."
            )
        from assistant.llm.onnx_backend import OnnxLanguageModel

        return OnnxLanguageModel(
            onnx_dir,
            threads=threads,
            max_length=config.llm.context_tokens + config.llm.max_new_tokens,
            on_load=on_load,
            name=Path(config.llm.model).name,
        )
    from assistant.llm.torch_backend import TorchLanguageModel

    folder, gguf_name = resolve_model(config, store)
    return TorchLanguageModel(
        folder, gguf_name, device=config.llm.device, threads=threads, on_load=on_load
    )
