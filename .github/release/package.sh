#!/usr/bin/env bash
# Packs one release archive as install/install.sh, install/install.ps1 and
# the Action expect it (release.yml runs this; so do the tests, on the test
# binary):
#
#   package.sh TARGET BINARY OUT_DIR
#
# writes OUT_DIR/aad-setup-TARGET.tar.gz (a zip for Windows) holding the
# binary at its top with LICENSE and README.md, and beside it
# aad-setup-TARGET.tar.gz.sha256 ("<sha256>  <file name>", as sha256sum -c
# reads it).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: package.sh TARGET BINARY OUT_DIR" >&2
  exit 2
fi
target="$1"
binary="$2"
mkdir -p "$3"
out="$(cd "$3" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
case "$target" in
  *windows*) exe=aad-setup.exe name="aad-setup-$target.zip" ;;
  *) exe=aad-setup name="aad-setup-$target.tar.gz" ;;
esac
cp "$binary" "$stage/$exe"
chmod 755 "$stage/$exe"
cp "$root/LICENSE" "$root/README.md" "$stage/"
rm -f "$out/$name"
case "$name" in
  *.zip)
    if command -v 7z >/dev/null 2>&1; then
      (cd "$stage" && 7z a -tzip -bso0 "$out/$name" "$exe" LICENSE README.md)
    else
      (cd "$stage" && zip -q "$out/$name" "$exe" LICENSE README.md)
    fi
    ;;
  *) tar -czf "$out/$name" -C "$stage" "$exe" LICENSE README.md ;;
esac

if command -v sha256sum >/dev/null 2>&1; then
  sum="$(sha256sum "$out/$name" | cut -d ' ' -f 1)"
else
  sum="$(shasum -a 256 "$out/$name" | cut -d ' ' -f 1)"
fi
echo "$sum  $name" >"$out/$name.sha256"
echo "$name $sum"
