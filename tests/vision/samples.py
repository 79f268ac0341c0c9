"""Test images with known text, rendered with Pillow (and a Qt screenshot in the GUI tests).

``python -m tests.vision.samples DIR`` writes the set (NAME.png + NAME.txt) for
``assistant bench ocr DIR``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/share/fonts/opentype")
# (file name, apt package): found wherever the package put them
FONTS = {
    "DejaVuSans.ttf": "fonts-dejavu-core",
    "DejaVuSerif.ttf": "fonts-dejavu-core",
    "DejaVuSansMono.ttf": "fonts-dejavu-core",
    "LiberationSans-Regular.ttf": "fonts-liberation2",
    "LiberationSerif-Regular.ttf": "fonts-liberation2",
    "FreeSans.ttf": "fonts-freefont-ttf",
}

PARAGRAPHS = [
    ["Meeting with the design team", "moved to Thursday at 3 pm", "in room 4B."],
    ["Please bring the printed report", "and the budget for next year."],
]
DOCUMENT = [
    "Error 404: the page could not be found",
    "Check the address and try again",
    "Contact support at help@example.com",
]
TERMINAL = [
    "$ python manage.py migrate",
    "Traceback (most recent call last):",
    'File "app/models.py", line 42, in save',
    "ValueError: invalid literal for int() with base 10: 'abc'",
    "error: build failed with 2 errors",
]
INVOICE_LINES = [
    ("ACME Office Supplies", None),
    ("Invoice 2024-117", None),
    ("Paper A4, 2 x 4.50", "9.00"),
    ("Toner cartridge", "29.99"),
    ("Stapler", "3.76"),
    ("Subtotal", "42.75"),
    ("VAT 19%", "8.12"),
    ("Total due", "50.87 EUR"),
]
INVOICE_TOTAL = "50.87"


def font_path(name: str) -> Path | None:
    for base in FONT_DIRS:
        found = next(Path(base).rglob(name), None) if Path(base).is_dir() else None
        if found:
            return found
    return None


def available_fonts() -> list[Path]:
    return [p for p in (font_path(n) for n in FONTS) if p is not None]


def render_lines(
    paragraphs: list[list[str]],
    font: Path,
    size: int,
    margin: int = 30,
    background: str = "white",
    ink: str = "black",
) -> Image.Image:
    face = ImageFont.truetype(str(font), size)
    step = int(size * 1.5)
    height = margin * 2 + step * sum(len(p) for p in paragraphs) + step * (len(paragraphs) - 1)
    width = margin * 2 + max(int(face.getlength(line)) for p in paragraphs for line in p)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    y = margin
    for paragraph in paragraphs:
        for line in paragraph:
            draw.text((margin, y), line, font=face, fill=ink)
            y += step
        y += step
    return image


def expected(paragraphs: list[list[str]]) -> str:
    return "\n\n".join("\n".join(p) for p in paragraphs)


def render_invoice(font: Path, size: int = 22) -> Image.Image:
    face = ImageFont.truetype(str(font), size)
    image = Image.new("RGB", (760, 120 + 50 * len(INVOICE_LINES)), "white")
    draw = ImageDraw.Draw(image)
    for i, (label, amount) in enumerate(INVOICE_LINES):
        y = 40 + 50 * i + (40 if i >= 2 else 0)
        draw.text((40, y), label, font=face, fill="black")
        if amount:
            draw.text((520, y), amount, font=face, fill="black")
    return image


def photo_like(image: Image.Image, angle: float = 4.0, seed: int = 7) -> Image.Image:
    """Slightly rotated, blurred, unevenly lit, with sensor noise and JPEG artefacts."""
    rng = random.Random(seed)
    tilted = image.rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(235, 232, 225)
    )
    tilted = tilted.filter(ImageFilter.GaussianBlur(0.8))
    width, height = tilted.size
    light = Image.linear_gradient("L").resize((width, height)).point(lambda v: 200 + v // 5)
    tilted = Image.composite(tilted, Image.new("RGB", tilted.size, (70, 70, 70)), light)
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    noisy = Image.blend(tilted, noise, 0.12)
    path = Path(f"/tmp/photo-like-{rng.randrange(1 << 30)}.jpg")
    noisy.save(path, quality=60)
    try:
        return Image.open(path).convert("RGB")
    finally:
        path.unlink()


def sample_set() -> dict[str, tuple[Image.Image, str]]:
    """name → (image, expected text): several fonts and sizes, an invoice, a photo-like page."""
    out: dict[str, tuple[Image.Image, str]] = {}
    fonts = available_fonts()
    sizes = (14, 20, 32)
    for i, font in enumerate(fonts):
        size = sizes[i % len(sizes)]
        out[f"{font.stem}-{size}"] = (render_lines(PARAGRAPHS, font, size), expected(PARAGRAPHS))
    sans = fonts[0]
    out["white-on-dark"] = (
        render_lines([DOCUMENT], sans, 20, background="#202830", ink="#e8e8e8"),
        "\n".join(DOCUMENT),
    )
    mono = font_path("DejaVuSansMono.ttf")
    if mono is not None:  # a terminal: light monospaced text on dark, small
        out["terminal"] = (
            render_lines([TERMINAL], mono, 15, background="#1e1e1e", ink="#d4d4d4"),
            "\n".join(TERMINAL),
        )
    invoice_text = "\n".join(" ".join(x for x in row if x) for row in INVOICE_LINES)
    out["invoice"] = (render_invoice(sans), invoice_text)
    out["photo-like"] = (photo_like(render_lines([DOCUMENT], sans, 26)), "\n".join(DOCUMENT))
    return out


def write_set(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (image, text) in sample_set().items():
        image.save(directory / f"{name}.png")
        (directory / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
        written.append(directory / f"{name}.png")
    return written


if __name__ == "__main__":
    for path in write_set(Path(sys.argv[1])):
        print(path)


def engine_with_images(store, llm, config, bus=None, embedder=None):  # type: ignore[no-untyped-def]
    """A plain engine (no intent models) with the image stage joined as ``app.build`` joins it:
    image commands, the image skill, fitting of long text, the inbox. Returns (engine, stage)."""
    from assistant.conversation import ConversationEngine
    from assistant.events import EventBus
    from assistant.nlu.base import ChatOnlyDetector
    from assistant.skills.base import SkillRegistry
    from assistant.vision.setup import build_vision_stage
    from assistant.vision.skill import ImageIntentDetector, register

    bus = bus or EventBus()
    stage = build_vision_stage(config, bus, embedder)
    skills = SkillRegistry()
    register(skills)
    engine = ConversationEngine(
        store=store,
        llm=llm,
        config=config,
        bus=bus,
        detector=ImageIntentDetector(ChatOnlyDetector()),
        skills=skills,
        fit_turn_context=stage.fitter.fit,
        waiting_images=stage.inbox,
    )
    return engine, stage
