"""The one-folder app (PyInstaller, packaging/assistant.spec) builds, starts, answers --version,
prepares the chat model from its bundled GGUF into an empty cache, and answers typed questions
with the bundled default models, outside the source tree's virtual environment.

Slow: the build takes minutes (its time, the bundle size and the start-up time are written to
test-output/bundle.json). ASSISTANT_BUNDLE=<dist folder> tests an existing build instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "assistant.spec"


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _clean_env(home: Path) -> dict[str, str]:
    """A user session: no venv, no PYTHONPATH, private XDG folders, an empty model cache."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "OMP_NUM_THREADS": "2",
        "ASSISTANT_LLM_MAX_NEW_TOKENS": "24",
    }
    return env


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("ASSISTANT_BUNDLE")
    if given:
        return Path(given)
    if shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("PyInstaller is not installed (make package installs it)")
    dist = tmp_path_factory.mktemp("dist")
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "pyinstaller"),
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(ROOT / "build" / "pyinstaller"),
            str(SPEC),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    _record(build_seconds=round(time.perf_counter() - started, 1))
    return dist / "assistant"


def _record(**figures: object) -> None:
    out = ROOT / "test-output" / "bundle.json"
    out.parent.mkdir(exist_ok=True)
    known = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**known, **figures}, indent=2))


def _run(
    bundle: Path, args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bundle / "assistant"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=env["HOME"],
    )


@pytest.mark.slow
@pytest.mark.timeout(4800)
def test_bundle_starts_prepares_and_answers(bundle: Path, tmp_path: Path) -> None:
    from assistant import __version__

    env = _clean_env(tmp_path)
    started = time.perf_counter()
    version = _run(bundle, ["--version"], env)
    startup = time.perf_counter() - started
    assert version.returncode == 0 and version.stdout.strip() == f"assistant {__version__}"
    assert not (bundle / "_internal" / "nvidia").exists()
    assert not (bundle / "_internal" / "triton").exists()
    assert not list((bundle / "_internal").glob("libcudnn*"))

    from assistant.config import Config

    default = Config().llm.model
    listed = _run(bundle, ["models", "list"], env)
    assert listed.returncode == 0 and default in listed.stdout, listed.stderr

    started = time.perf_counter()
    prepared = _run(bundle, ["models", "prepare", default], env, timeout=1800)
    prepare_seconds = time.perf_counter() - started
    assert prepared.returncode == 0, prepared.stdout[-2000:] + prepared.stderr[-3000:]
    models = tmp_path / "cache" / "assistant" / "models"
    assert (models / f"{default}.gguf").stat().st_size > 1_000_000_000  # joined, checked

    started = time.perf_counter()
    answer = _run(bundle, ["ask", "--json", "What is the capital of France?"], env)
    ask_seconds = time.perf_counter() - started
    assert answer.returncode == 0, answer.stderr[-3000:]
    reply = json.loads(answer.stdout)
    assert "paris" in reply["reply"].lower() and reply["intent"] == "chat"

    command = _run(bundle, ["ask", "--json", "what is 12 times 7"], env)
    assert command.returncode == 0, command.stderr[-3000:]
    assert "84" in json.loads(command.stdout)["reply"]
    _record(
        size_bytes=_folder_size(bundle),
        version_startup_seconds=round(startup, 2),
        prepare_chat_model_seconds=round(prepare_seconds, 1),
        first_answer_seconds=round(ask_seconds, 2),
    )
