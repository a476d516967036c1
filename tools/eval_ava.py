"""AVA frame-mAP @ 0.5 IoU of a detection CSV, by the official rules.

    python tools/eval_ava.py DETECTIONS.csv --gt GT.csv \
        --labels LABELS.pbtxt [--exclusions EXCLUDED.csv] \
        [--json OUT.json] [--plot OUT.png] [--chance 10]

Prints the per-class AP table with action names and the mAP (and with
``--chance N`` the floor to beat: the mAP of random scores on the true
boxes, N draws). Bad input is reported with its file and line, not a
traceback. Exit codes: 0 scored, 1 a problem in the input files (nothing
to score included), 2 a usage error or a missing file.
"""
import argparse
import sys
import time

from videomae_det_core.ava import AVAFormatError, evaluate_files
from videomae_det_core.ava.report import (
    format_table,
    plot_per_class,
    write_json,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('detections', help='detections CSV: video_id, '
                        'timestamp, x1, y1, x2, y2, action_id, score')
    parser.add_argument('--gt', required=True, help='groundtruth CSV')
    parser.add_argument('--labels', required=True, help='label map pbtxt')
    parser.add_argument('--exclusions', help='excluded timestamps CSV')
    parser.add_argument('--json', help='write {"mAP", "per_class"} here')
    parser.add_argument('--plot', help='write a per-class AP bar chart')
    parser.add_argument('--chance', type=int, default=0, metavar='DRAWS',
                        help='also score random detections on the true '
                        'boxes this many times (the chance level)')
    args = parser.parse_args()
    start = time.perf_counter()
    try:
        result = evaluate_files(args.detections, args.gt, args.labels,
                                args.exclusions, args.chance)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    except AVAFormatError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    for warning in result['warnings']:
        print(f'warning: {warning}', file=sys.stderr)
    for side, path in (('groundtruth', args.gt),
                       ('detections', args.detections)):
        if not result['rows'][side]:
            dropped = result['dropped'][side]
            print(f'error: nothing was scored: {path} has no {side} rows' +
                  (f' with action ids in {args.labels} (dropped ids: '
                   f'{sorted(dropped)})' if dropped else ''),
                  file=sys.stderr)
            return 1
    print(format_table(result))
    print(f'evaluated in {time.perf_counter() - start:.2f} s')
    if args.json:
        write_json(result, args.json)
    if args.plot:
        plot_per_class(result, args.plot)
    return 0


if __name__ == '__main__':
    sys.exit(main())
