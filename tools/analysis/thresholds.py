"""Per-class action thresholds that reach a target precision on a
validation set: the file ``tools/demo_video.py --thr FILE`` reads.

    python tools/analysis/thresholds.py DETECTIONS.csv --gt GT.csv \
        --labels LABELS.pbtxt [--exclusions EXCLUDED.csv] \
        [--precision 0.8] [--out thresholds.txt]

Detections and groundtruth are AVA CSVs, matched at IoU 0.5 by the
official evaluator's rules (``tools/eval_ava.py`` scores the same files).
For each class the threshold is the lowest score whose detections reach
the precision (the most recall there); a class that never reaches it gets
``inf`` (never listed) and its best precision in the comment. Exit codes: 0
written, 1 bad input (named), 2 usage.
"""
import argparse
import sys

from videomae_det.apis.thresholds import write_threshold_file
from videomae_det_core.ava import evaluate_files
from videomae_det_core.ava.frame_map import threshold_at_precision
from videomae_det_core.errors import exit_code


def run(args: argparse.Namespace) -> None:
    result = evaluate_files(args.detections, args.gt, args.labels,
                            args.exclusions, keep_hits=True)
    names, values, notes = [], [], []
    for c, name in result['categories'].items():
        scores, tp = result['hits'][c]
        thr, prec, rec = threshold_at_precision(scores, tp,
                                                result['num_gt'][c],
                                                args.precision)
        names.append(name)
        values.append(thr)
        notes.append(f'id {c}: ' + (
            'no groundtruth' if not result['num_gt'][c] else
            f'precision {prec:.3f}, recall {rec:.3f}' if thr != float('inf')
            else f'never reaches {args.precision} (best precision '
            f'{prec:.3f})'))
        print(f'{name:40s} {thr:8.4f}  {notes[-1]}')
    write_threshold_file(
        args.out, names, values, notes,
        header=f'action thresholds at precision {args.precision} on '
        f'{args.detections} vs {args.gt} (tools/analysis/thresholds.py)')
    reached = sum(v != float('inf') for v in values)
    print(f'{reached} of {len(values)} classes reach precision '
          f'{args.precision}: {args.out}')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('detections', help='detections CSV (AVA format)')
    parser.add_argument('--gt', required=True, help='groundtruth CSV')
    parser.add_argument('--labels', required=True, help='label map pbtxt')
    parser.add_argument('--exclusions', help='excluded timestamps CSV')
    parser.add_argument('--precision', type=float, default=0.8)
    parser.add_argument('--out', default='thresholds.txt')
    return exit_code(run, parser.parse_args())


if __name__ == '__main__':
    sys.exit(main())
