#!/usr/bin/env bash
# Installs sheetcrm, writes the demo workbook and runs every job on it (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
.venv/bin/sheetcrm demo demo.xlsx --force
# Exit code 1 means "the data check found problems": expected, the demo data is messy on purpose.
status=0
.venv/bin/sheetcrm run demo.xlsx --export demo-out --preview 2 || status=$?
[ "$status" -le 1 ] || exit "$status"
echo "Open demo.xlsx (sheets 数据检查, 分级汇总, 跟进计划, 消息, 仪表盘) and demo-out/."
