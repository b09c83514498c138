#!/usr/bin/env bash
# Distributed width search with torchrun: tools/dist_search.sh CONFIG GPUS --checkpoint SUPERNET.pth [options]
exec "$(dirname "$0")/dist_run.sh" "$2" search.py "$1" "${@:3}"
