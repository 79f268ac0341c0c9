"""`assistant bench all`: every speed target of the assistant in one JSON object, from one run.

Each part is measured by its own module (bench.llm, bench.asr, bench.voice); this one runs them in
order, adds the window start-up time and the resident memory with every default model loaded
(both in child processes, so this process's own imports do not count), and picks the headline
keys. Ratios compare two things measured in this same run, so a busy machine affects both.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.errors import AssistantError


def default_clips_dir() -> Path:
    """Where `make speech-clips` (python -m tests.speech_clips fetch) puts the human clips."""
    return paths.cache_dir() / "test-data" / "speech-clips"


def _llm_part(say: Callable[[str], None]) -> dict[str, Any]:
    """The configured model on every backend side by side, and the ONNX export's decode speed
    and greedy parity against torch on the model it is prepared for."""
    from assistant import config as config_module
    from assistant.bench.llm import bench_side_by_side, compare_onnx_torch
    from assistant.model_store import ModelStore

    store = ModelStore()
    name = config_module.load().llm.model
    compared: dict[str, Any] | None = None
    onnx_models = [e for e in store.entries() if e.role == "llm" and "onnx-export" in e.prepare]
    if onnx_models and store.is_prepared(onnx_models[0]):
        say(f"language model: ONNX vs torch ({onnx_models[0].name}) …")
        compared = compare_onnx_torch(
            store.artefact(onnx_models[0], "gguf-to-hf"),
            store.artefact(onnx_models[0], "onnx-export"),
        )
    side_by_side = bench_side_by_side(name, log=say)
    return {"compare": compared, "side_by_side": side_by_side}


def _asr_part(clips: Path, say: Callable[[str], None]) -> dict[str, Any]:
    from assistant import config as config_module
    from assistant.bench.asr import AsrSetup, bench_asr

    say("speech recognition: openai-whisper vs faster-whisper …")
    setups = (
        AsrSetup("openai-whisper", "whisper-tiny-en", 1),
        AsrSetup("faster-whisper", "whisper-tiny-en", 1, "int8", short_window=False),
        AsrSetup("faster-whisper", "whisper-tiny-en", 1, "int8"),
    )
    return bench_asr(clips, config_module.load(), setups, repeats=2)


def _voice_part(clips: Path, say: Callable[[str], None], count: int = 10) -> dict[str, Any]:
    from assistant.bench.voice import bench_voice

    say("spoken turns …")
    with tempfile.TemporaryDirectory() as tmp:  # the first clips (all 10 of the test set)
        for wav in sorted(clips.glob("*.wav"))[:count]:
            for part in (wav, wav.with_suffix(".txt")):
                if part.exists():
                    os.symlink(part, Path(tmp) / part.name)
        return bench_voice(Path(tmp), skills=True, sweep=False, log=say)


def window_shown_seconds(timeout_s: float = 60.0) -> float:
    """Start `assistant gui` offscreen with private data and read its logged start-up time."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            XDG_DATA_HOME=f"{tmp}/data",
            XDG_CONFIG_HOME=f"{tmp}/config",
            XDG_RUNTIME_DIR=f"{tmp}/run",
        )
        os.makedirs(f"{tmp}/run", mode=0o700)
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "gui"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        log = Path(tmp) / "data" / "assistant" / "logs" / "assistant.log"
        pattern = re.compile(r"window shown ([\d.]+) s after the process started")
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                found = pattern.search(log.read_text()) if log.exists() else None
                if found:
                    return float(found.group(1))
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        raise AssistantError(
            "the window did not report being shown within "
            f"{timeout_s:.0f} s; run `assistant gui --debug` to see why."
        )


def _resident_memory() -> dict[str, Any]:
    """Every default model loaded in a fresh process (LLM, Whisper, voice, VAD, MiniLM, OCR)."""
    out = subprocess.run(
        [sys.executable, "-m", "assistant.bench.all", "rss"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise AssistantError(f"the memory measurement failed: {out.stderr.strip()[-300:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _rss_of_this_process_tree() -> float:
    """Resident MiB of this process and its children (the ONNX model may run in a child)."""
    import psutil

    me = psutil.Process()
    total = me.memory_info().rss + sum(
        c.memory_info().rss for c in me.children(recursive=True) if c.is_running()
    )
    return round(total / 2**20, 1)


def load_all_models() -> dict[str, Any]:
    from assistant.app import build
    from assistant.asr.factory import build_recognizer
    from assistant.audio.vad import SileroVad
    from assistant.tts.factory import build_synthesizer

    app = build()
    app.warm_up()
    recognizer = build_recognizer(app.config, app.models)
    recognizer.load()
    synthesizer = build_synthesizer(app.config, app.models)
    if synthesizer is not None:
        synthesizer.load()
    SileroVad().load()
    reader_load = getattr(app.vision.reader, "load", None)
    if callable(reader_load):
        reader_load()
    return {
        "rss_mib": _rss_of_this_process_tree(),
        "llm": app.llm.name,
        "asr": recognizer.name,
        "tts": synthesizer.name if synthesizer else None,
    }


def bench_all(clips: Path | None = None, log: Callable[[str], None] | None = None) -> dict:
    say = log or (lambda text: None)
    clips = clips or default_clips_dir()
    if not any(clips.glob("*.wav")):
        raise AssistantError(
            f"no speech clips in {clips}; run `make speech-clips` (it fetches "
            "the human recordings of the pocketsphinx sources) or give --clips."
        )
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    llm = _llm_part(say)
    asr = _asr_part(clips, say)
    voice = _voice_part(clips, say)
    say("window start-up …")
    shown = window_shown_seconds()
    say("memory with every model loaded …")
    memory = _resident_memory()
    by_setup = {r["setup"]: r for r in asr["results"]}
    reference, full_window, fast = (by_setup[label] for label in by_setup)
    voice_p50 = {
        kind: voice.get(f"{kind}_turns", {}).get("latency_ms", {}).get("first_audio", {}).get("p50")
        for kind in ("skill", "llm")
    }
    compare = llm["compare"] or {}
    fastest = llm["side_by_side"]["fastest_decode"]
    chosen = llm["side_by_side"]["backends"].get(fastest, {}) if fastest else {}
    return {
        "machine": {"cpu_count": os.cpu_count(), "load_average_before": round(load_before, 2)},
        "onnx_vs_torch_decode_ratio": compare.get("onnx_vs_torch_decode_ratio"),
        "greedy_tokens_identical": compare.get("greedy_tokens_identical"),
        "llm_backend": fastest,
        "decode_tokens_per_s": chosen.get("decode_tokens_per_s"),
        "ttft_ms": chosen.get("ttft_500_next_turn_ms"),
        "ttft_500_cold_ms": chosen.get("ttft_500_cold_ms"),
        "asr_speedup": round(reference["rtf"] / max(fast["rtf"], 1e-9), 2),
        "asr_speedup_full_window": round(reference["rtf"] / max(full_window["rtf"], 1e-9), 2),
        "asr_wer": fast["wer"],
        "asr_wer_reference": reference["wer"],
        "skill_path_p50_ms": voice_p50["skill"],
        "llm_path_p50_ms": voice_p50["llm"],
        "window_shown_s": shown,
        "rss_mib": memory["rss_mib"],
        "seconds": round(time.perf_counter() - started, 1),
        "details": {"llm": llm, "asr": asr, "voice": voice, "memory": memory},
    }


if __name__ == "__main__" and sys.argv[1:] == ["rss"]:
    print(json.dumps(load_all_models()))
