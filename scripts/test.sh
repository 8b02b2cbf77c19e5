#!/usr/bin/env bash
# Installs everything (first run), lints, and runs the whole test suite on real PostgreSQL and Temporal.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
