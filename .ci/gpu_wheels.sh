#!/usr/bin/env bash
# Run here, before a GPU check: downloads into .whl/ (git-ignored) the OpenMMLab packages the device machine lacks
# (it has torch, numpy, opencv, matplotlib, pytest, ...; no registry). About 3 MB; carried with the working tree.
# Then, on the device machine (the `device` tool, carry [".whl"]): bash .ci/gpu_check.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
rm -rf .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform any -d .whl \
    mmengine==0.10.7 mmcv-lite==2.1.0 mmpretrain==1.2.0 addict yapf termcolor mat4py modelindex ordered-set
du -sh .whl
