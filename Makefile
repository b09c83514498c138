# Every target runs inside the project's environment at .venv/, created (or reused) by tools/setup_env.sh.
VENV ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup test demo demo-attributes demo-detection

setup:
	@bash tools/setup_env.sh

test: setup
	$(PYTHON) -m pytest tests

demo: setup
	$(PYTHON) tools/demo.py

demo-attributes: setup
	$(PYTHON) tools/demo.py --task attributes

demo-detection: setup
	$(PYTHON) tools/demo.py --task detection
