#!/usr/bin/env bash
# Creates (or reuses) the project's virtual environment at .venv/ with the verified stack:
# torch 2.12.1 + torchvision 0.27.1, mmengine 0.10.7, mmcv 2.1.0 with compiled ops, mmpretrain 1.2.0,
# mmdet 3.3.0 and mmwidth in editable mode with its test dependencies.
#
# Idempotent: a stamp records a hash of everything that decides what gets installed; when it matches, the
# script returns at once. Extra wheel folders (e.g. a prebuilt mmcv) can be offered to pip through
# MMWIDTH_FIND_LINKS="dir1 dir2"; without them mmcv is built from source (~20-30 min on 2 cores, then cached
# by pip). Optional extras for other OpenMMLab codebases: MMWIDTH_EXTRAS=seg (mmsegmentation), pose (mmpose),
# or seg,pose; tests that need them skip without them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMWIDTH_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.mmwidth-setup-stamp"
EXTRAS="tests${MMWIDTH_EXTRAS:+,$MMWIDTH_EXTRAS}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"

fingerprint() {
    { cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$ROOT/tools/setup_env.sh"; echo "$EXTRAS"; } | sha256sum |
        cut -d' ' -f1
}

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$(fingerprint)" ]]; then
    exit 0
fi

log() { printf '[setup] %s\n' "$*"; }

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating virtual environment at $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --constraint "$CONSTRAINTS")
for dir in ${MMWIDTH_FIND_LINKS:-}; do
    [[ -d "$dir" ]] && PIP+=(--find-links "$dir")
done

log "build tools"
"${PIP[@]}" "setuptools<81" wheel ninja

log "torch + torchvision (registry builds; they run on the CPU)"
"${PIP[@]}" torch torchvision

# mmcv's setup.py imports torch and pkg_resources, so it must build inside this environment.
# Without a GPU it compiles the CPU ops only; pip keeps the built wheel in its cache for the next machine.
if ! "$VENV/bin/python" -c "import mmcv.ops" >/dev/null 2>&1; then
    log "mmcv 2.1.0 with compiled ops (a prebuilt wheel is used when offered; else ~20-30 min of compiling)"
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "${PIP[@]}" --no-build-isolation mmcv
fi

# xtcocotools (mmpose's COCO tools) publishes wheels built against numpy 1, which fail to import under numpy 2:
# build it from source against this environment's numpy before the pose extra asks for it (~10 s).
if [[ ",$EXTRAS," == *",pose,"* ]] && ! "$VENV/bin/python" -c "import xtcocotools._mask" >/dev/null 2>&1; then
    log "xtcocotools from source (the pose extra)"
    "${PIP[@]}" cython numpy
    "${PIP[@]}" --no-build-isolation --no-binary xtcocotools xtcocotools
fi

log "OpenMMLab stack + mmwidth (editable) + extras: $EXTRAS"
"${PIP[@]}" -r "$ROOT/requirements/mminstall.txt" -e "$ROOT[$EXTRAS]"

"$VENV/bin/python" -c "import torch, torchvision, mmcv.ops, mmpretrain, mmdet, mmwidth" \
    || { log "the environment does not import; see the messages above"; exit 1; }
fingerprint > "$STAMP"
log "ready: $VENV"
