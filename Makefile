# Every target runs inside the project's environment at .venv/, created (or reused) by tools/setup_env.sh.
VENV ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup test demo

setup:
	@bash tools/setup_env.sh

test: setup
	$(PYTHON) -m pytest tests

demo: setup
	$(PYTHON) tools/demo.py
