#!/usr/bin/env bash
# Installs everything (first run) and starts the whole stack: `scripts/dev.sh [--policy fast] ...`
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
exec .venv/bin/jiehu dev "$@"
