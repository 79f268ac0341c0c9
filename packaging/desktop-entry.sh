#!/bin/sh
# Install or remove the desktop entry, icon and AppStream metainfo for the current user.
#   packaging/desktop-entry.sh install [COMMAND]   COMMAND defaults to the built bundle
#                                                  (dist/assistant/assistant), else .venv
#   packaging/desktop-entry.sh uninstall
# Honours XDG_DATA_HOME (default ~/.local/share). Nothing outside it is touched.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
icons=$data/icons/hicolor/scalable/apps
meta=$data/metainfo
id=io.github.offline_assistant.Assistant

case "${1:-}" in
install)
    command=${2:-}
    if [ -z "$command" ]; then
        if [ -x "$here/dist/assistant/assistant" ]; then
            command=$here/dist/assistant/assistant
        else
            command=$here/.venv/bin/assistant
        fi
    fi
    [ -x "$command" ] || { echo "no assistant command at $command (run make package or make run)" >&2; exit 1; }
    mkdir -p "$apps" "$icons" "$meta"
    sed "s|@EXEC@|$command|g" "$here/packaging/assistant.desktop.in" > "$apps/assistant.desktop"
    cp "$here/ui/icons/app.svg" "$icons/assistant.svg"
    cp "$here/packaging/assistant.metainfo.xml" "$meta/$id.metainfo.xml"
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" 2>/dev/null || true
    echo "installed $apps/assistant.desktop (runs $command)"
    ;;
uninstall)
    rm -f "$apps/assistant.desktop" "$icons/assistant.svg" "$meta/$id.metainfo.xml"
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" || true
    echo "removed the desktop entry, icon and metainfo from $data"
    ;;
*)
    echo "usage: $0 install [COMMAND] | uninstall" >&2
    exit 2
    ;;
esac
