"""The desktop app (PySide6). ``ui.bridge`` is the only module that drives the assistant core."""
