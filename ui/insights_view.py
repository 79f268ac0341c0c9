"""Insights for one conversation: the user's sentiment over turns, and latency per turn by stage.

pyqtgraph is imported when the view is first shown (it takes a moment to import).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
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


def sentiment_series(messages: list[Message]) -> list[SentimentPoint]:
    points = []
    for turn, message in enumerate((m for m in messages if m.role == "user"), start=1):
        if message.sentiment_score is None:
            continue
        points.append(
            SentimentPoint(
                turn,
                message.sentiment_score,
                message.sentiment_label or "neutral",
                message.emotion or "",
            )
        )
    return points


def latency_series(messages: list[Message]) -> list[LatencyBar]:
    bars = []
    for turn, message in enumerate((m for m in messages if m.role == "assistant"), start=1):
        stages = {
            k: float(v)
            for k, v in message.timings.items()
            if k not in NOT_STAGES and isinstance(v, int | float)
        }
        if stages:
            bars.append(LatencyBar(turn, stages, message.timings.get("first_token")))
    return bars


def stage_order(bars: list[LatencyBar]) -> list[str]:
    seen = {stage for bar in bars for stage in bar.stages}
    known = [s for s in STAGE_ORDER if s in seen]
    return known + sorted(seen - set(known))


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
        self.sentiment_plot: Any = None
        self.latency_plot: Any = None
        self.sentiment: list[SentimentPoint] = []
        self.latency: list[LatencyBar] = []

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
        self._ensure_plots()
        self._draw_sentiment()
        self._draw_latency()
        turns = sum(1 for m in messages if m.role == "user")
        if not messages:
            self.summary.setText("No conversation yet: talk or type, then come back here.")
        else:
            mean = [bar.stages.get("reply", 0.0) for bar in self.latency]
            average = f"; average reply {sum(mean) / len(mean) / 1000:.2f} s" if mean else ""
            self.summary.setText(f"{turns} user turns{average}.")

    # --- charts ---------------------------------------------------------------------------

    def _ensure_plots(self) -> None:
        if self.sentiment_plot is not None:
            return
        import pyqtgraph as pg

        dark = is_dark(self.palette())
        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)
        pg.setConfigOptions(antialias=True, background=background, foreground=foreground)
        self.sentiment_plot = pg.PlotWidget(self, title="Your sentiment over the conversation")
        self.sentiment_plot.setAccessibleName("Sentiment chart")
        self.sentiment_plot.setLabel("left", "sentiment (−1 … +1)")
        self.sentiment_plot.setLabel("bottom", "user turn")
        self.sentiment_plot.setYRange(-1.1, 1.1)
        self.sentiment_plot.showGrid(x=False, y=True, alpha=0.25 if dark else 0.15)
        self.latency_plot = pg.PlotWidget(self, title="Latency per turn by stage")
        self.latency_plot.setAccessibleName("Latency chart")
        self.latency_plot.setLabel("left", "milliseconds")
        self.latency_plot.getAxis("left").enableAutoSIPrefix(False)
        self.latency_plot.setLabel("bottom", "assistant turn")
        self.latency_plot.showGrid(x=False, y=True, alpha=0.25 if dark else 0.15)
        for plot in (self.sentiment_plot, self.latency_plot):
            plot.getAxis("bottom").setTickSpacing(1, 1)  # turns are whole numbers
            plot.setMenuEnabled(False)
            plot.setMinimumHeight(160)
            plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self._charts.addWidget(plot, 1)

    def _draw_sentiment(self) -> None:
        import pyqtgraph as pg

        plot = self.sentiment_plot
        plot.clear()
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
            text = point.emotion if point.emotion and point.emotion != "neutral" else point.label
            label = pg.TextItem(
                text,
                anchor=(0.5, 1.3 if point.score >= 0 else -0.3),
                color=QColor(SENTIMENT_COLOURS.get(point.label, "#80868b")),
            )
            label.setPos(point.turn, point.score)
            plot.addItem(label)
        plot.setXRange(0.5, max(xs) + 0.5)

    def _draw_latency(self) -> None:
        import pyqtgraph as pg

        plot = self.latency_plot
        plot.clear()
        if plot.plotItem.legend is not None:
            plot.plotItem.legend.scene().removeItem(plot.plotItem.legend)
            plot.plotItem.legend = None
        if not self.latency:
            return
        legend = plot.addLegend(offset=(10, 4), labelTextSize="8pt", colCount=5)
        xs = [bar.turn for bar in self.latency]
        bottoms = [0.0] * len(xs)
        reply_starts = list(bottoms)
        unknown = 0
        for stage in stage_order(self.latency):
            if stage == "reply":
                reply_starts = list(bottoms)
            heights = [bar.stages.get(stage, 0.0) for bar in self.latency]
            if stage in STAGE_ORDER:  # the same colour for a stage in every chart
                colour = STAGE_COLOURS[STAGE_ORDER.index(stage)]
            else:
                colour = STAGE_COLOURS[(len(STAGE_ORDER) + unknown) % len(STAGE_COLOURS)]
                unknown += 1
            item = pg.BarGraphItem(
                x=xs,
                height=heights,
                y0=list(bottoms),
                width=0.6,
                brush=colour,
                pen=pg.mkPen(None),
                name=stage,
            )
            plot.addItem(item)  # named items join the legend by themselves
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        # the first token arrives inside the reply stage: mark it there
        first = [
            (bar.turn, start + bar.first_token)
            for bar, start in zip(self.latency, reply_starts, strict=True)
            if bar.first_token
        ]
        if first:
            plot.plot(
                [x for x, _ in first],
                [y for _, y in first],
                pen=None,
                symbol="d",
                symbolBrush="#202124" if not is_dark(self.palette()) else "#e8eaed",
                symbolSize=8,
                name="first token",
            )
        plot.setXRange(0.4, max(xs) + 0.6)
        # head room for the legend above the tallest bar
        plot.setYRange(0, max(bottoms) * (1.25 + 0.12 * (len(legend.items) // 5)) or 1)
