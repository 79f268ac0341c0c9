"""faster-whisper (CTranslate2): int8 on the CPU with a fixed thread count; reads the packaged
CTranslate2 folder directly (or the joined one of ``concat-ct2``). With ``short_window`` the
encoder only encodes the audio of each window (``short_window.py``)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.asr.openai_whisper_backend import TEMPERATURES
from assistant.asr.short_window import ShortWindowEncoder
from assistant.asr.whisper_core import Decoded, RawSegment
from assistant.errors import ModelError

log = logging.getLogger(__name__)


class FasterWhisperEngine:
    def __init__(
        self,
        folder: Path,
        device: str = "cpu",
        compute_type: str = "int8",
        beam_size: int = 1,
        threads: int = 0,
        label: str = "",
        short_window: bool = True,
    ) -> None:
        self.folder = folder
        self.label = label or folder.name
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.threads = threads or min(4, os.cpu_count() or 1)
        self.short_window = short_window
        self._model: Any = None
        self.load_seconds = 0.0

    @property
    def name(self) -> str:
        beam = "greedy" if self.beam_size <= 1 else f"beam {self.beam_size}"
        window = ", short window" if self.short_window else ""
        return f"faster-whisper {self.label} ({self.device} {self.compute_type}, {beam}{window})"

    @property
    def multilingual(self) -> bool:
        self.load()
        return bool(self._model.model.is_multilingual)

    def load(self) -> None:
        if self._model is not None:
            return
        started = time.perf_counter()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from faster_whisper import WhisperModel
        except ImportError as err:
            raise ModelError(
                f"faster-whisper is not installed ({err.name}); install it with "
                "`pip install faster-whisper` or set asr.backend = "
                "openai-whisper."
            ) from None
        if not (self.folder / "model.bin").is_file():
            raise ModelError(f"{self.folder} has no model.bin; run `assistant models prepare`.")
        try:
            self._model = WhisperModel(
                str(self.folder),
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=self.threads,
                num_workers=1,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as err:
            raise ModelError(f"cannot load the Whisper model in {self.folder} ({err}).") from None
        # measured safe on the English-only models; multilingual base repeats itself with it
        self.short_window = self.short_window and not self._model.model.is_multilingual
        if self.short_window:
            import ctranslate2

            encoder = ShortWindowEncoder(self._model.encode, ctranslate2.StorageView.from_array)
            encoder.silence(self._model.model.n_mels)
            self._model.encode = encoder  # faster-whisper calls self.encode for every window
        self.load_seconds = time.perf_counter() - started
        log.info("loaded %s in %.1f s", self.name, self.load_seconds)

    def decode(self, clip: np.ndarray, language: str | None) -> Decoded:
        self.load()
        segments, info = self._model.transcribe(
            clip,
            language=language,
            task="transcribe",
            beam_size=max(1, self.beam_size),
            best_of=max(1, self.beam_size),
            temperature=list(TEMPERATURES),
            condition_on_previous_text=False,
            no_speech_threshold=0.6,
            log_prob_threshold=-1.0,
            compression_ratio_threshold=2.4,
            vad_filter=False,
            without_timestamps=False,
        )
        raw = tuple(
            RawSegment(s.start, s.end, s.text, s.no_speech_prob, s.avg_logprob, s.compression_ratio)
            for s in segments
        )
        return Decoded(info.language or language or "en", raw)
