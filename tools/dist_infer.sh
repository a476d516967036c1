#!/usr/bin/env bash
# Usage: tools/dist_infer.sh LIST_OR_FOLDER CONFIG CHECKPOINT PROCS [infer_videos.py args...]
# One rank per GPU (add --device cuda) or per CPU process; multi-node:
# NNODES, NODE_RANK, MASTER_ADDR, PORT in the environment.
set -euo pipefail
SOURCE=$1
CONFIG=$2
CHECKPOINT=$3
PROCS=$4
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
HERE=$(cd "$(dirname "$0")" && pwd)
# the project's .venv (made by `make install`) if there is one
VENV_PY="$HERE/../.venv/bin/python"
[ -x "$VENV_PY" ] || VENV_PY=python
PYTHON=${PYTHON:-$VENV_PY}

PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$PROCS" --master_port="$PORT" \
    "$HERE/infer_videos.py" "$SOURCE" "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "${@:5}"
