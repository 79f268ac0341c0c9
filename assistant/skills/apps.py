"""`app.open`: launch an application from an allow-list, never through a shell.

The allow-list is ``[skills] apps`` in the config (name → command list) plus, unless
``desktop_apps = false``, the applications installed on the desktop: the ``.desktop`` entries of
the XDG data directories (``Exec`` split like a shell would, field codes such as ``%F`` removed;
hidden entries skipped; terminal programs run in ``x-terminal-emulator`` when there is one).
A name is matched on the entry's Name, GenericName and Keywords; anything else is refused with
a sentence, and so is a name holding path or shell characters.
"""

from __future__ import annotations

import configparser
import difflib
import logging
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.dialogue.state import Question
from assistant.nlu.base import Intent
from assistant.skills.base import SkillContext, SkillReply

log = logging.getLogger(__name__)

_FIELD_CODE = re.compile(r"%[fFuUdDnNickvm]")
_UNSAFE = re.compile(r"[;&|$`<>\\/*?!{}()\[\]~\"]|\.\.")
_GENERIC = re.compile(r"\b(?:app|application|program|the|my|a|an)\b")

Launcher = Callable[[Sequence[str]], None]
WHICH_APP = "Which application should I open?"


@dataclass(frozen=True)
class App:
    name: str
    command: tuple[str, ...]
    aliases: tuple[str, ...] = ()


def _key(name: str) -> str:
    return " ".join(_GENERIC.sub(" ", name.lower()).split())


def desktop_dirs() -> list[Path]:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local/share")
    data_dirs = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    return [Path(d) / "applications" for d in [data_home, *data_dirs.split(":")] if d]


def parse_desktop_entry(path: Path, terminal: str | None) -> App | None:
    """One .desktop file → App, or None when it is hidden, broken or not an application."""
    parser = configparser.RawConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(path, encoding="utf-8")
        entry = parser["Desktop Entry"]
    except (configparser.Error, KeyError, UnicodeDecodeError, OSError):
        return None
    if entry.get("Type", "Application") != "Application":
        return None
    if entry.get("NoDisplay", "false") == "true" or entry.get("Hidden", "false") == "true":
        return None
    name, exec_line = entry.get("Name"), entry.get("Exec")
    if not name or not exec_line:
        return None
    try:
        argv = [a for a in shlex.split(_FIELD_CODE.sub("", exec_line).replace("%%", "%")) if a]
    except ValueError:
        return None
    if not argv or (argv[0] == "env" and len(argv) == 1):
        return None
    if entry.get("Terminal", "false") == "true":
        if terminal is None:
            return None
        argv = [terminal, "-e", *argv]
    aliases = [entry.get("GenericName", "")]
    aliases += [k for k in entry.get("Keywords", "").split(";") if len(k) > 3]
    start = 2 if argv[0] == terminal else 0
    program = next((a for a in argv[start:] if a != "env" and "=" not in a), argv[0])
    aliases.append(Path(program).name)
    return App(name, tuple(argv), tuple(a for a in aliases if a))


def installed_apps(dirs: Sequence[Path] | None = None) -> list[App]:
    terminal = shutil.which("x-terminal-emulator")
    found: dict[str, App] = {}
    for folder in dirs if dirs is not None else desktop_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.desktop")):
            app = parse_desktop_entry(path, terminal)
            if app is not None and path.name not in found:  # earlier dirs take precedence
                found[path.name] = app
    return list(found.values())


def spawn(argv: Sequence[str]) -> None:
    """Start a program detached from the assistant, without a shell."""
    subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        shell=False,
    )


class AppCatalog:
    """Name → App from the config and the desktop entries (read once, on first use)."""

    def __init__(
        self,
        configured: dict[str, object],
        use_desktop: bool = True,
        dirs: Sequence[Path] | None = None,
    ) -> None:
        self._configured = configured
        self._use_desktop = use_desktop
        self._dirs = dirs
        self._apps: list[App] | None = None

    def apps(self) -> list[App]:
        if self._apps is None:
            apps = []
            for name, command in self._configured.items():
                argv = (
                    shlex.split(command)
                    if isinstance(command, str)
                    else [str(c) for c in command]
                    if isinstance(command, list)
                    else []
                )
                if argv:
                    apps.append(App(str(name), tuple(argv)))
                else:
                    log.warning("config: [skills] apps.%s has no command; ignored", name)
            if self._use_desktop:
                apps += installed_apps(self._dirs)
            self._apps = apps
        return self._apps

    def find(self, name: str) -> App | None:
        wanted = _key(name)
        if not wanted:
            return None
        table: dict[str, App] = {}
        for app in self.apps():
            for alias in (app.name, *app.aliases):
                table.setdefault(_key(alias), app)
        if wanted in table:
            return table[wanted]
        close = difflib.get_close_matches(wanted, list(table), n=1, cutoff=0.85)
        return table[close[0]] if close else None


class AppLauncherSkill:
    def __init__(self, catalog: AppCatalog, launch: Launcher = spawn) -> None:
        self.catalog = catalog
        self.launch = launch

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        name = str(intent.slots.get("app") or "").strip()
        if not name:
            return SkillReply(WHICH_APP, asks=Question("app.open", "app", WHICH_APP))
        if _UNSAFE.search(name) or len(name) > 80:
            return SkillReply(
                "I can't open that: I only open applications by name, not paths or commands."
            )
        app = self.catalog.find(name)
        if app is None:
            return SkillReply(
                f"I can't open {name}: it isn't in my list of allowed "
                "applications. You can add it under [skills] apps in the config."
            )
        try:
            self.launch(app.command)
        except OSError as err:
            return SkillReply(f"I couldn't start {app.name}: {err.strerror or err}.")
        return SkillReply(f"Opening {app.name}.")
