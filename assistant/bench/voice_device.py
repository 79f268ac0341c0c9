"""`assistant bench voice --device`: the voice loop as the user hears it, through a real sound
server.

A private PulseAudio (``assistant.audio.virtual_server``) stands in for the sound card: clips are
fed at real-time pace into a pipe source (the microphone) and the null sink's monitor (the
speaker) is recorded with the time each sample was heard. Latency = end of the fed speech → the
first reply sound above −45 dBFS on the monitor; the app's own "first audio" event of the same
turn is reported beside it (the in-process figure), with the stages in between.

Conditions: ``silence`` (a headset microphone delivering digital zeros), ``noise`` (a headset in
a room: a −65 dBFS noise floor; no echo path), ``speakers`` (open speakers: the microphone hears
the room noise, the user and the assistant's own voice at −10 dB). On the speakers, long replies
with no one talking count false barge-ins, pauses and transcripts of its own voice (with the
echo path as measured, then changed under the canceller: louder, quieter, longer, and with a
busy machine). In every condition real interruptions (a clip started 3 s into a reply) time
how soon the reply stops.

Gaps: runs of ≥ 20 ms of digital silence on the monitor inside a sentence of a reply (the pauses
between sentences are excluded: the speaker's own clip boundaries mark them), and the output
stream's underflow count.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.bench.voice import SKILL_COMMANDS, SpeechClip, _percentiles, load_clips, speech_end
from assistant.errors import AssistantError

HEARD_DBFS = -45.0  # a reply sound: a 10 ms window louder than this on the monitor
GAP_MS = 20
WINDOW = SAMPLE_RATE // 100
LONG_REPLY = (
    "Here is a longer answer, so that there is time to listen for you while I speak. "
    "The river runs past the old mill, where the wheel has not turned for many years. "
    "In the spring the water rises, and the meadow beside it turns green and loud with birds. "
    "People walk there on Sundays, and children throw sticks from the little bridge."
)


# a conversation that has gone on for a while (``--history``): latency must not grow with it
EARLIER_TURNS = (
    ("What's a good way to keep basil alive indoors?", "Give it a sunny window, water it when "
     "the top of the soil is dry, and pinch off the flowers so it keeps making leaves."),
    ("How long should I boil an egg for a runny yolk?", "About six minutes from boiling water, "
     "then put it in cold water for a minute."),
    ("What's the tallest mountain in Europe?", "Mount Elbrus in Russia, at 5,642 metres."),
    ("Can you explain what a mortgage is in one sentence?", "It's a loan to buy a home, paid back "
     "with interest over many years, with the home as security."),
    ("What should I pack for a weekend hike?", "Water, snacks, a rain jacket, a map, sun "
     "protection and a small first aid kit."),
    ("Who wrote Pride and Prejudice?", "Jane Austen, in 1813."),
)  # fmt: skip


@dataclass(frozen=True)
class Condition:
    name: str
    microphone: str  # the PulseAudio source the app records
    noise_dbfs: float | None  # the room's noise floor; None: digital silence
    echo_db: float | None  # the speaker heard in the microphone at this level; None: headset


CONDITIONS = {
    "silence": Condition("silence", "vmic", None, None),
    "noise": Condition("noise", "vmic", -65.0, None),
    "speakers": Condition("speakers", "vmix.monitor", -65.0, -10.0),
}


@dataclass
class _Played:
    """Every clip (sentence) the speaker was given, at 16 kHz, and when it started playing."""

    audio: dict[Hashable, np.ndarray] = field(default_factory=dict)
    starts: dict[Hashable, float] = field(default_factory=dict)
    paused_at: list[float] = field(default_factory=list)  # when (monotonic) each pause began

    def wrap(self, speaker: Any) -> None:
        from assistant.audio.playback import resample

        play, on_start, hold = speaker.play, speaker.on_start, speaker.hold

        def held(on: bool) -> None:
            if on:
                self.paused_at.append(time.monotonic())
            hold(on)

        speaker.hold = held

        def played(audio: np.ndarray, rate: float, key: Hashable) -> None:
            self.audio[key] = resample(np.asarray(audio, dtype=np.float32), rate, SAMPLE_RATE)
            play(audio, rate, key)

        def started(key: Hashable) -> None:
            self.starts[key] = time.monotonic()
            on_start(key)

        speaker.play, speaker.on_start = played, started

    def clear(self) -> None:
        self.audio.clear()
        self.starts.clear()

    def gaps(self, heard: np.ndarray, index_at: Callable[[float], int], latency_s: float) -> int:
        """Stretches of ≥ GAP_MS where a sentence had sound and the speaker's monitor had none
        (each clip lined up with the recording by its loudness within −50 … +250 ms of when its
        first block was handed to the device)."""
        count = 0
        for key, at in list(self.starts.items()):
            clip = _windows_db(self.audio.get(key, np.zeros(0)))
            expected = index_at(at + latency_s) // WINDOW
            best, best_score = expected, -1.0
            for lag in range(-5, 26):
                if expected + lag < 0:
                    continue
                part = _windows_db(heard[(expected + lag) * WINDOW :])[: len(clip)]
                if len(part) < len(clip):
                    continue
                score = float(np.mean((part > HEARD_DBFS) == (clip > HEARD_DBFS)))
                if score > best_score:
                    best, best_score = expected + lag, score
            part = _windows_db(heard[best * WINDOW :])[: len(clip)]
            missing = (clip[: len(part)] > -35.0) & (part < -70.0)
            count += _runs(missing, GAP_MS // 10)
        return count


def _runs(mask: np.ndarray, need: int) -> int:
    """How many runs of ≥ ``need`` consecutive True values ``mask`` holds."""
    count = run = 0
    for value in np.append(mask, False):
        if value:
            run += 1
        else:
            count += run >= need
            run = 0
    return count


def _windows_db(audio: np.ndarray) -> np.ndarray:
    n = len(audio) // WINDOW
    if n == 0:
        return np.zeros(0)
    frames = audio[: n * WINDOW].reshape(n, WINDOW)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def first_sound(audio: np.ndarray, start: int) -> int | None:
    """The first sample index ≥ ``start`` of a 10 ms window louder than HEARD_DBFS."""
    db = _windows_db(audio[start:])
    loud = np.nonzero(db > HEARD_DBFS)[0]
    return start + int(loud[0]) * WINDOW if loud.size else None


def silent_from(audio: np.ndarray, start: int, hold_ms: int = 200) -> int | None:
    """The first index ≥ ``start`` after which the monitor stays quiet for ``hold_ms``."""
    db = _windows_db(audio[start:])
    need = hold_ms // 10
    run = 0
    for k, value in enumerate(db):
        run = run + 1 if value <= HEARD_DBFS else 0
        if run >= need:
            return start + (k - need + 1) * WINDOW
    return None


class _Session:
    """One condition: the app's voice loop on the virtual devices, and the stopwatch."""

    def __init__(self, va: Any, assistant: Any, recognizer: Any, synthesizer: Any) -> None:
        from assistant.events import Event
        from assistant.voice.loop import VoiceLoop

        self.va = va
        self.engine = assistant.engine
        self.loop = VoiceLoop(assistant.engine, recognizer, synthesizer, assistant.config)
        self.tap = va.tap("vsink.monitor")
        self.played = _Played()
        self.events: list[tuple[float, Event]] = []
        self._lock = threading.Lock()
        self._unsubscribe = self.engine.bus.subscribe(self._record)

    def _record(self, event: Any) -> None:
        from assistant.events import InputLevel

        if not isinstance(event, InputLevel):
            with self._lock:
                self.events.append((time.monotonic(), event))

    def since(self, t: float, kind: type) -> list[tuple[float, Any]]:
        with self._lock:
            return [(at, e) for at, e in self.events if at >= t and isinstance(e, kind)]

    def wait_for(self, t: float, kind: type, timeout: float) -> tuple[float, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.since(t, kind)
            if found:
                return found[0]
            time.sleep(0.05)
        return None

    def start(self, history: int = 0) -> None:
        """The loop on a new conversation, with ``history`` earlier exchanges stored in it and
        read into the model's cache (as the app does at start)."""
        self.loop.warm_up()
        self.loop.start()
        self.played.wrap(self.loop.speaker)
        conversation = self.engine.new_conversation()
        store = self.engine.store
        for number in range(history):
            question, answer = EARLIER_TURNS[number % len(EARLIER_TURNS)]
            store.add_message(conversation, "user", question, "voice")
            store.add_message(conversation, "assistant", answer, "typed", intent="chat")
        if history:
            self.engine.prepare()

    def close(self) -> None:
        self.loop.stop()
        self._unsubscribe()
        self.tap.close()

    def quiet(self, seconds: float = 1.0, timeout: float = 90.0) -> None:
        """Wait until the reply has ended and the monitor was quiet for ``seconds``."""
        from assistant.events import AssistantState

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.loop.state is AssistantState.LISTENING and not self.loop.speaker.busy:
                audio = self.tap.audio()
                tail = audio[-int(seconds * SAMPLE_RATE) :]
                if len(tail) and float(np.max(_windows_db(tail), initial=-120)) <= HEARD_DBFS:
                    return
            time.sleep(0.1)

    def feed(self, audio: np.ndarray, speech_at_s: float) -> float:
        """Feed ``audio``; returns when (monotonic) the sample at ``speech_at_s`` went in."""
        index = self.va.feed(audio) + int(speech_at_s * SAMPLE_RATE)
        while (at := self.va.feeder.written_at(index)) is None:
            time.sleep(0.01)
        return at

    def turn(self, clip: SpeechClip) -> dict[str, Any]:
        from assistant.events import (
            EndOfTurn,
            FinalTranscript,
            ReplyDone,
            ReplySentence,
            ReplyStarted,
            ReplyToken,
            SpeakingStarted,
            SpeakingStopped,
        )

        self.quiet()
        self.played.clear()
        t_fed = time.monotonic()
        spoken_end = self.feed(clip.audio, clip.speech_end_s)
        row: dict[str, Any] = {"clip": clip.name}
        stopped = self.wait_for(t_fed, SpeakingStopped, 120.0)
        transcript = self.wait_for(t_fed, FinalTranscript, 0.1)
        row["transcript"] = transcript[1].text if transcript else ""
        started = self.wait_for(t_fed, ReplyStarted, 0.1)
        row["by"] = started[1].by if started else None
        first_sentence = self.wait_for(t_fed, ReplySentence, 0.1)
        done = self.wait_for(t_fed, ReplyDone, 0.1)
        row["first_piece"] = first_sentence[1].text if first_sentence else ""
        row["reply"] = done[1].text if done else ""
        marks = {
            "vad_end": self.wait_for(t_fed, EndOfTurn, 0.1),
            "transcript": transcript,
            "first_token": self.wait_for(t_fed, ReplyToken, 0.1),
            "first_sentence": first_sentence,
            "first_audio": self.wait_for(t_fed, SpeakingStarted, 0.1),
        }
        for stage, mark in marks.items():
            if mark is not None:
                row[f"{stage}_ms"] = round((mark[0] - spoken_end) * 1000.0, 1)
        time.sleep(0.3)
        audio = self.tap.audio()
        begin = first_sound(audio, self.tap.index_at(spoken_end))
        if begin is not None:
            row["device_ms"] = round((self.tap.time_of(begin) - spoken_end) * 1000.0, 1)
            end = self.tap.index_at(stopped[0]) if stopped else len(audio)
            row["reply_s"] = round((end - begin) / SAMPLE_RATE, 1)
            latency = float(getattr(self.loop.speaker, "latency_s", 0.0))
            row["gaps"] = self.played.gaps(audio, self.tap.index_at, latency)
        self.played.clear()
        return row

    def self_hearing(self, replies: int = 3) -> dict[str, Any]:
        """Long replies with no one talking: every barge-in, pause and transcript is of its
        own voice."""
        from assistant.events import FinalTranscript, Interrupted, SpeakingStopped

        t0 = time.monotonic()
        paused = len(self.played.paused_at)
        for _ in range(replies):
            self.quiet()
            t = time.monotonic()
            self.engine.announce(LONG_REPLY)
            self.wait_for(t, SpeakingStopped, 90.0)
        self.quiet()
        barge = [e for _, e in self.since(t0, Interrupted) if e.reason == "barge-in"]
        heard = [e.text for _, e in self.since(t0, FinalTranscript) if e.text]
        return {
            "replies": replies,
            "seconds": round(time.monotonic() - t0, 1),
            "false_barge_ins": len(barge),
            "false_pauses": len(self.played.paused_at) - paused,
            "own_voice_transcripts": heard,
        }

    def changing_echo(self) -> dict[str, Any]:
        """The echo path changes under the canceller, one long reply each, in one session
        (nothing is measured again in between): louder, quieter, longer, and a busy machine."""
        va = self.va
        # (name, delay in ms or None: unchanged, level in dB, a core busy meanwhile)
        steps = (
            ("louder (-3 dB)", None, -3.0, False),
            ("quieter (-20 dB)", None, -20.0, False),
            ("longer path (80 ms)", 80, -10.0, False),
            ("busy machine (a core spinning)", None, -10.0, True),
        )
        out: dict[str, Any] = {}
        for name, delay_ms, level_db, busy in steps:
            if delay_ms is not None:
                va.set_echo_delay(delay_ms)
            va.set_echo_gain(level_db)
            with _busy_core() if busy else contextlib.nullcontext():
                out[name] = self.self_hearing(replies=1)
        va.set_echo_delay(20)
        va.set_echo_gain(-10.0)
        return out

    def interruption(self, clip: SpeechClip, after_s: float = 3.0) -> dict[str, Any]:
        """The user talks over a long reply ``after_s`` into it: how soon does it stop, and is
        the user's turn heard whole?"""
        from assistant.bench.asr import word_error_rate
        from assistant.bench.voice import speech_start
        from assistant.events import FinalTranscript, SpeakingStarted

        self.quiet()
        t = time.monotonic()
        self.engine.announce(LONG_REPLY)
        first = self.wait_for(t, SpeakingStarted, 30.0)
        if first is None:
            return {"error": "the reply was not heard"}
        time.sleep(max(0.0, first[0] + after_s - time.monotonic()))
        began = self.feed(clip.audio, speech_start(clip.audio))
        transcript = self.wait_for(began, FinalTranscript, 30.0)
        time.sleep(0.5)
        audio = self.tap.audio()
        # stopped: quiet for a second (the pause between two sentences, ~0.3 s, is no stop)
        quiet_at = silent_from(audio, self.tap.index_at(began), hold_ms=1000)
        row: dict[str, Any] = {"clip": clip.name}
        if quiet_at is not None:
            row["stopped_after_ms"] = round((self.tap.time_of(quiet_at) - began) * 1000.0, 1)
        # the loop's own moment: the reply paused for the voice over it (before ``began``, a
        # breath or a sound of the clip before its speech did it)
        paused = [at for at in self.played.paused_at if at >= began - after_s / 2]
        if paused:
            row["paused_after_ms"] = round((paused[0] - began) * 1000.0, 1)
        if transcript is not None:
            row["transcript"] = transcript[1].text
            row["wer"] = round(word_error_rate([clip.text], [transcript[1].text]), 2)
        self.quiet()
        return row


class _UnderrunCount(logging.Handler):
    """ALSA's "underrun occurred" lines (C libraries' stderr, captured into the log): playback
    the device asked for too late, which PortAudio does not always report to the stream."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "underrun" in record.getMessage()

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


@contextlib.contextmanager
def _busy_core() -> Iterator[None]:
    """Another program keeps one of the cores busy meanwhile."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait(5)


def _commands(synthesizer: Any) -> list[SpeechClip]:
    from assistant.audio.playback import resample

    clips = []
    for i, text in enumerate(SKILL_COMMANDS):
        audio = resample(synthesizer.synthesize(text), synthesizer.sample_rate, SAMPLE_RATE)
        pad = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
        audio = np.concatenate([pad, audio, pad])
        clips.append(SpeechClip(f"command-{i}", audio, text, speech_end(audio)))
    return clips


def _use_server(va: Any, condition: Condition) -> None:
    """This process's PortAudio talks to the virtual server, recording ``condition``'s mic."""
    import sounddevice as sd

    os.environ.update(va.env)
    os.environ["PULSE_SOURCE"] = condition.microphone
    va.pactl("set-default-source", condition.microphone)
    va.feeder.noise_dbfs = condition.noise_dbfs
    va.set_echo_gain(condition.echo_db if condition.echo_db is not None else -120.0)
    sd._terminate()
    sd._initialize()


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        stage: _percentiles([r[f"{stage}_ms"] for r in rows if f"{stage}_ms" in r])
        for stage in (
            "vad_end",
            "transcript",
            "first_token",
            "first_sentence",
            "first_audio",
            "device",
        )
    }
    out["gaps"] = sum(r.get("gaps", 0) for r in rows)
    out["unheard"] = sum("device_ms" not in r for r in rows)
    return out


def bench_voice_device(
    directory: Path,
    conditions: Sequence[str] = tuple(CONDITIONS),
    skills: bool = True,
    log: Callable[[str], None] | None = None,
    history: int = 0,
) -> dict[str, Any]:
    from assistant import app as app_module
    from assistant.asr.factory import build_recognizer
    from assistant.audio import virtual_server
    from assistant.tts.factory import build_synthesizer

    say = log or (lambda text: None)
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise AssistantError(
            f"unknown condition {', '.join(unknown)}; use {', '.join(CONDITIONS)}."
        )
    if not virtual_server.available():
        raise AssistantError(
            "the device benchmark needs PulseAudio: apt-get install pulseaudio pulseaudio-utils "
            "libasound2-plugins (make setup-test installs them)."
        )
    clips = load_clips(directory)
    underruns = _UnderrunCount()
    logging.getLogger("native").addHandler(underruns)
    assistant = app_module.build()
    config = assistant.config
    report: dict[str, Any] = {
        "clips": len(clips),
        "config": {
            "llm": f"{config.llm.backend}:{config.llm.model}",
            "asr": f"{config.asr.backend}:{config.asr.model}",
            "tts": config.tts.backend,
            "end_of_turn_silence_ms": config.audio.end_of_turn_silence_ms,
            "early_end_of_turn_ms": config.audio.early_end_of_turn_ms,
            "earlier_exchanges": history,
        },
        "conditions": {},
    }
    synthesizer = build_synthesizer(config, assistant.models)
    recognizer = build_recognizer(config, assistant.models)
    commands = _commands(synthesizer) if skills else []
    say("loading models …")
    assistant.warm_up()
    root = Path(tempfile.mkdtemp(prefix="vb", dir="/tmp"))  # unix socket paths are short
    try:
        with virtual_server.virtual_audio(root) as va:
            for name in conditions:
                condition = CONDITIONS[name]
                _use_server(va, condition)
                underruns.take()
                session = _Session(va, assistant, recognizer, synthesizer)
                try:
                    session.start(history)
                    result: dict[str, Any] = {}
                    if condition.echo_db is not None:
                        say(f"[{name}] measuring the echo path …")
                        session.self_hearing(replies=1)  # the canceller learns the path
                        result["echo_path_measured"] = bool(
                            session.loop.echo is not None and session.loop.echo.ready
                        )
                    rows = []
                    for clip in [*clips, *commands]:
                        row = session.turn(clip)
                        say(f"[{name}] {row}")
                        rows.append(row)
                    by_path = {
                        "skill": [r for r in rows if r.get("by") == "skill"],
                        "llm": [r for r in rows if r.get("by") == "llm"],
                    }
                    result["turns"] = rows
                    result["latency_ms"] = {k: summarize(v) for k, v in by_path.items()}
                    if condition.echo_db is not None:
                        say(f"[{name}] long replies with no one talking …")
                        result["self_hearing"] = session.self_hearing()
                        say(f"[{name}] the echo path changing under it …")
                        result["changing_echo"] = session.changing_echo()
                    say(f"[{name}] interruptions …")
                    result["interruptions"] = [session.interruption(c) for c in clips[:4]]
                    result["underflows"] = getattr(session.loop.speaker, "underflows", None)
                    result["alsa_underruns"] = underruns.take()
                    report["conditions"][name] = result
                finally:
                    session.close()
    finally:
        assistant.close()
        logging.getLogger("native").removeHandler(underruns)
    return report
