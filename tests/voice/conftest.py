"""A voice loop on simulated devices (real-time pace): real Silero VAD, fake ASR/LLM/TTS unless
a test swaps them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant.asr.base import FakeRecognizer
from assistant.audio.simulated import ArrayMicrophone, NullSpeaker, Room
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.events import Event, InputLevel
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from assistant.tts.base import FakeSynthesizer
from assistant.voice.loop import VoiceLoop

REPLY = (
    "Sure, here is a fairly long answer for you. It goes on for a while so that there is "
    "time to interrupt it. And then it keeps going with a third sentence. Finally it ends."
)


@dataclass
class Recorder:
    events: list[tuple[float, Event]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: Event) -> None:
        if isinstance(event, InputLevel):
            return
        with self.changed:
            self.events.append((time.monotonic(), event))
            self.changed.notify_all()

    def of(self, kind: type) -> list[Any]:
        with self.changed:
            return [e for _, e in self.events if isinstance(e, kind)]

    def wait(
        self,
        kind: type,
        timeout: float = 20.0,
        where: Callable[[Any], bool] = lambda e: True,
        count: int = 1,
    ) -> Any:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [e for _, e in self.events if isinstance(e, kind) and where(e)]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [type(e).__name__ for _, e in self.events]
                    raise AssertionError(f"no {kind.__name__} within {timeout} s; saw {names}")
                self.changed.wait(left)

    def time_of(self, kind: type) -> float:
        with self.changed:
            return next(t for t, e in self.events if isinstance(e, kind))


@dataclass
class Rig:
    loop: VoiceLoop
    mic: ArrayMicrophone
    speaker: NullSpeaker
    engine: ConversationEngine
    store: MemoryStore
    events: Recorder
    recognizer: Any


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def make(
        reply: str = REPLY,
        recognizer: Any = None,
        synthesizer: Any = "fake",
        echo: Any = None,
        room: Room | None = None,
        config: Config | None = None,
        **loop_options: Any,
    ) -> Rig:
        config = config or Config()
        store = MemoryStore(tmp_path / f"voice{len(rigs)}.db")
        engine = ConversationEngine(store=store, llm=FakeLanguageModel(reply), config=config)
        recorder = Recorder()
        engine.bus.subscribe(recorder)
        speaker = NullSpeaker()
        mic = loop_options.pop("microphone", None) or ArrayMicrophone(
            speaker if room else None, room
        )
        recognizer = recognizer or FakeRecognizer("what can you tell me")
        synth = FakeSynthesizer(seconds_per_char=0.04) if synthesizer == "fake" else synthesizer
        loop = VoiceLoop(
            engine,
            recognizer,
            synth,
            config,
            microphone=mic,
            speaker=speaker,
            echo=echo,
            **loop_options,
        )
        rig = Rig(loop, mic, speaker, engine, store, recorder, recognizer)
        rigs.append(rig)
        loop.warm_up()
        loop.start()
        return rig

    yield make
    for rig in rigs:
        rig.loop.stop()
        rig.store.close()
