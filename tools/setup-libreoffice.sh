#!/bin/sh
# Install headless LibreOffice (Calc, UNO for Python, CJK font, PDF tools) when soffice is missing.
# Idempotent: does nothing when soffice is already on PATH. Needs root (or sudo) and apt-get.
set -eu

if command -v soffice >/dev/null 2>&1; then
    echo "LibreOffice already installed: $(soffice --version 2>/dev/null | head -n 1)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    libreoffice-calc-nogui python3-uno libreoffice-script-provider-python \
    fonts-wqy-zenhei poppler-utils >/dev/null
echo "LibreOffice installed: $(soffice --version | head -n 1)"
