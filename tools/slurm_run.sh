#!/usr/bin/env bash
# Usage: tools/slurm_run.sh PARTITION JOB_NAME TOOL [TOOL args...]
# Runs tools/TOOL (train.py, test.py) on slurm with --launcher slurm; the
# shared body of slurm_train.sh and slurm_test.sh. GPUS (total, default 8),
# GPUS_PER_NODE (8), CPUS_PER_TASK (5) and SRUN_ARGS in the environment,
# as in mmaction2.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
TOOL=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
HERE=$(cd "$(dirname "$0")" && pwd)
# the project's .venv (made by `make install`) if there is one
VENV_PY="$HERE/../.venv/bin/python"
[ -x "$VENV_PY" ] || VENV_PY=python
PYTHON=${PYTHON:-$VENV_PY}

# shellcheck disable=SC2086  # SRUN_ARGS is a word list
PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
    "$PYTHON" -u "$HERE/$TOOL" "${@:4}" --launcher slurm
