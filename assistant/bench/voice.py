"""`assistant bench voice DIR`: where the time goes in a spoken turn, and the end-of-turn trade-off.

Latency: every clip is played into a simulated microphone at real-time pace and runs a whole turn
of the real voice loop (Silero VAD, the configured Whisper, intent detection, skill or language
model, the configured voice). Measured from the end of the user's speech (the last word of the
clip) to: the end of turn (VAD), the final transcript, the first reply token, the first reply
audio sample. Clips are the ``*.wav`` files of DIR (with ``NAME.txt`` transcripts when present);
the skill turns are spoken commands rendered by the configured voice.

End of turn: the clips are also joined two by two with pauses in between (people pause
mid-turn), and Silero + the turn detector run offline for several end-of-turn silences: how many
turns are cut in a pause (too short a silence) against how long the assistant waits after the
last word (too long a silence).
"""

from __future__ import annotations

import queue
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.vad import FRAME, SileroVad, TurnDetector, TurnEnd, TurnSettings
from assistant.errors import AssistantError

SKILL_COMMANDS = ("What time is it?", "What is twelve times seven?", "What's the date today?")
SWEEP_SILENCES_MS = (300, 400, 500, 600, 700, 800, 1000, 1200)
SWEEP_PAUSES_MS = (250, 400, 550, 700, 850, 1000)
STAGES = ("vad_end", "transcript", "first_token", "first_sentence", "first_audio")


@dataclass(frozen=True)
class SpeechClip:
    name: str
    audio: np.ndarray  # float32 mono 16 kHz
    text: str
    speech_end_s: float


def speech_end(audio: np.ndarray) -> float:
    """Where the last sound louder than 26 dB under the peak ends (10 ms resolution)."""
    n = len(audio) // 160 * 160
    if n == 0:
        return 0.0
    frames = np.sqrt(np.mean(np.square(audio[:n].reshape(-1, 160)), axis=1))
    loud = np.nonzero(frames > frames.max() * 0.05)[0]
    return float((loud[-1] + 1) * 160 / SAMPLE_RATE) if loud.size else 0.0


def load_clips(directory: Path) -> list[SpeechClip]:
    from assistant.asr.audio_file import load_audio

    if not directory.is_dir():
        raise AssistantError(f"{directory} is not a folder of .wav clips.")
    clips = []
    for wav in sorted(directory.glob("*.wav")):
        audio = load_audio(wav)
        txt = wav.with_suffix(".txt")
        text = txt.read_text(encoding="utf-8").strip() if txt.exists() else ""
        clips.append(SpeechClip(wav.stem, audio, text, speech_end(audio)))
    if not clips:
        raise AssistantError(f"no .wav clips in {directory}.")
    return clips


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "n": 0}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p90": round(p90, 1), "n": len(ordered)}


# --- end-of-turn sweep (offline, fast) --------------------------------------------------------


def _probabilities(vad: SileroVad, audio: np.ndarray) -> list[float]:
    vad.reset()
    return [vad(audio[i : i + FRAME]) for i in range(0, len(audio) - FRAME + 1, FRAME)]


def _turn_ends(probabilities: Sequence[float], settings: TurnSettings) -> list[TurnEnd]:
    detector = TurnDetector(settings)
    ends = []
    for k, p in enumerate(probabilities):
        event = detector.feed(p, (k + 1) * FRAME)
        if isinstance(event, TurnEnd) and not event.dropped:
            ends.append(event)
    return ends


def speech_start(audio: np.ndarray) -> float:
    """Where the first sound louder than 26 dB under the peak begins."""
    return len(audio) / SAMPLE_RATE - speech_end(audio[::-1].copy())


def sweep_end_of_turn(
    clips: Sequence[SpeechClip],
    silences_ms: Sequence[int] = SWEEP_SILENCES_MS,
    pauses_ms: Sequence[int] = SWEEP_PAUSES_MS,
) -> list[dict[str, Any]]:
    """For each silence: how often a turn is cut in a pause of each length (two clips joined
    by that pause, measured edge to edge), how often a single clip is cut, and the wait after
    the last word until the turn ends."""
    rng = np.random.default_rng(3)
    noise_floor = 10 ** (-60 / 20)

    def noise(n: int) -> np.ndarray:
        return (rng.standard_normal(n) * noise_floor).astype(np.float32)

    def speech(clip: SpeechClip) -> np.ndarray:
        a = int(speech_start(clip.audio) * SAMPLE_RATE)
        return clip.audio[a : int(clip.speech_end_s * SAMPLE_RATE)]

    lead, trail = noise(SAMPLE_RATE // 2), noise(2 * SAMPLE_RATE)
    cases: list[tuple[int | None, np.ndarray, float]] = []  # (pause or None, audio, speech end)
    for i, first in enumerate(clips):
        one = speech(first)
        cases.append(
            (None, np.concatenate([lead, one, trail]), (len(lead) + len(one)) / SAMPLE_RATE)
        )
        two = speech(clips[(i + 1) % len(clips)])
        for gap_ms in pauses_ms:
            gap = noise(gap_ms * SAMPLE_RATE // 1000)
            audio = np.concatenate([lead, one, gap, two, trail])
            cases.append((gap_ms, audio, (len(audio) - len(trail)) / SAMPLE_RATE))
    vad = SileroVad()
    scored = [(pause, _probabilities(vad, audio), end) for pause, audio, end in cases]
    rows = []
    for silence in silences_ms:
        settings = TurnSettings(end_silence_ms=silence)
        cuts: dict[str, list[bool]] = {}
        waits: list[float] = []
        for pause, probabilities, end in scored:
            ends = _turn_ends(probabilities, settings)
            cut = len(ends) != 1 or ends[0].end / SAMPLE_RATE < end
            cuts.setdefault("none" if pause is None else str(pause), []).append(cut)
            if ends:
                waits.append((ends[-1].end / SAMPLE_RATE - end) * 1000.0)
        rows.append(
            {
                "end_of_turn_silence_ms": silence,
                "cut_rate_by_pause_ms": {k: round(sum(v) / len(v), 2) for k, v in cuts.items()},
                "wait_after_speech_ms": _percentiles(waits),
            }
        )
    return rows


# --- early end of turn (offline) --------------------------------------------------------------


def early_end_trial(
    clips: Sequence[SpeechClip], recognizer: Any, early_ms: int, tail_ms: int
) -> dict[str, Any]:
    """Each pause of ``early_ms`` inside or after a clip (as is, and with a 600 ms pause put
    mid-sentence), as the voice loop sees it: the speculative transcript up to that pause and
    how it reads (finished, unsure, goes on). Finished at the last pause ends the turn early
    (good); inside the clip it cuts the user (the voice loop then joins the parts when they go
    on, within the full silence)."""
    from assistant.voice.endpoint import Verdict, verdict

    finished = Verdict.FINISHED.value
    vad = SileroVad()
    pad = np.zeros(SAMPLE_RATE, dtype=np.float32)
    final: dict[str, int] = {"pauses": 0}  # the last pause of each clip, and how it read
    inside: dict[str, int] = {"pauses": 0}
    for clip in clips:
        speech = clip.audio[: int(clip.speech_end_s * SAMPLE_RATE)]
        for audio in (
            np.concatenate([pad, speech, pad]),
            np.concatenate([pad, *paused_mid_sentence(speech), pad]),
        ):
            pauses = _pauses(_probabilities(vad, audio), early_ms)
            for i, end in enumerate(pauses):
                cut_at = min(end + tail_ms * SAMPLE_RATE // 1000, len(audio))
                reading = verdict(recognizer.transcribe(audio[:cut_at]).text)
                last = i == len(pauses) - 1  # the audio ends in a second of silence
                counts = final if last else inside
                counts["pauses"] += 1
                counts[reading.value] = counts.get(reading.value, 0) + 1
    return {
        "early_end_of_turn_ms": early_ms,
        "last_pause": final,
        "pauses_inside_turns": inside,
        "early_end_rate": round(final.get(finished, 0) / max(final["pauses"], 1), 2),
        "cut_rate_inside_turns": round(inside.get(finished, 0) / max(inside["pauses"], 1), 2),
    }


def pause_spans(probabilities: Sequence[float], silence_ms: int) -> list[tuple[int, float]]:
    """Every pause that lasts ``silence_ms``: its speech end (sample index) and how long the
    silence lasted (ms, as the turn detector counts it) before speech went on or the audio
    ended."""
    detector = TurnDetector(TurnSettings(end_silence_ms=60_000))
    spans: list[tuple[int, float]] = []
    for k, p in enumerate(probabilities):
        detector.feed(p, (k + 1) * FRAME)
        if detector.in_turn and detector.silence_ms >= silence_ms:
            if spans and spans[-1][0] == detector.last_speech_end:
                spans.pop()
            spans.append((detector.last_speech_end, detector.silence_ms))
    return spans


def _pauses(probabilities: Sequence[float], silence_ms: int) -> list[int]:
    """The speech end (sample index) of every pause that lasts ``silence_ms``."""
    return [end for end, _ in pause_spans(probabilities, silence_ms)]


def paused_mid_sentence(
    speech: np.ndarray, pause_ms: int = 600, between: tuple[float, float] = (0.3, 0.8)
) -> tuple[np.ndarray, ...]:
    """``speech`` with a thinking pause at its quietest 50 ms between 30 % and 80 % of it (or
    the fractions ``between``): a gap between words, as people pause mid-sentence."""
    hop = SAMPLE_RATE // 100
    n = len(speech) // hop
    rms = np.sqrt(np.mean(np.square(speech[: n * hop].reshape(n, hop)), axis=1))
    smooth = np.convolve(rms, np.ones(5) / 5, mode="same")
    lo = int(n * between[0])
    hi = max(lo + 1, int(n * between[1]))
    at = (lo + int(np.argmin(smooth[lo:hi]))) * hop
    gap = np.zeros(pause_ms * SAMPLE_RATE // 1000, dtype=np.float32)
    return speech[:at], gap, speech[at:]


# --- latency of whole turns -------------------------------------------------------------------


class _Timeline:
    """Monotonic times of the events of one turn."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[float, Any]] = queue.Queue()

    def __call__(self, event: Any) -> None:
        self.events.put((time.monotonic(), event))


def run_turns(
    loop: Any,
    mic: Any,
    clips: Sequence[SpeechClip],
    timeout_s: float = 60.0,
    on_turn: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Feed each clip into ``mic`` and time the turn it causes through ``loop``'s events."""
    from assistant.events import (
        EndOfTurn,
        FinalTranscript,
        ReplySentence,
        ReplyStarted,
        ReplyToken,
        SpeakingStarted,
        SpeakingStopped,
    )

    timeline = _Timeline()
    unsubscribe = loop.bus.subscribe(timeline)
    results = []
    try:
        for clip in clips:
            time.sleep(0.5)
            while not timeline.events.empty():
                timeline.events.get_nowait()
            fed_at = time.monotonic()
            mic.feed(clip.audio)
            spoken_end = fed_at + clip.speech_end_s
            marks: dict[str, float] = {}
            row: dict[str, Any] = {"clip": clip.name}
            deadline = fed_at + timeout_s
            while time.monotonic() < deadline:
                try:
                    at, event = timeline.events.get(timeout=0.2)
                except queue.Empty:
                    continue
                if isinstance(event, EndOfTurn):
                    marks.setdefault("vad_end", at)
                elif isinstance(event, FinalTranscript):
                    marks.setdefault("transcript", at)
                    row["transcript"] = event.text
                    if not event.text:
                        break
                elif isinstance(event, ReplyStarted):
                    row["by"] = event.by
                elif isinstance(event, ReplyToken):
                    marks.setdefault("first_token", at)
                elif isinstance(event, ReplySentence):
                    marks.setdefault("first_sentence", at)
                    row.setdefault("first_sentence", event.text)
                elif isinstance(event, SpeakingStarted):
                    marks.setdefault("first_audio", at)
                    loop.interrupt()  # the rest of the reply is not measured
                elif isinstance(event, SpeakingStopped):
                    break
            for stage in STAGES:
                if stage in marks:
                    row[f"{stage}_ms"] = round((marks[stage] - spoken_end) * 1000.0, 1)
            results.append(row)
            if on_turn is not None:
                on_turn(row)
            while mic.pending_seconds > 0:
                time.sleep(0.1)
    finally:
        unsubscribe()
    return results


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        stage: _percentiles([r[f"{stage}_ms"] for r in rows if f"{stage}_ms" in r])
        for stage in STAGES
    }


def _measure_echo_path(loop: Any, engine: Any, timeout_s: float = 20.0) -> bool:
    """A first spoken reply lets the echo canceller measure the speaker → microphone path, as
    it does in use; until then the loop cannot hear the user over a reply (no early end)."""
    if loop.echo is None:
        return False
    engine.announce("Hello. I am listening, and I will answer as soon as you have finished.")
    deadline = time.monotonic() + timeout_s
    while not loop.echo.ready and time.monotonic() < deadline:
        time.sleep(0.1)
    loop.interrupt()
    time.sleep(0.5)
    return bool(loop.echo.ready)


def bench_voice(
    directory: Path,
    skills: bool = True,
    sweep: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The whole benchmark; the loop runs with simulated devices (no sound card needed)."""
    from assistant import app as app_module
    from assistant.asr.factory import build_recognizer
    from assistant.audio.simulated import ArrayMicrophone, NullSpeaker, Room
    from assistant.tts.factory import build_synthesizer
    from assistant.voice.listener import TAIL_MS
    from assistant.voice.loop import VoiceLoop

    say = log or (lambda text: None)
    clips = load_clips(directory)
    report: dict[str, Any] = {"clips": len(clips)}
    if sweep:
        say("end-of-turn sweep …")
        report["end_of_turn"] = sweep_end_of_turn(clips)
    assistant = app_module.build()
    config = assistant.config
    report["config"] = {
        "end_of_turn_silence_ms": config.audio.end_of_turn_silence_ms,
        "early_end_of_turn_ms": config.audio.early_end_of_turn_ms,
        "asr": f"{config.asr.backend}:{config.asr.model}",
        "llm": f"{config.llm.backend}:{config.llm.model}",
        "tts": config.tts.backend,
    }
    synthesizer = build_synthesizer(config, assistant.models)
    recognizer = build_recognizer(config, assistant.models)
    if sweep and config.audio.early_end_of_turn_ms:
        say("early end of turn at pauses …")
        report["early_end"] = early_end_trial(
            clips, recognizer, config.audio.early_end_of_turn_ms, TAIL_MS
        )
    speaker = NullSpeaker()
    mic = ArrayMicrophone(speaker, Room())  # the reply comes back into the microphone
    loop = VoiceLoop(
        assistant.engine,
        recognizer,
        synthesizer,
        config,
        microphone=mic,
        speaker=speaker,
        echo="config",
    )
    try:
        say("loading models …")
        assistant.warm_up()
        loop.warm_up()
        loop.start()
        assistant.engine.new_conversation()
        report["echo_path_measured"] = _measure_echo_path(loop, assistant.engine)
        say(f"{len(clips)} spoken chat turns …")
        chat_rows = run_turns(loop, mic, clips, on_turn=lambda r: say(str(r)))
        report["llm_turns"] = {"turns": chat_rows, "latency_ms": summarize(chat_rows)}
        if skills and synthesizer is not None:
            commands = []
            for i, text in enumerate(SKILL_COMMANDS):
                audio = synthesizer.synthesize(text)
                from assistant.audio.playback import resample

                audio16 = resample(audio, synthesizer.sample_rate, SAMPLE_RATE)
                commands.append(SpeechClip(f"command-{i}", audio16, text, speech_end(audio16)))
            say(f"{len(commands)} spoken commands …")
            skill_rows = run_turns(loop, mic, commands, on_turn=lambda r: say(str(r)))
            report["skill_turns"] = {"turns": skill_rows, "latency_ms": summarize(skill_rows)}
    finally:
        loop.stop()
        assistant.close()
    return report
