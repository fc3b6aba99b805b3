#!/usr/bin/env bash
# The action's step: its inputs (INPUT_*) become aad-setup's own variables,
# then aad-setup runs without prompts. aad-setup writes the step's outputs
# to $GITHUB_OUTPUT itself and masks what must be masked.
set -euo pipefail

# An input that is empty leaves the variable as the workflow set it.
pass() {
  if [ -n "${2:-}" ]; then
    export "$1=$2"
  fi
}

command="${INPUT_COMMAND:-setup}"
case "$command" in
  setup | register | rotate | status | remove) ;;
  *)
    echo "::error::aad-setup action: command '$command' is not one of setup, register, rotate, status, remove"
    exit 2
    ;;
esac

pass AAD_SETUP_TENANT "${INPUT_TENANT:-}"
pass AZURE_CLIENT_ID "${INPUT_CLIENT_ID:-}"
pass CATALYTIC_TOKEN "${INPUT_PLATFORM_TOKEN:-}"
pass AAD_SETUP_SECRET_EXPIRY "${INPUT_SECRET_EXPIRY:-}"
pass AAD_SETUP_SECRET_FILE "${INPUT_SECRET_FILE:-}"
pass AAD_SETUP_IF_EXPIRING_WITHIN "${INPUT_IF_EXPIRING_WITHIN:-}"
# Switches: aad-setup reads "false", "0" and "" as off.
pass AAD_SETUP_ADMIN_CONSENT "${INPUT_ADMIN_CONSENT:-}"
pass AAD_SETUP_DRY_RUN "${INPUT_DRY_RUN:-}"
pass AAD_SETUP_KEEP_PREVIOUS "${INPUT_KEEP_PREVIOUS:-}"
pass AAD_SETUP_FILE "${INPUT_FILE:-}"
export AAD_SETUP_NO_INPUT=true

# Split on spaces, tabs and newlines (all lines of a multi-line input); no
# quoting: a value with spaces belongs in its AAD_SETUP_ variable.
args=()
if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -d '' -a args <<<"$INPUT_ARGS" || true
fi
# Targets of the fleet file: names separated by spaces, commas or newlines.
if [ -n "${INPUT_TARGET:-}" ]; then
  read -r -d '' -a targets <<<"${INPUT_TARGET//,/ }" || true
  for target in ${targets[@]+"${targets[@]}"}; do
    args+=(--target "$target")
  done
fi
exec aad-setup "$command" ${args[@]+"${args[@]}"}
