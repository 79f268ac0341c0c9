"""`assistant config [show|path]`."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    config = subparsers.add_parser("config", help="show the settings in force or their file")
    config.set_defaults(func=run_show)
    sub = config.add_subparsers(dest="config_command", metavar="ACTION")
    sub.add_parser("show", help="print the settings in force (file + environment)").set_defaults(
        func=run_show
    )
    sub.add_parser("path", help="print the path of the config file").set_defaults(func=run_path)


def run_show(args: argparse.Namespace) -> int:
    from assistant import config

    current = config.load()
    print(f"# {current.source}")
    print(config.render(current))
    return 0


def run_path(args: argparse.Namespace) -> int:
    from assistant import paths

    print(paths.config_file())
    return 0
