"""The real reader (PP-OCRv4) on rendered text with known content.

Bounds (character error rate = edit distance / length, white space runs as one space):
each clean render ≤ 3 %, their mean ≤ 1 %; the photo-like image (rotated 4°, blurred, uneven
light, noise, JPEG quality 60) ≤ 8 %. Measured when written (10 images): mean 0.54 %, worst
2.3 % (Liberation Sans 14 px: two lost spaces), terminal text 2.1 %, photo-like 0.9 %.
"""

from __future__ import annotations

import pytest
from PIL import Image

from assistant.bench.ocr import cer
from assistant.vision.ocr import NO_TEXT
from assistant.vision.turn import ImageReader

from .samples import available_fonts, sample_set

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def samples():
    assert len(available_fonts()) >= 3, (
        "install fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf"
    )
    return sample_set()


def test_clean_renders_in_several_fonts_and_sizes(samples, ocr_reader) -> None:
    errors = {}
    for name, (image, truth) in samples.items():
        if name == "photo-like":
            continue
        errors[name] = cer(truth, ocr_reader.read(image).text)
    assert max(errors.values()) <= 0.03, errors
    assert sum(errors.values()) / len(errors) <= 0.01, errors


def test_reading_order_keeps_lines_and_paragraphs(samples, ocr_reader) -> None:
    image, truth = (
        samples["DejaVuSerif-20"] if "DejaVuSerif-20" in samples else next(iter(samples.values()))
    )
    text = ocr_reader.read(image).text
    assert text.split("\n\n")[0].splitlines()[0] == truth.splitlines()[0]
    assert text.count("\n\n") == truth.count("\n\n")


def test_photo_like_noisy_rotated_image(samples, ocr_reader) -> None:
    image, truth = samples["photo-like"]
    assert cer(truth, ocr_reader.read(image).text) <= 0.08


def test_image_without_text(ocr_reader, tmp_path) -> None:
    path = tmp_path / "blank.png"
    Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(path)
    read = ImageReader(ocr_reader).read(path)
    assert read.text == ""
    assert read.notes == [NO_TEXT]
