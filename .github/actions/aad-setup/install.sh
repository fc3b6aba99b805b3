#!/usr/bin/env bash
# The action's install step: puts aad-setup on the job's PATH.
#
#   1. An aad-setup already on PATH (installed by an earlier step) is used.
#   2. Else the release binary for the runner's OS and CPU is downloaded and
#      its SHA-256 checked by the repository's install/install.sh (on
#      Windows, install/install.ps1), into the
#      runner's tool cache (RUNNER_TOOL_CACHE/aad-setup/<version>/<cpu>),
#      which the action keeps across jobs with actions/cache for a pinned
#      version. A binary already there (a cache hit) is used as it is.
#   3. `version: source` builds this action's own revision with cargo: for
#      a ref that has no release (a branch, a commit).
#
# The version: the `version` input (v1.2.3, latest or source); else the
# tag the action is used at (uses: ORG/aad-setup/.github/actions/aad-setup@v1.2.3);
# else latest.
#
# `install.sh plan` only writes the plan to the step's outputs (mode,
# version, dir, cache-key) for the actions/cache step; `install.sh` installs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

say() { echo "aad-setup action: $*" >&2; }
output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1=$2" >>"$GITHUB_OUTPUT"
  fi
}

requested="${INPUT_VERSION:-}"
if [ -z "$requested" ]; then
  ref="${ACTION_REF:-${GITHUB_ACTION_REF:-}}"
  case "$ref" in
    v[0-9]*) requested="$ref" ;;
    *) requested=latest ;;
  esac
fi
case "$requested" in
  latest | source | v[0-9]*) version="$requested" ;;
  [0-9]*) version="v$requested" ;;
  *)
    echo "::error::aad-setup action: version '$requested' is not a release tag (v1.2.3), latest or source"
    exit 2
    ;;
esac

if command -v aad-setup >/dev/null 2>&1; then
  mode=path
elif [ "$version" = source ]; then
  mode=source
else
  mode=release
fi
# Windows runners run this in Git Bash; the binary is a .exe, installed by
# install.ps1 (install.sh is for Linux and macOS).
exe=""
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) exe=.exe ;;
esac
cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}"
if [ -n "$exe" ]; then
  cache_root="$(cygpath -u "$cache_root")"
fi
dir="$cache_root/aad-setup/$version/$(uname -m)"
# "latest" names no fixed release, so it is fetched each time; a pinned
# version is cached.
cache_key=""
case "$mode:$version" in
  release:v*) cache_key="aad-setup-$version-$(uname -s)-$(uname -m)" ;;
esac

if [ "${1:-}" = plan ]; then
  output mode "$mode"
  output version "$version"
  if [ -n "$exe" ]; then
    output dir "$(cygpath -m "$dir")" # for actions/cache: D:/a/_tool/…
  else
    output dir "$dir"
  fi
  output cache-key "$cache_key"
  exit 0
fi

case "$mode" in
  path)
    say "using the aad-setup already on PATH: $(command -v aad-setup)"
    ;;
  source)
    say "building aad-setup from this action's revision (version: source)"
    cargo install --locked --quiet --root "$dir" --path "$root"
    dir="$dir/bin"
    ;;
  release)
    if [ -x "$dir/aad-setup$exe" ] && "$dir/aad-setup$exe" --version >/dev/null 2>&1; then
      say "using the cached aad-setup $version in $dir"
    else
      # The release's own repository: the one the action is used from.
      export AAD_SETUP_REPO="${AAD_SETUP_REPO:-${GITHUB_ACTION_REPOSITORY:-${GITHUB_REPOSITORY:-ORG/aad-setup}}}"
      if [ -n "$exe" ]; then
        installed() { pwsh -NoProfile -File "$(cygpath -w "$root/install/install.ps1")" -Version "$version" -To "$(cygpath -w "$dir")" -NoModifyPath; }
      else
        installed() { sh "$root/install/install.sh" --version "$version" --to "$dir"; }
      fi
      if ! installed; then
        echo "::error::aad-setup action: could not install aad-setup $version (see above); set version: source to build it instead"
        exit 1
      fi
    fi
    ;;
esac
if [ "$mode" != path ]; then
  if [ -n "${GITHUB_PATH:-}" ]; then
    if [ -n "$exe" ]; then
      cygpath -w "$dir" >>"$GITHUB_PATH"
    else
      echo "$dir" >>"$GITHUB_PATH"
    fi
  fi
  export PATH="$dir:$PATH"
fi
aad-setup --version
