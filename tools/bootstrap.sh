#!/usr/bin/env bash
# Creates .venv (if missing) and installs sheetcrm with its speed-ups into it, at the versions in
# constraints/ci.txt; with "dev", also the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv 2>/dev/null || python3 -m venv .venv
extra="[fast]"
[ "${1:-}" = "dev" ] && extra="[dev]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c constraints/ci.txt -e ".${extra}"
