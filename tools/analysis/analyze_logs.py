"""Curves and timing from training logs, as mmaction2's analyze_logs.py.

    python tools/analysis/analyze_logs.py plot_curve LOG.json [LOG2.json ...]
        [--keys loss] [--legend a b] [--out curves.png]
    python tools/analysis/analyze_logs.py cal_train_time LOG.json

LOG.json is mmengine's scalar log, ``<work_dir>/<run>/vis_data/
scalars.json``. Exit codes: 0 done, 1 a bad log or an unknown key (the
message lists the keys there are), 2 usage.
"""
import argparse
import sys

from videomae_det.visualization.curves import plot_curves, train_time
from videomae_det_core.errors import exit_code


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    plot = sub.add_parser('plot_curve', help='curves of keys to a PNG')
    plot.add_argument('logs', nargs='+')
    plot.add_argument('--keys', nargs='+', default=['loss'])
    plot.add_argument('--legend', nargs='+', default=[])
    plot.add_argument('--out', default='curves.png')
    timing = sub.add_parser('cal_train_time', help='seconds per iteration')
    timing.add_argument('logs', nargs='+')
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    if args.command == 'plot_curve':
        plot_curves(args.logs, args.keys, args.out, args.legend)
        print(f'wrote {args.out}')
        return
    for log in args.logs:
        t = train_time(log)
        print(f'{log}: {t["iterations"]} iterations, {t["mean"]:.4f} s/iter'
              f' (slowest {t["slowest"]:.4f}, fastest {t["fastest"]:.4f})')


def main(argv=None) -> int:
    return exit_code(run, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
