"""Chooses and builds the language-model backend from the config and the machine.

``auto`` = torch on a CUDA GPU when one exists (half precision), else the ONNX export when it is
prepared (``assistant export-onnx``; ``make run`` prepares it), else torch on the CPU. Whether a
GPU exists is probed without importing torch first (torch's import costs seconds and memory the
ONNX path does not need): only a CUDA/ROCm build of torch on a machine with a GPU device node is
then asked ``torch.cuda.is_available()``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from assistant.config import Config
from assistant.errors import ModelError
from assistant.llm.base import LanguageModel
from assistant.model_store import ModelStore

log = logging.getLogger(__name__)

ONNX_STEP = "onnx-export"
GPU_DEVICE_NODES = ("/dev/nvidia0", "/dev/nvidiactl", "/dev/kfd", "/dev/dxg")
_TORCH_GPU_BUILD = re.compile(r"^(cuda|hip)\s*(:[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


def choose_backend(requested: str, cuda: bool, onnx_ready: bool) -> str:
    """``auto`` = CUDA torch when a GPU exists, else the ONNX export when prepared, else torch."""
    if requested != "auto":
        return requested
    if cuda:
        return "torch"
    return "onnx" if onnx_ready else "torch"


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


def resolve_model(config: Config, store: ModelStore) -> tuple[Path, str | None]:
    """(folder, gguf file name or None) of the configured model: a registry name or a path."""
    name = config.llm.model
    candidate = Path(name).expanduser()
    if candidate.suffix == ".gguf":
        if not candidate.is_file():
            raise ModelError(f"llm.model: {candidate} does not exist.")
        return candidate.parent, candidate.name
    if candidate.is_dir():
        return candidate, None
    if "/" in name or name.startswith("."):
        raise ModelError(f"llm.model: {candidate} is not a model folder or .gguf file.")
    entry = store.entry(name)
    if entry.role != "llm":
        raise ModelError(f"llm.model: {name} is a {entry.role} model, not a chat model.")
    return store.artefact(entry, "gguf-to-hf"), None


def onnx_runtime_installed() -> bool:
    return importlib.util.find_spec("onnxruntime_genai") is not None


def onnx_export_dir(config: Config, store: ModelStore) -> Path | None:
    """The prepared ONNX export of the configured model, or a configured ONNX folder; else None."""
    candidate = Path(config.llm.model).expanduser()
    if (candidate / "genai_config.json").is_file():
        return candidate
    if "/" in config.llm.model or candidate.suffix == ".gguf" or candidate.is_dir():
        return None
    entry = store.entry(config.llm.model)
    if entry.role == "llm" and store.is_prepared(entry, ONNX_STEP):
        return store.artefact_path(entry, ONNX_STEP)
    return None


def build_llm(
    config: Config,
    store: ModelStore | None = None,
    on_load: Callable[[str, float], None] | None = None,
    probe_cuda: Callable[[], bool] = cuda_present,
) -> LanguageModel:
    store = store or ModelStore()
    requested = config.llm.backend
    if requested == "fake":
        from assistant.llm.fake import FakeLanguageModel

        return FakeLanguageModel()
    threads = config.llm.threads or os.cpu_count() or 1
    onnx_dir = onnx_export_dir(config, store) if requested in ("auto", "onnx") else None
    onnx_ready = onnx_dir is not None and onnx_runtime_installed()
    cuda = requested == "auto" and wants_cuda(config.llm.device, probe_cuda)
    backend = choose_backend(requested, cuda, onnx_ready)
    log.info(
        "LLM backend %s (requested %s, cuda %s, onnx export %s)",
        backend,
        requested,
        cuda,
        onnx_dir or "none",
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

    folder, gguf = resolve_model(config, store)
    return TorchLanguageModel(
        folder, gguf, device=config.llm.device, threads=threads, on_load=on_load
    )
