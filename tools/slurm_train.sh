#!/usr/bin/env bash
# Usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]
# GPUS (total, default 8), GPUS_PER_NODE (8), CPUS_PER_TASK (5) and
# SRUN_ARGS in the environment, as in mmaction2.
set -euo pipefail
exec "$(dirname "$0")/slurm_run.sh" "$1" "$2" train.py "$3" \
    --work-dir="${4:-work_dirs/$2}" "${@:5}"
