"""The compiled inference path (``--compile``): ViT-B AVA detector clips/s
with the backbone through ``torch.compile`` (inductor) against eager, in
fp32 and under bf16 autocast, same model object, same process.

    python benchmarks/compile_speed.py [--size 224] [--frames 16] [--reps 5]

Outputs are compared before timing (fp32: compiled vs eager; bf16: the
same). The compilation (first call) is timed and printed; a call with
another number of boxes must not recompile (checked). Last line:
``compile_vs_eager_fp32=<x> compile_vs_eager_bf16=<y>`` (steady state).
"""
import argparse
import copy
import os.path as osp
import sys
import time

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from detect_speed import batch, build_pair, timed  # noqa: E402

from videomae_det.engine.compile import compile_backbone  # noqa: E402
from videomae_det.engine.precision import keep_fp32  # noqa: E402


def scores(model, data, amp: bool):
    with torch.no_grad(), torch.autocast('cpu', torch.bfloat16,
                                         enabled=amp):
        return model.test_step(data)[0].pred_instances.scores.float()


class Autocast(torch.nn.Module):
    """``test_step`` under bf16 autocast (as ``--amp`` runs it)."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def test_step(self, data):
        with torch.autocast('cpu', torch.bfloat16):
            return self.model.test_step(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--reps', type=int, default=5)
    args = parser.parse_args()
    import torch._dynamo.utils as dynamo
    eager, _ = build_pair(frames=args.frames)
    keep_fp32(eager)  # RoI islands in float32 under autocast, as --amp
    data = batch(args.frames, args.size)
    fewer = copy.copy(data)
    fewer['data_samples'] = [copy.deepcopy(data['data_samples'][0])]
    fewer['data_samples'][0].proposals = \
        fewer['data_samples'][0].proposals[:2]
    ratios = {}
    for amp in (False, True):
        compiled = compile_backbone(copy.deepcopy(eager))
        dynamo.counters.clear()
        start = time.perf_counter()
        out = scores(compiled, data, amp)
        first = time.perf_counter() - start
        diff = (out - scores(eager, data, amp)).abs().max().item()
        scores(compiled, fewer, amp)  # 2 boxes instead of 3
        graphs = dynamo.counters['stats']['unique_graphs']
        name = 'bf16' if amp else 'fp32'
        print(f'{name}: compilation (first call) {first:.1f} s, max |compiled'
              f' - eager| {diff:.2e}, graphs after 3 then 2 boxes: {graphs}',
              flush=True)
        models = dict(eager=eager, compiled=compiled)
        if amp:
            models = {k: Autocast(m) for k, m in models.items()}
        rate = timed(models, data, args.reps)
        ratios[name] = rate['compiled'] / rate['eager']
        print(f'{name}: eager {rate["eager"]:.3f} clips/s, compiled '
              f'{rate["compiled"]:.3f} clips/s, {ratios[name]:.2f}x',
              flush=True)
    print(f'compile_vs_eager_fp32={ratios["fp32"]:.2f} '
          f'compile_vs_eager_bf16={ratios["bf16"]:.2f}')


if __name__ == '__main__':
    main()
