#!/usr/bin/env bash
# Makes sure Debian's Chromium exists for the web UI end-to-end tests (test/e2e/web-ui.e2e-spec.ts and
# operations-doc.e2e-spec.ts drive it with playwright-core): installs the `chromium` package with apt-get
# when there is no browser at $CHROMIUM_PATH (default /usr/bin/chromium). A no-op when it exists. Also
# installs `jq`, which docs/operations.md's pasted commands (run by operations-doc.e2e-spec.ts) use.
# Needs root (or sudo) to install.
set -euo pipefail
# shellcheck source=lib/apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"

if ! command -v jq > /dev/null; then
  APT_NO_APT_GET=("no jq and no apt-get to install it: install jq with your package manager.")
  APT_NO_ROOT=("installing jq needs root: run this script as root, or install jq yourself.")
  apt_install ensure-chromium "no jq" jq
fi

browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  echo "ensure-chromium: found $browser ($("$browser" --version 2>/dev/null || echo 'version unknown')); nothing to install"
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "ensure-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable; point it at a Chromium or unset it" >&2
  exit 1
fi
APT_NO_APT_GET=(
  "no /usr/bin/chromium and no apt-get to install it."
  "install Chromium with your package manager and set CHROMIUM_PATH=/path/to/chromium."
)
APT_NO_ROOT=(
  "installing Chromium needs root: run this script as root,"
  "or install it yourself and set CHROMIUM_PATH=/path/to/chromium."
)
apt_install ensure-chromium "no $browser" chromium fonts-liberation

if [ ! -x "$browser" ]; then
  echo "ensure-chromium: installed chromium, but there is still no $browser" >&2
  exit 1
fi
echo "ensure-chromium: installed; using $browser ($("$browser" --version 2>/dev/null || echo 'version unknown'))"
