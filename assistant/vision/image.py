"""Loading images the user shares: one clear message for every kind of bad file.

Accepts a path or raw bytes (pasted from the clipboard). Animated images give their first frame
(and say so); huge images are downscaled for reading; corrupt, truncated, empty, non-image and
decompression-bomb files raise ``ImageError`` with a one-line explanation.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from assistant.errors import AssistantError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 80_000_000  # larger than any screen or camera; beyond it a file is a bomb
MAX_SIDE = 2000  # longest side given to the text reader (larger images are downscaled)
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF", "PPM", "ICO")
SUFFIXES = {
    "PNG": "png",
    "JPEG": "jpg",
    "GIF": "gif",
    "BMP": "bmp",
    "WEBP": "webp",
    "TIFF": "tiff",
    "PPM": "ppm",
    "ICO": "ico",
}


class ImageError(AssistantError):
    """The file is not an image we can read; the message says why and what to do."""


@dataclass
class LoadedImage:
    """An image ready to read: RGB, first frame, at most ``MAX_SIDE`` pixels a side."""

    image: Image.Image
    format: str  # PNG, JPEG …
    original_size: tuple[int, int]
    data: bytes  # the file as shared (stored with the message)
    notes: list[str] = field(default_factory=list)  # e.g. "animated: read the first frame"

    @property
    def suffix(self) -> str:
        return SUFFIXES.get(self.format, "img")


def load_image(
    source: str | Path | bytes, name: str | None = None, max_side: int = MAX_SIDE
) -> LoadedImage:
    """Open and check an image file (or its bytes); ``ImageError`` says what is wrong."""
    data, label = _read(source, name)
    if not data:
        raise ImageError(f"{label} is empty; share an image file (PNG, JPEG, GIF, WebP …).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            size = image.size
            if size[0] * size[1] > MAX_PIXELS:
                raise ImageError(
                    f"{label} is too large ({size[0]}×{size[1]} pixels); crop or "
                    "scale it below 80 megapixels."
                )
            notes = []
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                notes.append(f"the image is animated ({frames} frames); I read the first frame.")
                image.seek(0)
            image.load()
    except UnidentifiedImageError:
        raise ImageError(
            f"{label} is not an image I can read; share a PNG, JPEG, GIF, BMP, WebP or TIFF file."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{label} is too large to open safely; crop or scale it.") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(
            f"{label} is damaged or truncated ({err}); save it again or share another copy."
        ) from None
    fmt = image.format or "PNG"
    rgb = _to_rgb(ImageOps.exif_transpose(image))
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        notes.append(
            f"the image was large ({size[0]}×{size[1]}); I read it scaled down to "
            f"{rgb.size[0]}×{rgb.size[1]}."
        )
    return LoadedImage(rgb, fmt, size, data, notes)


def _read(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "the pasted image"
    path = Path(source).expanduser()
    label = name or str(path)
    if not path.exists():
        raise ImageError(f"{label} does not exist; check the path.")
    if path.is_dir():
        raise ImageError(f"{label} is a folder; give an image file.")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageError(
                f"{label} is {size // (1024 * 1024)} MB; images up to "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB are accepted."
            )
        return path.read_bytes(), label
    except PermissionError:
        raise ImageError(f"cannot read {label}: permission denied.") from None
    except OSError as err:
        raise ImageError(f"cannot read {label}: {err.strerror}.") from None


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white (text on transparent PNGs stays dark on light)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")
