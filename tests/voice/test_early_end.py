"""Early end of turn at a short pause, and joining a turn the user went on with (real Silero VAD
on human speech, simulated devices at real-time pace). The transcript's rule alone first
(``turn_model=None``), then with the real Smart Turn model beside it."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.asr.base import FakeRecognizer, Transcript
from assistant.audio import SAMPLE_RATE
from assistant.bench.voice import paused_mid_sentence
from assistant.events import (
    ConversationChanged,
    EndOfTurn,
    ReplyDone,
    SpeakingStarted,
    SpeakingStopped,
    UserText,
)
from tests.audio.clips import clip
from tests.voice.conftest import REPLY

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]  # real-time pace


class HeardEcho:
    """An echo canceller whose echo path is measured (there is no echo in these tests): the user
    can be heard over the reply, which early end of turn needs."""

    name = "measured"
    ready = True
    double_talk = True

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        return mic

    def moved(self) -> bool:
        return False


class ByLength(FakeRecognizer):
    """``short`` for audio up to ``seconds`` long, else ``long`` (the joined turn)."""

    def __init__(self, short: str, long: str, seconds: float) -> None:
        super().__init__(short)
        self.short, self.long, self.seconds = short, long, seconds
        self.longest = 0.0

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        self.longest = max(self.longest, len(audio) / SAMPLE_RATE)
        self.text = self.short if len(audio) <= self.seconds * SAMPLE_RATE else self.long
        return super().transcribe(audio, language)


WORDS_ONLY = {"echo": HeardEcho(), "turn_model": None}  # the transcript's rule alone


def _pause(ms: int) -> np.ndarray:
    return np.zeros(ms * SAMPLE_RATE // 1000, dtype=np.float32)


def test_a_finished_request_ends_the_turn_at_a_short_pause(make_rig) -> None:
    rig = make_rig(
        recognizer=FakeRecognizer("What can you tell me?"), echo=HeardEcho(), turn_model=None
    )
    rig.mic.feed(clip("librivox-0880").audio)
    end = rig.events.wait(EndOfTurn, timeout=30)
    assert end.silence_ms < 400
    rig.events.wait(ReplyDone)
    messages = rig.store.messages(rig.engine.conversation_id)
    assert [m.text for m in messages] == ["What can you tell me?", REPLY]


def test_an_unfinished_sentence_waits_for_the_full_silence(make_rig) -> None:
    rig = make_rig(
        recognizer=FakeRecognizer("Can you tell me about the"), echo=HeardEcho(), turn_model=None
    )
    rig.mic.feed(clip("librivox-0880").audio)
    assert rig.events.wait(EndOfTurn, timeout=30).silence_ms >= 800


def test_without_echo_cancellation_the_voice_waits_for_the_full_silence(make_rig) -> None:
    """Half-duplex: a user going on over the reply would not be heard, so the reply of an early
    end is prepared at once but heard only after the full silence."""
    rig = make_rig(recognizer=FakeRecognizer("What can you tell me?"), echo=None, turn_model=None)
    rig.mic.feed(clip("librivox-0880").audio)
    end = rig.events.wait(EndOfTurn, timeout=30)
    assert end.silence_ms < 400  # the reply is prepared during the rest of the silence
    rig.events.wait(SpeakingStarted, timeout=30)
    speech_end = rig.events.time_of(EndOfTurn) - end.silence_ms / 1000
    assert rig.events.time_of(SpeakingStarted) - speech_end >= 0.78
    stopped = rig.events.wait(SpeakingStopped, timeout=30)
    assert not stopped.interrupted and stopped.spoken_text == REPLY


def test_going_on_without_echo_cancellation_is_heard_before_the_reply(make_rig) -> None:
    first, second = clip("librivox-0880").audio, clip("librivox-0920").audio
    recognizer = ByLength(
        "What can you tell me?", "What can you tell me about him?", len(first) / SAMPLE_RATE + 0.3
    )
    rig = make_rig(recognizer=recognizer, echo=None, turn_model=None)
    rig.mic.feed(np.concatenate([first, _pause(200), second]))  # a 0.55 s pause in all
    assert rig.events.wait(EndOfTurn, timeout=30).silence_ms < 400  # the early end
    rig.events.wait(ReplyDone, count=2, timeout=30)
    assert len(rig.events.of(SpeakingStarted)) == 1  # the withdrawn half was never heard
    messages = rig.store.messages(rig.engine.conversation_id)
    assert [m.text for m in messages] == ["What can you tell me about him?", REPLY]


def test_going_on_after_an_early_end_joins_both_parts_into_one_turn(make_rig) -> None:
    first, second = clip("librivox-0880").audio, clip("librivox-0920").audio
    recognizer = ByLength(
        "What can you tell me?", "What can you tell me about him?", len(first) / SAMPLE_RATE + 0.3
    )
    rig = make_rig(recognizer=recognizer, **WORDS_ONLY)
    rig.mic.feed(np.concatenate([first, _pause(200), second]))  # a 0.55 s pause in all
    assert rig.events.wait(EndOfTurn, timeout=30).silence_ms < 400  # the early end
    rig.events.wait(UserText, count=2, timeout=30)
    rig.events.wait(ReplyDone, count=2, timeout=30)
    assert recognizer.longest > (len(first) + len(second)) / SAMPLE_RATE  # Whisper heard it all
    assert rig.events.of(ConversationChanged), "views reload without the withdrawn half"
    messages = rig.store.messages(rig.engine.conversation_id)
    assert [m.text for m in messages] == ["What can you tell me about him?", REPLY]
    assert rig.store.get_conversation(rig.engine.conversation_id).title.startswith(
        "What can you tell me about him"
    )


def test_a_new_question_after_the_full_silence_is_a_turn_of_its_own(make_rig) -> None:
    rig = make_rig(
        recognizer=FakeRecognizer("What can you tell me?"), echo=HeardEcho(), turn_model=None
    )
    audio = clip("librivox-0880").audio
    rig.mic.feed(audio)
    rig.events.wait(SpeakingStarted, timeout=30)
    rig.loop.interrupt()
    rig.mic.feed(np.concatenate([_pause(1000), audio]))
    rig.events.wait(UserText, count=2, timeout=30)
    rig.events.wait(ReplyDone, count=2, timeout=30)
    assert rig.events.of(ConversationChanged) == []
    users = [m.text for m in rig.store.messages(rig.engine.conversation_id) if m.role == "user"]
    assert users == ["What can you tell me?", "What can you tell me?"]


def test_the_end_of_turn_model_ends_a_finished_voice_at_a_short_pause(make_rig) -> None:
    rig = make_rig(
        recognizer=FakeRecognizer("Had he married a more amiable woman?"), echo=HeardEcho()
    )
    rig.mic.feed(clip("librivox-0920").audio)
    assert rig.events.wait(EndOfTurn, timeout=30).silence_ms < 400


def test_the_end_of_turn_model_waits_when_the_voice_goes_on(make_rig) -> None:
    """Words that look finished, said mid-sentence: the voice tells the model it goes on."""
    speech = clip("librivox-0920")
    voiced = speech.audio[: int(speech.speech_end_s * SAMPLE_RATE)]
    first, _, _ = paused_mid_sentence(voiced, between=(0.5, 0.8))
    rig = make_rig(recognizer=FakeRecognizer("Had he married a woman."), echo=HeardEcho())
    rig.mic.feed(np.concatenate([_pause(500), first, _pause(1200)]))
    assert rig.events.wait(EndOfTurn, timeout=30).silence_ms >= 800
