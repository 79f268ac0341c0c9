"""Settings: one dataclass per section, a commented TOML file, environment overrides.

Each field carries its help text and its allowed values in ``metadata``; the commented default
file, the validation messages and ``assistant config show`` all come from that one place.

Environment overrides: ``ASSISTANT_<SECTION>_<KEY>`` (e.g. ``ASSISTANT_LLM_TEMPERATURE=0.2``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.errors import ConfigError


def opt(
    default: Any,
    help: str,
    choices: tuple[Any, ...] | None = None,
    lo: float | None = None,
    hi: float | None = None,
) -> Any:
    """A config field with its help text and allowed values."""
    meta = {"help": help, "choices": choices, "lo": lo, "hi": hi}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class AssistantSection:
    name: str = opt("Aria", "The assistant's name, used in its persona.")
    persona: str = opt(
        "You are {name}, a friendly, concise voice assistant running entirely offline on the "
        "user's desktop. Your replies are spoken aloud: answer in one or two short sentences "
        "unless asked for more, with no lists, markdown or formulas: give the result.\n"
        "You are software: you have no body, family, hobbies, tastes, weekends or memories "
        "beyond this conversation and the facts listed here, and you don't know who made you. "
        "Never invent anything about yourself or the user. Asked about your life or tastes, say "
        "so in a few kind words (never 'As an AI') and turn back to the user. If you are not "
        "sure of a fact, say you are not sure. If a message is only a fragment or unclear, say "
        "you are not sure what they mean and ask.\n"
        "Examples:\n"
        "User: seven of clubs\n"
        '{name}: I\'m not sure what you mean by "seven of clubs". Are you playing cards?\n'
        "User: what did you do yesterday?\n"
        "{name}: Nothing, I'm only here while we talk. How was your day?\n"
        "User: do you like music?\n"
        "{name}: I can't hear music myself, but I'd love to know what you listen to.\n"
        "User: where did you grow up?\n"
        "{name}: I didn't grow up anywhere, I'm software on your computer.\n"
        "User: who made you?\n"
        "{name}: I don't know who trained the model I run on. I'm an assistant on your computer.\n"
        "User: what's my dog's name?\n"
        "{name}: You haven't told me your dog's name yet.",
        "System prompt persona; {name} is replaced by the name.",
    )
    language: str = opt("en", "Language of conversation (ISO 639-1 code).")


@dataclass
class LLMSection:
    backend: str = opt(
        "auto",
        "Language model backend: auto = CUDA torch if a GPU exists, else on the CPU the faster "
        "of llama.cpp (GGUF models) and the ONNX export, else torch; openai = a server you run "
        "(Ollama, llama.cpp, vLLM, LM Studio) at llm.base_url.",
        choices=("auto", "torch", "onnx", "llamacpp", "openai", "fake"),
    )
    model: str = opt(
        "qwen2.5-coder-1.5b-instruct",
        "A model name from `assistant models`, or a path "
        "to a local Hugging Face model folder or a .gguf file.",
    )
    device: str = opt(
        "auto", "auto picks CUDA when present, else the CPU.", choices=("auto", "cpu", "cuda")
    )
    temperature: float = opt(0.3, "Sampling temperature; 0 = greedy.", lo=0.0, hi=2.0)
    top_k: int = opt(40, "Sample from the k most likely tokens (0 = off).", lo=0, hi=1000)
    top_p: float = opt(0.9, "Nucleus sampling threshold.", lo=0.0, hi=1.0)
    repetition_penalty: float = opt(1.1, "Penalty for repeating tokens (1 = off).", lo=1.0, hi=2.0)
    max_new_tokens: int = opt(160, "Longest reply, in tokens.", lo=1, hi=4096)
    context_tokens: int = opt(
        1536, "Token budget of the prompt (system prompt + history).", lo=128, hi=32768
    )
    threads: int = opt(0, "CPU threads for the model (0 = number of cores).", lo=0, hi=256)
    base_url: str = opt(
        "",
        "OpenAI-compatible server for llm.backend = openai, e.g. http://localhost:11434/v1 "
        "(Ollama) or http://gpu-box:8000/v1 (vLLM). Only used with that backend.",
    )
    server_model: str = opt(
        "",
        "Model name to ask the server for (e.g. llama3.2:3b for Ollama); empty = the first "
        "model the server lists.",
    )
    api_key_env: str = opt(
        "",
        "Name of the environment variable holding the server's API key (the key itself is "
        "never stored in this file); empty = no key.",
    )
    timeout_s: float = opt(
        30.0, "Seconds to wait for the server to connect or send the next piece.", lo=1, hi=600
    )
    fallback: bool = opt(
        True,
        "When the server fails, let the local model answer instead (with a notice).",
    )


@dataclass
class MemorySection:
    retention_days: int = opt(
        0, "Delete conversations older than this many days (0 = keep).", lo=0, hi=36500
    )


@dataclass
class LoggingSection:
    level: str = opt(
        "info",
        "Log level of the rotating log file in the data directory.",
        choices=("debug", "info", "warning", "error"),
    )
    log_message_text: bool = opt(False, "Write message text into the log (debugging only).")


@dataclass
class AudioSection:
    input_device: str = opt(
        "",
        "Microphone: a name (or part of it) or an index from "
        "`assistant devices`; empty = the system default.",
    )
    output_device: str = opt("", "Speaker, chosen like input_device.")
    end_of_turn_silence_ms: int = opt(
        800,
        "Silence that ends the user's turn, in ms (shorter answers sooner but cuts "
        "people who pause mid-sentence; `assistant bench voice` measures both).",
        lo=200,
        hi=3000,
    )
    early_end_of_turn_ms: int = opt(
        96,
        "A pause this long ends the turn at once when the words heard so far read as a "
        'finished request ("What time is it?", not "Set a timer for"); 0 = always wait '
        "for end_of_turn_silence_ms. Speaking on within that silence joins the two parts (needs "
        "echo cancellation, so that the user is heard over the reply).",
        lo=0,
        hi=3000,
    )
    turn_model: str = opt(
        "smart-turn",
        "Acoustic end-of-turn model beside the transcript's verdict: smart-turn = Smart Turn "
        "v3.2 hears whether the voice sounds finished (fewer users cut mid-sentence, "
        "~0.1 s of CPU a pause; `assistant bench turn` measures it); off = the words alone.",
        choices=("smart-turn", "off"),
    )
    barge_in: bool = opt(True, "Let the user interrupt a spoken reply by talking.")
    barge_in_ms: int = opt(
        200,
        "Speech over a reply that pauses it, in ms; its words then decide: a backchannel "
        "('mm-hmm', 'yeah') lets it go on, anything else interrupts it.",
        lo=100,
        hi=3000,
    )
    echo_cancellation: str = opt(
        "auto",
        "Removes the assistant's own voice from the "
        "microphone: auto = WebRTC AEC3 if installed, else off "
        "(then no barge-in by voice while it speaks).",
        choices=("auto", "webrtc", "off"),
    )
    min_speech_ms: int = opt(
        250, "Shorter sounds (coughs, clicks) are not a turn, in ms.", lo=0, hi=3000
    )
    pre_roll_ms: int = opt(300, "Audio kept before detected speech, in ms.", lo=0, hi=2000)


@dataclass
class ASRSection:
    backend: str = opt(
        "auto",
        "Speech recognition backend: auto = openai-whisper on a CUDA GPU, else faster-whisper "
        "(CTranslate2 int8, faster on the CPU at the same accuracy).",
        choices=("auto", "openai-whisper", "faster-whisper", "fake"),
    )
    model: str = opt(
        "whisper-tiny-en",
        "Whisper model name from `assistant models` "
        "(whisper-base for other languages), or a local path.",
    )
    language: str = opt("en", "Spoken language (ISO 639-1), or auto to detect it.")
    device: str = opt(
        "auto",
        "auto = CUDA when present (openai-whisper, fp16), else the CPU.",
        choices=("auto", "cpu", "cuda"),
    )
    beam_size: int = opt(
        1,
        "Beam search width; 1 = greedy (fastest; same accuracy on tiny.en in our measurements).",
        lo=1,
        hi=10,
    )
    compute_type: str = opt(
        "int8",
        "faster-whisper weights on the CPU: int8 (fast) or float32.",
        choices=("int8", "float32", "int8_float32"),
    )
    threads: int = opt(0, "CPU threads for speech recognition (0 = up to 4).", lo=0, hi=64)
    short_window: bool = opt(
        True,
        "faster-whisper, English-only models: encode only the audio of Whisper's 30-s window "
        "and reuse a cached encoding of silence for the rest (about 3× faster on short turns, "
        "same words).",
    )
    silence_dbfs: float = opt(
        -50.0,
        "Audio quieter than this (loudest 30 ms, dBFS) is silence and is not transcribed.",
        lo=-90.0,
        hi=-10.0,
    )
    vad_threshold: float = opt(
        0.5, "Silero speech probability above which audio is speech.", lo=0.05, hi=0.95
    )


@dataclass
class TTSSection:
    backend: str = opt(
        "auto",
        "Voice: auto = the neural voice if present, else espeak.",
        choices=("auto", "piper", "pyttsx3", "espeak", "none"),
    )
    voice: str = opt("", "Voice name or id (see `assistant say --list-voices`); empty = default.")
    rate: float = opt(1.0, "Speaking rate, 1 = normal.", lo=0.5, hi=2.0)
    volume: float = opt(1.0, "Volume from 0 to 1.", lo=0.0, hi=1.0)
    muted: bool = opt(False, "Show replies without speaking them.")


@dataclass
class UISection:
    theme: str = opt("system", "Window theme.", choices=("system", "light", "dark"))
    hotkey: str = opt("<ctrl>+<alt>+<space>", "Global hotkey that opens the query popup.")
    mic_mode: str = opt(
        "toggle", "Mic button: click to toggle, or hold to talk.", choices=("toggle", "hold")
    )
    close_to_tray: bool = opt(True, "Closing the window keeps the assistant in the tray.")
    start_minimised: bool = opt(False, "Start hidden in the tray.")
    capture_hotkey: str = opt(
        "<ctrl>+<alt>+s",
        "Global hotkey that captures the screen (or a region you drag) and asks about it.",
    )


@dataclass
class VisionSection:
    ocr_threads: int = opt(2, "CPU threads for text recognition in images.", lo=1, hi=64)
    max_side: int = opt(
        2000,
        "Images larger than this many pixels a side are scaled down before their text is read.",
        lo=320,
        hi=8000,
    )
    context_tokens: int = opt(
        600,
        "Most tokens of image text put into the prompt; longer text "
        "keeps the parts most relevant to the question.",
        lo=50,
        hi=16384,
    )


@dataclass
class SkillsSection:
    apps: dict = opt(
        {},
        "Applications `open …` may launch: name = [command, arguments …] "
        '(run without a shell), e.g. editor = ["gedit"]. Added to the desktop\'s '
        "installed applications.",
    )
    desktop_apps: bool = opt(
        True, "Also allow the applications installed on the desktop (.desktop entries)."
    )
    intent_threshold: float = opt(
        0.58,
        "How sure intent detection must be before a message "
        "is taken as a command rather than chat.",
        lo=0.0,
        hi=1.0,
    )
    llm_parse: str = opt(
        "local",
        "When intent detection is unsure, ask the language model for a structured parse: "
        "local = only a model on this computer (with a model server, commands never leave); "
        "on = also a model server (those messages are then sent to it); off = never. "
        "~1-3 s a parse on a 2-core CPU, for about one message in four.",
        choices=("local", "on", "off"),
    )


SECTIONS: dict[str, type] = {
    "assistant": AssistantSection,
    "llm": LLMSection,
    "asr": ASRSection,
    "tts": TTSSection,
    "audio": AudioSection,
    "ui": UISection,
    "memory": MemorySection,
    "logging": LoggingSection,
    "vision": VisionSection,
    "skills": SkillsSection,
}


@dataclass
class Config:
    assistant: AssistantSection = field(default_factory=AssistantSection)
    llm: LLMSection = field(default_factory=LLMSection)
    asr: ASRSection = field(default_factory=ASRSection)
    tts: TTSSection = field(default_factory=TTSSection)
    audio: AudioSection = field(default_factory=AudioSection)
    ui: UISection = field(default_factory=UISection)
    memory: MemorySection = field(default_factory=MemorySection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    vision: VisionSection = field(default_factory=VisionSection)
    skills: SkillsSection = field(default_factory=SkillsSection)
    source: Path | None = None

    def section(self, name: str) -> Any:
        return getattr(self, name)


def _describe_allowed(f: dataclasses.Field[Any]) -> str:
    m = f.metadata
    if m.get("choices"):
        return "one of " + ", ".join(repr(c) for c in m["choices"])
    kind = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        _field_type(f), "a value"
    )
    if m.get("lo") is not None and m.get("hi") is not None:
        return f"{kind} from {m['lo']} to {m['hi']}"
    return kind


def _field_type(f: dataclasses.Field[Any]) -> type:
    if f.default is not dataclasses.MISSING:
        return type(f.default)
    factory: Any = f.default_factory
    return type(factory())


def _coerce(section: str, f: dataclasses.Field[Any], value: Any) -> Any:
    key = f"{section}.{f.name}"
    want = _field_type(f)
    bad = ConfigError(f"config: {key} = {value!r} is not valid; it must be {_describe_allowed(f)}.")
    if isinstance(value, str) and want is not str:
        text = value.strip().lower()
        try:
            if want is bool:
                if text not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise bad
                value = text in ("true", "1", "yes", "on")
            elif want is int:
                value = int(text)
            elif want is float:
                value = float(text)
        except ValueError:
            raise bad from None
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if want is bool and not isinstance(value, bool):
        raise bad
    if want in (int, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise bad
    if want is str and not isinstance(value, str):
        raise bad
    if want is list and not isinstance(value, list):
        raise bad
    if want is dict and not isinstance(value, dict):
        raise bad
    m = f.metadata
    if m.get("choices") and value not in m["choices"]:
        raise bad
    if m.get("lo") is not None and value < m["lo"]:
        raise bad
    if m.get("hi") is not None and value > m["hi"]:
        raise bad
    return value


def _build_section(name: str, values: dict[str, Any]) -> Any:
    cls = SECTIONS[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"config: unknown key {name}.{key}; known keys of [{name}]: {known}.")
        kwargs[key] = _coerce(name, fields[key], value)
    return cls(**kwargs)


def _env_overrides(env: dict[str, str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for var, value in env.items():
        if not var.startswith("ASSISTANT_"):
            continue
        rest = var[len("ASSISTANT_") :].lower()
        for section in SECTIONS:
            if rest.startswith(section + "_"):
                found.setdefault(section, {})[rest[len(section) + 1 :]] = value
    return found


def load(path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read the config file (creating the commented default on first run) and apply env."""
    path = path or paths.config_file()
    env = dict(os.environ) if env is None else env
    if not path.exists():
        write_default(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"config: {path} is not valid TOML ({err}); fix it or delete it to get the default."
        ) from None
    except OSError as err:
        raise ConfigError(f"config: cannot read {path}: {err.strerror}.") from None
    for section, values in _env_overrides(env).items():
        data.setdefault(section, {}).update(values)
    config = Config(source=path)
    for name, values in data.items():
        if name not in SECTIONS:
            raise ConfigError(
                f"config: unknown section [{name}]; known sections: {', '.join(SECTIONS)}."
            )
        if not isinstance(values, dict):
            raise ConfigError(f"config: [{name}] must be a table of keys.")
        setattr(config, name, _build_section(name, values))
    return config


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(v)}' for k, v in value.items()) + " }"
    return repr(value)


def render(config: Config | None = None) -> str:
    """The config as commented TOML. A setting at its default is written commented out
    (``# key = value``), so that a default improved in a later version reaches a user who never
    changed it; only the user's own choices are set (all commented when ``config`` is None)."""
    lines = [
        "# Settings of the offline voice assistant.",
        "# Edit and restart; `assistant config show` prints what is in force.",
        "# A line starting with '# key =' is the default: remove the '# ' to change it.",
        "",
    ]
    for name, cls in SECTIONS.items():
        default = cls()
        section = config.section(name) if config is not None else default
        lines.append(f"[{name}]")
        for f in dataclasses.fields(cls):
            value = getattr(section, f.name)
            unset = "# " if value == getattr(default, f.name) else ""
            lines.append(f"# {f.metadata.get('help', '')} ({_describe_allowed(f)})")
            lines.append(f"{unset}{f.name} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def write_default(path: Path) -> None:
    save(None, path)


def save(config: Config | None, path: Path | None = None) -> Path:
    """Write the config atomically (the settings dialog uses this too)."""
    path = path or (config.source if config and config.source else paths.config_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(config), encoding="utf-8")
    os.replace(tmp, path)
    return path
