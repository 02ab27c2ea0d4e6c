#!/usr/bin/env bash
# CI after the suite (tools/test.sh): what users install. The wheel is built, installed into fresh
# venvs on Python 3.11 and 3.13 and used from an empty folder; the suite runs again on 3.13 with
# the newest pandas and numpy pyproject.toml allows; the dry-run matrix says every Python and OS
# users have installs from wheels; git holds no symlinks (Windows checkouts break on them).
# A Python that this machine lacks (pyenv gives them here) is skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { echo "== $*"; }

python_for() {  # 3.13 → the newest pyenv 3.13.x interpreter, or nothing
    local root
    root=$(pyenv root 2>/dev/null) || return 0
    find "$root/versions" -maxdepth 3 -path "*/versions/$1.*/bin/python" 2>/dev/null | sort -V | tail -1
}

step "git holds no symlinks"
if git ls-files -s | grep ^120000; then
    echo "FAIL: symlinks in git (above)" >&2
    exit 1
fi

step "build the wheel and sdist"
rm -rf dist
.venv/bin/python -m build --outdir dist . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
wheel=$(realpath dist/sheetcrm-*.whl)
ls dist

# 3.11 with the tested versions and no speed-ups (the zlib/calamine fallback for real);
# 3.13 with sheetcrm[fast] at the newest versions allowed.
for version in 3.11 3.13; do
    python=$(python_for "$version")
    if [ -z "$python" ]; then
        echo "SKIP: no Python $version on this machine (pyenv missing or without it)"
        continue
    fi
    step "the wheel on Python $version ($python), from an empty folder"
    venv="$work/venv-$version"
    "$python" -m venv "$venv"
    if [ "$version" = 3.11 ]; then
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -c constraints/ci.txt "$wheel"
    else
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "sheetcrm[fast] @ file://$wheel"
    fi
    empty="$work/empty-$version"
    mkdir "$empty"
    (
        cd "$empty"
        "$venv/bin/sheetcrm" demo d.xlsx
        status=0
        "$venv/bin/sheetcrm" run d.xlsx >/dev/null || status=$?
        [ "$status" -le 1 ] || { echo "FAIL: sheetcrm run exited $status" >&2; exit 1; }  # 1: problems found
        "$venv/bin/sheetcrm" addin build
        test -s sheetcrm.xlam
        status=0
        "$venv/bin/sheetcrm" addin install 2>/dev/null || status=$?
        [ "$status" = 2 ] || { echo "FAIL: addin install on Linux exited $status, not 2" >&2; exit 1; }
    )
done

python=$(python_for 3.13)
if [ -z "$python" ]; then
    echo "SKIP: the suite on Python 3.13 with the newest pandas (no Python 3.13 here)"
else
    step "the suite on Python 3.13 with the newest pandas and numpy allowed"
    "$python" -m venv "$work/newest"
    "$work/newest/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]"
    "$work/newest/bin/python" -c "import numpy, pandas; print('pandas', pandas.__version__, 'numpy', numpy.__version__)"
    "$work/newest/bin/python" -m pytest -n 2 -q -p no:cacheprovider
fi

step "every Python and OS users have installs from wheels"
bash tools/check-wheels.sh "$wheel"
