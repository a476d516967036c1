"""Test a checkpoint with mmengine's Runner (mmaction2's flags).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump OUT.pkl]
        [--ava-csv OUT.csv] [--amp] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi] [--backend pytorch|onnxruntime]
        [--show-dir DIR [--show-num 8]]

With ``--backend onnxruntime`` CHECKPOINT is a detector exported by
``tools/deployment/export_onnx.py``: the config's data, preprocessor and
metric, the graph in onnxruntime (the mAP of the deployed model).
"""
import argparse
import sys

from mmengine.config import DictAction

import videomae_det  # noqa: F401  registers modules, applies compat fixes
from videomae_det.engine.compile import compile_backbone
from videomae_det.engine.runner_setup import (
    adapt_to_device,
    build_runner,
    close_distributed,
    load_config,
    set_local_rank,
)
from videomae_det.utils import type_name
from videomae_det_core.errors import InputError, exit_code

ALLOW_PARTIAL_HELP = (
    'test a checkpoint that does not fit the config: load the weights that '
    'fit, the rest stays randomly initialised (listed in the log)')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (an .onnx file '
                        'with --backend onnxruntime)')
    parser.add_argument('--work-dir', help='directory for logs and metrics')
    parser.add_argument('--dump', type=str,
                        help='dump predictions to a pickle file')
    parser.add_argument('--ava-csv', type=str,
                        help='write AVA detections in the official CSV '
                        'format (with the AVAFrameMAP metric)')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 on GPUs, bf16 on CPUs')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. test_dataloader.batch_size=1')
    parser.add_argument('--compile', action='store_true',
                        help='compile the backbone (torch.compile, '
                        'inductor); the first iteration pays it, logged')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help='job launcher')
    parser.add_argument('--show-dir', help='save the first --show-num '
                        'keyframes with predicted boxes and actions (AVA '
                        'detectors) as PNGs here')
    parser.add_argument('--show-num', type=int, default=8)
    parser.add_argument('--backend', default='pytorch',
                        choices=['pytorch', 'onnxruntime'])
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
    cfg.load_from = args.checkpoint
    if args.backend == 'onnxruntime':
        if args.amp:
            raise ValueError('--amp is a PyTorch option; an ONNX model runs '
                             'as exported')
        from videomae_det.deploy.runtime import ONNXDetector
        cfg.model = ONNXDetector.from_config(cfg, args.checkpoint)
        cfg.load_from = None
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
        adapt_to_device(cfg)
    if args.ava_csv:
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
        ava = [e for e in evaluators
               if type_name(e.get('type')) == 'AVAFrameMAP']
        if not ava:
            raise ValueError('--ava-csv needs an AVAFrameMAP test_evaluator')
        ava[0]['out_csv'] = args.ava_csv
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--dump must end with .pkl: {args.dump}')
        evaluator = cfg.test_evaluator
        evaluator = list(evaluator) if isinstance(evaluator,
                                                  (list, tuple)) else [
                                                      evaluator]
        evaluator.append(dict(type='OrderedDumpResults',
                              out_file_path=args.dump))
        cfg.test_evaluator = evaluator
    if args.show_dir:
        dataset = cfg.test_dataloader.dataset
        if not dataset.get('label_file'):
            raise InputError('--show-dir draws AVA detections; the test set '
                             'of this config has no label_file')
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(
            type='ShowPredictionsHook', out_dir=args.show_dir,
            label_file=dataset.label_file, num=args.show_num,
            custom_classes=dataset.get('custom_classes'))]
    if args.compile:
        if args.backend != 'pytorch':
            raise ValueError('--compile is for the pytorch backend')
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='CompileWarmupHook')]
    runner = build_runner(
        cfg, 'partial' if args.allow_partial else 'exact')
    if args.compile:
        compile_backbone(runner.model)
    runner.test()
    close_distributed()


if __name__ == '__main__':
    sys.exit(main())
