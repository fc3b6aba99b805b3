#!/bin/sh
# Installs aad-setup from a GitHub release: picks the archive for this OS and
# CPU, checks its SHA-256 against the release's checksum file, and puts the
# binary in a directory (default ~/.local/bin). Nothing is installed unless
# the checksum matches.
#
#   curl -LsSf https://github.com/ORG/aad-setup/releases/latest/download/install.sh | sh
#   curl -LsSf .../install.sh | sh -s -- --version v0.2.0 --to /usr/local/bin
#
# Options (or their variables):
#   --version V   AAD_SETUP_VERSION      a release tag (v0.2.0), default latest
#   --to DIR      AAD_SETUP_INSTALL_DIR  where the binary goes, default ~/.local/bin
#   --target T    AAD_SETUP_TARGET       the archive's target triple, default detected
#                 AAD_SETUP_REPO         owner/name on GitHub (set by the release)
#                 AAD_SETUP_RELEASES_URL where releases live, default
#                   https://github.com/$AAD_SETUP_REPO/releases; a mirror (or a
#                   file:// directory) laid out the same way:
#                   latest/download/<file> and download/<tag>/<file>
set -eu

# The release workflow writes the repository here in the copy it publishes.
repo="${AAD_SETUP_REPO:-ORG/aad-setup}"
version="${AAD_SETUP_VERSION:-latest}"
dir="${AAD_SETUP_INSTALL_DIR:-}"
target="${AAD_SETUP_TARGET:-}"

say() { printf 'aad-setup install: %s\n' "$*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --version) [ $# -ge 2 ] || fail "--version needs a value"; version="$2"; shift 2 ;;
    --to) [ $# -ge 2 ] || fail "--to needs a value"; dir="$2"; shift 2 ;;
    --target) [ $# -ge 2 ] || fail "--target needs a value"; target="$2"; shift 2 ;;
    -h | --help)
      sed -n '2,18p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) fail "unknown argument '$1' (--version, --to, --target)" ;;
  esac
done

if [ -z "$dir" ]; then
  [ -n "${HOME:-}" ] || fail "HOME is not set: give the directory with --to"
  dir="$HOME/.local/bin"
fi
case "$version" in
  latest | v[0-9]*) ;;
  [0-9]*) version="v$version" ;;
  *) fail "version '$version' is not a release tag (v1.2.3) or latest" ;;
esac

# The Rust target triple of the archive that runs here.
detect_target() {
  os=$(uname -s)
  cpu=$(uname -m)
  case "$cpu" in
    x86_64 | amd64) cpu=x86_64 ;;
    aarch64 | arm64) cpu=aarch64 ;;
    *) fail "no release archive for the CPU '$cpu' (x86_64 and aarch64 are built); build from source: cargo install --locked --git https://github.com/$repo" ;;
  esac
  case "$os" in
    Linux) echo "$cpu-unknown-linux-musl" ;;
    Darwin)
      # An x86_64 shell under Rosetta on Apple silicon: the native build.
      if [ "$cpu" = x86_64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
        cpu=aarch64
      fi
      echo "$cpu-apple-darwin"
      ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) fail "on Windows use install.ps1 (PowerShell)" ;;
    *) fail "no release archive for the OS '$os'; build from source: cargo install --locked --git https://github.com/$repo" ;;
  esac
}
[ -n "$target" ] || target=$(detect_target)
case "$target" in
  *windows*) fail "the $target archive is a zip for install.ps1" ;;
esac

base="${AAD_SETUP_RELEASES_URL:-https://github.com/$repo/releases}"
base="${base%/}"
if [ "$version" = latest ]; then
  from="$base/latest/download"
else
  from="$base/download/$version"
fi
archive="aad-setup-$target.tar.gz"

download() { # url file
  if command -v curl >/dev/null 2>&1; then
    curl --proto '=https,file,http' -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    case "$1" in
      file://*) cp "${1#file://}" "$2" ;;
      *) wget -q -O "$2" "$1" ;;
    esac
  else
    fail "neither curl nor wget is installed"
  fi
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    fail "no sha256sum, shasum or openssl to check the download with"
  fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aad-setup-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

say "downloading $archive ($version) from $from"
download "$from/$archive" "$tmp/$archive" || fail "could not download $from/$archive (is $version released for $target?)"
download "$from/$archive.sha256" "$tmp/$archive.sha256" || fail "could not download the checksum $from/$archive.sha256; nothing installed"

expected=$(cut -d ' ' -f 1 <"$tmp/$archive.sha256" | tr 'A-F' 'a-f')
actual=$(sha256 "$tmp/$archive")
case "$expected" in
  *[!0-9a-f]* | '') fail "the checksum file $archive.sha256 holds no SHA-256; nothing installed" ;;
esac
if [ "${#expected}" -ne 64 ]; then
  fail "the checksum file $archive.sha256 holds no SHA-256; nothing installed"
fi
if [ "$expected" != "$actual" ]; then
  fail "checksum mismatch for $archive: the release says $expected, the download is $actual; nothing installed"
fi
say "checksum ok ($actual)"

mkdir "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" || fail "could not unpack $archive; nothing installed"
[ -f "$tmp/x/aad-setup" ] || fail "$archive holds no aad-setup binary; nothing installed"

mkdir -p "$dir" || fail "could not create $dir"
# Copy beside the old binary, then rename over it: a running aad-setup and
# a half-written file are never in the way.
cp "$tmp/x/aad-setup" "$dir/.aad-setup.new" || fail "could not write to $dir"
chmod 755 "$dir/.aad-setup.new"
mv -f "$dir/.aad-setup.new" "$dir/aad-setup"
say "installed $dir/aad-setup ($("$dir/aad-setup" -V 2>/dev/null || echo "$target"))"

case ":${PATH:-}:" in
  *":$dir:"*) ;;
  *) say "$dir is not on PATH; add it, e.g. export PATH=\"$dir:\$PATH\"" ;;
esac
