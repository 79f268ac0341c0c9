"""The voice loop: microphone → end of turn → Whisper → engine → sentences → TTS → speaker.

``VoiceLoop`` only wires the stages, each with one job and its own thread:
  listener (voice-capture)  microphone, echo cancelling, voice activity, end of turn, barge-in
    transcriber (asr)       transcribes the growing turn (partials, a speculative final, final)
  turn runner (voice-turns) hands final transcripts and typed lines to ``engine.handle``
  reply speaker (voice-replies, voice-tts)  voices each ReplySentence while the model still
                            generates, plays it, and knows what was actually heard
Each stage's docstring names its input queue, who puts into it and who takes from it.
"""

from __future__ import annotations

import logging
import threading
import time

from assistant.asr.base import SpeechRecognizer
from assistant.audio.base import AudioInput, AudioOutput
from assistant.audio.capture import Microphone
from assistant.audio.echo import EchoCanceller, build_echo_canceller
from assistant.audio.playback import Speaker
from assistant.audio.vad import SileroVad, SpeechProbability
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.errors import AssistantError
from assistant.events import AssistantState, ModelLoaded, ModelLoading, Notice
from assistant.tts.base import SpeechSynthesizer
from assistant.voice.listener import TurnListener
from assistant.voice.reply_speaker import ReplySpeaker
from assistant.voice.smart_turn import TurnModel
from assistant.voice.status import VoiceStatus
from assistant.voice.turn_runner import TurnRunner

log = logging.getLogger(__name__)


def _turn_model(config: Config) -> TurnModel | None:
    if config.audio.turn_model == "off":
        return None
    from assistant.voice.smart_turn import SmartTurn

    return SmartTurn()


class VoiceLoop:
    """Implements ``VoiceControl`` for the CLI and the GUI; everything else is events."""

    def __init__(
        self,
        engine: ConversationEngine,
        recognizer: SpeechRecognizer,
        synthesizer: SpeechSynthesizer | None,
        config: Config,
        *,
        microphone: AudioInput | None = None,
        speaker: AudioOutput | None = None,
        vad: SpeechProbability | None = None,
        echo: EchoCanceller | str | None = "config",
        push_to_talk_only: bool = False,
        turn_model: TurnModel | str | None = "config",
    ) -> None:
        audio = config.audio
        self.engine = engine
        self.bus = engine.bus
        self.config = config
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.status = VoiceStatus(engine.bus)
        self.runner = TurnRunner(engine, self.status, self._until_first_audio)
        self.replies = ReplySpeaker(
            engine,
            synthesizer,
            speaker or Speaker(audio.output_device),
            config,
            self.status,
            lambda: self.runner.current_seq,
        )
        self.listener = TurnListener(
            microphone or Microphone(audio.input_device),
            vad or SileroVad(),
            recognizer,
            config.asr.language,
            audio,
            engine.bus,
            self.status,
            self.runner,
            self.replies,
            self.interrupt_for,
            push_to_talk_only,
            _turn_model(config) if turn_model == "config" else turn_model,  # type: ignore[arg-type]
        )
        self.status.bind(self.replies.speaking, lambda: self.runner.busy)
        self._echo_setting = echo
        self._threads: list[threading.Thread] = []
        self._unsubscribe: object = None

    def _until_first_audio(self, turn_id: int) -> None:
        self.replies.until_first_audio(turn_id)

    # --- VoiceControl ---------------------------------------------------------------------

    @property
    def mic(self) -> AudioInput:
        return self.listener.mic

    @property
    def speaker(self) -> AudioOutput:
        return self.replies.speaker

    @property
    def echo(self) -> EchoCanceller | None:
        return self.listener.echo

    @property
    def listening(self) -> bool:
        return self.status.state is not AssistantState.IDLE

    @property
    def state(self) -> AssistantState:
        return self.status.state

    def warm_up(self) -> None:
        """Load the models now (reported as events) so the first turn is not slow."""
        parts: list[tuple[str, str, object]] = [("vad", "silero-vad", self.listener.vad)]
        parts.append(("asr", self.recognizer.name, self.recognizer))
        if self.listener.turn_model is not None:
            parts.append(("turn", "smart-turn-v3.2", self.listener.turn_model))
        if self.synthesizer is not None and not self.replies.muted:
            parts.append(("tts", self.synthesizer.name, self.synthesizer))
        for role, name, part in parts:
            load = getattr(part, "load", None)
            if load is None:
                continue
            self.bus.emit(ModelLoading(role, name))
            t0 = time.perf_counter()
            try:
                load()
            except AssistantError as err:
                if role == "turn":  # the words alone still end turns
                    self.listener.turn_model = None
                    self.bus.emit(Notice(f"{err} Turns end by their words alone.", "warning"))
                    continue
                if role != "tts":
                    raise
                self.replies.tts_failed(err)
                continue
            self.bus.emit(ModelLoaded(role, name, time.perf_counter() - t0))

    def start(self) -> None:
        if self._threads:
            return
        self.status.halted.clear()
        if self._echo_setting == "config":
            echo, notice = build_echo_canceller(self.config.audio.echo_cancellation)
            if notice and self.config.audio.barge_in:
                self.bus.emit(Notice(notice, "warning"))
            self.listener.echo = echo
        else:
            self.listener.echo = self._echo_setting  # type: ignore[assignment]
        if self.synthesizer is not None:
            self.replies.open_speaker()
        self._unsubscribe = self.bus.subscribe(self.replies.on_event)
        self.listener.transcriber.start()
        halt = self.status.halted
        for name, target in (
            ("capture", lambda: self.listener.run(halt)),
            ("turns", self.runner.run),
            ("prepare", self.runner.prepare_loop),
            ("replies", self.replies.run),
            ("tts", self.replies.synthesize_loop),
        ):
            thread = threading.Thread(target=target, name=f"voice-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self.status.set(AssistantState.LISTENING)

    def stop(self) -> None:
        if not self._threads:
            return
        self.status.halted.set()
        self.interrupt()
        self.runner.stop()
        self.replies.stop()
        for thread in self._threads:
            thread.join(5.0)
        self._threads = []
        self.listener.transcriber.stop()
        if callable(self._unsubscribe):
            self._unsubscribe()
            self._unsubscribe = None
        self.mic.close()
        self.speaker.close()
        self.status.set(AssistantState.IDLE)

    def push_to_talk(self, pressed: bool) -> None:
        self.listener.ptt = pressed

    def interrupt(self) -> None:
        """Stop the reply being spoken (and the answer being generated)."""
        self.interrupt_for("stopped")

    def interrupt_for(self, reason: str) -> None:
        """The one place a reply is stopped: the engine's turn, then the voice."""
        cancelled = self.runner.cancel(reason)
        self.replies.cut_newest(reason, announce=not cancelled)

    def set_muted(self, muted: bool) -> None:
        self.replies.muted = muted or self.synthesizer is None
        if muted:
            self.replies.cut_newest("muted", announce=False, keep_text=True)

    def submit(self, text: str, source: str = "typed") -> None:
        """A typed line joins the same conversation (cancelling a reply in progress)."""
        self.runner.submit(text, source)
