"""`assistant models [list|prepare|verify]`: the packaged models, checked and prepared."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from assistant.cli.common import print_json
from assistant.errors import ModelError
from assistant.model_store import ModelEntry, ModelStore, Progress


def register(subparsers: Any) -> None:
    models = subparsers.add_parser("models", help="list, verify and prepare the offline models")
    models.set_defaults(func=run_list, json=False)
    sub = models.add_subparsers(dest="models_command", metavar="ACTION")
    lst = sub.add_parser("list", help="role, package, size, licence, prepared or not, path")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=run_list)
    prepare = sub.add_parser("prepare", help="verify sha256 and prepare what needs it (once)")
    prepare.add_argument("names", nargs="*", help="models to prepare (default: all)")
    prepare.add_argument("--force", action="store_true", help="prepare again even if done")
    prepare.set_defaults(func=run_prepare)
    verify = sub.add_parser("verify", help="check the sha256 of every model file")
    verify.add_argument("names", nargs="*")
    verify.set_defaults(func=run_verify)


def _size(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1e6 else f"{n / 1e3:,.0f} kB"


def run_list(args: argparse.Namespace) -> int:
    store = ModelStore()
    rows: list[dict[str, Any]] = []
    for entry in store.entries():
        status = store.status(entry)
        state = (
            "missing"
            if not status.installed
            else (
                "prepared"
                if status.prepared
                else ("ready" if not entry.prepare else "not prepared")
            )
        )
        rows.append(
            {
                "name": entry.name,
                "role": entry.role,
                "package": entry.package,
                "version": entry.version,
                "size_bytes": status.size_bytes,
                "license": entry.license,
                "state": state,
                "path": str(status.path) if status.path else None,
            }
        )
    if getattr(args, "json", False):
        print_json(rows)
        return 0
    print(f"{'name':<28} {'role':<10} {'size':>8}  {'state':<12} {'licence':<22} package")
    for r in rows:
        print(
            f"{r['name']:<28} {r['role']:<10} {_size(r['size_bytes']):>8}  {r['state']:<12} "
            f"{r['license'][:22]:<22} {r['package']}=={r['version']}"
        )
        print(f"{'':<28} {r['path'] or '(package not installed: run make run)'}")
    return 0


def _select(store: ModelStore, names: list[str]) -> list[ModelEntry]:
    return [store.entry(n) for n in names] if names else store.entries()


class _Bar:
    """One tqdm bar per model, fed by the store's progress callback."""

    def __init__(self, label: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=100,
            desc=label,
            unit="%",
            file=sys.stderr,
            leave=True,
            bar_format="{desc:<40} {bar} {n:>3.0f}%",
        )

    def __call__(self, what: str, fraction: float) -> None:
        percent = round(fraction * 100)
        if percent == self._bar.n and what[:40] == self._bar.desc:
            return
        self._bar.set_description_str(what[:40], refresh=False)
        self._bar.update(percent - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def run_prepare(args: argparse.Namespace) -> int:
    store = ModelStore()
    failures = 0
    for entry in _select(store, args.names):
        if not store.status(entry).installed:
            print(
                f"{entry.name}: package {entry.package} is not installed; run `make run`.",
                file=sys.stderr,
            )
            failures += 1
            continue
        if not args.force and store.up_to_date(entry):
            print(f"{entry.name}: ready")
            continue
        bar = _Bar(entry.name)
        progress: Progress = bar
        try:
            ran = store.prepare(entry, progress, force=args.force)
        except ModelError as err:
            bar.close()
            print(f"{entry.name}: {err}", file=sys.stderr)
            failures += 1
            continue
        bar.close()
        done = ", ".join(ran) if ran else ("already prepared" if entry.prepare else "verified")
        print(f"{entry.name}: {done}")
    return 1 if failures else 0


def run_verify(args: argparse.Namespace) -> int:
    store = ModelStore()
    bad = 0
    for entry in _select(store, args.names):
        problems = store.verify(entry)
        print(f"{entry.name}: {'ok' if not problems else problems[0]}")
        bad += bool(problems)
    return 1 if bad else 0
