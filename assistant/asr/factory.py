"""Chooses and builds the speech recognizer from the config and the machine.

``auto`` = openai-whisper with fp16 on a CUDA GPU; on the CPU faster-whisper (CTranslate2 int8),
which gives the same words faster there. Measured with ``assistant bench asr`` on the 10 human
clips of the tests (34 s, 92 words; 2 threads, load average ~3, fastest of 2 runs), tiny.en:
openai-whisper greedy RTF 0.25, beam 5 RTF 0.40; faster-whisper int8 greedy RTF 0.17, float32
RTF 0.29; all WER 9.9 %. base (multilingual), faster-whisper int8: RTF 0.52, WER 8.8 %.
"""

from __future__ import annotations

import os
from pathlib import Path

from assistant.asr.base import FakeRecognizer, SpeechRecognizer
from assistant.asr.whisper_core import GateOptions, WhisperRecognizer
from assistant.config import Config
from assistant.errors import ModelError
from assistant.model_store import ModelStore

BACKENDS = ("openai-whisper", "faster-whisper")


def cuda_available() -> bool:
    """A GPU both CTranslate2 and torch can use (torch is imported only if CTranslate2 sees one)."""
    try:
        import ctranslate2

        if ctranslate2.get_cuda_device_count() == 0:
            return False
        import torch

        return bool(torch.cuda.is_available())
    except (ImportError, RuntimeError):
        return False


def choose_backend(requested: str, device: str) -> str:
    if requested != "auto":
        return requested
    cuda = device != "cpu" and cuda_available()
    return "openai-whisper" if cuda else "faster-whisper"


def resolve_model(model: str, backend: str, store: ModelStore) -> Path:
    """The checkpoint (openai-whisper) or CTranslate2 folder (faster-whisper) of ``model``."""
    candidate = Path(model).expanduser()
    if candidate.exists():
        if backend == "openai-whisper" and not candidate.is_file():
            raise ModelError(
                f"asr.model: openai-whisper needs a .pt checkpoint, {candidate} is a "
                "folder (use asr.backend = faster-whisper for CTranslate2 folders)."
            )
        if backend == "faster-whisper" and not (candidate / "model.bin").is_file():
            raise ModelError(
                f"asr.model: {candidate} is not a CTranslate2 Whisper folder (no model.bin)."
            )
        return candidate
    if "/" in model or model.startswith("."):
        raise ModelError(f"asr.model: {candidate} does not exist.")
    entry = store.entry(model)
    if entry.role != "asr":
        raise ModelError(f"asr.model: {model} is a {entry.role} model, not a Whisper model.")
    if backend == "openai-whisper":
        return store.artefact(entry, "ct2-to-openai-whisper")
    from assistant.asr.prepare import ct2_folder

    return ct2_folder(store, entry)


def gate_options(config: Config) -> GateOptions:
    return GateOptions(silence_dbfs=config.asr.silence_dbfs, vad_threshold=config.asr.vad_threshold)


def build_recognizer(
    config: Config, store: ModelStore | None = None, backend: str | None = None
) -> SpeechRecognizer:
    """The configured recognizer (``backend`` overrides ``asr.backend``); loads lazily."""
    asr = config.asr
    requested = backend or asr.backend
    if requested == "fake":
        return FakeRecognizer()
    if requested not in ("auto", *BACKENDS):
        raise ModelError(
            f"unknown ASR backend {requested!r}; choose auto, {', '.join(BACKENDS)} or fake."
        )
    store = store or ModelStore()
    chosen = choose_backend(requested, asr.device)
    path = resolve_model(asr.model, chosen, store)
    threads = asr.threads or min(4, os.cpu_count() or 1)
    label = Path(asr.model).name
    if chosen == "openai-whisper":
        from assistant.asr.openai_whisper_backend import OpenAIWhisperEngine

        engine: object = OpenAIWhisperEngine(
            path, device=asr.device, beam_size=asr.beam_size, threads=threads, label=label
        )
    else:
        from assistant.asr.faster_whisper_backend import FasterWhisperEngine

        cuda = asr.device == "cuda" and cuda_available()
        engine = FasterWhisperEngine(
            path,
            device="cuda" if cuda else "cpu",
            compute_type="float16" if cuda else asr.compute_type,
            beam_size=asr.beam_size,
            threads=threads,
            label=label,
            short_window=asr.short_window,
        )
    return WhisperRecognizer(engine, asr.language, gate_options(config))  # type: ignore[arg-type]
