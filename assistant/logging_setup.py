"""Logs go to a rotating file in the data directory; message text only with debug logging."""

from __future__ import annotations

import logging
import logging.handlers
import os

from assistant import paths
from assistant.paths import ensure_private_dir


def setup_logging(level: str = "info", debug: bool = False) -> None:
    root = logging.getLogger()
    if any(getattr(h, "_assistant", False) for h in root.handlers):
        return
    root.setLevel(logging.DEBUG if debug else getattr(logging, level.upper(), logging.INFO))
    try:
        folder = ensure_private_dir(paths.log_dir())
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            folder / "assistant.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        os.chmod(folder / "assistant.log", 0o600)
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
