"""One way to open an ONNX model under onnxruntime on the CPU (VAD, voice, end of turn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import ModelError


def cpu_session(path: str | Path, threads: int, what: str, hint: str = "") -> Any:
    """An ``onnxruntime.InferenceSession`` of ``path`` with ``threads`` intra-op threads (one
    inter-op, none spinning), quiet logs; a ModelError naming ``what`` (and ``hint``) when it
    cannot load."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ModelError("onnxruntime is not installed: `pip install onnxruntime`.") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # threads sleep between operations instead of spinning: beside the language model on two
    # cores a spinning voice took its cores (a Piper sentence 303 ms instead of 201 ms)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as err:  # onnxruntime raises its own untyped errors
        raise ModelError(f"cannot load {what} {path}: {err}{hint}.") from None
