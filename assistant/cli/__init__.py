"""The ``assistant`` command. Each sub-command lives in its own module with ``register``.

Errors the user can fix print one line (and exit non-zero); tracebacks only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from assistant import __version__
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

# Modules that add sub-commands: each has ``register(subparsers)``; keep imports cheap there
# (heavy libraries are imported inside the command functions).
COMMAND_MODULES = [
    "assistant.cli.chat",
    "assistant.cli.history",
    "assistant.cli.models",
    "assistant.cli.config_cmd",
    "assistant.cli.bench",
    "assistant.cli.gui",
    "assistant.cli.export_onnx",
    "assistant.cli.understanding",
    "assistant.cli.voice",
    "assistant.cli.speech",
    "assistant.cli.privacy",
]

# Without a command: the window, or the terminal chat (with a one-line note) when PySide6 or a
# display is missing.
DEFAULT_COMMAND = ["gui", "--or-chat"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="An offline desktop voice assistant. Without a command it opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"assistant {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show tracebacks and debug logs (may include message text)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        args = parser.parse_args(args_list + DEFAULT_COMMAND)
    from assistant.llm.torch_backend import offline_env
    from assistant.logging_setup import setup_logging

    offline_env()  # before any command can import a hub client (faster-whisper, transformers)
    setup_logging(debug=args.debug)
    try:
        return int(args.func(args) or 0)
    except AssistantError as err:
        if args.debug:
            raise
        print(f"assistant: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("\nassistant: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:
        if args.debug:
            raise
        log.exception("unexpected error")
        print(
            f"assistant: unexpected error: {err} (details in the log; run with --debug to "
            "see them here).",
            file=sys.stderr,
        )
        return 1
