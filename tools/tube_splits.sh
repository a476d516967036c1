#!/usr/bin/env bash
# Usage: tools/tube_splits.sh CONFIG WORK_DIR [SPLITS] [train.py args...]
# Trains and tests a tube config on each split (JHMDB-21: "0 1 2", the
# default), scores each split's frame detections with tools/eval_tubes.py
# and prints the mean over the splits, as the literature reports JHMDB-21.
# A split whose work dir holds a finished run (its test JSON) is skipped,
# so a killed run resumes; train.py resumes within a split with --resume.
set -euo pipefail
CONFIG=$1
WORK=$2
SPLITS=${3:-"0 1 2"}
shift $(( $# < 3 ? $# : 3 ))
HERE=$(cd "$(dirname "$0")" && pwd)
VENV_PY="$HERE/../.venv/bin/python"
[ -x "$VENV_PY" ] || VENV_PY=python
PYTHON=${PYTHON:-$VENV_PY}
ANN=$("$PYTHON" -c "from mmengine.config import Config; \
print(Config.fromfile('$CONFIG').test_evaluator.ann_file)")
PROTOCOL=$("$PYTHON" -c "from mmengine.config import Config; \
print(Config.fromfile('$CONFIG').test_evaluator.protocol)")
for s in $SPLITS; do
    w="$WORK/split$s"
    [ -f "$w/map.json" ] && { echo "split $s: done ($w/map.json)"; continue; }
    "$PYTHON" "$HERE/train.py" "$CONFIG" --work-dir "$w" \
        --cfg-options split="$s" "$@"
    "$PYTHON" "$HERE/test.py" "$CONFIG" "$(cat "$w/last_checkpoint")" \
        --work-dir "$w" --cfg-options split="$s" \
        test_evaluator.out_dets="$w/frame_dets.pkl"
    "$PYTHON" "$HERE/eval_tubes.py" "$ANN" "$w/frame_dets.pkl" \
        --protocol "$PROTOCOL" --split "$s" --link --json "$w/map.json.tmp"
    mv "$w/map.json.tmp" "$w/map.json"
done
"$PYTHON" - "$WORK" $SPLITS <<'PY'
import json, sys
import numpy as np
work, splits = sys.argv[1], sys.argv[2:]
runs = [json.load(open(f'{work}/split{s}/map.json')) for s in splits]
keys = ['frame_mAP'] + [f'video_mAP@{k}' for k in runs[0]['video_mAP']]
for key in keys:
    vals = [r['frame_mAP'] if key == 'frame_mAP' else
            r['video_mAP'][key.split('@')[1]] for r in runs]
    print(f'{key}: mean {100 * np.mean(vals):.2f} over splits {splits} '
          f'({", ".join(f"{100 * v:.2f}" for v in vals)})')
PY
