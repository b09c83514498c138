#!/usr/bin/env bash
# Runs one of the tools in every process of a torchrun launch: tools/dist_run.sh NPROC TOOL.py [tool arguments]
# (tools/dist_train.sh, dist_test.sh and dist_search.sh call it). Multi-node: set NNODES, NODE_RANK,
# MASTER_ADDR and PORT on every node; PYTHON picks the interpreter. On CPU-only machines the processes use gloo.
set -euo pipefail

NPROC=$1
TOOL=$2
TOOLS="$(cd "$(dirname "$0")" && pwd)"

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" \
    --master_port="${PORT:-29500}" \
    "$TOOLS/$TOOL" "${@:3}" --launcher pytorch
