"""The settings dialog: edits a copy of the config and writes the same TOML file as the CLI."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assistant import config as config_module
from assistant.config import Config
from assistant.errors import AssistantError
from ui.bridge import Bridge
from ui.hotkey import hotkey_problem, session_has_global_keys

DEFAULT_DEVICE = "System default"


def _meta(section: str, name: str) -> dict[str, Any]:
    cls = config_module.SECTIONS[section]
    return dict(next(f for f in dataclasses.fields(cls) if f.name == name).metadata)


def trigger_command() -> str:
    """The exact command a desktop shortcut should run."""
    found = shutil.which("assistant")
    return f"{found} trigger" if found else "assistant trigger"


class SettingsDialog(QDialog):
    applied = Signal(object)  # the saved Config

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.config: Config = copy.deepcopy(bridge.config)
        self.setWindowTitle("Settings")
        self.setMinimumSize(520, 440)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Settings sections")
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._voice_tab(), "&Voice")
        self.tabs.addTab(self._model_tab(), "&Model")
        self.tabs.addTab(self._interface_tab(), "&Interface")
        self.tabs.addTab(self._history_tab(), "&History")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for button in self.buttons.buttons():
            button.setAccessibleName(button.text().replace("&", ""))
        layout.addWidget(self.buttons)
        bridge.devicesListed.connect(self._fill_devices)
        bridge.deviceTestDone.connect(self._show_test_result)
        bridge.voicesListed.connect(self._fill_voices)
        bridge.request_devices()
        bridge.request_voices(self.tts_backend.currentText())

    # --- tabs -----------------------------------------------------------------------------

    def _form(self) -> tuple[QWidget, QFormLayout]:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return page, form

    def _row(
        self,
        form: QFormLayout,
        label: str,
        widget: QWidget,
        name: str,
        help_text: str = "",
        extra: QWidget | None = None,
    ) -> None:
        widget.setAccessibleName(name)
        if help_text:
            widget.setToolTip(help_text)
            widget.setAccessibleDescription(help_text)
        if extra is None:
            form.addRow(label, widget)
        else:
            row = QHBoxLayout()
            row.addWidget(widget, 1)
            row.addWidget(extra)
            form.addRow(label, row)
        buddy = form.labelForField(widget) or form.labelForField(row if extra else widget)
        if isinstance(buddy, QLabel):
            buddy.setBuddy(widget)

    def _voice_tab(self) -> QWidget:
        page, form = self._form()
        audio, tts = self.config.audio, self.config.tts
        self.input_device = QComboBox(page)
        self.input_device.setEditable(True)
        self.input_device.addItem(DEFAULT_DEVICE)
        self.input_device.setCurrentText(audio.input_device or DEFAULT_DEVICE)
        self.test_input = QPushButton("Test", page)
        self.test_input.setAccessibleName("Test microphone")
        self.test_input.clicked.connect(lambda: self._test("input"))
        self._row(
            form,
            "&Microphone:",
            self.input_device,
            "Microphone",
            _meta("audio", "input_device")["help"],
            self.test_input,
        )
        self.output_device = QComboBox(page)
        self.output_device.setEditable(True)
        self.output_device.addItem(DEFAULT_DEVICE)
        self.output_device.setCurrentText(audio.output_device or DEFAULT_DEVICE)
        self.test_output = QPushButton("Test", page)
        self.test_output.setAccessibleName("Test speaker")
        self.test_output.clicked.connect(lambda: self._test("output"))
        self._row(
            form,
            "&Speaker:",
            self.output_device,
            "Speaker",
            _meta("audio", "output_device")["help"],
            self.test_output,
        )
        self.test_result = QLabel(page)
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName("Device test result")
        form.addRow("", self.test_result)

        self.tts_backend = QComboBox(page)
        self.tts_backend.addItems(_meta("tts", "backend")["choices"])
        self.tts_backend.setCurrentText(tts.backend)
        self._row(
            form,
            "Voice &engine:",
            self.tts_backend,
            "Voice engine",
            _meta("tts", "backend")["help"],
        )
        self.voice = QComboBox(page)
        self.voice.setEditable(True)
        line = self.voice.lineEdit()
        if line is not None:
            line.setPlaceholderText("default voice")
        self.voice.setCurrentText(tts.voice)
        self.preview = QPushButton("Preview", page)
        self.preview.setAccessibleName("Preview voice")
        self.preview.clicked.connect(self._preview)
        self._row(form, "V&oice:", self.voice, "Voice", _meta("tts", "voice")["help"], self.preview)
        self.tts_backend.currentTextChanged.connect(self.bridge.request_voices)
        self.rate = QDoubleSpinBox(page)
        self.rate.setRange(0.5, 2.0)
        self.rate.setSingleStep(0.1)
        self.rate.setDecimals(2)
        self.rate.setValue(tts.rate)
        self._row(form, "Speaking &rate:", self.rate, "Speaking rate", _meta("tts", "rate")["help"])
        self.muted = QCheckBox("Show replies without speaking them", page)
        self.muted.setChecked(tts.muted)
        self._row(form, "", self.muted, "Mute voice replies")

        self.silence = QSpinBox(page)
        self.silence.setRange(200, 3000)
        self.silence.setSingleStep(50)
        self.silence.setSuffix(" ms")
        self.silence.setValue(audio.end_of_turn_silence_ms)
        self._row(
            form,
            "End of &turn after:",
            self.silence,
            "End-of-turn silence",
            _meta("audio", "end_of_turn_silence_ms")["help"],
        )
        self.barge_in = QCheckBox("Let me interrupt a spoken reply by talking", page)
        self.barge_in.setChecked(audio.barge_in)
        self._row(form, "", self.barge_in, "Barge-in")
        return page

    def _model_tab(self) -> QWidget:
        page, form = self._form()
        llm = self.config.llm
        self.model = QComboBox(page)
        self.model.setEditable(True)  # a path to any .gguf file or model folder works too
        for name, label in self.bridge.model_choices("llm", prepared_only=True):
            self.model.addItem(name, name)
            self.model.setItemData(self.model.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
        self.model.setCurrentText(llm.model)
        browse = QPushButton("&Browse…", page)
        browse.setAccessibleName("Choose a GGUF model file")
        browse.clicked.connect(self._browse_model)
        self._row(
            form,
            "&Chat model:",
            self.model,
            "Chat model",
            "The prepared models, or the path of any .gguf file (run by llama.cpp) or Hugging "
            "Face folder.",
            extra=browse,
        )
        self.llm_backend = QComboBox(page)
        self.llm_backend.addItems([c for c in _meta("llm", "backend")["choices"] if c != "fake"])
        self.llm_backend.setCurrentText(llm.backend)
        self._row(
            form, "&Backend:", self.llm_backend, "Model backend", _meta("llm", "backend")["help"]
        )
        self.base_url = QLineEdit(llm.base_url, page)
        self.base_url.setPlaceholderText("http://localhost:11434/v1")
        self._row(
            form, "Server &URL:", self.base_url, "Server URL", _meta("llm", "base_url")["help"]
        )
        self.server_model = QLineEdit(llm.server_model, page)
        self.server_model.setPlaceholderText("the first model the server lists")
        self._row(
            form,
            "Server mo&del:",
            self.server_model,
            "Server model",
            _meta("llm", "server_model")["help"],
        )
        self.api_key_env = QLineEdit(llm.api_key_env, page)
        self.api_key_env.setPlaceholderText(
            "e.g. OPENAI_API_KEY (the key stays in the environment)"
        )
        self._row(
            form,
            "API &key variable:",
            self.api_key_env,
            "API key environment variable",
            _meta("llm", "api_key_env")["help"],
        )
        self.llm_backend.currentTextChanged.connect(self._show_server_fields)
        self._show_server_fields(llm.backend)
        self.asr_model = QComboBox(page)
        self.asr_model.setEditable(True)
        self.asr_model.addItems(self.bridge.model_names("asr"))
        self.asr_model.setCurrentText(self.config.asr.model)
        self._row(
            form,
            "&Speech model:",
            self.asr_model,
            "Speech recognition model",
            _meta("asr", "model")["help"],
        )
        note = QLabel("A new model is used the next time the app starts.", page)
        note.setWordWrap(True)
        form.addRow("", note)
        return page

    def _browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a chat model", str(Path.home()), "GGUF models (*.gguf)"
        )
        if path:
            self.model.setCurrentText(path)

    def _show_server_fields(self, backend: str) -> None:
        """The server fields matter only for llm.backend = openai."""
        for field in (self.base_url, self.server_model, self.api_key_env):
            field.setEnabled(backend == "openai")

    def _interface_tab(self) -> QWidget:
        page, form = self._form()
        ui = self.config.ui
        self.theme = QComboBox(page)
        self.theme.addItems(_meta("ui", "theme")["choices"])
        self.theme.setCurrentText(ui.theme)
        self._row(form, "&Theme:", self.theme, "Theme", _meta("ui", "theme")["help"])
        self.mic_mode = QComboBox(page)
        self.mic_mode.addItem("Click to start and stop", "toggle")
        self.mic_mode.addItem("Hold to talk", "hold")
        self.mic_mode.setCurrentIndex(max(0, self.mic_mode.findData(ui.mic_mode)))
        self._row(
            form,
            "Mi&c button:",
            self.mic_mode,
            "Microphone button mode",
            _meta("ui", "mic_mode")["help"],
        )
        self.hotkey = QLineEdit(ui.hotkey, page)
        self._row(
            form,
            "Global &hotkey:",
            self.hotkey,
            "Global hotkey",
            _meta("ui", "hotkey")["help"] + " Format: <ctrl>+<alt>+<space>, <cmd>+j …",
        )
        self.capture_hotkey = QLineEdit(ui.capture_hotkey, page)
        self._row(
            form,
            "Capture ho&tkey:",
            self.capture_hotkey,
            "Screen capture hotkey",
            _meta("ui", "capture_hotkey")["help"] + " Empty = none; on Wayland bind "
            "`assistant trigger capture` instead.",
        )
        supported, why = session_has_global_keys()
        explain = QLabel(page)
        explain.setWordWrap(True)
        explain.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        command = trigger_command()
        status = (
            "The hotkey works in this X11 session."
            if supported
            else f"The hotkey cannot work here: {why}"
        )
        explain.setText(
            f"{status}<br>On Wayland no application may grab keys. Instead, add a custom "
            f"shortcut in your desktop's keyboard settings that runs:<br><code>{command}</code>"
            "<br>It opens the quick popup and starts listening (the app must be running, or "
            "it is started)."
        )
        explain.setAccessibleName("Hotkey explanation")
        self.trigger_command = command
        form.addRow("", explain)
        self.close_to_tray = QCheckBox("Closing the window keeps the assistant in the tray", page)
        self.close_to_tray.setChecked(ui.close_to_tray)
        self._row(form, "", self.close_to_tray, "Close to tray")
        self.start_minimised = QCheckBox("Start hidden in the tray", page)
        self.start_minimised.setChecked(ui.start_minimised)
        self._row(form, "", self.start_minimised, "Start minimised")
        return page

    def _history_tab(self) -> QWidget:
        page, form = self._form()
        self.retention = QSpinBox(page)
        self.retention.setRange(0, 36500)
        self.retention.setSpecialValueText("Keep forever")
        self.retention.setSuffix(" days")
        self.retention.setValue(self.config.memory.retention_days)
        self._row(
            form,
            "&Delete conversations after:",
            self.retention,
            "History retention",
            _meta("memory", "retention_days")["help"],
        )
        return page

    # --- devices --------------------------------------------------------------------------

    def _fill_devices(self, devices: list[Any], error: str) -> None:
        if error:
            self.test_result.setText(error)
        for combo, direction in ((self.input_device, "inputs"), (self.output_device, "outputs")):
            current = combo.currentText()
            combo.clear()
            combo.addItem(DEFAULT_DEVICE)
            combo.addItems([d.name for d in devices if getattr(d, direction) > 0])
            combo.setCurrentText(current)

    def _device_spec(self, combo: QComboBox) -> str:
        text = combo.currentText().strip()
        return "" if text == DEFAULT_DEVICE else text

    def _test(self, direction: str) -> None:
        combo = self.input_device if direction == "input" else self.output_device
        self.test_result.setText(
            "Recording one second…" if direction == "input" else "Playing a tone…"
        )
        self.bridge.test_device(direction, self._device_spec(combo))

    def _show_test_result(self, message: str) -> None:
        self.test_result.setText(message)

    def _fill_voices(self, voices: list[tuple[str, str]], error: str) -> None:
        current = self._voice_id()
        self.voice.clear()
        for voice_id, name in voices:
            self.voice.addItem(name if name == voice_id else f"{name} ({voice_id})", voice_id)
        index = self.voice.findData(current)
        if index >= 0:
            self.voice.setCurrentIndex(index)
        else:
            self.voice.setCurrentText(current)
        if error:
            self.test_result.setText(error)

    def _voice_id(self) -> str:
        """The id of the chosen voice (the typed text when it is not in the list)."""
        text = self.voice.currentText().strip()
        index = self.voice.findText(text)
        return str(self.voice.itemData(index)) if index >= 0 else text

    def _preview(self) -> None:
        self.test_result.setText("Speaking…")
        self.bridge.preview_voice(
            self.tts_backend.currentText(),
            self._voice_id(),
            round(self.rate.value(), 2),
            self._device_spec(self.output_device),
        )

    # --- saving ---------------------------------------------------------------------------

    def collect(self) -> Config:
        """The config as the widgets show it (validated like the TOML file)."""
        c = copy.deepcopy(self.config)
        c.audio.input_device = self._device_spec(self.input_device)
        c.audio.output_device = self._device_spec(self.output_device)
        c.audio.end_of_turn_silence_ms = self.silence.value()
        c.audio.barge_in = self.barge_in.isChecked()
        c.tts.backend = self.tts_backend.currentText()
        c.tts.voice = self._voice_id()
        c.tts.rate = round(self.rate.value(), 2)
        c.tts.muted = self.muted.isChecked()
        c.llm.model = self.model.currentText().strip()
        c.llm.backend = self.llm_backend.currentText()
        c.llm.base_url = self.base_url.text().strip()
        c.llm.server_model = self.server_model.text().strip()
        c.llm.api_key_env = self.api_key_env.text().strip()
        c.asr.model = self.asr_model.currentText().strip()
        c.ui.theme = self.theme.currentText()
        c.ui.mic_mode = self.mic_mode.currentData()
        c.ui.hotkey = self.hotkey.text().strip()
        c.ui.capture_hotkey = self.capture_hotkey.text().strip()
        c.ui.close_to_tray = self.close_to_tray.isChecked()
        c.ui.start_minimised = self.start_minimised.isChecked()
        c.memory.retention_days = self.retention.value()
        return c

    def accept(self) -> None:
        config = self.collect()
        problem = hotkey_problem(config.ui.hotkey)
        if problem:
            QMessageBox.warning(self, "Settings", problem)
            self.tabs.setCurrentIndex(2)
            self.hotkey.setFocus()
            return
        problem = config.ui.capture_hotkey and hotkey_problem(config.ui.capture_hotkey)
        if problem:
            QMessageBox.warning(self, "Settings", problem)
            self.tabs.setCurrentIndex(2)
            self.capture_hotkey.setFocus()
            return
        if config.llm.backend == "openai" and not config.llm.base_url:
            QMessageBox.warning(self, "Settings", "The openai backend needs a server URL.")
            self.tabs.setCurrentIndex(1)
            self.base_url.setFocus()
            return
        try:
            self.bridge.save_config(config)
        except (AssistantError, OSError) as err:
            QMessageBox.warning(self, "Settings", f"The settings were not saved: {err}")
            return
        self.applied.emit(config)
        super().accept()
