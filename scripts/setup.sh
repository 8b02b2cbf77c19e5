#!/usr/bin/env bash
# Creates .venv with Python 3.11+ and installs jiehu with its test tools; reinstalls only when
# pyproject.toml changed. Sourced by scripts/dev.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "jiehu needs Python 3.11 or newer" >&2; return 1
}

if [ ! -x .venv/bin/python ]; then
  "$(pick_python)" -m venv .venv
fi
stamp=.venv/.jiehu-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi

# The web console (console/, served by the API at /console): built with Node.js 18+ and npm when its sources changed
# since the last build. CI (root on Debian, CI set) installs Debian's nodejs and npm if they are missing; elsewhere
# a missing Node.js only leaves the console unbuilt (the API answers /console with how to build it).
if ! command -v npm >/dev/null 2>&1 && [ -n "${CI:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: nodejs npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  if [ ! -f console/dist/index.html ] || [ -n "$(find console/src console/index.html console/package.json \
       console/package-lock.json console/vite.config.js -newer console/dist/index.html -print -quit)" ]; then
    echo "building the console (console/: npm ci && npm run build)"
    (cd console && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent >/dev/null)
  fi
else
  echo "note: install Node.js 18+ and npm to build the web console (console/)" >&2
fi
