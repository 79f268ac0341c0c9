"""Reading order and restored spaces, on synthetic boxes and line images (no model)."""

from __future__ import annotations

import itertools

import numpy as np
from PIL import Image

from assistant.vision.ocr import FixedReader, TextBox, _cell_width, arrange, respace


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


def _grid(cells: list[float], height: int = 20, cell: int = 10) -> tuple[np.ndarray, list]:
    """Narrow glyphs (like i and l in a monospaced font) centred in their cells."""
    strip = np.full((height, int(cell * (max(cells) + 2))), 255, np.uint8)
    for c in cells:
        left = int(c * cell) + 4
        strip[4:16, left : left + 2] = 0
    return strip, [c * cell + 5.0 for c in cells]


def test_monospaced_lines_follow_the_character_grid() -> None:
    cells = [*range(8), *range(9, 17)]  # one empty cell between the words
    strip, xs = _grid(cells)
    assert respace(strip, "wmilwmilwmilwmil", xs) == "wmilwmil wmilwmil"


def test_monospaced_lines_drop_spaces_the_grid_has_no_room_for() -> None:
    strip, xs = _grid([0, 1, 2, 3, 3.5, 4, 5, 6, 7, 8, 9, 10, 11])  # a stray space read
    assert respace(strip, "wmil wmilwmil", xs) == "wmilwmilwmil"


def test_proportional_text_is_not_taken_for_monospaced() -> None:
    # steps next to m and w longer than next to i and l, as in a proportional font
    text = "wmilwmilwmil"
    xs, x = [], 0.0
    for a, b in itertools.pairwise(text + "i"):
        xs.append(x)
        x += 16 if {a, b} <= {"w", "m"} else 8 if {a, b} <= {"i", "l"} else 12
    assert _cell_width(text, xs) is None
    assert _cell_width(text, [10.0 * i for i in range(len(text))]) == 10.0
