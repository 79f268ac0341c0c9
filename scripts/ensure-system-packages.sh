#!/bin/sh
# Install the Debian/Ubuntu packages given as arguments when they are missing.
# Uses apt-get as root, sudo otherwise; says exactly what to install when neither works.
set -eu
missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages:$missing" >&2
    echo "This is not a Debian/Ubuntu system: install the equivalents with your package manager." >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    run=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run="sudo"
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
    echo "Installing system packages (sudo will ask for your password):$missing"
    run="sudo"
else
    echo "Missing system packages:$missing" >&2
    echo "Install them, then run make again:  sudo apt-get install$missing" >&2
    exit 1
fi
echo "Installing system packages:$missing"
$run env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
