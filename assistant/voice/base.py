"""What the CLI and the GUI may ask of the voice loop (they see its state only through events)."""

from __future__ import annotations

from typing import Protocol


class VoiceControl(Protocol):
    def start(self) -> None:
        """Open the devices and start listening (hands-free); emits StateChanged."""
        ...

    def stop(self) -> None:
        """Stop listening and speaking, close the devices."""
        ...

    def push_to_talk(self, pressed: bool) -> None:
        """Hold-to-talk: listening while pressed; release ends the user's turn."""
        ...

    def interrupt(self) -> None:
        """Stop the reply being spoken now (Stop button, `stop` intent)."""
        ...

    def set_muted(self, muted: bool) -> None:
        """Muted: replies are shown but not spoken."""
        ...

    @property
    def listening(self) -> bool: ...
