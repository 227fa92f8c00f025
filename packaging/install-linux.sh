#!/usr/bin/env sh
# Install Procedures for the current user on Linux: the binary, the icon and the
# .desktop entry (so it shows up in the app menu and opens folders with "Open with").
set -eu
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/procedures}"
mkdir -p "$HOME/.local/bin" "$HOME/.local/share/applications" "$HOME/.local/share/icons/hicolor/256x256/apps"
install -m 755 "$bin" "$HOME/.local/bin/procedures"
install -m 644 "$here/assets/icon-256.png" "$HOME/.local/share/icons/hicolor/256x256/apps/procedures.png"
install -m 644 "$here/packaging/procedures.desktop" "$HOME/.local/share/applications/procedures.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$HOME/.local/share/applications" || true
echo "Installed: ~/.local/bin/procedures (make sure ~/.local/bin is on your PATH)"
