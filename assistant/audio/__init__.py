"""Sound in and out: devices, capture, voice activity and end of turn, playback, echo handling.

Everything here works on float32 mono audio; the voice loop works at 16 kHz (``SAMPLE_RATE``).
"""

from assistant.asr.base import SAMPLE_RATE

__all__ = ["SAMPLE_RATE"]
