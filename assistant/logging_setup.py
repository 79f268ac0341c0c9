"""Logs go to a rotating file in the data directory; message text only with debug logging."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
from io import TextIOWrapper

from assistant import paths
from assistant.paths import ensure_private_dir


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every log file it opens (also after a rollover) is 0600."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        os.chmod(self.baseFilename, 0o600)
        return super()._open()


def setup_logging(level: str = "info", debug: bool = False) -> None:
    root = logging.getLogger()
    if any(getattr(h, "_assistant", False) for h in root.handlers):
        return
    root.setLevel(logging.DEBUG if debug else getattr(logging, level.upper(), logging.INFO))
    try:
        folder = ensure_private_dir(paths.log_dir())
        handler: logging.Handler = PrivateRotatingFileHandler(
            folder / "assistant.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()  # an unwritable data dir is reported by the store
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._assistant = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if debug:
        console = logging.StreamHandler()
        console.setLevel(logging.DEBUG)
        console._assistant = True  # type: ignore[attr-defined]
        root.addHandler(console)
    for noisy in ("urllib3", "filelock", "transformers", "numba", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def capture_native_stderr() -> None:
    """Lines that C libraries write to file descriptor 2 (ALSA's "underrun occurred",
    PortAudio's host-API errors, llama.cpp, onnxruntime) go to the log instead of the terminal;
    Python's own ``sys.stderr`` (our messages, tracebacks) still reaches the terminal."""
    if getattr(capture_native_stderr, "active", False):
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no usable stderr (a GUI launch): leave it
        return
    sys.stderr = open(saved, "w", buffering=1, encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    native = logging.getLogger("native")

    def forward() -> None:
        with open(read_end, "rb") as pipe:
            for line in pipe:
                text = line.decode("utf-8", "backslashreplace").rstrip()
                if text:
                    native.info("%s", text)

    threading.Thread(target=forward, name="native-stderr", daemon=True).start()
    capture_native_stderr.active = True  # type: ignore[attr-defined]
