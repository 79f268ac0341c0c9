"""Insights for one conversation: the user's tone (sentiment and emotion) and the latency by
stage, per turn. Turn n is the n-th user message and the reply to it, on both charts.

pyqtgraph is imported when the view is first shown (it takes a moment to import). The messages
are read and turned into series on the bridge's reads thread; the GUI thread only sets the data
of plot items made once (creating a text item per point blocked it 130-200 ms at 200 turns).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
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
    from assistant.memory.store import Conversation, Message

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
NICE_STEPS = (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 10**9)
POINT_PX = 11  # a tone point; smaller when many turns share the chart (at least MIN_POINT_PX)
MIN_POINT_PX = 4
MAX_LABELLED_TURNS = 40  # beyond, the emotions and short bars' times are not written (overlap)
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
    step = next(n for n in NICE_STEPS if n * MAX_TICKS >= turns) if turns > MAX_TICKS else 1
    spread = max(times.values()) - min(times.values()) if times else 0.0
    ticks = []
    for turn in sorted({1, *range(step, turns + 1, step)}):  # 1, then round numbers
        when = times.get(turn)
        if spread >= TIME_SPAN_S and when is not None:
            ticks.append((turn, f"{turn}\n{datetime.fromtimestamp(when):%H:%M}"))
        else:
            ticks.append((turn, str(turn)))
    return ticks


@dataclass(frozen=True)
class InsightsData:
    """What the charts show of one conversation (made on the reads thread)."""

    sentiment: list[SentimentPoint]
    latency: list[LatencyBar]
    times: dict[int, float]  # when each turn began
    empty: bool  # the conversation has no messages


def insights_data(messages: list[Message]) -> InsightsData:
    return InsightsData(
        sentiment_series(messages), latency_series(messages), turn_times(messages), not messages
    )


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    colour: QColor
    anchor: tuple[float, float]


class Labels:
    """Text items on a plot, kept from one drawing to the next and only shown or hidden."""

    def __init__(self, plot: Any) -> None:
        self.plot = plot
        self.items: list[Any] = []

    def show(self, labels: list[Label]) -> None:
        import pyqtgraph as pg

        while len(self.items) < len(labels):
            self.items.append(pg.TextItem())
            self.plot.addItem(self.items[-1])
        for item, label in zip(self.items, labels, strict=False):
            item.setText(label.text, label.colour)
            item.setAnchor(label.anchor)
            item.setPos(label.x, label.y)
            item.show()
        for item in self.items[len(labels) :]:
            item.hide()

    @property
    def shown(self) -> list[str]:
        return [item.toPlainText() for item in self.items if item.isVisible()]


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
    drawn = Signal()  # the charts show the conversation chosen

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
        self.data = insights_data([])
        self.sentiment: list[SentimentPoint] = []
        self.latency: list[LatencyBar] = []
        self.turns = 0
        self.times: dict[int, float] = {}

    # --- data -----------------------------------------------------------------------------

    def refresh(self, conversation_id: int | None = None) -> None:
        """Reload the conversation list; show ``conversation_id`` (default: the current one)."""
        wanted = conversation_id or self.chooser.currentData() or self.bridge.conversation_id
        self.bridge.fetch(
            "insights.conversations",
            self.bridge.conversations,
            lambda conversations: self._choose(conversations, wanted),
        )

    def _choose(self, conversations: list[Conversation], wanted: int | None) -> None:
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for conversation in conversations:
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
        bridge = self.bridge
        self.bridge.fetch(
            "insights.charts",
            lambda: insights_data(bridge.messages(conversation_id) if conversation_id else []),
            self._show,
        )

    def _show(self, data: InsightsData) -> None:
        self.data = data
        self.sentiment, self.latency, self.times = data.sentiment, data.latency, data.times
        self.turns = len(self.times)
        self._ensure_plots()
        self._draw()
        self.drawn.emit()

    def _summarise(self) -> None:
        if self.data.empty:
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
        """The plots and their items, made once: a drawing sets their data."""
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
        self.sentiment_plot.addItem(
            pg.InfiniteLine(
                pos=0, angle=0, pen=pg.mkPen("#80868b", width=1, style=Qt.PenStyle.DashLine)
            )
        )
        self.tone_line = self.sentiment_plot.plot([], [], pen=pg.mkPen("#4e79a7", width=2))
        self.tone_points = pg.ScatterPlotItem(pen=pg.mkPen(None))
        self.sentiment_plot.addItem(self.tone_points)
        self.emotions = Labels(self.sentiment_plot)
        self.latency_plot = pg.PlotWidget(self)
        self.latency_plot.setAccessibleName("Latency chart")
        self.latency_plot.setLabel("left", "milliseconds")
        self.latency_plot.getAxis("left").enableAutoSIPrefix(False)
        self.stage_bars: dict[str, Any] = {}  # made when a stage first appears
        self.short_bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.latency_plot.addItem(self.short_bars)
        self.first_tokens = self.latency_plot.plot([], [], pen=None, symbol="d", symbolSize=8)
        self.short_times = Labels(self.latency_plot)
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
            self._draw()  # the same data in the new colours: nothing is read again

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

    def _draw(self) -> None:
        self._draw_sentiment()
        self._draw_latency()
        self._summarise()

    @property
    def _labelled(self) -> bool:
        """Whether there is room to write over each turn's point or bar."""
        return self.turns <= MAX_LABELLED_TURNS

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
        self._turn_axis(plot)
        neutral = all(p.label == "neutral" for p in self.sentiment)
        self._title(
            plot,
            "Your tone per turn" + (": neutral throughout" if self.sentiment and neutral else ""),
        )
        xs = [p.turn for p in self.sentiment]
        ys = [p.score for p in self.sentiment]
        self.tone_line.setData(xs, ys)
        brushes = {label: pg.mkBrush(colour) for label, colour in SENTIMENT_COLOURS.items()}
        grey = pg.mkBrush("#80868b")
        self.tone_points.setData(
            x=xs,
            y=ys,
            brush=[brushes.get(p.label, grey) for p in self.sentiment],
            size=max(MIN_POINT_PX, min(POINT_PX, 4 * POINT_PX * MAX_TICKS // max(1, self.turns))),
        )
        # the emotions felt are written; the rest is the point's colour
        self.emotions.show(
            [
                Label(
                    p.turn,
                    p.score,
                    p.emotion,
                    QColor(SENTIMENT_COLOURS.get(p.label, "#80868b")),
                    (0.5, 1.3 if p.score >= 0 else -0.3),
                )
                for p in self.sentiment
                if self._labelled and p.emotion and p.emotion != "neutral"
            ]
        )

    def _draw_latency(self) -> None:
        plot = self.latency_plot
        self._turn_axis(plot)
        self._title(plot, "Latency per turn, by stage")
        xs = [bar.turn for bar in self.latency]
        tallest = max((bar.total for bar in self.latency), default=0.0) or 1.0
        colours = stage_colours(stage_order(self.latency))
        bottoms = [0.0] * len(xs)
        reply_starts = list(bottoms)
        for stage, colour in colours.items():
            if stage == "reply":
                reply_starts = list(bottoms)
            heights = [bar.stages.get(stage, 0.0) for bar in self.latency]
            self._stage_bar(stage).setOpts(x=xs, height=heights, y0=list(bottoms), brush=colour)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        for stage, item in self.stage_bars.items():
            item.setVisible(stage in colours)
        short = self._draw_short_bars(tallest, colours)
        # the first token arrives inside the reply stage: mark it there
        marker = "#202124" if not is_dark(self.palette()) else "#e8eaed"
        first = [
            (bar.turn, start + bar.first_token)
            for bar, start in zip(self.latency, reply_starts, strict=True)
            if bar.first_token and "reply" in bar.stages
        ]
        self.first_tokens.setData([x for x, _ in first], [y for _, y in first], symbolBrush=marker)
        plot.setYRange(0, tallest * 1.12, padding=0)  # room for the times written over bars
        swatches = [f'<span style="color:{c}">■</span>&nbsp;{s}' for s, c in colours.items()]
        if first:
            swatches.append(f'<span style="color:{marker}">◆</span>&nbsp;first token')
        if short:
            written = ", its time written above" if self._labelled else ""
            swatches.append(
                f"(a turn under {MIN_BAR:.1%} of the scale is drawn that tall, pale{written})"
            )
        self.legend.setText(" &nbsp; ".join(swatches))

    def _stage_bar(self, stage: str) -> Any:
        if stage not in self.stage_bars:
            import pyqtgraph as pg

            item = pg.BarGraphItem(x=[], height=[], width=0.6, pen=pg.mkPen(None))
            self.latency_plot.addItem(item)
            self.stage_bars[stage] = item
        return self.stage_bars[stage]

    def _draw_short_bars(self, tallest: float, colours: dict[str, str]) -> list[LatencyBar]:
        """A turn far shorter than the tallest (a command answered by a skill in a few ms) would
        be invisible at the chart's scale: it gets a visible outline and its time above it."""
        import pyqtgraph as pg

        floor = tallest * MIN_BAR
        short = [bar for bar in self.latency if bar.total < floor]
        self.short_bars.setVisible(bool(short))
        if short:  # (pyqtgraph fails on an empty list of pens)
            outlines = [
                QColor(colours[max(bar.stages, key=bar.stages.__getitem__)]) for bar in short
            ]
            fills = [QColor(colour) for colour in outlines]
            for fill in fills:
                fill.setAlpha(110)
            self.short_bars.setOpts(
                x=[bar.turn for bar in short],
                height=[floor] * len(short),
                brushes=[pg.mkBrush(fill) for fill in fills],
                pens=[pg.mkPen(colour, width=1.5) for colour in outlines],
            )
        text = self.palette().color(QPalette.ColorRole.Text)
        self.short_times.show(
            [
                Label(
                    bar.turn,
                    floor,
                    f"{bar.total:.0f} ms" + ("\ncommand" if bar.command else ""),
                    text,
                    (0.5, 1.1),
                )
                for bar in short
                if self._labelled
            ]
        )
        return short
