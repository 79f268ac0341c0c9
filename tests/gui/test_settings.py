"""The settings dialog writes the same TOML file the CLI reads."""

from __future__ import annotations

import tomllib

import pytest

from assistant import config as config_module
from ui.settings_dialog import SettingsDialog


def test_settings_round_trip_to_toml(qtbot, window, monkeypatch):
    monkeypatch.delenv("ASSISTANT_LLM_BACKEND")
    win = window()
    dialog = SettingsDialog(win.bridge, win)
    qtbot.addWidget(dialog)
    dialog.input_device.setCurrentText("USB Mic")
    dialog.silence.setValue(950)
    dialog.barge_in.setChecked(False)
    dialog.rate.setValue(1.3)
    dialog.voice.setCurrentText("en-us")
    dialog.muted.setChecked(True)
    dialog.model.setCurrentText("/models/my-model")
    dialog.theme.setCurrentText("dark")
    dialog.mic_mode.setCurrentIndex(dialog.mic_mode.findData("hold"))
    dialog.hotkey.setText("<ctrl>+<shift>+j")
    dialog.close_to_tray.setChecked(False)
    dialog.start_minimised.setChecked(True)
    dialog.retention.setValue(30)
    applied = []
    dialog.applied.connect(applied.append)
    dialog.accept()
    assert applied and not dialog.isVisible()

    path = win.bridge.config.source
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw["audio"]["input_device"] == "USB Mic"
    assert raw["ui"]["hotkey"] == "<ctrl>+<shift>+j"
    loaded = config_module.load(path, env={})
    assert loaded.audio.end_of_turn_silence_ms == 950 and not loaded.audio.barge_in
    assert loaded.tts.rate == 1.3 and loaded.tts.voice == "en-us" and loaded.tts.muted
    assert loaded.llm.model == "/models/my-model"
    assert (loaded.ui.theme, loaded.ui.mic_mode) == ("dark", "hold")
    assert not loaded.ui.close_to_tray and loaded.ui.start_minimised
    assert loaded.memory.retention_days == 30
    # the window follows at once
    win.apply_config(applied[0])
    assert win.mic.mode == "hold"
    # and a new dialog shows what was saved
    again = SettingsDialog(win.bridge, win)
    qtbot.addWidget(again)
    assert again.silence.value() == 950 and again.theme.currentText() == "dark"
    assert again.input_device.currentText() == "USB Mic"


def test_a_bad_hotkey_is_refused_with_a_message(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    win = window()
    dialog = SettingsDialog(win.bridge, win)
    qtbot.addWidget(dialog)
    before = win.bridge.config.source.read_text(encoding="utf-8")
    dialog.hotkey.setText("<ctrl>+<nokey>")
    dialog.accept()
    assert warnings and "not valid" in warnings[0]
    assert win.bridge.config.source.read_text(encoding="utf-8") == before


def test_the_dialog_explains_the_wayland_shortcut(qtbot, window):
    win = window()
    dialog = SettingsDialog(win.bridge, win)
    qtbot.addWidget(dialog)
    assert dialog.trigger_command.endswith("assistant trigger")
    labels = [w.text() for w in dialog.findChildren(type(dialog.test_result))]
    assert any("Wayland" in t and dialog.trigger_command in t for t in labels)


def test_voices_are_listed_and_preview_reports_back(qtbot, window):
    import shutil

    win = window()
    dialog = SettingsDialog(win.bridge, win)
    qtbot.addWidget(dialog)
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    dialog.tts_backend.setCurrentText("espeak")
    qtbot.waitUntil(lambda: dialog.voice.findData("en-gb") >= 0, timeout=20_000)
    assert dialog.voice.count() > 50  # espeak-ng's languages
    dialog.voice.setCurrentIndex(dialog.voice.findData("en-gb"))
    assert "Great Britain" in dialog.voice.currentText()
    assert dialog.collect().tts.voice == "en-gb"
    # no sound card here: the preview says what went wrong instead of failing silently
    with qtbot.waitSignal(win.bridge.deviceTestDone, timeout=30_000) as done:
        dialog.preview.click()
    assert done.args[0] and done.args[0] == dialog.test_result.text()


def test_the_model_picker_lists_the_prepared_models_and_a_server(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.delenv("ASSISTANT_LLM_BACKEND")
    win = window()
    dialog = SettingsDialog(win.bridge, win)
    qtbot.addWidget(dialog)
    store = win.bridge.assistant.models if win.bridge.assistant else None
    listed = [dialog.model.itemText(i) for i in range(dialog.model.count())]
    prepared = [n for n, _ in win.bridge.model_choices("llm", prepared_only=True)]
    assert listed == prepared
    if store is not None:
        assert all(store.status(store.entry(n)).prepared for n in listed)
    assert "fake" not in [dialog.llm_backend.itemText(i) for i in range(dialog.llm_backend.count())]
    # the server fields only matter (and are only editable) for the openai backend
    dialog.llm_backend.setCurrentText("llamacpp")
    assert not dialog.base_url.isEnabled()
    dialog.llm_backend.setCurrentText("openai")
    assert dialog.base_url.isEnabled() and dialog.api_key_env.isEnabled()
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    dialog.accept()  # no URL yet: refused with a message
    assert warnings == ["The openai backend needs a server URL."]
    assert config_module.load(win.bridge.config.source, env={}).llm.backend != "openai"
    dialog.base_url.setText("http://127.0.0.1:11434/v1")
    dialog.server_model.setText("llama3.2:3b")
    dialog.api_key_env.setText("MY_SERVER_KEY")
    dialog.accept()
    loaded = config_module.load(win.bridge.config.source, env={})
    assert (loaded.llm.backend, loaded.llm.base_url) == ("openai", "http://127.0.0.1:11434/v1")
    assert (loaded.llm.server_model, loaded.llm.api_key_env) == ("llama3.2:3b", "MY_SERVER_KEY")
