#!/usr/bin/env bash
# Installs the system packages the project needs on Debian 12 (bookworm). Idempotent.
#
#  - Vulkan loader + Mesa's lavapipe (a software Vulkan driver) from bookworm-backports: Dawn (the
#    `webgpu` package) rejects bookworm's own Mesa 22.3, and with no GPU lavapipe is the adapter.
#  - chromium: the headless browser that the browser tests drive through playwright-core.
#  - python3-torch + libopenblas0-pthread (optional, SETUP_TORCH=1 or --with-torch): only for
#    regenerating golden fixtures and for the side-by-side benchmarks; tests never need Python.
#
# The backports suite reuses the URI of the machine's existing Debian apt source, so no mirror
# host name is written here.
set -euo pipefail

with_torch="${SETUP_TORCH:-0}"
for arg in "$@"; do
  case "$arg" in
    --with-torch) with_torch=1 ;;
    *) echo "setup-system: unknown argument '$arg' (known: --with-torch)" >&2; exit 2 ;;
  esac
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: apt-get not found; this script targets Debian 12. Install a Vulkan driver" >&2
  echo "(Mesa >= 24 lavapipe or a GPU driver) and chromium by your platform's means." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# 1. Find the URI of the existing Debian (non-security) source, in deb822 or one-line format.
debian_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas: pick a stanza whose Suites include bookworm (not -security).
    awk 'BEGIN{RS=""; FS="\n"}
      { uri=""; suites="";
        for (i=1;i<=NF;i++) { if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, " "); uri=u[1] }
                              if ($i ~ /^Suites:/) suites=$i }
        if (uri != "" && suites ~ /bookworm([ \t]|$|-updates)/ && suites !~ /security/) { print uri; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" && $0 ~ / bookworm( |$)/ && $0 !~ /security/ {
           for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
  done
}

backports=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  uri="$(debian_uri | head -n 1)"
  if [ -z "$uri" ]; then
    echo "setup-system: no Debian bookworm apt source found to reuse for bookworm-backports." >&2
    echo "Add one by hand: 'deb <your Debian mirror> bookworm-backports main'." >&2
    exit 1
  fi
  echo "setup-system: adding bookworm-backports (from $uri)"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
    | $sudo tee "$backports" >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq -t bookworm-backports libvulkan1 mesa-vulkan-drivers >/dev/null
$sudo apt-get install -y -qq chromium >/dev/null
if [ "$with_torch" = 1 ]; then
  $sudo apt-get install -y -qq python3-torch python3-torchvision libopenblas0-pthread python3-numpy >/dev/null
fi
echo "setup-system: Vulkan driver $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), chromium $(dpkg-query -W -f='${Version}' chromium)"
