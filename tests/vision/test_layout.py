"""Reading order and restored spaces, on synthetic boxes and line images (no model)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from assistant.vision.ocr import FixedReader, TextBox, arrange, respace


def box(x: float, y: float, w: float, h: float, text: str) -> TextBox:
    return TextBox(((x, y), (x + w, y), (x + w, y + h), (x, y + h)), text, 0.99)


def test_boxes_on_one_line_are_joined_left_to_right() -> None:
    boxes = [box(400, 102, 80, 20, "9.00"), box(20, 100, 150, 22, "Paper A4")]
    assert arrange(boxes) == "Paper A4 9.00"


def test_lines_top_to_bottom_and_paragraph_gaps() -> None:
    boxes = [
        box(20, 200, 200, 20, "Second paragraph"),
        box(20, 130, 200, 20, "line two"),
        box(20, 100, 200, 20, "First line"),
        box(300, 98, 100, 24, "(right)"),
    ]
    assert arrange(boxes) == "First line (right)\nline two\n\nSecond paragraph"


def test_slightly_tilted_boxes_still_form_one_line() -> None:
    boxes = [box(20, 100, 100, 20, "left"), box(130, 108, 100, 20, "right")]
    assert arrange(boxes) == "left right"


def test_no_boxes_no_text() -> None:
    result = FixedReader([]).read(Image.new("RGB", (10, 10)))
    assert result.empty and result.text == ""


def _line(widths_and_gaps: list[tuple[int, int]], height: int = 20) -> tuple[np.ndarray, list]:
    """A white strip with black blocks; returns the strip and each block's centre."""
    total = sum(w + g for w, g in widths_and_gaps) + 10
    strip = np.full((height, total), 255, np.uint8)
    x, centres = 5, []
    for w, g in widths_and_gaps:
        strip[4:16, x : x + w] = 0
        centres.append(x + w / 2)
        x += w + g
    return strip, centres


def test_respace_inserts_a_space_at_a_wide_blank_gap() -> None:
    strip, xs = _line([(8, 2), (8, 12), (8, 2), (8, 0)])  # "ab" gap "cd"
    assert respace(strip, "abcd", xs) == "ab cd"


def test_respace_keeps_narrow_gaps_and_existing_spaces() -> None:
    strip, xs = _line([(8, 2), (8, 2), (8, 0)])
    assert respace(strip, "abc", xs) == "abc"
    strip, xs = _line([(8, 12), (1, 1), (8, 0)])
    assert respace(strip, "a b", xs) == "a b"


def test_respace_needs_a_wider_gap_between_digits_and_before_punctuation() -> None:
    strip, xs = _line([(8, 7), (8, 7), (3, 0)])
    assert respace(strip, "11.", xs) == "11."


def test_respace_on_light_text_on_dark() -> None:
    strip, xs = _line([(8, 2), (8, 12), (8, 0)])
    assert respace(255 - strip, "abc", xs) == "ab c"
