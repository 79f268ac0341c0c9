"""GUI tests: real Qt offscreen, a real SQLite store in tmp dirs, a scripted language model."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant import config as config_module
from assistant.events import EventBus
from assistant.llm.fake import FakeLanguageModel
from tests.gui.fakes import FakeVoice, LightAssistant

REPLY = "Here is **bold** text and code:\n\n```python\nprint('hi')\n```\n\nDone."


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "fake")
    return tmp_path


@pytest.fixture(autouse=True)
def system_theme() -> Iterator[None]:
    """A test may switch the theme (it is the application's): the next one starts with the
    system theme again."""
    yield
    from PySide6.QtWidgets import QApplication

    from ui.theme import apply_theme

    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, "system")


@pytest.fixture
def config() -> config_module.Config:
    return config_module.load()


BridgeMaker = Callable[..., "object"]


@pytest.fixture
def make_bridge(qtbot, config) -> Iterator[BridgeMaker]:  # type: ignore[no-untyped-def]
    """A started Bridge on a real store with a fake LLM (and optionally a fake voice loop)."""
    from assistant import paths
    from assistant.conversation import ConversationEngine
    from assistant.memory.store import MemoryStore
    from assistant.model_store import ModelStore
    from ui.bridge import Bridge

    made: list[Bridge] = []

    def make(reply: str = REPLY, delay_s: float = 0.0, voice: bool = True) -> Bridge:
        def builder(bus: EventBus) -> LightAssistant:
            store = MemoryStore(paths.database_file())
            llm = FakeLanguageModel(reply, delay_s=delay_s)
            engine = ConversationEngine(store=store, llm=llm, config=config, bus=bus)
            return LightAssistant(config, bus, store, ModelStore(), llm, engine)

        def voice_factory(assistant):  # type: ignore[no-untyped-def]
            return FakeVoice(assistant.bus, assistant.engine) if voice else None

        bridge = Bridge(config, builder, voice_factory)
        made.append(bridge)
        with qtbot.waitSignal(bridge.ready, timeout=10_000):
            bridge.start()
        return bridge

    yield make
    for bridge in made:
        bridge.shutdown()


@pytest.fixture
def window(qtbot, make_bridge):  # type: ignore[no-untyped-def]
    """The main window on a started bridge (fake LLM with a small delay, fake voice)."""
    from ui.main_window import MainWindow

    def make(**kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("delay_s", 0.01)
        bridge = make_bridge(**kwargs)
        win = MainWindow(bridge, bridge.config)
        qtbot.addWidget(win)
        win._on_ready()
        win._on_voice_available(bridge.voice is not None)
        win.show()
        return win

    return make


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A private X server (Xvfb) for the tests that need a real display; yields DISPLAY."""
    import shutil
    import subprocess

    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        pytest.skip("needs Xvfb and xdotool (apt-get install xvfb xdotool)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
