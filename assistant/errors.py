"""Errors that carry a one-line message for the user (no traceback unless --debug)."""

from __future__ import annotations


class AssistantError(Exception):
    """A problem the user can fix; ``str(err)`` is the one-line explanation with the fix."""

    exit_code = 1


class ConfigError(AssistantError):
    exit_code = 2


class ModelError(AssistantError):
    exit_code = 3


class StorageError(AssistantError):
    exit_code = 4


class DeviceError(AssistantError):
    exit_code = 5


class AudioFileError(AssistantError):
    """An audio file that cannot be read: missing, empty, not audio, damaged."""

    exit_code = 6
