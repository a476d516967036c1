"""mAP (or top-1) of repeated runs per arm, with mean and spread.

    python tools/analysis/seed_summary.py ARM=GLOB [ARM=GLOB ...] [--top1]

Each GLOB matches ``map.json`` files (``tools/eval_ava.py --json``) of one
arm's runs, e.g. ``scratch='work_dirs/demo/seed*/scratch/map.json'``; an
arm named again adds files after the earlier ones. With ``--top1`` the
files are recognizer dumps (``tools/test.py --dump``) and the figure is
top-1 accuracy.
Exit codes: 0 done, 1 an arm without files, 2 usage.
"""
import argparse
import glob
import sys

from videomae_det_core.ava.report import seed_summary
from videomae_det_core.errors import InputError, exit_code


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('arms', nargs='+', metavar='ARM=GLOB')
    parser.add_argument('--top1', action='store_true',
                        help='the files are recognizer dumps (.pkl)')
    args = parser.parse_args(argv)
    if any('=' not in a for a in args.arms):
        parser.error('give each arm as NAME=GLOB')
    return args


def run(args: argparse.Namespace) -> None:
    arms = {}
    for arm in args.arms:
        name, pattern = arm.split('=', 1)
        files = sorted(glob.glob(pattern))
        if not files:
            raise InputError(f'{name}: no file matches {pattern}')
        arms.setdefault(name, []).extend(files)
    if args.top1:
        from videomae_det.evaluation.top1 import top1_of_dump
        print(seed_summary(arms, top1_of_dump, 'top-1'))
    else:
        print(seed_summary(arms))


def main(argv=None) -> int:
    return exit_code(run, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
