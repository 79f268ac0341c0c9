"""Insights for one conversation: the user's tone (sentiment and emotion) and the latency by
stage, per turn. Turn n is the n-th user message and the reply to it, on both charts.

pyqtgraph is imported when the view is first shown (it takes a moment to import).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.bridge import Bridge
from ui.theme import is_dark

if TYPE_CHECKING:
    from assistant.memory.store import Message

# Stages drawn as stacked bars, in pipeline order; ``total`` and ``first_token`` (a point inside
# ``reply``) are not stages of their own. Unknown stages are stacked after these.
STAGE_ORDER = (
    "asr",
    "store_user",
    "intent",
    "affect",
    "context",
    "skill",
    "reply",
    "tts",
    "store_reply",
)
NOT_STAGES = {"total", "first_token"}
# one colour per stage, in STAGE_ORDER (the reply, the longest, in calm blue), then spares
STAGE_COLOURS = (
    "#59a14f",  # asr
    "#bab0ac",  # store_user
    "#f28e2b",  # intent
    "#edc948",  # affect
    "#76b7b2",  # context
    "#b07aa1",  # skill
    "#4e79a7",  # reply
    "#e15759",  # tts
    "#9c755f",  # store_reply
    "#ff9da7",
    "#8cd17d",
)
SENTIMENT_COLOURS = {"positive": "#1e8e3e", "negative": "#d93025", "neutral": "#80868b"}
MIN_BAR = 0.025  # a turn shorter than this share of the tallest is drawn this tall, time written
TIME_SPAN_S = 15 * 60  # the turns' time of day is shown when the conversation spans this much
MAX_TICKS = 12
LEFT_AXIS_PX = 76


@dataclass(frozen=True)
class SentimentPoint:
    turn: int
    score: float
    label: str
    emotion: str


@dataclass(frozen=True)
class LatencyBar:
    turn: int
    stages: dict[str, float]
    first_token: float | None
    command: bool = False  # answered by a skill (a timer, the time), not the language model

    @property
    def total(self) -> float:
        return sum(self.stages.values())


def by_turn(messages: list[Message]) -> Iterator[tuple[int, Message]]:
    """Each message with its turn: the count of user messages up to it (0 before the first)."""
    turn = 0
    for message in messages:
        if message.role == "user":
            turn += 1
        yield turn, message


def turn_times(messages: list[Message]) -> dict[int, float]:
    """When each turn began (its user message)."""
    return {turn: m.created_at for turn, m in by_turn(messages) if m.role == "user"}


def sentiment_series(messages: list[Message]) -> list[SentimentPoint]:
    return [
        SentimentPoint(turn, m.sentiment_score, m.sentiment_label or "neutral", m.emotion or "")
        for turn, m in by_turn(messages)
        if m.role == "user" and m.sentiment_score is not None
    ]


def latency_series(messages: list[Message]) -> list[LatencyBar]:
    """One bar per turn: its reply's stages (an announcement with no turn of its own is left
    out, so is a second assistant message in a turn)."""
    bars: dict[int, LatencyBar] = {}
    for turn, message in by_turn(messages):
        if message.role != "assistant" or turn == 0 or turn in bars:
            continue
        stages = {
            k: float(v)
            for k, v in message.timings.items()
            if k not in NOT_STAGES and isinstance(v, int | float)
        }
        if stages:
            command = message.intent not in (None, "", "chat")
            bars[turn] = LatencyBar(turn, stages, message.timings.get("first_token"), command)
    return list(bars.values())


def stage_order(bars: list[LatencyBar]) -> list[str]:
    seen = {stage for bar in bars for stage in bar.stages}
    known = [s for s in STAGE_ORDER if s in seen]
    return known + sorted(seen - set(known))


def stage_colours(stages: list[str]) -> dict[str, str]:
    """The same colour for a stage in every chart; unknown stages take the spares in turn."""
    spare = iter(range(len(STAGE_ORDER), 10**6))
    return {
        stage: STAGE_COLOURS[
            STAGE_ORDER.index(stage) if stage in STAGE_ORDER else next(spare) % len(STAGE_COLOURS)
        ]
        for stage in stages
    }


def turn_ticks(turns: int, times: dict[int, float]) -> list[tuple[int, str]]:
    """Tick labels of the turn axis: the turn, and its time of day when the conversation spans
    long enough for it to tell something; at most MAX_TICKS of them."""
    step = max(1, math.ceil(turns / MAX_TICKS))
    spread = max(times.values()) - min(times.values()) if times else 0.0
    ticks = []
    for turn in range(1, turns + 1, step):
        when = times.get(turn)
        if spread >= TIME_SPAN_S and when is not None:
            ticks.append((turn, f"{turn}\n{datetime.fromtimestamp(when):%H:%M}"))
        else:
            ticks.append((turn, str(turn)))
    return ticks


def tone_summary(points: list[SentimentPoint]) -> str:
    """``tone: 3 neutral, 2 positive; emotions: joy ×2, anger`` or ``neutral throughout``."""
    if not points:
        return ""
    labels = Counter(p.label for p in points)
    emotions = Counter(p.emotion for p in points if p.emotion and p.emotion != "neutral")
    if set(labels) == {"neutral"} and not emotions:
        return "tone neutral throughout, no emotion detected"
    tone = ", ".join(f"{n} {label}" for label, n in labels.most_common())
    felt = ", ".join(e if n == 1 else f"{e} ×{n}" for e, n in emotions.most_common())
    return f"tone: {tone}" + (f"; emotions: {felt}" if felt else "")


class InsightsView(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setObjectName("insightsView")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        top = QHBoxLayout()
        label = QLabel("Conversation:", self)
        self.chooser = QComboBox(self)
        self.chooser.setAccessibleName("Conversation for insights")
        self.chooser.setMinimumContentsLength(24)
        self.chooser.currentIndexChanged.connect(lambda _i: self.refresh_charts())
        label.setBuddy(self.chooser)
        top.addWidget(label)
        top.addWidget(self.chooser, 1)
        layout.addLayout(top)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Insights summary")
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addWidget(self.summary)
        self._charts = QVBoxLayout()
        layout.addLayout(self._charts, 1)
        # the latency chart's legend, under it: never over a bar
        self.legend = QLabel(self)
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Latency legend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.legend)
        self.sentiment_plot: Any = None
        self.latency_plot: Any = None
        self.sentiment: list[SentimentPoint] = []
        self.latency: list[LatencyBar] = []
        self.turns = 0
        self.times: dict[int, float] = {}

    # --- data -----------------------------------------------------------------------------

    def refresh(self, conversation_id: int | None = None) -> None:
        """Reload the conversation list; show ``conversation_id`` (default: the current one)."""
        wanted = conversation_id or self.chooser.currentData() or self.bridge.conversation_id
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for conversation in self.bridge.conversations():
            if conversation.message_count:
                self.chooser.addItem(
                    conversation.title or f"Conversation {conversation.id}", conversation.id
                )
        index = self.chooser.findData(wanted)
        self.chooser.setCurrentIndex(max(0, index))
        self.chooser.blockSignals(False)
        self.refresh_charts()

    def refresh_charts(self) -> None:
        conversation_id = self.chooser.currentData()
        messages = self.bridge.messages(conversation_id) if conversation_id else []
        self.sentiment = sentiment_series(messages)
        self.latency = latency_series(messages)
        self.times = turn_times(messages)
        self.turns = len(self.times)
        self._ensure_plots()
        self._draw_sentiment()
        self._draw_latency()
        if not messages:
            self.summary.setText("No conversation yet: talk or type, then come back here.")
            return
        parts = [f"{self.turns} user turn{'s' if self.turns != 1 else ''}"]
        replies = [bar.stages["reply"] for bar in self.latency if "reply" in bar.stages]
        if replies:
            parts.append(f"average reply {sum(replies) / len(replies) / 1000:.2f} s")
        if tone := tone_summary(self.sentiment):
            parts.append(tone)
        self.summary.setText("; ".join(parts) + ".")

    # --- charts ---------------------------------------------------------------------------

    def _ensure_plots(self) -> None:
        if self.sentiment_plot is not None:
            return
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True)
        self.sentiment_plot = pg.PlotWidget(self)
        self.sentiment_plot.setAccessibleName("Sentiment chart")
        self.sentiment_plot.setLabel("left", "tone")
        self.sentiment_plot.setYRange(-1.25, 1.25)
        self.sentiment_plot.getAxis("left").setTicks(
            [[(-1, "negative"), (0, "neutral"), (1, "positive")]]
        )
        self.latency_plot = pg.PlotWidget(self)
        self.latency_plot.setAccessibleName("Latency chart")
        self.latency_plot.setLabel("left", "milliseconds")
        self.latency_plot.getAxis("left").enableAutoSIPrefix(False)
        for plot in (self.sentiment_plot, self.latency_plot):
            plot.setLabel("bottom", "turn")
            plot.getAxis("left").setWidth(LEFT_AXIS_PX)  # the two x-axes line up
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.setMinimumHeight(160)
            plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self._charts.addWidget(plot, 1)
        self._apply_palette()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.sentiment_plot is not None:
            self._apply_palette()
            self.refresh_charts()

    def _apply_palette(self) -> None:
        """The charts in the window's colours (again after a theme change)."""
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        for plot in (self.sentiment_plot, self.latency_plot):
            plot.setBackground(background)
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(text)
                axis.setTextPen(text)
            plot.showGrid(x=False, y=True, alpha=0.3 if is_dark(palette) else 0.15)

    def _title(self, plot: Any, title: str) -> None:
        plot.setTitle(title, color=self.palette().color(QPalette.ColorRole.Text), size="10pt")

    def _turn_axis(self, plot: Any) -> None:
        """The same turns, the same range on both charts (ticks of one or two lines)."""
        ticks = turn_ticks(self.turns, self.times)
        axis = plot.getAxis("bottom")
        axis.setTicks([ticks])
        lines = max((label.count("\n") + 1 for _, label in ticks), default=1)
        axis.setHeight((lines + 1) * QFontMetrics(axis.font()).height() + 6)
        plot.setXRange(0.5, max(1, self.turns) + 0.5, padding=0)

    def _draw_sentiment(self) -> None:
        import pyqtgraph as pg

        plot = self.sentiment_plot
        plot.clear()
        self._turn_axis(plot)
        neutral = all(p.label == "neutral" for p in self.sentiment)
        self._title(
            plot,
            "Your tone per turn" + (": neutral throughout" if self.sentiment and neutral else ""),
        )
        plot.addItem(
            pg.InfiniteLine(
                pos=0, angle=0, pen=pg.mkPen("#80868b", width=1, style=Qt.PenStyle.DashLine)
            )
        )
        if not self.sentiment:
            return
        xs = [p.turn for p in self.sentiment]
        ys = [p.score for p in self.sentiment]
        plot.plot(xs, ys, pen=pg.mkPen("#4e79a7", width=2))
        brushes = [pg.mkBrush(SENTIMENT_COLOURS.get(p.label, "#80868b")) for p in self.sentiment]
        plot.addItem(pg.ScatterPlotItem(xs, ys, size=11, brush=brushes, pen=pg.mkPen(None)))
        for point in self.sentiment:
            if not point.emotion or point.emotion == "neutral":
                continue  # the emotions felt are written; the rest is the point's colour
            label = pg.TextItem(
                point.emotion,
                anchor=(0.5, 1.3 if point.score >= 0 else -0.3),
                color=QColor(SENTIMENT_COLOURS.get(point.label, "#80868b")),
            )
            label.setPos(point.turn, point.score)
            plot.addItem(label)

    def _draw_latency(self) -> None:
        import pyqtgraph as pg

        plot = self.latency_plot
        plot.clear()
        self._turn_axis(plot)
        self._title(plot, "Latency per turn, by stage")
        self.legend.clear()
        if not self.latency:
            return
        xs = [bar.turn for bar in self.latency]
        tallest = max(bar.total for bar in self.latency) or 1.0
        colours = stage_colours(stage_order(self.latency))
        bottoms = [0.0] * len(xs)
        reply_starts = list(bottoms)
        for stage, colour in colours.items():
            if stage == "reply":
                reply_starts = list(bottoms)
            heights = [bar.stages.get(stage, 0.0) for bar in self.latency]
            item = pg.BarGraphItem(
                x=xs, height=heights, y0=list(bottoms), width=0.6, brush=colour, pen=pg.mkPen(None)
            )
            plot.addItem(item)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        self._draw_short_bars(plot, tallest, colours)
        # the first token arrives inside the reply stage: mark it there
        marker = "#202124" if not is_dark(self.palette()) else "#e8eaed"
        first = [
            (bar.turn, start + bar.first_token)
            for bar, start in zip(self.latency, reply_starts, strict=True)
            if bar.first_token and "reply" in bar.stages
        ]
        if first:
            plot.plot(
                [x for x, _ in first],
                [y for _, y in first],
                pen=None,
                symbol="d",
                symbolBrush=marker,
                symbolSize=8,
            )
        plot.setYRange(0, tallest * 1.12, padding=0)  # room for the times written over bars
        swatches = [f'<span style="color:{c}">■</span>&nbsp;{s}' for s, c in colours.items()]
        if first:
            swatches.append(f'<span style="color:{marker}">◆</span>&nbsp;first token')
        if any(bar.total < tallest * MIN_BAR for bar in self.latency):
            swatches.append(
                f"(a turn under {MIN_BAR:.1%} of the scale is drawn that tall, pale, its time"
                " written above)"
            )
        self.legend.setText(" &nbsp; ".join(swatches))

    def _draw_short_bars(self, plot: Any, tallest: float, colours: dict[str, str]) -> None:
        """A turn far shorter than the tallest (a command answered by a skill in a few ms) would
        be invisible at the chart's scale: it gets a visible outline and its time above it."""
        import pyqtgraph as pg

        floor = tallest * MIN_BAR
        short = [bar for bar in self.latency if bar.total < floor]
        if not short:
            return
        for bar in short:
            main = max(bar.stages, key=lambda s: bar.stages[s])
            colour = QColor(colours[main])
            fill = QColor(colour)
            fill.setAlpha(110)
            plot.addItem(
                pg.BarGraphItem(
                    x=[bar.turn],
                    height=[floor],
                    width=0.6,
                    brush=fill,
                    pen=pg.mkPen(colour, width=1.5),
                )
            )
            label = pg.TextItem(
                f"{bar.total:.0f} ms" + ("\ncommand" if bar.command else ""),
                anchor=(0.5, 1.1),
                color=self.palette().color(QPalette.ColorRole.Text),
            )
            label.setPos(bar.turn, floor)
            plot.addItem(label)
