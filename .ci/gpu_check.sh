#!/usr/bin/env bash
# Run on the device machine (after .ci/gpu_wheels.sh here): installs the carried wheels, runs the tests marked
# `gpu` and the dynamic layers' benchmark on CUDA. Logs go to $OUT (the device tool brings them back).
# mmdet needs mmcv's compiled ops, so only the core and classification are checked there.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${OUT:-/tmp/gpu_check}"
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/device.txt"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$OUT/device.txt"
python3 -m pytest -m gpu tests/test_supernet/test_device.py -p no:cacheprovider -rs 2>&1 | tee "$OUT/pytest_gpu.log"
tests=${PIPESTATUS[0]}
timeout 300 python3 benchmarks/dynamic_overhead.py --device cuda --batch 32 64 --json > "$OUT/dynamic_overhead_cuda.json" \
    2> "$OUT/dynamic_overhead_cuda.err"
echo "pytest -m gpu exit $tests, benchmark exit $?"
exit "$tests"
