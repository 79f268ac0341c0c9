"""Composes the voice loop from an assembled assistant (used by `assistant listen` and the GUI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.errors import AssistantError
from assistant.events import Error

if TYPE_CHECKING:
    from assistant.app import Assistant
    from assistant.voice.loop import VoiceLoop


def build_voice_loop(
    assistant: Assistant, *, push_to_talk_only: bool = False, speak: bool = True
) -> VoiceLoop:
    """The configured recogniser and voice around the assistant's engine; models load later
    (``VoiceLoop.warm_up``). A voice that cannot be built is said once; replies are then only
    shown."""
    from assistant.asr.factory import build_recognizer
    from assistant.tts.factory import build_synthesizer
    from assistant.voice.loop import VoiceLoop

    config = assistant.config
    recognizer = build_recognizer(config, assistant.models)
    synthesizer = None
    if speak:
        try:
            synthesizer = build_synthesizer(config, assistant.models)
        except AssistantError as err:
            assistant.bus.emit(Error("tts", f"{err} Replies are shown but not spoken."))
    return VoiceLoop(
        assistant.engine, recognizer, synthesizer, config, push_to_talk_only=push_to_talk_only
    )
