"""Chooses and builds the language-model backend from the config and the machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.config import Config
from assistant.errors import ModelError
from assistant.llm.base import LanguageModel
from assistant.model_store import ModelStore


def choose_backend(requested: str, cuda: bool, onnx_ready: bool) -> str:
    """``auto`` = CUDA torch when a GPU exists, else the ONNX export when prepared, else torch."""
    if requested != "auto":
        return requested
    if cuda:
        return "torch"
    return "onnx" if onnx_ready else "torch"


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


def build_llm(
    config: Config,
    store: ModelStore | None = None,
    on_load: Callable[[str, float], None] | None = None,
) -> LanguageModel:
    store = store or ModelStore()
    requested = config.llm.backend
    if requested == "fake":
        from assistant.llm.fake import FakeLanguageModel

        return FakeLanguageModel()
    from assistant.llm.torch_backend import TorchLanguageModel

    folder, gguf = resolve_model(config, store)
    device = config.llm.device
    if requested == "auto":
        from assistant.llm.torch_backend import cuda_available

        cuda = device != "cpu" and cuda_available()
        requested = choose_backend("auto", cuda, onnx_ready=False)
    return TorchLanguageModel(
        folder, gguf, device=device, threads=config.llm.threads, on_load=on_load
    )
