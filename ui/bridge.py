"""The one place where Qt meets the assistant core.

The engine runs on a worker thread (building the assistant, loading models and every turn), the
voice loop's start/stop run on a second one (opening audio devices may block), and every event of
the core's EventBus becomes a Qt signal. Signals emitted from those threads reach the widgets
through queued connections, so widgets only ever run on the GUI thread and never wait for a model.
"""

from __future__ import annotations

import copy
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from assistant import config as config_module
from assistant.config import Config
from assistant.errors import AssistantError
from assistant.events import (
    AlarmFired,
    ConversationChanged,
    DialogueChanged,
    Error,
    Event,
    EventBus,
    FinalTranscript,
    InputLevel,
    Interrupted,
    ModelLoaded,
    ModelLoading,
    Notice,
    PartialTranscript,
    ReplyDone,
    ReplyStarted,
    ReplyToken,
    SpeakingStarted,
    SpeakingStopped,
    StageTiming,
    StateChanged,
    UserText,
)
from assistant.llm.base import LanguageModel
from assistant.skills.alarms import Alarm
from assistant.turns import TurnRequest

if TYPE_CHECKING:
    from assistant.app import Assistant
    from assistant.memory.store import Attachment, Conversation, Fact, Message
    from assistant.voice.base import VoiceControl

log = logging.getLogger(__name__)

Builder = Callable[[EventBus], "Assistant"]
EXPORT_FOLDER_KEY = "ui.last_export_folder"
VoiceFactory = Callable[["Assistant"], "VoiceControl | None"]
T = TypeVar("T")
_FAILED = object()  # the result of a read that raised


def isolated_llm(config: Config, notify: Callable[[str], None]) -> LanguageModel:
    """The language model in a child process: native code may hold the GIL for seconds while
    loading and prefilling, which would freeze the window. A model server's client stays here
    (it only waits on a socket) so its notices reach the window; its local fallback is isolated."""
    from assistant.llm.factory import build_llm
    from assistant.llm.isolated import IsolatedLanguageModel

    if config.llm.backend == "fake":
        return build_llm(config)
    if config.llm.backend == "openai":
        from assistant.llm.fallback import build_openai_llm

        return build_openai_llm(config, IsolatedLanguageModel, notify)
    return IsolatedLanguageModel(config)


def default_builder(config: Config) -> Builder:
    """``assistant.app.build``, with the language model in a child process."""

    def build(bus: EventBus) -> Assistant:
        from assistant.app import build as build_assistant

        return build_assistant(config, bus, llm_builder=isolated_llm)

    return build


def default_voice(assistant: Assistant) -> VoiceControl | None:
    """The voice loop, composed as `assistant listen` does (models load later, in warm-up)."""
    from assistant.voice.setup import build_voice_loop

    return build_voice_loop(assistant, push_to_talk_only=assistant.config.ui.mic_mode == "hold")


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    conversation_title: str
    message_id: int
    role: str
    text: str
    created_at: float


class _Worker:
    """One daemon thread running jobs in order (a job is a plain callable)."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def close(self, timeout: float) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:
                log.exception("background job failed")


class Bridge(QObject):
    """Runs the assistant off the GUI thread and re-emits its events as Qt signals."""

    ready = Signal()
    startupFailed = Signal(str)
    busyChanged = Signal(bool)
    # a turn
    userText = Signal(object)  # UserText
    replyStarted = Signal(int, str)
    replyToken = Signal(int, str)
    replyDone = Signal(object)  # ReplyDone
    interrupted = Signal(int, str)
    stageTiming = Signal(int, str, float)
    conversationChanged = Signal(int)
    questionChanged = Signal(int, str)  # conversation id, the question waiting ('' for none)
    alarmsChanged = Signal()  # timers or reminders may have changed (a reply, one fired)
    factsChanged = Signal()  # the facts about the user may have changed (a reply, a forget)
    # voice
    voiceAvailable = Signal(bool)
    stateChanged = Signal(object)  # AssistantState
    inputLevel = Signal(float)
    partialTranscript = Signal(str)
    finalTranscript = Signal(str)
    speakingChanged = Signal(int, bool)  # turn id, its reply is being spoken
    # loading, notices, errors
    modelLoading = Signal(str, str)
    modelLoaded = Signal(str, str, float)
    notice = Signal(str, str)
    error = Signal(str, str, bool)
    # results of background requests
    devicesListed = Signal(list, str)  # [Device], error message ('' when fine)
    voicesListed = Signal(list, str)  # [(id, name)], error message
    deviceTestDone = Signal(str)
    _fetched = Signal(str, int, object, object)  # key, request number, deliver, result

    def __init__(
        self,
        config: Config,
        builder: Builder | None = None,
        voice_factory: VoiceFactory = default_voice,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.bus = EventBus()
        self._builder = builder or default_builder(config)
        self._voice_factory = voice_factory
        self.assistant: Assistant | None = None
        self.voice: VoiceControl | None = None
        self._engine: _Worker | None = None
        self._control: _Worker | None = None
        self._reader: _Worker | None = None
        self._fetches: dict[str, int] = {}  # key → the number of its latest request
        self._reads = 0
        self._fetched.connect(self._deliver)
        self._warm_up: threading.Thread | None = None
        self._busy = False
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._unsubscribe = self.bus.subscribe(self._on_event)
        self._dispatch: dict[type, Callable[[Any], None]] = {
            UserText: self._on_user_text,
            ReplyStarted: lambda e: self.replyStarted.emit(e.turn_id, e.by),
            ReplyToken: lambda e: self.replyToken.emit(e.turn_id, e.text),
            ReplyDone: self._on_reply_done,
            Interrupted: lambda e: self.interrupted.emit(e.turn_id, e.reason),
            StageTiming: lambda e: self.stageTiming.emit(e.turn_id, e.stage, e.ms),
            ConversationChanged: lambda e: self.conversationChanged.emit(e.conversation_id),
            AlarmFired: lambda e: self.alarmsChanged.emit(),
            DialogueChanged: lambda e: self.questionChanged.emit(
                e.conversation_id, e.question or ""
            ),
            StateChanged: lambda e: self.stateChanged.emit(e.state),
            InputLevel: lambda e: self.inputLevel.emit(e.dbfs),
            PartialTranscript: lambda e: self.partialTranscript.emit(e.text),
            FinalTranscript: lambda e: self.finalTranscript.emit(e.text),
            SpeakingStarted: lambda e: self.speakingChanged.emit(e.turn_id, True),
            SpeakingStopped: lambda e: self.speakingChanged.emit(e.turn_id, False),
            ModelLoading: lambda e: self.modelLoading.emit(e.role, e.name),
            ModelLoaded: lambda e: self.modelLoaded.emit(e.role, e.name, e.seconds),
            Notice: lambda e: self.notice.emit(e.text, e.kind),
            Error: lambda e: self.error.emit(e.stage, e.message, e.fatal),
        }

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Build the assistant and load its models in the background (returns at once)."""
        self._engine = _Worker("assistant-engine")
        self._control = _Worker("assistant-voice-control")
        self._reader = _Worker("assistant-reads")
        self._engine.submit(self._build)

    def _build(self) -> None:
        try:
            self.assistant = self._builder(self.bus)
        except AssistantError as err:
            self.startupFailed.emit(str(err))
            return
        except Exception as err:
            log.exception("building the assistant failed")
            self.startupFailed.emit(f"the assistant could not start: {err}")
            return
        for text in self.assistant.store.notices:
            self.notice.emit(text, "warning")
        try:
            self.voice = self._voice_factory(self.assistant)
        except AssistantError as err:
            self.voice = None
            self.error.emit("voice", str(err), False)
        self.voiceAvailable.emit(self.voice is not None)
        self.ready.emit()
        # Models load on their own thread so a typed turn can start meanwhile (the stages'
        # load locks make it wait only for what it needs).
        self._warm_up = threading.Thread(
            target=self._load_models, name="assistant-warm-up", daemon=True
        )
        self._warm_up.start()

    def _load_models(self) -> None:
        assistant, voice = self.assistant, self.voice
        if assistant is None:
            return
        try:
            assistant.warm_up()  # reports its own failures as Error events
        except Exception as err:
            log.exception("loading the models failed")
            self.error.emit("llm", f"the models could not load: {err}", False)
        if voice is None:
            return
        warm_up = getattr(voice, "warm_up", None)
        try:
            if warm_up is not None:
                warm_up()
            self._check_microphone(voice)
        except AssistantError as err:
            self.error.emit("voice", str(err), True)
        except Exception as err:
            log.exception("loading the voice models failed")
            self.error.emit("voice", f"voice input failed to load: {err}", True)

    def _check_microphone(self, voice: VoiceControl) -> None:
        """A missing microphone is reported at start, not at the first click."""
        from assistant.audio.capture import Microphone
        from assistant.audio.devices import find_device

        if isinstance(getattr(voice, "mic", None), Microphone):
            find_device(self.config.audio.input_device, "input")

    def shutdown(self, timeout: float = 3.0) -> None:
        """Stop the turn and the voice loop, then close the store (called on quit)."""
        if self.assistant is not None:
            self.assistant.engine.cancel("quit")
        if self.voice is not None and self._control is not None:
            self._control.submit(self.voice.stop)
        for worker in (self._reader, self._control, self._engine):
            if worker is not None:
                worker.close(timeout)
        if self._warm_up is not None:
            self._warm_up.join(timeout)  # a model load cannot be cut short; it is a daemon
        self._unsubscribe()
        self._fetches.clear()  # a read that ends now is not delivered
        assistant, self.assistant = self.assistant, None  # late GUI calls now see no data
        if assistant is not None:
            assistant.close()
            close_llm = getattr(assistant.llm, "close", None)  # the child process, if any
            if close_llm is not None:
                close_llm()

    @property
    def is_ready(self) -> bool:
        return self.assistant is not None

    @property
    def busy(self) -> bool:
        return self._busy

    # --- events → signals (called on whatever thread emitted the event) ---------------------

    def _on_event(self, event: Event) -> None:
        handler = self._dispatch.get(type(event))
        if handler is not None:
            handler(event)

    def _on_user_text(self, event: UserText) -> None:
        self._set_busy(True)
        self.userText.emit(event)

    def _on_reply_done(self, event: ReplyDone) -> None:
        self.replyDone.emit(event)
        self.alarmsChanged.emit()  # a command may have set, changed or cancelled one
        self.factsChanged.emit()  # noted in passing, remembered or forgotten
        if self._pending == 0:
            self._set_busy(False)

    def _count_pending(self, delta: int) -> int:
        """Turns queued or running; changed by the GUI thread and the engine thread."""
        with self._pending_lock:
            self._pending += delta
            return self._pending

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    # --- a turn ---------------------------------------------------------------------------

    def send(self, text: str, source: str = "typed", client_ref: str | None = None) -> bool:
        """Queue a typed message; False (with an error signal) when it cannot be sent now.
        ``client_ref`` comes back in the message's ``UserText``."""
        if self._engine is None:
            return False
        self._count_pending(+1)
        self._set_busy(True)
        self._engine.submit(lambda: self._run_turn(text, source, client_ref))
        return True

    def send_image(
        self,
        text: str,
        data: bytes,
        name: str,
        source: str = "image",
        client_ref: str | None = None,
    ) -> bool:
        """Queue a message about an image (pasted, dropped, attached or captured)."""
        if self._engine is None:
            return False
        self._count_pending(+1)
        self._set_busy(True)
        self._engine.submit(lambda: self._run_turn(text, source, client_ref, (data, name)))
        return True

    def attach_image(self, data: bytes, name: str) -> bool:
        """Read an image now and keep it for the next turn (a spoken question about a capture)."""
        if self._engine is None:
            return False

        def job() -> None:
            vision = getattr(self.assistant, "vision", None)
            if vision is None or vision.inbox is None:
                return
            try:
                vision.inbox.put(vision.read(data, name))
            except AssistantError as err:
                self.error.emit("image", str(err), False)

        self._engine.submit(job)
        return True

    def _run_turn(
        self,
        text: str,
        source: str,
        client_ref: str | None,
        image: tuple[bytes, str] | None = None,
    ) -> None:
        try:
            if self.assistant is None:
                self.error.emit("startup", "the assistant did not start; see the banner.", False)
                return
            if image is None:
                request = TurnRequest(text, source, client_ref=client_ref)  # type: ignore[arg-type]
                self.assistant.engine.handle(request)
                if self.assistant.engine.cache_stale:  # read again while the reply is spoken
                    self.assistant.engine.prepare()
            else:  # read the image (OCR) here, off the GUI thread, then run the turn
                from assistant.vision.turn import ask_about_image

                read = self.assistant.vision.read(*image)
                if self.assistant.vision.inbox is not None:
                    self.assistant.vision.inbox.clear()  # this message carries the image
                engine = self.assistant.engine
                ask_about_image(engine, read, text, source, client_ref)  # type: ignore[arg-type]
        except AssistantError as err:
            self.error.emit("turn", str(err), False)
        except Exception as err:
            log.exception("turn failed")
            self.error.emit("turn", f"the turn failed: {err}", False)
        finally:
            left = self._count_pending(-1)
            if left == 0 and not (self.assistant and self.assistant.engine.busy):
                self._set_busy(False)

    def stop(self) -> None:
        """Stop the reply: the text stream and anything being spoken."""
        if self.assistant is not None:
            self.assistant.engine.cancel("stopped")
        if self.voice is not None and self._control is not None:
            self._control.submit(self.voice.interrupt)

    # --- voice ----------------------------------------------------------------------------

    def _voice_call(self, what: str, call: Callable[[], None]) -> None:
        def job() -> None:
            try:
                call()
            except AssistantError as err:
                self.error.emit("voice", str(err), False)
            except Exception as err:
                log.exception("voice %s failed", what)
                self.error.emit("voice", f"the microphone could not {what}: {err}", False)

        if self._control is not None:
            self._control.submit(job)

    def start_listening(self) -> None:
        if self.voice is not None:
            self._voice_call("start", self.voice.start)

    def stop_listening(self) -> None:
        if self.voice is not None:
            self._voice_call("stop", self.voice.stop)

    def push_to_talk(self, pressed: bool) -> None:
        voice = self.voice
        if voice is None:
            return

        def job() -> None:
            if pressed and not voice.listening:
                voice.start()
            voice.push_to_talk(pressed)

        self._voice_call("start", job)

    def set_mic_mode(self, mode: str) -> None:
        """``hold``: the loop hears only while the button is held (no hands-free turns)."""
        if self.voice is not None and hasattr(self.voice, "push_to_talk_only"):
            self.voice.push_to_talk_only = mode == "hold"

    def set_muted(self, muted: bool) -> None:
        self.config.tts.muted = muted
        voice = self.voice
        if voice is not None:
            self._voice_call("mute", lambda: voice.set_muted(muted))

    @property
    def listening(self) -> bool:
        return self.voice is not None and self.voice.listening

    # --- reads off the GUI thread ----------------------------------------------------------

    def fetch(self, key: str, read: Callable[[], T], deliver: Callable[[T], None]) -> None:
        """Run ``read`` on the reads thread (a long conversation, a search over thousands of
        messages) and call ``deliver`` with its result on the GUI thread. Only the latest
        request of a ``key`` is delivered: an older one that ends later is dropped."""
        number = self._fetches.get(key, 0) + 1
        self._fetches[key] = number
        if self._reader is None:  # not started: nothing stored to wait for
            deliver(read())
            return
        self._reads += 1

        def job() -> None:
            result: Any = _FAILED
            try:
                result = read()
            finally:  # a failed read is logged by the worker, and counted as done
                self._fetched.emit(key, number, deliver, result)

        self._reader.submit(job)

    @property
    def pending_reads(self) -> int:
        """Reads asked for and not yet delivered (or dropped)."""
        return self._reads

    def _deliver(self, key: str, number: int, deliver: Callable[[Any], None], result: Any) -> None:
        self._reads -= 1
        if result is not _FAILED and self._fetches.get(key) == number:
            deliver(result)

    # --- conversations (the reads: call them through ``fetch`` unless they are cheap) -------

    @property
    def conversation_id(self) -> int | None:
        return self.assistant.engine.conversation_id if self.assistant else None

    def pending_alarms(self) -> list[Alarm]:
        """The timers and reminders still to come (none before the assistant is built)."""
        understanding = getattr(self.assistant, "understanding", None)
        return [] if understanding is None else understanding.alarms.pending()

    def cancel_alarm(self, alarm_id: int) -> None:
        """Cancel a timer or reminder (its chip's button), off the GUI thread."""
        understanding = getattr(self.assistant, "understanding", None)
        if self._engine is None or understanding is None:
            return

        def job() -> None:
            understanding.alarms.cancel([alarm_id])
            self.alarmsChanged.emit()

        self._engine.submit(job)

    def facts(self) -> list[Fact]:
        """What the assistant knows about the user, newest first."""
        return [] if self.assistant is None else self.assistant.store.facts()[::-1]

    def forget_facts(self, fact_ids: list[int] | None) -> None:
        """Forget these facts (``None``: every one), off the GUI thread; the conversation is
        read into the model's cache again under the changed prompt."""
        if self._engine is None or self.assistant is None:
            return
        store, engine = self.assistant.store, self.assistant.engine

        def job() -> None:
            if fact_ids is None:
                store.delete_all_facts()
            else:
                for fact_id in fact_ids:
                    store.delete_fact(fact_id)
            self.factsChanged.emit()
            engine.prepare()

        self._engine.submit(job)

    def waiting_question(self, conversation_id: int) -> str:
        """The question the assistant asked in that conversation and waits on ('' if none)."""
        if self.assistant is None:
            return ""
        question = self.assistant.engine.dialogue.question(conversation_id)
        return question.text if question is not None else ""

    def attachments(self, conversation_id: int) -> dict[int, list[Attachment]]:
        """Images stored with the messages of a conversation, by message id."""
        return {} if self.assistant is None else self.assistant.store.attachments(conversation_id)

    def conversations(self) -> list[Conversation]:
        return self.assistant.store.list_conversations() if self.assistant else []

    def messages(self, conversation_id: int) -> list[Message]:
        return self.assistant.store.messages(conversation_id) if self.assistant else []

    def search(self, query: str) -> list[SearchHit]:
        if self.assistant is None:
            return []
        store = self.assistant.store
        titles = {c.id: c.title for c in store.list_conversations()}
        return [
            SearchHit(
                m.conversation_id,
                titles.get(m.conversation_id, ""),
                m.id,
                m.role,
                m.text,
                m.created_at,
            )
            for m in store.search_messages(query)
            if m.conversation_id in titles
        ]

    def new_conversation(self) -> None:
        if self.assistant is not None and not self.assistant.engine.busy:
            self.assistant.engine.new_conversation()

    def open_conversation(self, conversation_id: int) -> bool:
        """Open a conversation (False while a reply is being written: the window waits)."""
        if self.assistant is None or self.assistant.engine.busy:
            return False
        self.assistant.engine.open_conversation(conversation_id)
        return True

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        if self.assistant is not None:
            self.assistant.store.rename_conversation(conversation_id, title.strip())

    def delete_conversation(self, conversation_id: int) -> str:
        """Move a conversation to the trash ('' when done, else why not). When it is the open
        one, the newest other conversation is opened (or a new one)."""
        if self.assistant is None:
            return "the assistant is still starting; try again in a moment."
        engine, store = self.assistant.engine, self.assistant.store
        is_open = conversation_id == engine.conversation_id
        if is_open and (self.busy or engine.busy):
            return "a reply is being written into it: stop it (Esc) or wait, then delete."
        if not store.trash_conversation(conversation_id):
            return "it was deleted already."
        if is_open:
            others = [c for c in store.list_conversations() if c.message_count]
            if others:
                engine.open_conversation(others[0].id)
            else:
                engine.new_conversation()
        return ""

    def restore_conversation(self, conversation_id: int) -> bool:
        """Take a conversation out of the trash (True when it was there)."""
        return self.assistant is not None and self.assistant.store.restore_conversation(
            conversation_id
        )

    def trashed_conversations(self) -> list[Conversation]:
        return self.assistant.store.trashed_conversations() if self.assistant else []

    def empty_trash(self) -> int:
        """Delete for good every conversation in the trash; how many there were."""
        return self.assistant.store.purge_trash(older_than_days=0) if self.assistant else 0

    def last_export_folder(self) -> Path | None:
        """The folder of the last export (kept in the store), None before the first one."""
        value = self.assistant.store.get_state(EXPORT_FOLDER_KEY) if self.assistant else None
        return Path(value) if value else None

    def export_conversation(self, conversation_id: int, path: Path) -> Path:
        """Write Markdown (``.md``) or JSON (``.json``) with the same code as the CLI."""
        if self.assistant is None:
            raise AssistantError("the assistant is still starting; try again in a moment.")
        from assistant.memory import export

        if path.suffix.lower() == ".json":
            text = export.to_json(self.assistant.store, conversation_id)
        else:
            text = export.to_markdown(self.assistant.store, conversation_id)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as err:
            raise AssistantError(f"cannot write {path}: {err.strerror}.") from None
        self.assistant.store.set_state(EXPORT_FOLDER_KEY, str(path.resolve().parent))
        return path

    # --- sound devices (PortAudio calls may block: always on the control thread) ----------

    def request_devices(self) -> None:
        """List the sound devices in the background; answers with ``devicesListed``."""

        def job() -> None:
            from assistant.audio.devices import list_devices

            try:
                self.devicesListed.emit(list_devices(), "")
            except AssistantError as err:
                self.devicesListed.emit([], str(err))

        self._background(job)

    def test_device(self, direction: str, spec: str) -> None:
        """Record a second from the microphone (reporting its level) or play a short tone."""

        def job() -> None:
            try:
                message = _test_microphone(spec) if direction == "input" else _test_speaker(spec)
            except AssistantError as err:
                message = str(err)
            except Exception as err:  # PortAudio errors: the device is busy or gone
                log.exception("device test failed")
                message = f"The device test failed: {err}"
            self.deviceTestDone.emit(message)

        self._background(job)

    def _voice_settings(self, backend: str, voice: str = "", rate: float = 1.0) -> Config:
        config = copy.deepcopy(self.config)
        config.tts.backend, config.tts.voice, config.tts.rate = backend, voice, rate
        return config

    def request_voices(self, backend: str) -> None:
        """The voices of a TTS backend, in the background; answers with ``voicesListed``."""

        def job() -> None:
            from assistant.tts.factory import build_synthesizer

            try:
                synthesizer = build_synthesizer(self._voice_settings(backend))
                voices = synthesizer.voices() if synthesizer is not None else []
                self.voicesListed.emit([(v.id, v.name) for v in voices], "")
            except AssistantError as err:
                self.voicesListed.emit([], str(err))

        self._background(job)

    def preview_voice(self, backend: str, voice: str, rate: float, output: str) -> None:
        """Say a sentence with these voice settings on ``output``; reports in ``deviceTestDone``."""

        def job() -> None:
            from assistant.tts.factory import build_synthesizer

            try:
                synthesizer = build_synthesizer(self._voice_settings(backend, voice, rate))
                if synthesizer is None:
                    self.deviceTestDone.emit("Voice output is off (engine: none).")
                    return
                synthesizer.load()
                audio = synthesizer.synthesize("Hello! This is how I sound at this rate.")
                name = _play(audio, synthesizer.sample_rate, output)
                self.deviceTestDone.emit(f"Spoke with {synthesizer.name} on {name!r}.")
            except AssistantError as err:
                self.deviceTestDone.emit(str(err))
            except Exception as err:  # PortAudio errors: the device is busy or gone
                log.exception("voice preview failed")
                self.deviceTestDone.emit(f"The preview failed: {err}")

        self._background(job)

    def _background(self, job: Callable[[], None]) -> None:
        if self._control is None:  # not started (a dialog opened before start): run alone
            threading.Thread(target=job, name="assistant-device", daemon=True).start()
        else:
            self._control.submit(job)

    # --- settings -------------------------------------------------------------------------

    def model_names(self, role: str, prepared_only: bool = False) -> list[str]:
        """Names of the registry's models of ``role`` (for the settings dialog); with
        ``prepared_only`` just those ready to use here."""
        return [name for name, _ in self.model_choices(role, prepared_only)]

    def model_choices(self, role: str, prepared_only: bool = False) -> list[tuple[str, str]]:
        """(name, label with size and description) of the registry's models of ``role``."""
        from assistant.model_store import ModelStore

        try:
            models = self.assistant.models if self.assistant else ModelStore()
            found = []
            for entry in models.entries():
                if entry.role != role:
                    continue
                status = models.status(entry)
                if prepared_only and not status.prepared:
                    continue
                size = f"{status.size_bytes / 1e6:,.0f} MB" if status.size_bytes else ""
                label = f"{entry.name} — {size}, {entry.description}".replace(" — , ", " — ")
                found.append((entry.name, label))
            return found
        except AssistantError:
            return []

    def save_config(self, config: Config) -> Path:
        """Write the settings to the same TOML file the CLI reads."""
        config.source = config.source or self.config.source
        path = config_module.save(config, config.source)
        self.config = config
        if self.voice is not None:
            self.set_muted(config.tts.muted)
            self.set_mic_mode(config.ui.mic_mode)
        return path


def _test_microphone(spec: str, seconds: float = 1.0) -> str:
    import numpy as np

    from assistant.audio.capture import Microphone

    microphone = Microphone(spec)
    device = microphone.open()
    try:
        audio = microphone.read(int(16_000 * seconds), timeout=seconds + 1.0)
    finally:
        microphone.close()
    if audio.size == 0:
        return f"The microphone {device.name!r} delivered no sound; check that it is not muted."
    peak = float(np.max(np.abs(audio)))
    dbfs = 20 * np.log10(max(peak, 1e-6))
    verdict = "works" if dbfs > -50 else "is very quiet (muted, or too far away?)"
    return f"The microphone {device.name!r} {verdict}: peak {dbfs:.0f} dBFS over {seconds:.0f} s."


def _play(audio: Any, rate: int, spec: str) -> str:
    """Play ``audio`` on the speaker ``spec`` to the end; returns the device's name."""
    import time

    from assistant.audio.playback import Speaker

    speaker = Speaker(spec)
    device = speaker.open()
    try:
        speaker.play(audio, rate, "test")
        deadline = time.monotonic() + len(audio) / rate + 2.0
        while speaker.busy and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        speaker.close()
    return device.name


def _test_speaker(spec: str, seconds: float = 0.6) -> str:
    import numpy as np

    rate = 16_000
    t = np.arange(int(rate * seconds), dtype=np.float32) / rate
    tone = 0.2 * np.sin(2 * np.pi * 440.0 * t) * np.minimum(1.0, (seconds - t) * 20)
    name = _play(tone.astype(np.float32), rate, spec)
    return f"Played a tone on {name!r}; if you heard nothing, check the volume."
