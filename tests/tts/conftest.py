"""The voice tests transcribe what they synthesise: they share the ASR fixtures."""

from tests.asr.conftest import asr_store, recognizer

__all__ = ["asr_store", "recognizer"]
