"""Image and screen commands: "read this to me", "what is the total", "remember this",
"what's on my screen".

``ImageIntentDetector`` wraps the main intent detector: precise phrase patterns for these
commands are tried first, everything else goes to the wrapped detector. ``ImageSkill`` answers
from ``SkillContext.image_text`` (the text read from the image of this turn): ``None`` means no
image came with the message, ``NO_TEXT_CONTEXT`` that the image had no readable text.
"""

from __future__ import annotations

import re

from assistant.nlu.base import Intent, IntentDetector, OnUnsure
from assistant.nlu.normalize import straight_apostrophes
from assistant.skills.base import SkillContext, SkillRegistry, SkillReply
from assistant.vision.answers import find_total
from assistant.vision.ocr import NO_TEXT

READ = "image.read"
TOTAL = "image.total"
REMEMBER = "image.remember"
CAPTURE = "screen.capture"
INTENTS = (READ, TOTAL, REMEMBER, CAPTURE)

# the turn context of an image in which no text was found
NO_TEXT_CONTEXT = "[the shared image contains no readable text]"
NO_IMAGE = (
    "There is no image with this message; paste, drop or attach one (or capture the "
    "screen) and ask again."
)
READ_LIMIT = 2000  # characters spoken by "read this to me"

_PLEASE = r"^(?:(?:ok|okay|hey|please|can you|could you|would you|now|so)\s+)*"
PATTERNS: dict[str, re.Pattern[str]] = {
    CAPTURE: re.compile(
        _PLEASE + r"(?:what(?:'s| is) on (?:my|the) screen|(?:read|look at|check) (?:my|the) "
        r"screen|(?:take a |capture (?:a |the )?)(?:screenshot|screen ?shot|screen)|"
        r"what does (?:my|the) screen say|screenshot)\b"
    ),
    TOTAL: re.compile(
        _PLEASE + r"(?:(?:what(?:'s| is)|how much is|tell me|give me|calculate|compute|add up|"
        r"work out|sum up)\s+)?(?:the )?(?:grand )?(?:total|sum|amount due|balance due)"
        r"(?:\s+(?:amount|price|cost))?(?:\s+(?:on|of|in|for) (?:this|that|the|my) "
        r"(?:invoice|receipt|bill|image|picture|photo|screenshot|document|page|it))?\s*[?.!]*$"
    ),
    READ: re.compile(
        _PLEASE + r"(?:read (?:this|that|it|the (?:image|picture|text|screenshot))(?: out)?"
        r"(?: (?:to|for) me)?(?: (?:out )?loud)?|what does (?:this|that|it|the (?:image|picture|"
        r"screenshot)) say|what(?:'s| is) (?:written|the text) (?:here|in (?:this|the) "
        r"(?:image|picture|screenshot))|transcribe (?:this|that|it))\s*[?.!]*$"
    ),
    REMEMBER: re.compile(
        _PLEASE + r"(?:remember|save|store|note|keep)(?: down)? (?:this|that|it)"
        r"(?: (?:address|number|text|note|info|information|code|name|one))?(?: for me)?"
        r"\s*[?.!]*$"
    ),
}


def match(text: str) -> str | None:
    """The image/screen intent of a message, or None."""
    cleaned = " ".join(straight_apostrophes(text.lower()).split())
    return next((name for name, p in PATTERNS.items() if p.search(cleaned)), None)


class ImageIntentDetector:
    """Image and screen commands first, then the wrapped detector."""

    def __init__(self, inner: IntentDetector) -> None:
        self.inner = inner

    def detect(self, text: str, *, on_unsure: OnUnsure | None = None) -> Intent:
        name = match(text)
        return Intent(name, 1.0) if name else self.inner.detect(text, on_unsure=on_unsure)


class ImageSkill:
    """Answers image commands from the text read from the image, without the language model."""

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        if intent.name == CAPTURE and ctx.image_text is None:
            return SkillReply(
                "Select the part of the screen to read, or press Escape for the whole screen.",
                actions=("capture_screen",),
            )
        text = ctx.image_text
        if text is None:
            return SkillReply(NO_IMAGE)
        if text == NO_TEXT_CONTEXT or not text.strip():
            return SkillReply(NO_TEXT)
        if intent.name in (READ, CAPTURE):  # "what's on my screen" with a capture attached
            if len(text) > READ_LIMIT:
                cut = text[:READ_LIMIT].rsplit("\n", 1)[0]
                return SkillReply(cut + "\n… The text goes on; ask me about a part of it.")
            return SkillReply(text)
        if intent.name == TOTAL:
            total = find_total(text)
            if total is None:
                return SkillReply("I could not find any amounts in that image.")
            return SkillReply(total.spoken())
        fact = " ".join(text.split())
        ctx.store.add_fact(fact[:1000])
        short = fact if len(fact) <= 80 else fact[:77].rsplit(" ", 1)[0] + "…"
        return SkillReply(f"I'll remember that: {short}")


def register(registry: SkillRegistry) -> None:
    skill = ImageSkill()
    for name in INTENTS:
        registry.register(name, skill)
