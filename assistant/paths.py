"""Where things live on disk (XDG): config, data (database, logs), cache (prepared models).

``XDG_CONFIG_HOME``, ``XDG_DATA_HOME`` and ``XDG_CACHE_HOME`` are honoured so tests and users can
relocate everything. The data directory is private (0700) and its files 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "assistant"


def _base(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def config_dir() -> Path:
    return _base("XDG_CONFIG_HOME", ".config") / APP


def config_file() -> Path:
    return config_dir() / "config.toml"


def data_dir() -> Path:
    return _base("XDG_DATA_HOME", ".local/share") / APP


def cache_dir() -> Path:
    return _base("XDG_CACHE_HOME", ".cache") / APP


def models_cache_dir() -> Path:
    return cache_dir() / "models"


def database_file() -> Path:
    return data_dir() / "assistant.db"


def log_dir() -> Path:
    return data_dir() / "logs"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
