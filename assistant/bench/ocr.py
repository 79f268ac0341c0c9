"""`assistant bench ocr DIR`: character error rate and time of text recognition per image.

Each image in DIR may have a ``<name>.txt`` beside it with the expected text; the character error
rate is the edit distance between expected and recognised text (runs of white space count as
one space) divided by the length of the expected text.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.vision.image import load_image
from assistant.vision.ocr import RapidOcrReader, TextReader

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def cer(expected: str, recognised: str) -> float:
    """Character error rate (jiwer: edit distance / length of the expected text)."""
    import jiwer

    ref, hyp = normalise(expected), normalise(recognised)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.cer(ref, hyp))


def bench_ocr(directory: Path, reader: TextReader | None = None) -> dict[str, Any]:
    if not directory.is_dir():
        raise AssistantError(f"{directory} is not a folder of images.")
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise AssistantError(f"{directory} holds no images (png, jpg, gif, bmp, webp, tiff).")
    reader = reader or RapidOcrReader()
    load_s = None
    if isinstance(reader, RapidOcrReader):
        started = time.perf_counter()
        reader.load()
        load_s = round(time.perf_counter() - started, 3)
    rows = []
    for path in files:
        row: dict[str, Any] = {"image": path.name}
        try:
            image = load_image(path)
        except AssistantError as err:
            rows.append({**row, "error": str(err)})
            continue
        result = reader.read(image.image)
        row.update(
            width=image.image.width,
            height=image.image.height,
            seconds=round(result.seconds, 3),
            chars=len(result.text),
        )
        truth = path.with_suffix(".txt")
        if truth.exists():
            row["cer"] = round(cer(truth.read_text(encoding="utf-8"), result.text), 4)
        row["text"] = result.text
        rows.append(row)
    scored = [r["cer"] for r in rows if "cer" in r]
    timed = [r["seconds"] for r in rows if "seconds" in r]
    return {
        "reader": getattr(reader, "name", type(reader).__name__),
        "load_seconds": load_s,
        "images": len(rows),
        "mean_cer": round(sum(scored) / len(scored), 4) if scored else None,
        "max_cer": max(scored) if scored else None,
        "mean_seconds": round(sum(timed) / len(timed), 3) if timed else None,
        "per_image": rows,
    }
