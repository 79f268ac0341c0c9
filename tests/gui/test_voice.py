"""The microphone button and voice status against a scripted voice loop (FakeVoice)."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from assistant.events import AssistantState, InputLevel, Notice


def test_toggle_mode_click_starts_and_stops_listening(qtbot, window):
    win = window()
    voice = win.bridge.voice
    assert win.mic.isEnabled() and not win.mic.isChecked()
    qtbot.mouseClick(win.mic, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.mic.state is AssistantState.LISTENING, timeout=3000)
    assert voice.calls == ["start"]
    assert win.mic.isChecked()
    assert "Listening" in win.voice_status.badge.text()
    assert win.voice_status.meter.value() > 0  # the level the fake reported
    qtbot.mouseClick(win.mic, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.mic.state is AssistantState.IDLE, timeout=3000)
    assert voice.calls == ["start", "stop"]
    assert not win.mic.isChecked() and "Idle" in win.voice_status.badge.text()
    assert win.voice_status.meter.value() == 0


def test_hold_mode_talks_while_pressed(qtbot, window):
    win = window()
    win.mic.set_mode("hold")
    voice = win.bridge.voice
    assert not win.mic.isCheckable()
    qtbot.mousePress(win.mic, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: voice.calls == ["start", "ptt:True"], timeout=3000)
    qtbot.waitUntil(lambda: win.mic.state is AssistantState.LISTENING, timeout=3000)
    qtbot.mouseRelease(win.mic, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.mic.state is AssistantState.THINKING, timeout=3000)
    assert voice.calls == ["start", "ptt:True", "ptt:False"]
    assert "Thinking" in win.voice_status.badge.text()


def test_spoken_turn_shows_partial_transcript_and_joins_the_conversation(qtbot, window):
    win = window(reply="Paris is the capital.")
    voice = win.bridge.voice
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.send("typed first")
    partials: list[str] = []
    states: list[AssistantState] = []
    win.bridge.partialTranscript.connect(partials.append)
    win.bridge.stateChanged.connect(states.append)
    worker = threading.Thread(target=voice.hear, args=("what is the capital of France",))
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: states and states[-1] is AssistantState.IDLE, timeout=3000)
    assert partials[-1] == "what is the capital of France" and len(partials) == 6
    assert states[:2] == [AssistantState.THINKING, AssistantState.SPEAKING]
    assert not win.partial.isVisible()  # cleared once the turn moved on
    texts = [(b.meta.role, b.text) for b in win.chat.bubbles]
    assert texts == [
        ("user", "typed first"),
        ("assistant", "Paris is the capital."),
        ("user", "what is the capital of France"),
        ("assistant", "Paris is the capital."),
    ]
    assert "spoken" in win.chat.bubbles[2].meta_label.text()
    assert "typed" in win.chat.bubbles[0].meta_label.text()
    conversation = {m.conversation_id for m in win.bridge.messages(win.bridge.conversation_id)}
    assert len(conversation) == 1


def test_mute_toggle_reaches_the_voice_loop_and_the_config(qtbot, window):
    win = window()
    qtbot.mouseClick(win.voice_status.mute, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "muted:True" in win.bridge.voice.calls, timeout=3000)
    assert win.bridge.config.tts.muted


def test_without_a_voice_loop_the_mic_is_disabled_and_text_still_works(qtbot, window):
    win = window(voice=False)
    assert not win.mic.isEnabled()
    assert "not available" in win.mic.toolTip()
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.send("hello")
    win.bridge.bus.emit(InputLevel(-10.0))  # stray events are harmless


def test_errors_show_a_banner_and_notices_reach_the_user(qtbot, window):
    from assistant.events import Error

    win = window()
    win.bridge.bus.emit(Error("voice", "no microphone found; plug one in.", fatal=True))
    qtbot.waitUntil(lambda: "voice" in win.banners.banners, timeout=2000)
    text = win.banners.banners["voice"].text
    assert "no microphone found" in text and "Text chat still works" in text
    assert not win.mic.isEnabled()
    shown: list[str] = []
    win.noticeShown.connect(lambda t, _k: shown.append(t))
    win.bridge.bus.emit(Notice("Timer done: tea", "timer"))
    qtbot.waitUntil(lambda: shown == ["Timer done: tea"], timeout=2000)
    assert any("Timer done" in b.text for b in win.banners.banners.values())
    qtbot.mouseClick(win.banners.banners["voice"].close_button, Qt.MouseButton.LeftButton)
    assert "voice" not in win.banners.banners


def test_start_up_failures_show_banners_and_the_window_stays_usable(qtbot, config):
    from assistant.errors import StorageError
    from ui.bridge import Bridge
    from ui.main_window import MainWindow

    def broken(_bus):  # type: ignore[no-untyped-def]
        raise StorageError("the database /x/assistant.db is read-only; make it writable.")

    bridge = Bridge(config, broken, lambda _a: None)
    win = MainWindow(bridge, config)
    qtbot.addWidget(win)
    with qtbot.waitSignal(bridge.startupFailed, timeout=5000):
        bridge.start()
    assert "read-only" in win.banners.banners["startup"].text
    assert win.input.isEnabled()
    bridge.shutdown()


def test_a_model_that_fails_to_load_shows_a_banner(qtbot, config):
    from assistant import paths
    from assistant.conversation import ConversationEngine
    from assistant.errors import ModelError
    from assistant.llm.fake import FakeLanguageModel
    from assistant.memory.store import MemoryStore
    from assistant.model_store import ModelStore
    from tests.gui.fakes import LightAssistant
    from ui.bridge import Bridge
    from ui.main_window import MainWindow

    class MissingModel(FakeLanguageModel):
        def load(self) -> None:
            raise ModelError("llm.model: /models/x.gguf does not exist.")

    def builder(bus):  # type: ignore[no-untyped-def]
        store, llm = MemoryStore(paths.database_file()), MissingModel()
        engine = ConversationEngine(store=store, llm=llm, config=config, bus=bus)
        return LightAssistant(config, bus, store, ModelStore(), llm, engine)

    bridge = Bridge(config, builder, lambda _a: None)
    win = MainWindow(bridge, config)
    qtbot.addWidget(win)
    bridge.start()
    qtbot.waitUntil(lambda: "llm" in win.banners.banners, timeout=5000)
    text = win.banners.banners["llm"].text
    assert "does not exist" in text and "Commands" in text
    bridge.shutdown()
