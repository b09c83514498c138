#!/usr/bin/env bash
# Distributed testing with torchrun: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
exec "$(dirname "$0")/dist_run.sh" "$3" test.py "$1" "$2" "${@:4}"
