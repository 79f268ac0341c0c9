"""The neural Piper voice (en_US joe, medium) run with onnxruntime, without piper-tts (GPL).

Phonemes come from the ``espeak-ng`` program (a subprocess: GPL-3, never linked), one line per
clause; the clause punctuation espeak drops is put back (it shapes the intonation), the IPA is
NFD-normalised and mapped through the voice's ``phoneme_id_map`` as ``^ _ p1 _ p2 _ … $``.
Each sentence is one ONNX call (``input``, ``input_lengths``, ``scales``) → float32 at 22,050 Hz.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelError
from assistant.onnx_session import cpu_session
from assistant.tts.base import Voice
from assistant.tts.espeak_voice import run_espeak

log = logging.getLogger(__name__)

# A clause: text up to punctuation that is followed by a space or the end ("3.5" stays whole).
_CLAUSE = re.compile(r"(.+?)([.,;:!?…]+)(?=\s|$)|(.+?)$", re.S)
_SENTENCE_END = set(".!?…")
_GAP = 0.12  # seconds of silence between sentences


def clauses(text: str) -> list[tuple[str, str]]:
    """(words, punctuation) of each clause of ``text``."""
    found = []
    for m in _CLAUSE.finditer(" ".join(text.split())):
        words = (m.group(1) or m.group(3) or "").strip()
        if words:
            found.append((words, m.group(2) or ""))
    return found


# Two threads: a short sentence in ~90 ms instead of ~135 ms on two cores, and beside the
# language model no slower than one (its threads do not spin; see ``cpu_session``)
VOICE_THREADS = min(2, os.cpu_count() or 1)


class PiperSynthesizer:
    def __init__(
        self,
        model: Path,
        config: Path | None = None,
        rate: float = 1.0,
        volume: float = 1.0,
        threads: int = VOICE_THREADS,
    ) -> None:
        self.model_path = model
        self.config_path = config or model.with_name(model.name + ".json")
        self.rate = rate
        self.volume = volume
        self.threads = threads
        self._session: Any = None
        self._config: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.load_seconds = 0.0

    @property
    def name(self) -> str:
        return f"piper {self.model_path.stem}"

    @property
    def sample_rate(self) -> int:
        self.load()
        return int(self._config["audio"]["sample_rate"])

    def voices(self) -> list[Voice]:
        self.load()
        language = self._config.get("language", {}).get("code", "en_US")
        return [Voice(self.model_path.stem, f"Piper {self.model_path.stem}", language)]

    def load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            started = time.perf_counter()
            try:
                self._config = json.loads(self.config_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise ModelError(
                    f"cannot read the Piper voice config {self.config_path}: {err}."
                ) from None
            self._session = cpu_session(self.model_path, self.threads, "the Piper voice")
            self.load_seconds = time.perf_counter() - started

    def phonemes(self, text: str) -> list[str]:
        """IPA of each sentence of ``text`` (with the clause punctuation kept)."""
        self.load()
        found = clauses(text)
        if not found:
            return []
        voice = self._config.get("espeak", {}).get("voice", "en-us")
        lines = [
            line.strip()
            for line in run_espeak(["-q", "--ipa", "-v", voice], "\n".join(w + p for w, p in found))
            .decode("utf-8")
            .splitlines()
            if line.strip()
        ]
        if len(lines) != len(found):  # espeak split differently: keep only the final stop
            end = found[-1][1] or "."
            return [" ".join(lines) + end]
        sentences, current = [], ""
        for ipa, (_, punct) in zip(lines, found, strict=True):
            current += ipa + punct[:1] + " "
            if set(punct) & _SENTENCE_END:
                sentences.append(current.strip())
                current = ""
        if current.strip():
            sentences.append(current.strip())
        return sentences

    def phoneme_ids(self, ipa: str) -> np.ndarray:
        table: dict[str, list[int]] = self._config["phoneme_id_map"]
        ids = [*table["^"], *table["_"]]
        for ch in unicodedata.normalize("NFD", ipa):
            if ch in table:
                ids += [*table[ch], *table["_"]]
        ids += table["$"]
        return np.asarray([ids], dtype=np.int64)

    def synthesize(self, text: str) -> np.ndarray:
        sentences = self.phonemes(text)
        inference = self._config.get("inference", {})
        scales = np.asarray(
            [
                inference.get("noise_scale", 0.667),
                inference.get("length_scale", 1.0) / self.rate,
                inference.get("noise_w", 0.8),
            ],
            dtype=np.float32,
        )
        gap = np.zeros(int(_GAP * self.sample_rate), dtype=np.float32)
        pieces: list[np.ndarray] = []
        for ipa in sentences:
            ids = self.phoneme_ids(ipa)
            with self._lock:
                audio = self._session.run(
                    None,
                    {
                        "input": ids,
                        "input_lengths": np.asarray([ids.shape[1]], dtype=np.int64),
                        "scales": scales,
                    },
                )[0]
            if pieces:
                pieces.append(gap)
            pieces.append(np.asarray(audio, dtype=np.float32).reshape(-1))
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        return np.clip(np.concatenate(pieces) * self.volume, -1.0, 1.0)
