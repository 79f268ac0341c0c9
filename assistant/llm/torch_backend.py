"""The torch language-model backend (transformers): CUDA in half precision when present, else CPU.

Generation runs on a worker thread feeding a ``TextIteratorStreamer``; a ``StoppingCriteria``
polls the turn's cancel token after every token, so a cancel stops it within one token.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.cancel import CancelToken
from assistant.errors import ModelError
from assistant.llm.base import ChatMessage, GenerationOptions

log = logging.getLogger(__name__)


def offline_env() -> None:
    """Switch every hub client off before transformers is imported: nothing is downloaded."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[var] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass(frozen=True)
class DeviceChoice:
    device: str  # "cuda" or "cpu"
    dtype: str  # "float16" or "float32"


def choose_device(requested: str, cuda_available: bool) -> DeviceChoice:
    """``auto``: CUDA in half precision when a GPU exists, else the CPU in float32."""
    if requested == "cuda" and not cuda_available:
        raise ModelError("llm.device = 'cuda' but no CUDA GPU is available; set it to 'auto'.")
    if requested == "cuda" or (requested == "auto" and cuda_available):
        return DeviceChoice("cuda", "float16")
    return DeviceChoice("cpu", "float32")


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


class TorchLanguageModel:
    def __init__(
        self,
        model_dir: Path,
        gguf_file: str | None = None,
        device: str = "auto",
        threads: int = 0,
        on_load: Callable[[str, float], None] | None = None,
    ) -> None:
        self._dir = model_dir
        self._gguf = gguf_file
        self._requested_device = device
        self._threads = threads
        self._on_load = on_load
        self._model: Any = None
        self._tokenizer: Any = None
        self._choice: DeviceChoice | None = None
        self._load_lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def name(self) -> str:
        return self._gguf or self._dir.name

    @property
    def device(self) -> str:
        return self._choice.device if self._choice else "unloaded"

    @property
    def tokenizer(self) -> Any:
        self.load()
        return self._tokenizer

    def load(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            started = time.perf_counter()
            offline_env()
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            threads = self._threads or os.cpu_count() or 1
            torch.set_num_threads(threads)
            self._choice = choose_device(self._requested_device, torch.cuda.is_available())
            dtype = getattr(torch, self._choice.dtype)
            kwargs: dict[str, Any] = {"local_files_only": True}
            if self._gguf:
                kwargs["gguf_file"] = self._gguf
            try:
                self._tokenizer = AutoTokenizer.from_pretrained(self._dir, **kwargs)
                model = AutoModelForCausalLM.from_pretrained(self._dir, dtype=dtype, **kwargs)
            except Exception as err:  # OSError, ValueError, SafetensorError (damaged file) …
                raise ModelError(
                    f"cannot load the language model from {self._dir}: {_first_line(err)}; "
                    "run `assistant models verify` and `assistant models prepare`."
                ) from None
            model.to(self._choice.device)  # type: ignore[arg-type]
            self._model = model.eval()
            self.load_seconds = time.perf_counter() - started
            log.info("LLM %s loaded on %s in %.2f s", self.name, self.device, self.load_seconds)
            if self._on_load:
                self._on_load(self.name, self.load_seconds)

    def _encode(self, messages: Sequence[ChatMessage]) -> Any:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        return self._tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        self.load()
        return int(self._encode(messages)["input_ids"].shape[-1])

    def stream(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        self.load()
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        token = cancel or CancelToken()
        consumer_left = threading.Event()

        class _Cancelled(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                stop = token.cancelled or consumer_left.is_set()
                return torch.full(
                    (input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device
                )

        inputs = self._encode(messages).to(self._model.device)
        streamer = TextIteratorStreamer(
            self._tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=60.0
        )
        kwargs: dict[str, Any] = dict(
            **inputs,
            streamer=streamer,
            max_new_tokens=options.max_new_tokens,
            repetition_penalty=options.repetition_penalty,
            stopping_criteria=StoppingCriteriaList([_Cancelled()]),
            pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
        )
        if options.greedy:
            kwargs.update(do_sample=False, temperature=None, top_k=None, top_p=None)
        else:
            kwargs.update(
                do_sample=True,
                temperature=options.temperature,
                top_k=options.top_k or None,
                top_p=options.top_p,
            )
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(**kwargs)
            except BaseException as err:  # reported to the consumer below
                failure.append(err)
                streamer.end()

        worker = threading.Thread(target=run, name="llm-generate", daemon=True)
        worker.start()
        try:
            for piece in streamer:
                if token.cancelled:
                    break
                if piece:
                    yield piece
        finally:
            consumer_left.set()  # stops the worker at its next token if the consumer left early
            worker.join(timeout=5.0)
        if failure:
            raise ModelError(f"generation failed: {_first_line(failure[0])}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
