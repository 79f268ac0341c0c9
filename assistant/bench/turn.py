"""`assistant bench turn DIR`: the acoustic end-of-turn model beside the transcript's verdict.

Offline, on the human clips of DIR, as the voice loop would see them: Silero finds every pause
of 96 ms; at each one the configured Whisper transcribes the audio up to it (the speculative
transcript) and Smart Turn scores the same audio. Three rules decide when the turn ends
(``endpoint.ends_turn``): the transcript's verdict alone (today's loop), the model alone, and
both. At real ends an input counts once it would be ready: 96 ms of silence, then Whisper's and
the model's time measured in this run (one after the other, side by side, or none).

- real ends (each clip as is, padded with silence): how long after the last word the turn ends;
- pauses inside a turn: the speaker's own pauses in the clips, and 600 ms pauses put between two
  words (in the first and in the second half of each clip): how many end the turn early;
- the model's time per call, and what it and the barge-in rule make of backchannels ("mm-hmm",
  "yeah") rendered by the configured voice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.vad import FRAME, FRAME_MS, SileroVad
from assistant.bench.voice import (
    SpeechClip,
    _percentiles,
    _probabilities,
    load_clips,
    pause_spans,
    paused_mid_sentence,
    speech_end,
    speech_start,
)
from assistant.voice.endpoint import COMPLETE, Verdict, ends_turn, verdict
from assistant.voice.smart_turn import TurnModel

SPECULATE_MS = 96  # the loop's first short pause (SPECULATE_AFTER_MS = TAIL_MS)
INSERTED_PAUSE_MS = 600
HALVES = ((0.2, 0.5), (0.5, 0.8))  # where the pauses are put: the quietest gap of each
BACKCHANNELS = ("Mm-hmm.", "Yeah.", "Uh-huh.", "Okay.", "Right.", "Yeah, yeah.")
THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
RULES = ("transcript", "model", "combined")


@dataclass(frozen=True)
class Pause:
    clip: str
    kind: str  # "end" (the real end), "inside" (the speaker's own pause), "inserted"
    pause_ms: float  # how long the silence lasted (the end: the padding after the clip)
    text: str
    reading: Verdict
    probability: float
    whisper_ms: float
    model_ms: float
    late_ms: float  # where the VAD saw speech end, after the last word (ends only)


def score_pauses(
    clips: Sequence[SpeechClip],
    recognizer: Any,
    model: TurnModel,
    log: Callable[[str], None] = lambda text: None,
) -> list[Pause]:
    vad = SileroVad()
    pad = np.zeros(SAMPLE_RATE, dtype=np.float32)
    tail = SPECULATE_MS * SAMPLE_RATE // 1000
    pauses: list[Pause] = []

    def score(clip: str, kind: str, audio: np.ndarray, end: int, length: float) -> Pause:
        """``end``: the speech end of the pause; ``length``: how long the silence lasted."""
        cut = audio[: min(end + tail, len(audio))]
        started = time.perf_counter()
        text = recognizer.transcribe(cut).text
        whisper_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        probability = model.probability(cut)
        model_ms = (time.perf_counter() - started) * 1000
        last_word = len(audio) - len(pad)  # where the clip's speech ends (ends only)
        late_ms = (end - last_word) * 1000 / SAMPLE_RATE if kind == "end" else 0.0
        found = Pause(
            clip, kind, length, text, verdict(text), probability, whisper_ms, model_ms, late_ms
        )
        log(f"{clip} {kind}: {text!r} {found.reading.value}, p = {probability:.2f}")
        return found

    for clip in clips:
        start = int(speech_start(clip.audio) * SAMPLE_RATE)
        speech = clip.audio[start : int(clip.speech_end_s * SAMPLE_RATE)]
        audio = np.concatenate([pad, speech, pad])
        spans = pause_spans(_probabilities(vad, audio), SPECULATE_MS)
        for i, (end, length) in enumerate(spans):
            kind = "end" if i == len(spans) - 1 else "inside"
            pauses.append(score(clip.name, kind, audio, end, length))
        for between in HALVES:
            parts = paused_mid_sentence(speech, INSERTED_PAUSE_MS, between)
            audio = np.concatenate([pad, *parts, pad])
            spans = pause_spans(_probabilities(vad, audio), SPECULATE_MS)
            # the inserted pause: the longest silence before the last one
            inner = max(spans[:-1], key=lambda span: span[1], default=None)
            if inner is not None and inner[1] >= INSERTED_PAUSE_MS / 2:
                pauses.append(score(clip.name, "inserted", audio, inner[0], inner[1]))
    return pauses


TIMINGS = ("sequential", "parallel", "instant")


def ready_after(pause: Pause, rule: str, timing: str = "sequential") -> float:
    """The silence (ms) after which ``rule``'s inputs are known: the first short pause, then
    Whisper and the model as measured (one after the other, or side by side), or at once."""
    whisper = pause.whisper_ms if rule != "model" else 0.0
    model = pause.model_ms if rule != "transcript" else 0.0
    compute = {"sequential": whisper + model, "parallel": max(whisper, model), "instant": 0.0}
    return SPECULATE_MS + compute[timing]


def decided_after(
    pause: Pause, rule: str, full_ms: int, complete: float = COMPLETE, timing: str = "sequential"
) -> float:
    """The silence (ms, in VAD frames) after which ``rule`` ends the turn at ``pause``."""
    ready = ready_after(pause, rule, timing)
    reading = Verdict.FINISHED if rule == "model" else pause.reading  # the model alone
    probability = None if rule == "transcript" else pause.probability
    frame = 1
    while True:
        silence = frame * FRAME_MS
        known = silence >= ready
        if ends_turn(reading if known else None, probability, silence, full_ms, complete):
            return silence
        frame += 1


def _set(pause: Pause) -> str:
    """The set a clip belongs to: its name before the first "-" ("cards-003" → "cards")."""
    return pause.clip.split("-")[0]


def summarize(
    pauses: Sequence[Pause], rule: str, full_ms: int, complete: float = COMPLETE
) -> dict[str, Any]:
    """Real ends: when the turn ends after the last word (with this run's Whisper and model
    time one after the other, side by side, or none); pauses inside turns: how many the rule
    itself ends early (its inputs taken as ready at the first short pause)."""
    ends = [p for p in pauses if p.kind == "end"]
    row: dict[str, Any] = {"real_ends": len(ends)}
    for timing in TIMINGS:
        waits = [decided_after(p, rule, full_ms, complete, timing) + p.late_ms for p in ends]
        row[f"real_end_decided_after_last_word_ms_{timing}"] = _percentiles(waits)
        row[f"real_ends_within_200_ms_{timing}"] = sum(w <= 200 for w in waits)
    row["real_ends_waiting_full_silence"] = sum(
        decided_after(p, rule, full_ms, complete, "instant") >= full_ms for p in ends
    )
    for kind in ("inserted", "inside"):
        inner = [p for p in pauses if p.kind == kind]
        row[f"{kind}_pauses"] = len(inner)
        # the rule itself (inputs ready at once: a slow Whisper must not save a pause), and as
        # this run's compute would have had it
        for timing, suffix in (("instant", ""), ("sequential", "_sequential")):
            cut = [
                p for p in inner if decided_after(p, rule, full_ms, complete, timing) <= p.pause_ms
            ]
            row[f"{kind}_pauses_cut{suffix}"] = len(cut)
            if timing == "instant":
                row[f"{kind}_cut"] = [f"{p.clip}: {p.text}" for p in cut]
                row[f"{kind}_cut_by_set"] = {
                    group: f"{sum(_set(p) == group for p in cut)} of "
                    f"{sum(_set(p) == group for p in inner)}"
                    for group in sorted({_set(p) for p in inner})
                }
    return row


def accuracy(pauses: Sequence[Pause], complete: float = COMPLETE) -> dict[str, Any]:
    """How often the model (at ``complete``) and the transcript (finished or unsure) call a
    real end complete and a pause put mid-sentence incomplete (some of those are complete
    phrases: "eight of spades" before "four of clubs")."""
    ends = [p for p in pauses if p.kind == "end"]
    inserted = [p for p in pauses if p.kind == "inserted"]

    def rates(says_complete: Callable[[Pause], bool]) -> dict[str, Any]:
        right = sum(map(says_complete, ends)) + sum(not says_complete(p) for p in inserted)
        return {
            "real_ends_complete": sum(map(says_complete, ends)),
            "inserted_incomplete": sum(not says_complete(p) for p in inserted),
            "accuracy": round(right / max(len(ends) + len(inserted), 1), 3),
        }

    return {
        "model": rates(lambda p: p.probability >= complete),
        "transcript": rates(lambda p: p.reading is not Verdict.GOES_ON),
        "real_ends": len(ends),
        "inserted_pauses": len(inserted),
    }


def backchannels(
    synthesizer: Any, model: TurnModel, barge_in_ms: int, texts: Sequence[str] = BACKCHANNELS
) -> list[dict[str, Any]]:
    """Each backchannel as the configured voice says it: its length, the confident speech
    Silero hears in it, whether the barge-in rule (≥ ``barge_in_ms``) would stop a reply,
    and the model's score of it said alone."""
    from assistant.audio.playback import resample
    from assistant.voice.listener import BargeInDetector

    vad = SileroVad()
    rows = []
    for text in texts:
        audio = resample(synthesizer.synthesize(text), synthesizer.sample_rate, SAMPLE_RATE)
        audio = np.asarray(audio, dtype=np.float32)
        probabilities = _probabilities(vad, audio)
        barge = BargeInDetector(barge_in_ms)
        fired = any(barge.feed(p, (k + 1) * FRAME) is not None for k, p in enumerate(probabilities))
        rows.append(
            {
                "text": text,
                "speech_ms": round((speech_end(audio) - speech_start(audio)) * 1000),
                "confident_speech_ms": round(sum(p >= 0.7 for p in probabilities) * FRAME_MS),
                "barge_in": fired,
                "model_probability": round(model.probability(audio), 3),
            }
        )
    return rows


def bench_turn(directory: Path, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    from assistant import config as config_module
    from assistant.asr.factory import build_recognizer
    from assistant.model_store import ModelStore
    from assistant.tts.factory import build_synthesizer
    from assistant.voice.smart_turn import SmartTurn

    say = log or (lambda text: None)
    clips = load_clips(directory)
    config = config_module.load()
    store = ModelStore()
    recognizer = build_recognizer(config, store)
    model = SmartTurn()
    say("loading Whisper and Smart Turn …")
    recognizer.load()
    model.load()
    pauses = score_pauses(clips, recognizer, model, say)
    full_ms = config.audio.end_of_turn_silence_ms
    report: dict[str, Any] = {
        "clips": len(clips),
        "asr": f"{config.asr.backend}:{config.asr.model}",
        "end_of_turn_silence_ms": full_ms,
        "load_average": round(os.getloadavg()[0], 2),
        "rules": {rule: summarize(pauses, rule, full_ms) for rule in RULES},
        "combined_by_threshold": {
            str(t): summarize(pauses, "combined", full_ms, t) for t in THRESHOLDS
        },
        "accuracy": accuracy(pauses),
        "model_ms": _percentiles([p.model_ms for p in pauses]),
        "whisper_ms": _percentiles([p.whisper_ms for p in pauses]),
        "vad_speech_end_after_last_word_ms": _percentiles(
            [p.late_ms for p in pauses if p.kind == "end"]
        ),
        "pauses": [
            {
                "clip": p.clip,
                "kind": p.kind,
                "pause_ms": round(p.pause_ms),
                "text": p.text,
                "verdict": p.reading.value,
                "probability": round(p.probability, 3),
            }
            for p in pauses
        ],
    }
    synthesizer = build_synthesizer(config, store)
    if synthesizer is not None:
        say("backchannels …")
        report["backchannels"] = backchannels(synthesizer, model, config.audio.barge_in_ms)
    return report
