"""Self-hearing and barge-in on the virtual speaker → microphone loop, and devices that vanish.

The microphone is ``vmix.monitor``: it hears the assistant's own speaker (vsink) *and* the
file-fed user (vmic), like open speakers on a desk.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.asr.factory import build_recognizer
from assistant.bench_asr import word_error_rate
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.events import (
    Error,
    Interrupted,
    Notice,
    SpeakingStarted,
    SpeakingStopped,
    UserText,
)
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from assistant.tts.espeak_voice import EspeakSynthesizer
from assistant.voice.loop import VoiceLoop
from tests.audio.clips import clip
from tests.audio.virtual_audio import VirtualAudio
from tests.voice.conftest import REPLY, Recorder

pytestmark = pytest.mark.timeout(240)
needs_aec3 = pytest.mark.skipif(
    importlib.util.find_spec("aec_audio_processing") is None,
    reason="aec-audio-processing (WebRTC AEC3) is not installed",
)


@pytest.fixture
def voice(
    pulse_env: VirtualAudio, tmp_path: Path
) -> Iterator[tuple[VoiceLoop, Recorder, MemoryStore]]:
    os.environ["PULSE_SOURCE"] = "vmix.monitor"  # the mic hears the speaker and the user
    config = Config()
    store = MemoryStore(tmp_path / "echo.db")
    engine = ConversationEngine(store=store, llm=FakeLanguageModel(REPLY), config=config)
    events = Recorder()
    engine.bus.subscribe(events)
    loop = VoiceLoop(engine, build_recognizer(config), EspeakSynthesizer(), config)
    loop.warm_up()
    loop.start()
    try:
        yield loop, events, store
    finally:
        loop.stop()
        store.close()


@needs_aec3
def test_the_reply_coming_back_is_not_a_turn_but_a_user_over_it_interrupts(
    pulse_env: VirtualAudio, voice
) -> None:
    loop, events, store = voice
    assert loop.echo is not None and loop.echo.name == "webrtc-aec3"
    pulse_env.feed(clip("librivox-0930").audio)
    events.wait(SpeakingStarted, timeout=60)
    time.sleep(4.0)  # four seconds of its own voice in the microphone
    assert events.of(Interrupted) == [], [
        (round(t - events.time_of(SpeakingStarted), 2), type(e).__name__) for t, e in events.events
    ]
    assert len(events.of(UserText)) == 1
    pulse_env.feed(clip("librivox-0920").audio)
    interrupted = events.wait(Interrupted, timeout=10)
    assert interrupted.reason == "barge-in"
    stopped = events.wait(SpeakingStopped)
    assert stopped.interrupted and 0 < len(stopped.spoken_text) < len(REPLY)
    second = events.wait(UserText, count=2, timeout=60)  # the interruption is the next turn
    # the user's first words overlap the reply (as loud as the user here) until the barge-in
    # stops it ~0.7 s in; Whisper hears the raw microphone, so those words may be damaged
    assert word_error_rate([clip("librivox-0920").text], [second.text]) <= 0.5, second.text
    messages = store.messages(loop.engine.conversation_id)
    assert messages[1].role == "assistant"
    assert messages[1].text == stopped.spoken_text  # only what was said stays in memory


def test_a_vanishing_sound_system_ends_the_turn_and_capture_comes_back(
    pulse_env: VirtualAudio, voice
) -> None:
    _, events, _ = voice
    pulse_env.feed(clip("librivox-0870").audio)
    time.sleep(2.5)
    pulse_env.kill_server()
    error = events.wait(Error, where=lambda e: e.stage == "audio", timeout=15)
    assert "Your turn was ended" in error.message
    assert events.of(UserText) == []
    pulse_env.restart_server()
    events.wait(Notice, where=lambda e: "microphone ready" in e.text, timeout=30)
    pulse_env.feed(clip("librivox-0930").audio)
    events.wait(UserText, timeout=60)
