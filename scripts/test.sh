#!/usr/bin/env bash
# Installs everything (first run), lints, type-checks, checks the floors, and runs the whole test suite on real PostgreSQL and Temporal.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# Prometheus (promtool, and a real server for the e2e test), docker-compose (to validate the
# compose file) and chromium with a Chinese font (the console's browser tests: tests/browser/) come from
# Debian's packages. Playwright drives that chromium; it never downloads a browser.
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "note: install the Debian packages ${need[*]} to run the Prometheus, compose and browser tests" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/mypy                      # the type checker (configuration: pyproject.toml)
.venv/bin/lint-imports              # the floors: no import runs up a floor (contracts: pyproject.toml)
exec .venv/bin/python -m pytest "$@"
