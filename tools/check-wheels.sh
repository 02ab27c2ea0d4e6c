#!/usr/bin/env bash
# Can users install sheetcrm from wheels alone? pip's binary-only dry run of the built wheel for
# Python 3.11-3.15 on Windows, macOS (Apple silicon) and Linux; prints a table, exits 1 if any
# pair cannot install sheetcrm. The optional speed-ups (sheetcrm[fast]) are judged separately:
# a pair without them is reported, not failed (sheetcrm runs slower there).
# Usage: tools/check-wheels.sh [dist/sheetcrm-*.whl]   (PIP: .venv's pip by default; pip >= 25
# is needed, older ones judge Requires-Python by the running interpreter, not --python-version)
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(realpath "${1:-$(ls dist/sheetcrm-*.whl | tail -1)}")
pip=${PIP:-.venv/bin/python -m pip}
pythons=(3.11 3.12 3.13 3.14 3.15)
platforms=(win_amd64 macos_arm64 linux_x86_64)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

tags() {
    case $1 in
    win_amd64) echo "--platform win_amd64" ;;
    macos_arm64) echo "--platform macosx_14_0_arm64" ;;  # pip expands it to the older macOS tags
    linux_x86_64) echo "--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64" ;;
    esac
}

dry_run() {  # python platform what → writes ok or the reason to $out/python-platform-what
    local python=$1 platform=$2 what=$3 requirement=$wheel target
    if [ "$what" = fast ]; then
        requirement="sheetcrm[fast] @ file://$wheel"
    elif [ "$(cat "$out/$python-$platform-fast")" = ok ]; then
        echo ok >"$out/$python-$platform-base"  # with the extra it installs, so without too
        return
    fi
    target=$(mktemp -d)
    # shellcheck disable=SC2046
    if $pip install --quiet --disable-pip-version-check --dry-run --ignore-installed \
        --only-binary=:all: $(tags "$platform") --python-version "$python" --target "$target" \
        "$requirement" >"$out/$python-$platform-$what.log" 2>&1; then
        echo ok >"$out/$python-$platform-$what"
    else
        grep -oE "No matching distribution found for [^ ]+" "$out/$python-$platform-$what.log" |
            head -1 | sed 's/.* for /no wheel: /' >"$out/$python-$platform-$what" || true
        [ -s "$out/$python-$platform-$what" ] || echo "failed" >"$out/$python-$platform-$what"
    fi
    rm -rf "$target"
}

# Six at a time (each mostly waits on the index): with the extra first, then without where
# the extra did not install.
export -f dry_run tags
export out wheel pip
for what in fast base; do
    for python in "${pythons[@]}"; do
        for platform in "${platforms[@]}"; do echo "$python $platform $what"; done
    done | xargs -P 6 -L 1 bash -c 'dry_run "$0" "$1" "$2"'
done

failed=0
printf '%-7s %-14s %-28s %s\n' Python platform sheetcrm "sheetcrm[fast]"
for python in "${pythons[@]}"; do
    for platform in "${platforms[@]}"; do
        base=$(cat "$out/$python-$platform-base") fast=$(cat "$out/$python-$platform-fast")
        [ "$base" = ok ] || failed=1
        printf '%-7s %-14s %-28s %s\n' "$python" "$platform" "$base" "$fast"
    done
done
if [ "$failed" = 1 ]; then
    echo "FAIL: sheetcrm cannot install from wheels on some pair (see the table)" >&2
fi
exit "$failed"
