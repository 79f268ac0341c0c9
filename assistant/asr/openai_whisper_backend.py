"""openai-whisper (PyTorch), the reference implementation: CUDA with fp16 when present, else CPU
fp32. Reads the checkpoint the ``ct2-to-openai-whisper`` prepare step converts."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.asr.whisper_core import Decoded, RawSegment
from assistant.errors import ModelError

log = logging.getLogger(__name__)

# Temperature fallback: retried hotter only when a decode looks like a loop or is unsure.
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


class OpenAIWhisperEngine:
    def __init__(
        self,
        checkpoint: Path,
        device: str = "auto",
        beam_size: int = 1,
        threads: int = 0,
        label: str = "",
    ) -> None:
        self.checkpoint = checkpoint
        self.label = label or checkpoint.stem
        self.requested_device = device
        self.beam_size = beam_size
        self.threads = threads
        self.device = "cpu"
        self._model: Any = None
        self.load_seconds = 0.0

    @property
    def name(self) -> str:
        beam = "greedy" if self.beam_size <= 1 else f"beam {self.beam_size}"
        return f"openai-whisper {self.label} ({self.device}, {beam})"

    @property
    def multilingual(self) -> bool:
        self.load()
        return bool(self._model.is_multilingual)

    def load(self) -> None:
        if self._model is not None:
            return
        started = time.perf_counter()
        try:
            import torch
            import whisper
        except ImportError as err:
            raise ModelError(
                f"openai-whisper is not installed ({err.name}); install it with "
                "`pip install --no-deps openai-whisper` or set asr.backend = "
                "faster-whisper."
            ) from None
        cuda = self.requested_device in ("auto", "cuda") and torch.cuda.is_available()
        if self.requested_device == "cuda" and not cuda:
            log.warning("asr.device = cuda but no GPU is usable: using the CPU")
        self.device = "cuda" if cuda else "cpu"
        if self.threads and not cuda:
            torch.set_num_threads(self.threads)
        if not self.checkpoint.is_file():
            raise ModelError(f"{self.checkpoint} is missing; run `assistant models prepare`.")
        try:
            model = whisper.load_model(str(self.checkpoint), device=self.device)
        except (RuntimeError, KeyError, OSError) as err:
            raise ModelError(
                f"cannot load {self.checkpoint} ({err}); run `assistant models prepare --force`."
            ) from None
        self._model = model.half() if cuda else model
        self.load_seconds = time.perf_counter() - started
        log.info("loaded %s in %.1f s", self.name, self.load_seconds)

    def decode(self, clip: np.ndarray, language: str | None) -> Decoded:
        self.load()
        beam = self.beam_size if self.beam_size > 1 else None
        result = self._model.transcribe(
            clip,
            language=language,
            task="transcribe",
            fp16=self.device == "cuda",
            temperature=TEMPERATURES,
            beam_size=beam,
            best_of=beam,
            condition_on_previous_text=False,
            no_speech_threshold=0.6,
            logprob_threshold=-1.0,
            compression_ratio_threshold=2.4,
            verbose=None,
        )
        segments = tuple(
            RawSegment(
                float(s["start"]),
                float(s["end"]),
                s["text"],
                float(s["no_speech_prob"]),
                float(s["avg_logprob"]),
                float(s["compression_ratio"]),
            )
            for s in result["segments"]
        )
        return Decoded(str(result.get("language") or language or "en"), segments)
