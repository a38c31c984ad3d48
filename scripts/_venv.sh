# Sourced by scripts/run and scripts/test: make .venv with the project's locked dependencies, once per change.
# requirements/run.lock (run) and requirements/test.lock (test, lint, types) are made from pyproject.toml
# by `scripts/lock`; pip installs them with their hashes checked, so every machine gets the same versions.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON_BIN="${PYTHON_BIN:-python3.11}"
command -v "$PYTHON_BIN" >/dev/null 2>&1 || PYTHON_BIN=python3
if ! "$PYTHON_BIN" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "Escalation Tracker needs Python 3.11 (found: $("$PYTHON_BIN" --version 2>&1))." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON_BIN" -m venv .venv
PY="$ROOT/.venv/bin/python"
extras="${1:-}"
lock="requirements/${extras:-run}.lock"
stamp=".venv/.installed-${extras:-run}"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing dependencies from $lock into .venv ..."
  "$PY" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
  echo "$want" > "$stamp"
fi
