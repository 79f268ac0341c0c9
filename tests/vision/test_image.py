"""Loading images: good files, and a clear one-line message for every kind of bad file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from assistant.vision import image as image_module
from assistant.vision.image import ImageError, load_image


def _png(size=(120, 40), color="white", mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


def test_png_file_loads_as_rgb(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(_png())
    loaded = load_image(path)
    assert loaded.image.mode == "RGB"
    assert loaded.image.size == (120, 40)
    assert loaded.format == "PNG" and loaded.suffix == "png"
    assert loaded.notes == []
    assert loaded.data == path.read_bytes()


def test_pasted_bytes_load() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), "red").save(buf, "JPEG")
    loaded = load_image(buf.getvalue())
    assert loaded.format == "JPEG" and loaded.suffix == "jpg"
    assert loaded.image.size == (30, 20)


def test_transparent_png_is_flattened_on_white() -> None:
    loaded = load_image(_png(color=(0, 0, 0, 0), mode="RGBA"))
    assert loaded.image.getpixel((5, 5)) == (255, 255, 255)


def test_animated_gif_gives_first_frame_and_says_so(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (40, 40), c) for c in ("red", "green", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    loaded = load_image(path)
    assert loaded.image.getpixel((1, 1))[0] > 200  # red: the first frame
    assert loaded.notes == ["the image is animated (3 frames); I read the first frame."]


def test_huge_image_is_downscaled_and_says_so() -> None:
    loaded = load_image(_png(size=(5000, 300)), max_side=2000)
    assert loaded.image.size == (2000, 120)
    assert loaded.original_size == (5000, 300)
    assert "scaled down to 2000×120" in loaded.notes[0]


def test_decompression_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_module, "MAX_PIXELS", 1000)
    with pytest.raises(ImageError, match="too large"):
        load_image(_png(size=(100, 100)), name="big.png")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"hello, this is plain text\n", "is not an image I can read"),
        (b"%PDF-1.4 not an image", "is not an image I can read"),
        (_png()[:60], "damaged or truncated"),
    ],
    ids=["empty", "text", "pdf", "truncated"],
)
def test_bad_files_get_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "file.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message) as info:
        load_image(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)
