"""Themes switched live stay readable: bubble text, toolbar icons, a disabled button."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from ui.theme import apply_theme, contrast, is_dark

TEXT_AA = 4.5  # WCAG AA for text
GRAPHICS_AA = 3.0  # WCAG AA for icons and other graphics


def _pixels(widget: QWidget) -> np.ndarray:
    """The widget as drawn now: rows × columns × (r, g, b)."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    return raw[:, : image.width(), 2::-1].copy()  # BGRA in memory → RGB; the image is freed


def _colour(rgb: np.ndarray) -> QColor:
    return QColor(int(rgb[0]), int(rgb[1]), int(rgb[2]))


def _background(pixels: np.ndarray) -> QColor:
    """The most common colour: what the widget is filled with."""
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    return _colour(colours[counts.argmax()])


def _ink_contrast(pixels: np.ndarray, background: QColor, area: QRect | None = None) -> float:
    """The contrast of the strongest ink (text or icon strokes) in ``area`` to the background."""
    if area is not None:
        pixels = pixels[area.top() : area.bottom() + 1, area.left() : area.right() + 1]
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    return max(contrast(_colour(c), background) for c in colours)


def _check_readable(win, theme: str, when: str) -> None:  # type: ignore[no-untyped-def]
    assert is_dark(win.palette()) == (theme == "dark"), f"{when}: the window is not {theme}"
    for bubble in win.chat.bubbles:
        pixels = _pixels(bubble)
        background = _background(pixels)
        text = _ink_contrast(pixels, background, bubble.body.geometry())
        assert text >= TEXT_AA, f"{when}: {bubble.meta.role} bubble text {text:.1f}:1"
    toolbar = win.findChild(QWidget, "mainToolbar")
    for button in toolbar.findChildren(QWidget):
        if button.accessibleName() in ("New", "History", "Settings"):
            pixels = _pixels(button)
            ink = _ink_contrast(pixels, _background(pixels))
            assert ink >= GRAPHICS_AA, f"{when}: toolbar {button.accessibleName()} {ink:.1f}:1"


@pytest.mark.parametrize("first, second", [("light", "dark"), ("dark", "light")])
def test_switching_the_theme_in_settings_keeps_the_conversation_readable(
    qtbot, window, first, second
):
    app = QApplication.instance()
    apply_theme(app, first)
    win = window(reply="Plain words, to sample the text of a reply.")
    win.settingsApplied.connect(win.apply_config)  # what the app does with the saved settings
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.send("Before the switch")
    qtbot.wait(100)
    _check_readable(win, first, first)

    win.open_settings()
    dialog = win.settings_dialog
    dialog.theme.setCurrentText(second)
    dialog.accept()
    qtbot.wait(100)
    _check_readable(win, second, f"{first} → {second}, old bubbles")
    with qtbot.waitSignal(win.bridge.replyDone, timeout=5000):
        win.send("After the switch")
    qtbot.wait(100)
    assert len(win.chat.bubbles) == 4
    _check_readable(win, second, f"{first} → {second}, old and new bubbles")


@pytest.mark.parametrize("name", ["light", "dark"])
def test_a_disabled_button_looks_disabled_with_an_explicit_theme(qtbot, window, name):
    apply_theme(QApplication.instance(), name)
    win = window()
    qtbot.wait(50)
    stop = win.stop_button
    assert not stop.isEnabled()  # nothing to stop
    palette = stop.palette()
    roles = (QPalette.ColorGroup.Disabled, QPalette.ColorGroup.Active)
    assert len({palette.color(g, QPalette.ColorRole.ButtonText).name() for g in roles}) == 2
    disabled = _pixels(stop)
    stop.setEnabled(True)
    enabled = _pixels(stop)
    background = _background(enabled)
    faded, clear = _ink_contrast(disabled, background), _ink_contrast(enabled, background)
    assert clear >= TEXT_AA and faded < 0.6 * clear, f"disabled {faded:.1f}, enabled {clear:.1f}"


def test_switching_between_explicit_themes_keeps_the_style(qtbot, window):
    """A new style repolishes every widget (it blocked the window ~0.4 s): set it only once."""
    app = QApplication.instance()
    apply_theme(app, "dark")
    style = app.style()
    apply_theme(app, "light")
    assert app.style() is style and not is_dark()


def _axis_text_contrast(plot) -> float:  # type: ignore[no-untyped-def]
    """The contrast of a chart's left axis text (ticks and label) to the chart's background."""
    pixels = _pixels(plot)
    axis = plot.mapFromScene(plot.getAxis("left").sceneBoundingRect()).boundingRect()
    return _ink_contrast(pixels, _background(pixels), axis)


@pytest.mark.parametrize("first, second", [("light", "dark"), ("dark", "light")])
@pytest.mark.parametrize("shown", [True, False], ids=["insights shown", "insights hidden"])
def test_switching_the_theme_keeps_the_insights_charts_readable(
    qtbot, window, first, second, shown
):
    from tests.gui.test_insights_tray_keys import _varied_conversation

    apply_theme(QApplication.instance(), first)
    win = window()
    win.settingsApplied.connect(win.apply_config)
    view = win.insights
    with qtbot.waitSignal(view.drawn, timeout=5000):
        win.tabs.setCurrentWidget(view)
        view.refresh(_varied_conversation(win.bridge.assistant.store))
    plots = (view.sentiment_plot, view.latency_plot)
    for plot in plots:
        assert _axis_text_contrast(plot) >= TEXT_AA, f"{first}: axis text"
    if not shown:
        win.tabs.setCurrentIndex(0)
    win.open_settings()
    win.settings_dialog.theme.setCurrentText(second)
    win.settings_dialog.accept()
    win.tabs.setCurrentWidget(view)
    qtbot.wait(100)
    for plot in plots:
        background = _background(_pixels(plot))
        assert is_dark(view.palette()) == (second == "dark")
        assert (background.lightness() < 128) == (second == "dark"), f"{second}: background"
        text = _axis_text_contrast(plot)
        assert text >= TEXT_AA, f"{first} → {second}: axis text {text:.1f}:1"
