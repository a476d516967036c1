# `make demo` and `make test` do every set-up step on a fresh machine and are
# idempotent. The venv lives in .venv inside the checkout; pip's wheel cache
# (~/.cache/pip) keeps the mmcv build, so mmcv compiles once per machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# The CPU build on this machine; GPU users follow README's manual route.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): setup.py pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q '$(TORCH_SPEC)'
	# mmcv 2.1.0's setup imports pkg_resources (gone in setuptools 80);
	# torch 2.13's extension builder needs setuptools >= 77.0.3.
	$(PIP) install -q 'setuptools>=77.0.3,<80' wheel numpy ninja
	MMCV_WITH_OPS=1 MAX_JOBS=$${MAX_JOBS:-2} $(PIP) install \
	    --no-build-isolation 'mmcv==2.1.0'
	$(PIP) install -q --no-build-isolation -e '.[tests]'
	touch $@

install: $(STAMP)

DEMO_DIR ?= work_dirs/pretrain_toy_clips
demo: install
	$(PY) tools/data/sample_clips.py data/sample_clips
	$(PY) tools/train.py configs/pretrain_toy_clips.py --work-dir $(DEMO_DIR)
	$(PY) tools/visualize_reconstruction.py \
	    "$$(head -n2 data/sample_clips/clips.txt | tail -n1 | cut -d' ' -f1)" \
	    configs/pretrain_toy_clips.py $(DEMO_DIR)/epoch_40.pth \
	    --out $(DEMO_DIR)/reconstruction.png

lint: install
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest

bench: install
	$(PY) benchmarks/backbone_speed.py
	$(PY) benchmarks/pipeline_speed.py
	$(PY) benchmarks/pretrain_speed.py
	$(PY) benchmarks/ava_eval_speed.py

clean:
	rm -rf $(VENV) work_dirs .pytest_cache .ruff_cache
