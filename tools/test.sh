#!/usr/bin/env bash
# Installs sheetcrm with its test tools and LibreOffice (when missing), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh dev
bash tools/setup-libreoffice.sh
exec .venv/bin/python -m pytest -n 2 "$@"
