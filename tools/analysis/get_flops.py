"""FLOPs and parameters of a config's model for one view.

    python tools/analysis/get_flops.py CONFIG [--shape T H W]

Counts with mmengine's ``FlopAnalyzer`` (fvcore's counter: one multiply-add
= one FLOP, the convention of the paper's GFLOPs) on the backbone and head
for one clip, default the config's ``num_frames`` x ``img_size``. fvcore
has no rule for fused attention (``aten::scaled_dot_product_attention``);
it is counted here as its two matrix products, ``2 * N^2 * D`` per sample.
Prints a per-module table and ``GFLOPs=<x> params=<y>M`` last.
"""
import argparse
from typing import Any, List

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.config import Config

import videomae_det  # noqa: F401

# isort: split
from mmaction.registry import MODELS
from mmaction.utils import register_all_modules


def sdpa_flops(inputs: List[Any], outputs: List[Any]) -> int:
    """q @ k^T and attn @ v: ``2 * B * heads * N * N * d``."""
    q = inputs[0].type().sizes()
    k = inputs[1].type().sizes()
    *batch, n, d = q
    return 2 * int(torch.tensor(batch).prod()) * n * k[-2] * d


class ViewModel(torch.nn.Module):
    """Backbone (+ head) on one view, as the paper counts."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.backbone = model.backbone
        head = getattr(model, 'cls_head', None)
        self.head = head.fc_cls if head is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.backbone(x)
        return self.head(x) if self.head is not None else x


def count(cfg: Config, shape=None):
    """(FlopAnalyzer, parameter count) for one view of ``shape`` (T, H, W)."""
    register_all_modules()
    cfg.model.backbone.init_cfg = None
    bb = cfg.model.backbone
    t, h, w = shape or (bb.get('num_frames', 16), bb.get('img_size', 224),
                        bb.get('img_size', 224))
    model = ViewModel(MODELS.build(cfg.model)).eval()
    flops = FlopAnalyzer(model, (torch.zeros(1, 3, t, h, w),))
    flops.set_op_handle('aten::scaled_dot_product_attention', sdpa_flops)
    flops.unsupported_ops_warnings(False)
    flops.uncalled_modules_warnings(False)
    return flops, parameter_count(model)['']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=3, metavar=('T', 'H', 'W'))
    args = parser.parse_args()
    flops, params = count(Config.fromfile(args.config), args.shape)
    total = flops.total()
    for name, value in sorted(flops.by_module().items()):
        if name.count('.') <= 1 and value:
            print(f'{name or "(total)":30s} {value / 1e9:10.2f} GFLOPs')
    print(f'GFLOPs={total / 1e9:.1f} params={params / 1e6:.1f}M')


if __name__ == '__main__':
    main()
