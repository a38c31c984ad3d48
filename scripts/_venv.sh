# Sourced by scripts/run and scripts/test: make .venv with the project's dependencies, once per change.
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
stamp=".venv/.installed${extras:+-$extras}"
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing dependencies into .venv ..."
  "$PY" -m pip install --quiet --upgrade pip
  "$PY" -m pip install --quiet ".${extras:+[$extras]}"
  echo "$want" > "$stamp"
fi
