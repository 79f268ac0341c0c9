"""`assistant transcribe FILE…` and `assistant say "…"`: the speech stages on files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json
from assistant.errors import AssistantError, ConfigError, DeviceError


def register(subparsers: Any) -> None:
    tr = subparsers.add_parser(
        "transcribe", help="speech to text from audio files (wav, flac, ogg, mp3, m4a …)"
    )
    tr.add_argument("files", nargs="+", metavar="FILE")
    tr.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per file: text, "
        "language, segments, audio_seconds, compute_seconds, rtf",
    )
    tr.add_argument(
        "--backend",
        choices=("auto", "openai-whisper", "faster-whisper"),
        help="override asr.backend",
    )
    tr.add_argument("--model", help="override asr.model (e.g. whisper-base for other languages)")
    tr.add_argument(
        "--language", help="spoken language (ISO 639-1) or auto (override asr.language)"
    )
    tr.set_defaults(func=run_transcribe)

    say = subparsers.add_parser("say", help="speak a text (or write it to a WAV file)")
    say.add_argument("text", nargs="?", help="what to say")
    say.add_argument("-o", "--output", type=Path, help="write a WAV file instead of playing")
    say.add_argument("--voice", help="voice id (see --list-voices); for Piper a .onnx path")
    say.add_argument(
        "--backend", choices=("auto", "piper", "espeak", "pyttsx3"), help="override tts.backend"
    )
    say.add_argument("--rate", type=float, help="speaking rate, 0.5 to 2 (1 = normal)")
    say.add_argument("--list-voices", action="store_true", help="list the voices and exit")
    say.set_defaults(func=run_say)


def run_transcribe(args: argparse.Namespace) -> int:
    from assistant import config as config_module
    from assistant.asr.audio_file import read_blocks
    from assistant.asr.factory import build_recognizer
    from assistant.asr.whisper_core import join, transcribe_blocks

    config = config_module.load()
    if args.model:
        config.asr.model = args.model
    if args.language:
        config.asr.language = args.language
    recognizer = build_recognizer(config, backend=args.backend)
    recognizer.load()  # so compute_seconds and rtf measure transcription only
    failed = 0
    for name in args.files:
        try:
            windows = transcribe_blocks(recognizer, read_blocks(name), config.asr.language)
            result = join(windows)
        except AssistantError as err:
            failed += 1
            print(f"assistant: {err}", file=sys.stderr)
            continue
        if args.json:
            print_json(
                {
                    "file": name,
                    "backend": recognizer.name,
                    "text": result.text,
                    "language": result.language,
                    "segments": [
                        {"start": s.start, "end": s.end, "text": s.text} for s in result.segments
                    ],
                    "audio_seconds": round(result.audio_seconds, 3),
                    "compute_seconds": round(result.compute_seconds, 3),
                    "rtf": round(result.compute_seconds / max(result.audio_seconds, 1e-9), 3),
                }
            )
        elif len(args.files) > 1:
            print(f"{name}: {result.text}", flush=True)
        else:
            print(result.text, flush=True)
    return 6 if failed else 0


def run_say(args: argparse.Namespace) -> int:
    from assistant import config as config_module
    from assistant.tts.factory import build_synthesizer

    config = config_module.load()
    if args.voice is not None:
        config.tts.voice = args.voice
    if args.rate is not None:
        if not 0.5 <= args.rate <= 2.0:
            raise ConfigError(f"--rate {args.rate} is out of range; use 0.5 to 2.")
        config.tts.rate = args.rate
    backend = args.backend or (None if config.tts.backend != "none" else "auto")
    synthesizer = build_synthesizer(config, backend=backend)
    assert synthesizer is not None  # "none" was replaced by auto above
    if args.list_voices:
        for voice in synthesizer.voices():
            print(f"{voice.id}\t{voice.language}\t{voice.name}")
        return 0
    text = args.text if args.text is not None else sys.stdin.read()
    if not text.strip():
        raise ConfigError("nothing to say: give a text (or pipe one in).")
    audio = synthesizer.synthesize(text)
    if args.output:
        import soundfile as sf

        args.output.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(args.output), audio, synthesizer.sample_rate, subtype="PCM_16")
        print(
            f"wrote {args.output} ({len(audio) / synthesizer.sample_rate:.1f} s, "
            f"{synthesizer.name})"
        )
        return 0
    play(audio, synthesizer.sample_rate)
    return 0


def play(audio: Any, rate: int) -> None:
    """Play through sounddevice's default output; DeviceError suggesting -o when there is none."""
    hint = "write a file instead with -o out.wav"
    try:
        import sounddevice as sd
    except (ImportError, OSError) as err:
        raise DeviceError(f"cannot play sound ({err}); {hint}.") from None
    try:
        sd.check_output_settings(samplerate=rate, channels=1, dtype="float32")
        sd.play(audio, rate)
        sd.wait()
    except (sd.PortAudioError, ValueError) as err:
        raise DeviceError(f"no sound output device ({str(err).splitlines()[0]}); {hint}.") from None
