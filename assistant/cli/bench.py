"""`assistant bench …`: benchmarks that print JSON (speed targets live here, not in tests)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import print_result


def register(subparsers: Any) -> None:
    bench = subparsers.add_parser("bench", help="measure speed and accuracy (JSON)")
    sub = bench.add_subparsers(dest="bench_command", metavar="WHAT", required=True)
    llm = sub.add_parser(
        "llm",
        help="torch, ONNX and llama.cpp side by side on the same prompts: load time, memory, "
        "time to first token (cold, next turn, prefilled), decode tokens/s",
    )
    llm.add_argument("--json", action="store_true", help="print only the JSON object")
    llm.add_argument(
        "--backend",
        choices=("torch", "onnx", "llamacpp"),
        action="append",
        help="measure only this backend (repeatable; default: all three)",
    )
    llm.add_argument("--model", help="chat model (default: the configured one)")
    llm.add_argument("--tokens", type=int, default=64, help="tokens to generate per run")
    llm.add_argument(
        "--one", action="store_true", help="measure the configured backend in this process"
    )
    llm.set_defaults(func=run_llm)
    everything = sub.add_parser(
        "all", help="every speed target in one JSON object (LLM, ASR, spoken turns, window, RAM)"
    )
    everything.add_argument("--json", action="store_true", help="print only the JSON object")
    everything.add_argument(
        "--clips",
        type=Path,
        default=None,
        help="folder of human speech WAVs with .txt transcripts "
        "(default: the clips `make speech-clips` fetched)",
    )
    everything.add_argument("-o", "--output", type=Path, help="also write the JSON here")
    everything.set_defaults(func=run_all)
    ocr = sub.add_parser("ocr", help="text in images: character error rate and time per image")
    ocr.add_argument(
        "directory", help="folder of images; NAME.txt beside NAME.png holds the expected text"
    )
    ocr.add_argument("--json", action="store_true", help="print only the JSON object")
    ocr.set_defaults(func=run_ocr)
    intents = sub.add_parser(
        "intents",
        help="intent accuracy, chat kept from commands, slots, "
        "sentiment agreement, latency per message",
    )
    intents.add_argument("file", help="labelled messages (JSONL: text, intent, slots, sentiment)")
    intents.add_argument(
        "--flows", help="also play these multi-turn flows (TOML, e.g. tests/data/flows.toml)"
    )
    intents.add_argument(
        "--llm",
        action="store_true",
        help="with the configured language model's structured parse when unsure (as the app)",
    )
    intents.add_argument("--json", action="store_true", help="print only the JSON object")
    intents.add_argument(
        "-o", "--output", type=Path, help="also write the full JSON report to this file"
    )
    intents.set_defaults(func=_run_intents)
    voice = sub.add_parser(
        "voice",
        help="spoken turns: end of speech → end of turn → "
        "transcript → first token → first audio (ms, p50/p90), and the "
        "end-of-turn silence trade-off",
    )
    voice.add_argument("directory", help="folder of .wav clips of speech (NAME.txt = transcript)")
    voice.add_argument("--json", action="store_true", help="print only the JSON object")
    voice.add_argument("--no-skills", action="store_true", help="skip the spoken-command turns")
    voice.add_argument("--no-sweep", action="store_true", help="skip the end-of-turn sweep")
    voice.add_argument(
        "--device",
        action="store_true",
        help="through a real (private) PulseAudio server: end of the fed speech → first reply "
        "sound on the speaker's monitor, beside the app's own figure; gaps, false barge-ins, "
        "interruptions",
    )
    voice.add_argument(
        "--conditions",
        default="silence,noise,speakers",
        help="with --device: microphone conditions, comma-separated "
        "(silence: digital zeros; noise: a headset in a room at -65 dBFS; speakers: "
        "the room plus the assistant's own voice at -10 dB)",
    )
    voice.add_argument(
        "--history",
        type=int,
        default=0,
        help="with --device: start each condition's conversation with this many earlier "
        "exchanges (latency must not grow with the conversation)",
    )
    voice.add_argument("-o", "--output", type=Path, help="also write the JSON here")
    voice.set_defaults(func=_run_voice)
    turn = sub.add_parser(
        "turn",
        help="end of turn: the acoustic model (Smart Turn) beside the transcript's verdict at "
        "real ends and at pauses mid-sentence, its time per call, backchannels",
    )
    turn.add_argument("directory", help="folder of .wav clips of speech (NAME.txt = transcript)")
    turn.add_argument("--json", action="store_true", help="print only the JSON object")
    turn.add_argument("-o", "--output", type=Path, help="also write the JSON here")
    turn.set_defaults(func=_run_turn)
    asr = sub.add_parser(
        "asr", help="speech recognition: word error rate and real-time factor per Whisper backend"
    )
    asr.add_argument(
        "directory",
        help="folder of audio clips; NAME.txt beside each holds the "
        "transcript (`python -m tests.speech_clips fetch` prints one)",
    )
    asr.add_argument("--json", action="store_true", help="print only the JSON object")
    asr.add_argument(
        "--backend",
        choices=("openai-whisper", "faster-whisper"),
        help="measure only this backend (default: all standard setups)",
    )
    asr.add_argument("--model", default="whisper-tiny-en", help="model of --backend")
    asr.add_argument("--beam-size", type=int, default=1, help="beam width of --backend")
    asr.add_argument("--compute-type", default="int8", help="faster-whisper weights")
    asr.add_argument("--repeat", type=int, default=1, help="runs per clip; the fastest counts")
    asr.set_defaults(func=_run_asr)
    _register_replies(sub)


def _register_replies(sub: Any) -> None:
    replies = sub.add_parser(
        "replies",
        help="reply quality through the real engine: facts, multi-turn memory, no invention, "
        "short spoken replies; several models side by side",
    )
    replies.add_argument(
        "--models",
        help="comma-separated models to run in turn (names from `assistant models` or paths; "
        "NAME@BACKEND picks the backend); default: the configured one",
    )
    replies.add_argument(
        "--model", action="append", default=[], help="a model to run (repeatable, like --models)"
    )
    replies.add_argument(
        "--backend",
        choices=("auto", "torch", "onnx", "llamacpp", "openai", "fake"),
        help="backend for every model without @BACKEND (default: the configured one)",
    )
    replies.add_argument(
        "--limit", type=int, help="only the first N cases of each category (of small talk: N turns)"
    )
    replies.add_argument("--set", type=Path, help="case file (default: the shipped replies.toml)")
    replies.add_argument("--json", action="store_true", help="print only the JSON object")
    replies.add_argument("-o", "--output", type=Path, help="also write the JSON here")
    replies.set_defaults(func=_run_replies)


def _run_voice(args: argparse.Namespace) -> int:
    from assistant.bench.voice import bench_voice
    from assistant.bench.voice_device import bench_voice_device

    def log(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr)

    if args.device:
        from assistant.logging_setup import capture_native_stderr

        if not getattr(args, "debug", False):
            capture_native_stderr()  # ALSA's "underrun occurred" goes to the log, as in listen
        conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
        result = bench_voice_device(
            Path(args.directory),
            conditions,
            skills=not args.no_skills,
            log=log,
            history=max(0, args.history),
        )
    else:
        result = bench_voice(
            Path(args.directory), skills=not args.no_skills, sweep=not args.no_sweep, log=log
        )
    if args.output:
        args.output.write_text(json.dumps(result, indent=2))
    print_result(result, args.json)
    return 0


def _run_turn(args: argparse.Namespace) -> int:
    from assistant.bench.turn import bench_turn

    def log(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr)

    result = bench_turn(Path(args.directory), log=log)
    if args.output:
        args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print_result(result, args.json)
    return 0


def _run_intents(args: argparse.Namespace) -> int:
    from assistant import config as config_module
    from assistant.bench.flows import flows_summary, run_flows
    from assistant.bench.intents import run, summary

    config = config_module.load()
    llm = None
    if args.llm:
        from assistant.llm.factory import build_llm

        llm = build_llm(config)
    report = run(Path(args.file), llm=llm)
    if args.flows:
        report["flows"] = run_flows(Path(args.flows), config, llm)
    if args.output:
        args.output.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if args.json:
        print_result(report, True)
    else:
        print(summary(report))
        if args.flows:
            print("\n".join(flows_summary(report["flows"])))
    return 0


def _run_asr(args: argparse.Namespace) -> int:
    from assistant import config as config_module
    from assistant.bench.asr import DEFAULT_SETUPS, AsrSetup, bench_asr

    config = config_module.load()
    setups = (
        [AsrSetup(args.backend, args.model, args.beam_size, args.compute_type)]
        if args.backend
        else list(DEFAULT_SETUPS)
    )
    progress = None if args.json else (lambda label: print(f"measuring {label} …", file=sys.stderr))
    result = bench_asr(Path(args.directory), config, setups, progress=progress, repeats=args.repeat)
    print_result(result, args.json)
    return 0


def run_llm(args: argparse.Namespace) -> int:
    from assistant import config as config_module
    from assistant.bench.llm import ALL_BACKENDS, bench_backend, bench_side_by_side
    from assistant.llm.factory import build_llm

    config = config_module.load()
    if args.model:
        config.llm.model = args.model
    if args.one:
        result = bench_backend(build_llm(config), tokens=args.tokens)
    else:
        result = bench_side_by_side(
            config.llm.model,
            args.backend or ALL_BACKENDS,
            tokens=args.tokens,
            log=None if args.json else (lambda text: print(text, file=sys.stderr, flush=True)),
        )
    print_result(result, args.json)
    return 0


def run_ocr(args: argparse.Namespace) -> int:
    from assistant import config as config_module
    from assistant.bench.ocr import bench_ocr
    from assistant.vision.ocr import RapidOcrReader

    config = config_module.load()
    result = bench_ocr(Path(args.directory), RapidOcrReader(config.vision.ocr_threads))
    print_result(result, args.json)
    return 0


def run_all(args: argparse.Namespace) -> int:
    from assistant.bench.all import bench_all

    result = bench_all(args.clips, log=lambda text: print(text, file=sys.stderr, flush=True))
    text = json.dumps(result, indent=None if args.json else 2, default=str)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


def _run_replies(args: argparse.Namespace) -> int:
    from assistant import config as config_module
    from assistant.bench.replies import bench_models, first_of_each, load_cases, side_by_side

    cases = load_cases(args.set)
    if args.limit is not None:
        cases = first_of_each(cases, max(args.limit, 0))
    models = [m.strip() for m in (args.models or "").split(",") if m.strip()] + args.model
    result = bench_models(
        models,
        config_module.load(),
        cases,
        backend=args.backend,
        log=None if args.json else (lambda text: print(text, file=sys.stderr, flush=True)),
    )
    if args.output:
        args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    if args.json:
        print_result(result, True)
    else:
        print(side_by_side(result["runs"]))
    return 0 if all("error" not in run for run in result["runs"]) else 1
