"""Backend selection without a GPU: fake capabilities, a temporary model store, no loading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Config
from assistant.errors import ModelError
from assistant.llm.factory import (
    build_llm,
    choose_backend,
    cuda_present,
    measured_speeds,
    record_speeds,
    torch_gpu_build,
    wants_cuda,
)
from assistant.llm.llamacpp_backend import LlamaCppLanguageModel
from assistant.llm.onnx_backend import OnnxLanguageModel
from assistant.llm.torch_backend import DeviceChoice, TorchLanguageModel, choose_device
from assistant.model_store import ModelStore

MODEL = "smollm2-135m-instruct"


def no_gpu() -> bool:
    return False


def a_gpu() -> bool:
    return True


def store_with(tmp_path: Path, *steps: str) -> ModelStore:
    """A store whose cache claims the given prepare steps are done (empty stand-in folders)."""
    store = ModelStore(cache=tmp_path / "models")
    entry = store.entry(MODEL)
    for step in steps:
        folder = store.artefact_path(entry, step)
        folder.mkdir(parents=True)
        if step == "onnx-export":
            (folder / "genai_config.json").write_text(json.dumps({"model": {}}))
        store.record(entry, step, {})
    return store


@pytest.mark.parametrize(
    "requested,cuda,onnx_ready,gguf_ready,measured,expected",
    [
        ("auto", True, True, True, {}, "torch"),
        ("auto", True, False, False, {}, "torch"),
        ("auto", False, True, False, {}, "onnx"),
        ("auto", False, False, False, {}, "torch"),
        ("auto", False, True, True, {}, "llamacpp"),  # not measured yet: llama.cpp for a GGUF
        ("auto", False, True, True, {"onnx": 60.0, "llamacpp": 40.0}, "onnx"),
        ("auto", False, True, True, {"onnx": 42.0, "llamacpp": 85.0}, "llamacpp"),
        ("auto", False, False, True, {"onnx": 60.0, "llamacpp": 40.0}, "llamacpp"),  # onnx gone
        ("onnx", True, False, True, {}, "onnx"),
        ("torch", False, True, True, {}, "torch"),
        ("llamacpp", True, True, False, {}, "llamacpp"),
        ("fake", False, True, True, {}, "fake"),
    ],
)
def test_choose_backend(
    requested: str,
    cuda: bool,
    onnx_ready: bool,
    gguf_ready: bool,
    measured: dict[str, float],
    expected: str,
) -> None:
    assert choose_backend(requested, cuda, onnx_ready, gguf_ready, measured) == expected


def smollm2() -> Config:
    config = Config()
    config.llm.model = MODEL
    return config


def test_torch_on_cuda_runs_in_half_precision() -> None:
    assert choose_device("auto", True) == DeviceChoice("cuda", "float16")
    assert choose_device("auto", False) == DeviceChoice("cpu", "float32")
    assert choose_device("cpu", True) == DeviceChoice("cpu", "float32")
    with pytest.raises(ModelError, match="no CUDA GPU"):
        choose_device("cuda", False)


@pytest.mark.parametrize(
    "text,gpu",
    [
        (
            "__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\nhip: Optional[str] = None\n",
            False,
        ),
        ("__version__ = '2.13.0+cu128'\ncuda: Optional[str] = '12.8'\nhip = None\n", True),
        ("__version__ = '2.13.0+rocm6.4'\ncuda = None\nhip: Optional[str] = '6.4.1'\n", True),
    ],
)
def test_torch_gpu_build_is_read_from_version_py(text: str, gpu: bool) -> None:
    assert torch_gpu_build(text) is gpu


def test_this_cpu_only_machine_has_no_cuda() -> None:
    assert cuda_present() is False


def test_device_setting_decides_before_probing() -> None:
    def must_not_probe() -> bool:
        raise AssertionError("probed")

    assert wants_cuda("cpu", must_not_probe) is False
    assert wants_cuda("cuda", must_not_probe) is True
    assert wants_cuda("auto", a_gpu) is True and wants_cuda("auto", no_gpu) is False


def test_auto_without_gpu_picks_llamacpp_for_a_gguf_until_measured(tmp_path: Path) -> None:
    store = store_with(tmp_path, "gguf-to-hf", "onnx-export")
    llm = build_llm(smollm2(), store, probe_cuda=no_gpu)
    assert isinstance(llm, LlamaCppLanguageModel)
    assert llm.name == MODEL and llm.device == "unloaded"  # nothing loaded yet
    record_speeds(store, MODEL, {"onnx": 60.0, "llamacpp": 40.0})  # as `bench llm` does
    assert measured_speeds(store, MODEL) == {"onnx": 60.0, "llamacpp": 40.0}
    assert isinstance(build_llm(smollm2(), store, probe_cuda=no_gpu), OnnxLanguageModel)


def test_the_default_model_runs_from_its_joined_gguf(tmp_path: Path) -> None:
    store = ModelStore(cache=tmp_path / "models")
    entry = store.entry(Config().llm.model)
    assert entry.prepare == ("concat-gguf",)
    config = Config()
    config.llm.backend = "llamacpp"
    with pytest.raises(ModelError, match="needs a GGUF"):
        build_llm(config, store, probe_cuda=no_gpu)  # not joined yet
    joined = store.artefact_path(entry, "concat-gguf")
    joined.parent.mkdir(parents=True)
    joined.write_bytes(b"GGUF")
    store.record(entry, "concat-gguf", {})
    llm = build_llm(Config(), store, probe_cuda=no_gpu)
    assert isinstance(llm, LlamaCppLanguageModel) and llm.name == entry.name


def test_auto_with_gpu_picks_torch_on_cuda(tmp_path: Path) -> None:
    store = store_with(tmp_path, "gguf-to-hf", "onnx-export")
    llm = build_llm(smollm2(), store, probe_cuda=a_gpu)
    assert isinstance(llm, TorchLanguageModel)


def test_explicit_backends_ignore_the_gpu_and_the_measurements(tmp_path: Path) -> None:
    store = store_with(tmp_path, "gguf-to-hf", "onnx-export")
    config = smollm2()
    config.llm.device = "cpu"
    assert isinstance(build_llm(config, store, probe_cuda=a_gpu), LlamaCppLanguageModel)
    config.llm.backend = "onnx"
    assert isinstance(build_llm(config, store, probe_cuda=a_gpu), OnnxLanguageModel)
    config.llm.backend = "torch"
    assert isinstance(build_llm(config, store, probe_cuda=no_gpu), TorchLanguageModel)


def test_onnx_without_export_says_how_to_make_it(tmp_path: Path) -> None:
    config = Config()
    config.llm.backend = "onnx"
    with pytest.raises(ModelError, match="run `assistant export-onnx`"):
        build_llm(config, store_with(tmp_path, "gguf-to-hf"), probe_cuda=no_gpu)
    config.llm.model = MODEL
    with pytest.raises(ModelError, match="run `assistant export-onnx`"):
        build_llm(config, store_with(tmp_path / "b", "gguf-to-hf"), probe_cuda=no_gpu)


def test_onnx_on_cuda_is_refused(tmp_path: Path) -> None:
    config = smollm2()
    config.llm.backend, config.llm.device = "onnx", "cuda"
    with pytest.raises(ModelError, match="runs on the CPU"):
        build_llm(config, store_with(tmp_path, "gguf-to-hf", "onnx-export"), probe_cuda=a_gpu)


def test_a_configured_onnx_folder_is_used_directly(tmp_path: Path) -> None:
    folder = tmp_path / "my-model-onnx"
    folder.mkdir()
    (folder / "genai_config.json").write_text("{}")
    config = Config()
    config.llm.model = str(folder)
    llm = build_llm(config, ModelStore(cache=tmp_path / "models"), probe_cuda=no_gpu)
    assert isinstance(llm, OnnxLanguageModel) and llm.name == "my-model-onnx"


def test_auto_on_the_cpu_does_not_import_torch(tmp_path: Path) -> None:
    store_with(tmp_path, "gguf-to-hf", "onnx-export")
    code = (
        "import sys; from pathlib import Path\n"
        "from assistant.config import Config\n"
        "from assistant.llm.factory import build_llm\n"
        "from assistant.model_store import ModelStore\n"
        f"config = Config(); config.llm.model = {MODEL!r}\n"
        f"llm = build_llm(config, ModelStore(cache=Path({str(tmp_path / 'models')!r})))\n"
        "print(type(llm).__name__, 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert out == ["LlamaCppLanguageModel", "False"]
