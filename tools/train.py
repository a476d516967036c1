"""Train a model with mmengine's Runner (mmaction2's flags).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]]
        [--amp] [--auto-scale-lr] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import sys

from mmengine.config import DictAction

import videomae_det  # noqa: F401  registers modules, applies compat fixes
from videomae_det.engine.runner_setup import (
    build_runner,
    check_weights_exist,
    close_distributed,
    enable_amp,
    load_config,
    set_local_rank,
)
from videomae_det_core.errors import exit_code

ALLOW_PARTIAL_HELP = (
    'load_from: load the weights that fit and start the rest from random '
    'initialisation (listed in the log); without it only a classifier of '
    'another class count may differ')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='directory for logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or with no value from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: fp16 on GPUs, bf16 on CPUs')
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by the actual over the base batch size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--diff-rank-seed', action='store_true',
                        help='a different seed on every rank')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic algorithms where possible')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. train_cfg.max_epochs=3')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help='job launcher')
    parser.add_argument(
        '--allow-partial', action='store_true',
        help=ALLOW_PARTIAL_HELP)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    set_local_rank(args.local_rank)
    return args


def main() -> int:
    return exit_code(run, parse_args())


def run(args: argparse.Namespace) -> None:
    cfg = load_config(args.config, args.cfg_options, args.launcher,
                      args.work_dir)
    if args.amp:
        enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or \
                'base_batch_size' not in cfg.auto_scale_lr:
            raise KeyError('--auto-scale-lr needs auto_scale_lr.'
                           'base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.seed is not None or args.deterministic or args.diff_rank_seed:
        randomness = cfg.setdefault('randomness', {})
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['deterministic'] = args.deterministic
        randomness['diff_rank_seed'] = args.diff_rank_seed
    check_weights_exist(cfg)
    runner = build_runner(
        cfg, 'partial' if args.allow_partial else 'finetune')
    runner.train()
    close_distributed()


if __name__ == '__main__':
    sys.exit(main())
