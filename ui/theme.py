"""Light/dark/system themes and the SVG icons (tinted to the palette, sharp at any DPI)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

ICONS = Path(__file__).resolve().parent / "icons"
_STROKE = "#5f6368"  # the colour the icon files are drawn in; replaced by the palette's text
_SIZES = (16, 24, 32, 48, 64, 96)

THEMES = ("system", "light", "dark")
_SYSTEM_STYLE = "assistantSystemStyle"  # an application property

_DARK = {
    QPalette.ColorRole.Window: "#202124",
    QPalette.ColorRole.WindowText: "#e8eaed",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#2a2b2e",
    QPalette.ColorRole.ToolTipBase: "#303134",
    QPalette.ColorRole.ToolTipText: "#e8eaed",
    QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    QPalette.ColorRole.Text: "#e8eaed",
    QPalette.ColorRole.Button: "#303134",
    QPalette.ColorRole.ButtonText: "#e8eaed",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Highlight: "#8ab4f8",
    QPalette.ColorRole.HighlightedText: "#202124",
    QPalette.ColorRole.Link: "#8ab4f8",
    QPalette.ColorRole.Mid: "#3c4043",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#f6f7f9",
    QPalette.ColorRole.WindowText: "#202124",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#eef0f3",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#202124",
    QPalette.ColorRole.PlaceholderText: "#80868b",
    QPalette.ColorRole.Text: "#202124",
    QPalette.ColorRole.Button: "#eceef1",
    QPalette.ColorRole.ButtonText: "#202124",
    QPalette.ColorRole.BrightText: "#c5221f",
    QPalette.ColorRole.Highlight: "#1a73e8",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#1a73e8",
    QPalette.ColorRole.Mid: "#dadce0",
}
# Disabled controls: their text and icons fade towards the background (an explicit palette would
# otherwise draw a disabled button exactly like an enabled one).
_DISABLED_DARK = "#6f7378"
_DISABLED_LIGHT = "#a0a4a8"
_DISABLED_ROLES = (
    QPalette.ColorRole.WindowText,
    QPalette.ColorRole.Text,
    QPalette.ColorRole.ButtonText,
)


@dataclass(frozen=True)
class ChatColours:
    """The conversation's own colours (bubbles, their meta line, code) for one palette; each
    text colour has at least 4.5:1 contrast (WCAG AA) on the background it is drawn on."""

    user_bubble: str
    assistant_bubble: str
    border: str
    meta: str
    code: str


CHAT_DARK = ChatColours("#2b4a7e", "#2d2f33", "#3c4043", "#bdc1c6", "#1f2023")
CHAT_LIGHT = ChatColours("#d3e3fd", "#ffffff", "#dadce0", "#5f6368", "#eef1f5")


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether ``palette`` (default: the application's, which a theme switch changes at once;
    a widget's own palette follows only after the event loop ran) is a dark one."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def chat_colours() -> ChatColours:
    return CHAT_DARK if is_dark() else CHAT_LIGHT


def palette_for(theme: str) -> QPalette:
    """The explicit palette of ``light`` or ``dark``, disabled colours included."""
    dark = theme == "dark"
    palette = QPalette()
    for role, colour in (_DARK if dark else _LIGHT).items():
        palette.setColor(role, QColor(colour))
    for role in _DISABLED_ROLES:
        palette.setColor(
            QPalette.ColorGroup.Disabled, role, QColor(_DISABLED_DARK if dark else _DISABLED_LIGHT)
        )
    return palette


def apply_theme(app: QApplication, theme: str) -> None:
    """``system`` follows the desktop; ``light``/``dark`` force a Fusion palette. Widgets are
    told by Qt's palette-change events (see ``MainWindow.changeEvent``)."""
    hints = app.styleHints()
    if app.property(_SYSTEM_STYLE) is None:  # the style the desktop chose, before any theme
        app.setProperty(_SYSTEM_STYLE, app.style().name())
    if theme == "system":
        hints.unsetColorScheme()
        _set_style(app, str(app.property(_SYSTEM_STYLE)))
        app.setPalette(QPalette())
    else:
        _set_style(app, "Fusion")
        hints.setColorScheme(Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light)
        app.setPalette(palette_for(theme))
    icon.cache_clear()


def _set_style(app: QApplication, name: str) -> None:
    """A new style repolishes every widget (~0.4 s in a full window): only when it changes."""
    if app.style().name().lower() != name.lower():
        app.setStyle(name)


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 … 21)."""

    def luminance(colour: QColor) -> float:
        def linear(c: float) -> float:
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * linear(colour.redF())
            + 0.7152 * linear(colour.greenF())
            + 0.0722 * linear(colour.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@cache
def _svg(name: str) -> str:
    return (ICONS / f"{name}.svg").read_text(encoding="utf-8")


@cache
def icon(name: str, colour: str | None = None) -> QIcon:
    """An icon from ui/icons, drawn in ``colour`` (default: the palette's button text colour),
    and in the palette's disabled colour for a disabled control. Call again after a theme
    switch: the cache is cleared then."""
    palette = QGuiApplication.palette()
    colour = colour or palette.color(QPalette.ColorRole.ButtonText).name()
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText).name()
    result = QIcon()
    for mode, ink in ((QIcon.Mode.Normal, colour), (QIcon.Mode.Disabled, disabled)):
        renderer = QSvgRenderer(QByteArray(_svg(name).replace(_STROKE, ink).encode()))
        for size in _SIZES:
            pixmap = QPixmap(QSize(size, size))
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            renderer.render(painter)
            painter.end()
            result.addPixmap(pixmap, mode)
    return result
