"""Export a VideoMAE detector, recognizer or backbone to ONNX.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT OUT.onnx
        [--task detection|recognition|backbone] [--shape T H W]
        [--dynamic] [--opset N] [--quantize dynamic] [--standard-ops]
        [--no-verify]

Inputs are what the data preprocessor outputs (mean and std applied):
``clip (B, 3, T, H, W)`` and, for detection, ``rois (K, 5)`` (batch index,
x1, y1, x2, y2 in input pixels); outputs are probabilities ``(K or B,
num_classes)`` (the detector's background column first) or the backbone's
features. The clip size is fixed at export (default: the config's
``num_frames`` x ``img_size``; AVA's test frames are 256 x 341 for 4:3
video); the box count is dynamic, the batch with ``--dynamic``. The export then
runs onnxruntime on random inputs against PyTorch and exits 1 when the max
abs difference exceeds 1e-4. ``--quantize dynamic`` also writes
``OUT.int8.onnx`` (onnxruntime's dynamic int8 of the linear layers).
Below opset 23 attention is onnxruntime's ``MultiHeadAttention`` contrib
op; ``--standard-ops`` writes MatMul-Softmax-MatMul for other runtimes.
Exit codes: 0 done, 1 bad input or a mismatch, 2 usage.
"""
import argparse
import os.path as osp
import sys

import videomae_det  # noqa: F401  registers modules, applies compat fixes
from videomae_det.deploy import export as ex
from videomae_det_core.errors import InputError, exit_code


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="the model's weights (any format "
                        'tools/convert_checkpoint.py reads)')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument('--task', choices=sorted(ex.GRAPHS),
                        help="default: the config's model type")
    parser.add_argument('--shape', type=int, nargs=3, metavar=('T', 'H', 'W'),
                        help="clip size (default: the backbone's num_frames "
                        'x img_size)')
    parser.add_argument('--dynamic', action='store_true',
                        help='dynamic batch (the box count always is)')
    parser.add_argument('--opset', type=int, help=f'default {ex.OPSET}, '
                        f'{ex.ROI_OPSET} for detection (RoiAlign)')
    parser.add_argument('--quantize', choices=['dynamic'],
                        help='also write OUT.int8.onnx')
    parser.add_argument('--standard-ops', action='store_true',
                        help='attention as standard ONNX ops below opset 23 '
                        "(default: onnxruntime's MultiHeadAttention)")
    parser.add_argument('--no-verify', action='store_true',
                        help='skip the onnxruntime check')
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    if not args.out.endswith('.onnx'):
        raise InputError(f'OUT must end with .onnx: {args.out}')
    if not osp.isfile(args.checkpoint):
        raise InputError(f'checkpoint not found: {args.checkpoint}')
    cfg, model = ex.load_model(args.config, args.checkpoint)
    shape = tuple(args.shape or ex.default_shape(cfg))
    info = ex.export(model, args.out, args.task, shape, args.dynamic,
                     args.opset, osp.basename(args.config),
                     fused_attention=not args.standard_ops)
    size = 'x'.join(map(str, shape))
    print(f'wrote {args.out}: {info["task"]}, clip 3x{size}, opset '
          f'{info["opset"]}, attention {info["attention"]}, dynamic batch '
          f'{info["dynamic"]}, '
          f'{osp.getsize(args.out) / 2**20:.1f} MiB, {info["seconds"]:.1f} s')
    outputs = [(args.out, ex.TOLERANCE)]
    if args.quantize:
        int8 = args.out[:-len('.onnx')] + '.int8.onnx'
        ex.quantize(args.out, int8)
        print(f'wrote {int8}: dynamic int8, '
              f'{osp.getsize(int8) / 2**20:.1f} MiB')
        outputs.append((int8, None))  # reported, not bounded
    if args.no_verify:
        return
    for path, tolerance in outputs:
        diff = ex.verify(model, path, info['task'], shape, args.dynamic)
        print(f'onnxruntime vs PyTorch, {osp.basename(path)}: max abs diff '
              f'{diff:.2e}' + (f' (limit {tolerance:.0e})' if tolerance
                               else ''))
        if tolerance is not None and not diff <= tolerance:
            raise InputError(f'{path} differs from PyTorch by {diff:.2e} '
                             f'> {tolerance:.0e}')


def main(argv=None) -> int:
    return exit_code(run, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
