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

.PHONY: install demo demo-seeds demo-evad demo-deploy demo-cls demo-tubes test lint \
	bench clean

$(STAMP): setup.py pyproject.toml Makefile MANIFEST.in
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q '$(TORCH_SPEC)'
	# mmcv 2.1.0's setup imports pkg_resources (gone in setuptools 80);
	# torch 2.13's extension builder needs setuptools >= 77.0.3.
	$(PIP) install -q 'setuptools>=77.0.3,<80' wheel numpy ninja
	MMCV_WITH_OPS=1 MAX_JOBS=$${MAX_JOBS:-2} $(PIP) install \
	    --no-build-isolation 'mmcv==2.1.0'
	$(PIP) install -q --no-build-isolation -e '.[tests,deploy,mim,people,live]'
	# openmim without its opendatalab -> openxlab chain, which pins
	# setuptools~=60.2 (breaks the two lines above); the mim extra holds
	# what mim imports
	$(PIP) install -q --no-deps 'openmim==0.3.9'
	$(PY) -c 'import videomae_det'
	touch $@

install: $(STAMP)

# The main job on the embedded default: a generated toy AVA set, VideoMAE
# pre-training on its videos, detector fine-tuning, evaluation with our AVA
# evaluator (table + chart), and the same detector from scratch beside it.
TOY := data/toy_ava
TOY_ANN := $(TOY)/annotations
DEMO := work_dirs/demo
EVAL = $(PY) tools/eval_ava.py $(1)/detections.csv --gt $(TOY_ANN)/toy_val.csv \
	    --labels $(TOY_ANN)/toy_action_list.pbtxt \
	    --exclusions $(TOY_ANN)/toy_val_excluded_timestamps.csv \
	    --json $(1)/map.json --plot $(1)/per_class_ap.png --chance 10
demo: install
	$(PY) tools/data/make_toy_ava.py $(TOY) --videos 72 --val-videos 24
	$(PY) tools/train.py configs/pretrain_toy_ava.py --work-dir $(DEMO)/pretrain
	$(PY) tools/visualize_reconstruction.py $(TOY)/videos/toy-000_0.mp4 \
	    configs/pretrain_toy_ava.py $(DEMO)/pretrain/epoch_40.pth \
	    --out $(DEMO)/reconstruction.png
	$(PY) tools/train.py configs/ava_toy_vit-tiny.py --work-dir $(DEMO)/pretrained \
	    --cfg-options model.backbone.init_cfg.checkpoint=$(DEMO)/pretrain/epoch_40.pth
	$(PY) tools/test.py configs/ava_toy_vit-tiny.py $(DEMO)/pretrained/epoch_40.pth \
	    --work-dir $(DEMO)/pretrained --ava-csv $(DEMO)/pretrained/detections.csv
	$(call EVAL,$(DEMO)/pretrained)
	$(PY) tools/train.py configs/ava_toy_vit-tiny.py --work-dir $(DEMO)/scratch \
	    --cfg-options model.backbone.init_cfg=None
	$(PY) tools/test.py configs/ava_toy_vit-tiny.py $(DEMO)/scratch/epoch_40.pth \
	    --work-dir $(DEMO)/scratch --ava-csv $(DEMO)/scratch/detections.csv
	$(call EVAL,$(DEMO)/scratch)
	@$(PY) -c "import json, numpy as np; p, s = (json.load(open(f'$(DEMO)/{r}/map.json')) for r in ('pretrained', 'scratch')); c = np.array(p['chance']); print(f'toy AVA frame-mAP@0.5: VideoMAE pre-trained {p[\"mAP\"]:.4f}, from scratch {s[\"mAP\"]:.4f}, chance {c.mean():.4f} +- {c.std():.4f}; chart: $(DEMO)/pretrained/per_class_ap.png')"

# Frame- and video-mAP in miniature: a generated untrimmed tube set in the
# ACT format (UCF101-24's layout), a tiny VideoMAE detector trained from
# scratch on split 0, tested on every frame, scored against chance, with
# the per-class chart and the linked tubes of a test video.
TOY_TUBES := data/toy_tubes
DEMO_TUBES := work_dirs/demo_tubes
demo-tubes: install
	$(PY) tools/data/make_toy_tubes.py $(TOY_TUBES)
	$(PY) tools/train.py configs/tubes_toy_vit-tiny.py --work-dir $(DEMO_TUBES)
	$(PY) tools/test.py configs/tubes_toy_vit-tiny.py $(DEMO_TUBES)/epoch_40.pth \
	    --work-dir $(DEMO_TUBES) \
	    --cfg-options test_evaluator.out_dets=$(DEMO_TUBES)/frame_dets.pkl
	$(PY) tools/eval_tubes.py $(TOY_TUBES)/toy_tubes_GT.pkl \
	    $(DEMO_TUBES)/frame_dets.pkl --protocol ucf-jhmdb --link --chance 10 \
	    --json $(DEMO_TUBES)/map.json --plot $(DEMO_TUBES)/per_class_ap.png \
	    --plot-tubes $(DEMO_TUBES)/tubes.png

# The run-to-run spread of that comparison: both arms again with other
# seeds, sharing `make demo`'s pre-training checkpoint (run it first).
SEEDS ?= 1 2 3 4
demo-seeds: install
	for s in $(SEEDS); do for arm in pretrained scratch; do \
	    w=$(DEMO)/seed$$s/$$arm; init=model.backbone.init_cfg; \
	    if [ $$arm = scratch ]; then init=$$init=None; \
	    else init=$$init.checkpoint=$(DEMO)/pretrain/epoch_40.pth; fi; \
	    $(PY) tools/train.py configs/ava_toy_vit-tiny.py --work-dir $$w \
	        --cfg-options randomness.seed=$$s $$init && \
	    $(PY) tools/test.py configs/ava_toy_vit-tiny.py $$w/epoch_40.pth \
	        --work-dir $$w --ava-csv $$w/detections.csv && \
	    $(call EVAL,$$w) || exit 1; \
	done; done
	$(PY) tools/analysis/seed_summary.py \
	    "pre-trained=$(DEMO)/pretrained/map.json" \
	    "pre-trained=$(DEMO)/seed*/pretrained/map.json" \
	    "scratch=$(DEMO)/scratch/map.json" "scratch=$(DEMO)/seed*/scratch/map.json"

# Token dropout (EVAD) in miniature: the toy detector from scratch with and
# without it (configs/ava_toy_vit-tiny{,_evad}.py), seeds 0-4 each, on the
# toy set of `make demo`.
EVAD_SEEDS ?= 0 1 2 3 4
EVAD := $(DEMO)/evad
demo-evad: install
	test -d $(TOY) || $(PY) tools/data/make_toy_ava.py $(TOY) --videos 72 --val-videos 24
	for s in $(EVAD_SEEDS); do for c in ava_toy_vit-tiny ava_toy_vit-tiny_evad; do \
	    w=$(EVAD)/$$c/seed$$s; \
	    $(PY) tools/train.py configs/$$c.py --work-dir $$w \
	        --cfg-options randomness.seed=$$s model.backbone.init_cfg=None && \
	    $(PY) tools/test.py configs/$$c.py $$w/epoch_40.pth \
	        --work-dir $$w --ava-csv $$w/detections.csv && \
	    $(call EVAL,$$w) || exit 1; \
	done; done
	$(PY) tools/analysis/seed_summary.py \
	    "full=$(EVAD)/ava_toy_vit-tiny/seed*/map.json" \
	    "token dropout 0.7=$(EVAD)/ava_toy_vit-tiny_evad/seed*/map.json"

# The deployed toy detector: seed 0 of `make demo-evad`'s full arm exported
# to ONNX (fp32 and dynamic int8) and evaluated through onnxruntime.
DEPLOY := $(DEMO)/deploy
demo-deploy: install
	$(PY) tools/deployment/export_onnx.py configs/ava_toy_vit-tiny.py \
	    $(EVAD)/ava_toy_vit-tiny/seed0/epoch_40.pth $(DEPLOY)/toy.onnx \
	    --shape 8 96 128 --quantize dynamic
	for m in toy toy.int8; do w=$(DEPLOY)/$$m; \
	    $(PY) tools/test.py configs/ava_toy_vit-tiny.py $(DEPLOY)/$$m.onnx \
	        --backend onnxruntime --work-dir $$w --ava-csv $$w/detections.csv && \
	    $(call EVAL,$$w) || exit 1; \
	done
	$(PY) tools/analysis/seed_summary.py \
	    "pytorch=$(EVAD)/ava_toy_vit-tiny/seed0/map.json" \
	    "onnxruntime fp32=$(DEPLOY)/toy/map.json" \
	    "onnxruntime int8=$(DEPLOY)/toy.int8/map.json"

# Classification in miniature: a generated labelled toy set (5 motions, 300
# clips, 400 more unlabelled), VideoMAE pre-training on its training and
# unlabelled clips, fine-tuning from that checkpoint, and the same
# classifier from scratch; top-1 of both.
CLS := work_dirs/toy_cls
demo-cls: install
	$(PY) tools/data/make_toy_cls.py data/toy_cls --unlabelled 400
	$(PY) tools/train.py configs/pretrain_toy_cls.py --work-dir $(CLS)/pretrain
	for c in cls_toy-motions_vit-tiny cls_toy-motions_vit-tiny_scratch; do \
	    $(PY) tools/train.py configs/$$c.py --work-dir $(CLS)/$$c && \
	    $(PY) tools/test.py configs/$$c.py $(CLS)/$$c/epoch_30.pth \
	        --work-dir $(CLS)/$$c --dump $(CLS)/$$c/scores.pkl || exit 1; \
	done
	$(PY) tools/analysis/seed_summary.py --top1 \
	    "pre-trained=$(CLS)/cls_toy-motions_vit-tiny/scores.pkl" \
	    "scratch=$(CLS)/cls_toy-motions_vit-tiny_scratch/scores.pkl"

lint: install
	$(PY) -m ruff check .

# one worker per core, each test file on one worker (its fixtures built
# once); PYTEST_ARGS= runs serially
PYTEST_ARGS ?= -n 2 --dist loadfile
test: lint
	# one import first writes yapf's grammar cache (compat patch 9), so
	# parallel workers and torchrun ranks that import mmengine before
	# videomae_det (tools/*.py, isort order) only ever read it
	$(PY) -c 'import videomae_det'
	$(PY) -m pytest $(PYTEST_ARGS)

# every benchmark (figures in benchmarks/README.md); ava_decode_speed reads
# the toy AVA set that `make demo` generates
bench: install
	$(PY) benchmarks/backbone_speed.py
	$(PY) benchmarks/pipeline_speed.py
	$(PY) benchmarks/pretrain_speed.py
	$(PY) benchmarks/ava_eval_speed.py
	$(PY) benchmarks/detect_speed.py
	$(PY) benchmarks/dropout_speed.py
	$(PY) benchmarks/compile_speed.py
	$(PY) benchmarks/video_speed.py
	$(PY) benchmarks/live_latency.py
	$(PY) benchmarks/deploy_speed.py
	$(PY) benchmarks/gpu_check.py --quick
	test -d $(TOY) || $(PY) tools/data/make_toy_ava.py $(TOY) --videos 72 --val-videos 24
	$(PY) benchmarks/ava_decode_speed.py $(TOY)

clean:
	rm -rf $(VENV) work_dirs .pytest_cache .ruff_cache
