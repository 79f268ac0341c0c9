"""Text recognition: PP-OCRv4 through rapidocr-onnxruntime, with the text in reading order.

The models ship inside the ``rapidocr-onnxruntime`` wheel (see models/registry.toml). The reader
loads on first use, with fixed thread counts. The raw result (one box per stretch of text) is
arranged here: boxes that overlap vertically form a line, sorted left to right; a larger vertical
gap starts a paragraph. The recogniser (trained mostly on Chinese) sometimes drops the spaces
between English words, so spaces are put back where the line image has a blank gap between two
letters.
"""

from __future__ import annotations

import itertools
import logging
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from PIL import Image

from assistant.errors import ModelError

log = logging.getLogger(__name__)

NO_TEXT = "I could not find any text in that image."
# a blank stretch at least this wide (times the line height) between two letters is a space;
# digits and punctuation have wide side bearings, so between them a wider gap is needed
SPACE_GAP = 0.28
# monospaced text (character steps vary less than this) has its spaces on the grid: two
# characters this many cells apart have a space between them (measured: 0.07-0.14 for
# DejaVu Sans Mono, 0.17-0.27 for proportional fonts)
MONO_SPREAD = 0.15
MONO_SPACE_STEP = 1.6
# steps next to wide letters over steps next to narrow ones: ~1 monospaced, ~1.5+ proportional
MONO_WIDE_RATIO = 1.25
WIDE = set("mwMW")
NARROW = set("ijlftrI1!.,:;'")
NUMERIC_SPACE_GAP = 0.65
NUMERIC = set("0123456789.,:;-+/%$€£()")
NO_SPACE_BEFORE = set(".,:;!?)]}%'’")
NO_SPACE_AFTER = set("([{$€£")
# a vertical gap larger than this (times the median line height) starts a paragraph
PARAGRAPH_GAP = 0.9


@dataclass(frozen=True)
class TextBox:
    """One stretch of recognised text: its corners (x, y), its text and confidence."""

    corners: tuple[tuple[float, float], ...]
    text: str
    score: float

    @property
    def top(self) -> float:
        return min(y for _, y in self.corners)

    @property
    def bottom(self) -> float:
        return max(y for _, y in self.corners)

    @property
    def left(self) -> float:
        return min(x for x, _ in self.corners)

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class OcrResult:
    boxes: list[TextBox]
    text: str  # reading order: lines joined by "\n", paragraphs by a blank line
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.text.strip()


class TextReader(Protocol):
    """Reads the text in an image."""

    def read(self, image: Image.Image) -> OcrResult: ...


def arrange(boxes: Sequence[TextBox]) -> str:
    """Boxes → text in reading order (top to bottom, left to right, blank line between
    paragraphs)."""
    if not boxes:
        return ""
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        for line in reversed(lines[-3:]):  # a box joins a recent line it overlaps enough
            top = min(b.top for b in line)
            bottom = max(b.bottom for b in line)
            overlap = min(bottom, box.bottom) - max(top, box.top)
            if overlap >= 0.5 * min(box.height, bottom - top):
                line.append(box)
                break
        else:
            lines.append([box])
    heights = [b.height for b in boxes if b.height > 0]
    unit = statistics.median(heights) if heights else 1.0
    out: list[str] = []
    previous_bottom: float | None = None
    for line in lines:
        top = min(b.top for b in line)
        if previous_bottom is not None and top - previous_bottom > PARAGRAPH_GAP * unit:
            out.append("")
        out.append(" ".join(b.text.strip() for b in sorted(line, key=lambda b: b.left)))
        previous_bottom = max(b.bottom for b in line)
    return "\n".join(out).strip()


def respace(line_image: np.ndarray, text: str, char_x: Sequence[float]) -> str:
    """Put back the spaces the recogniser dropped.

    ``line_image`` is the straightened grey crop of one text box, ``char_x`` the x position
    (in that crop) of each character of ``text``. Where a blank run of columns at least
    ``SPACE_GAP`` × height wide lies between two characters not already separated by a space,
    a space is inserted. In monospaced lines the character grid decides instead (the margins
    of i and l would look like spaces).
    """
    if len(char_x) != len(text) or len(text) < 2 or line_image.size == 0:
        return text
    height, width = line_image.shape
    grey = line_image.astype(np.float32)
    lo, hi = float(np.percentile(grey, 5)), float(np.percentile(grey, 95))
    if hi - lo < 30:  # no contrast: nothing to measure
        return text
    # most pixels are background; faint anti-aliased strokes count as ink
    dark_text = np.median(grey) > (lo + hi) / 2
    ink = grey < hi - 0.25 * (hi - lo) if dark_text else grey > lo + 0.25 * (hi - lo)
    inked = ink.sum(axis=0) > max(1, int(0.04 * height))
    gaps: list[tuple[int, int, float]] = []
    start = None
    for x in range(width + 1):
        blank = x < width and not inked[x]
        if blank and start is None:
            start = x
        elif not blank and start is not None:
            if x - start >= SPACE_GAP * height:
                gaps.append((start, x, (x - start) / height))
            start = None
    cell = _cell_width(text, char_x)
    if cell is not None:  # monospaced: drop spaces the grid has no room for ("bui ld")
        keep = [
            i
            for i, ch in enumerate(text)
            if not (
                ch == " "
                and 0 < i < len(text) - 1
                and char_x[i + 1] - char_x[i - 1] < MONO_SPACE_STEP * cell
            )
        ]
        text, char_x = "".join(text[i] for i in keep), [char_x[i] for i in keep]
    pieces = [text[0]]
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if (
            " " not in (before, after)
            and after not in NO_SPACE_BEFORE
            and (before not in NO_SPACE_AFTER)
        ):
            needed = NUMERIC_SPACE_GAP if before in NUMERIC and after in NUMERIC else SPACE_GAP
            left, right = char_x[i - 1], char_x[i]
            if cell is not None:  # monospaced: a space is an empty cell on the grid
                wide = right - left >= MONO_SPACE_STEP * cell
            else:
                wide = any(left < (a + b) / 2 < right and size >= needed for a, b, size in gaps)
            if wide:
                pieces.append(" ")
        pieces.append(after)
    return "".join(pieces)


def _cell_width(text: str, char_x: Sequence[float]) -> float | None:
    """The character cell when the line is monospaced, else None.

    Monospaced: the steps are even, and steps next to wide letters (m, w) are as long as
    steps next to narrow ones (i, l, t …).
    """
    pairs = [
        (b - a, first + second)
        for (a, first), (b, second) in itertools.pairwise(zip(char_x, text, strict=True))
        if first != " " and second != " " and b > a
    ]
    if len(pairs) < 5:
        return None
    cell = statistics.median(step for step, _ in pairs)
    wide = [step for step, two in pairs if set(two) & WIDE and not set(two) & NARROW]
    narrow = [step for step, two in pairs if set(two) & NARROW and not set(two) & WIDE]
    regular = [step for step, _ in pairs if step < 1.5 * cell]
    spread = statistics.pstdev(regular) / statistics.fmean(regular)
    if len(wide) < 2 or len(narrow) < 2 or spread >= MONO_SPREAD:
        return None
    return cell if statistics.fmean(wide) / statistics.fmean(narrow) < MONO_WIDE_RATIO else None


def _straighten(grey: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The box as an upright crop, and the 3×3 map from image to crop coordinates."""
    import cv2

    width = int(
        max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[2] - corners[3]))
    )
    height = int(
        max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2]))
    )
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    crop = cv2.warpPerspective(
        grey,
        matrix,
        (max(width, 1), max(height, 1)),
        borderMode=cv2.BORDER_REPLICATE,
        flags=cv2.INTER_LINEAR,
    )
    return crop, matrix


def _char_positions(matrix: np.ndarray, char_boxes: Sequence[Any]) -> list[float]:
    xs = []
    for box in char_boxes:
        pts = np.asarray(box, dtype=np.float64)
        centre = np.append(pts.mean(axis=0), 1.0)
        mapped = matrix @ centre
        xs.append(float(mapped[0] / mapped[2]))
    return xs


class RapidOcrReader:
    """PP-OCRv4 (det + cls + rec ONNX) via rapidocr-onnxruntime; loads on first use."""

    name = "rapidocr-ppocr-v4"

    def __init__(self, threads: int = 2, min_score: float = 0.5) -> None:
        self.threads = threads
        self.min_score = min_score
        self._engine: Any = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def load(self) -> None:
        with self._lock:
            if self._engine is not None:
                return
            started = time.perf_counter()
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                raise ModelError(
                    "text recognition needs rapidocr-onnxruntime; run "
                    "`pip install rapidocr-onnxruntime==1.4.4`."
                ) from None
            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            logging.getLogger("OrtInferSession").setLevel(logging.WARNING)
            self._engine = RapidOCR(
                intra_op_num_threads=self.threads,
                inter_op_num_threads=1,
                # detect at the image's own resolution (up to 2000 px a side): screen text is
                # small, and upscaling wide strips to 736 px high made detection 5× slower
                det_limit_type="max",
                text_score=self.min_score,
            )
            self.load_seconds = time.perf_counter() - started
            log.info("OCR loaded in %.2f s", self.load_seconds)

    def read(self, image: Image.Image) -> OcrResult:
        self.load()
        started = time.perf_counter()
        rgb = image.convert("RGB")
        with self._lock:  # the ONNX sessions are shared; one image at a time
            # no 180° classifier: upside-down text is rare on screens and documents, and it
            # flipped whole lines of light-on-dark terminal text (which then read as nothing)
            raw, _ = self._engine(rgb, use_cls=False, return_word_box=True)
        grey = np.asarray(rgb.convert("L"))
        boxes = [self._box(grey, item) for item in raw or []]
        boxes = [b for b in boxes if b.text.strip()]
        return OcrResult(boxes, arrange(boxes), time.perf_counter() - started)

    @staticmethod
    def _box(grey: np.ndarray, item: Sequence[Any]) -> TextBox:
        corners = np.asarray(item[0], dtype=np.float32)
        text, score = str(item[1]), float(item[2])
        char_boxes = item[3] if len(item) > 3 else []
        upright = np.linalg.norm(corners[0] - corners[1]) >= np.linalg.norm(corners[0] - corners[3])
        if upright and char_boxes:
            crop, matrix = _straighten(grey, corners)
            text = respace(crop, text, _char_positions(matrix, char_boxes))
        return TextBox(tuple((float(x), float(y)) for x, y in corners), text, score)


class FixedReader:
    """A fake reader for tests: returns the given boxes (no model)."""

    name = "fixed"

    def __init__(self, boxes: Sequence[TextBox] = ()) -> None:
        self.boxes = list(boxes)

    def read(self, image: Image.Image) -> OcrResult:
        return OcrResult(list(self.boxes), arrange(self.boxes), 0.0)
