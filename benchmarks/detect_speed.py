"""AVA detector inference speed: ours against mmaction2's own VideoMAE AVA
model built from its shipped config, equal weights, same process.

    python benchmarks/detect_speed.py [--size 224] [--frames 16] [--reps 3]

mmaction2's model: ``configs/detection/videomae/vit-base-p16_videomae-k400-
pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py`` as shipped in its package
(FastRCNN + ``mmaction.VisionTransformer`` + AVARoIHead). Ours:
``configs/ava_vitb.py``. Random weights of ours are copied into theirs; the
per-proposal action scores are checked equal before timing. Square input
(the size both models were configured for). Then both again under bf16
autocast (``--amp`` on a CPU): the backbone in bf16, the RoI extractor and
head in float32 (mmcv's CPU RoIAlign has no bf16 kernel; mmaction2's model
gets the same float32 islands, else it cannot run), scores checked close
to fp32's. Token dropout (EVAD, ``configs/ava_vitb_evad.py``): ours again
with keep rate 0.7 and with 0.6 (enhanced weight 4), same weights. Last
line: ``speedup_vs_mmaction2=<x> bf16_vs_fp32=<y> evad07_vs_full=<z>
evad06_vs_full=<w>`` (fp32 clips/s ratios).
"""
import argparse
import copy
import importlib.util
import os.path as osp
import statistics
import time
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

import videomae_det  # noqa: F401

# isort: split
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

from videomae_det.checkpoint.mmaction import to_mmaction_backbone
from videomae_det.engine.precision import keep_fp32
from videomae_det.models.backbones.token_dropout import TokenDropout

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
THEIRS = ('.mim/configs/detection/videomae/vit-base-p16_videomae-k400-pre_'
          '8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py')


def batch(frames: int, size: int, device: str = 'cpu') -> dict:
    torch.manual_seed(0)
    sample = ActionDataSample()
    sample.set_metainfo(dict(img_shape=(size, size)))
    boxes = torch.tensor([[10., 20., 120., 200.], [100., 30., 210., 220.],
                          [60., 60., 160., 180.]]) * size / 224
    sample.proposals = InstanceData(bboxes=boxes)
    inputs = torch.randint(0, 255, (3, frames, size, size),
                           dtype=torch.uint8)
    sample.proposals.bboxes = sample.proposals.bboxes.to(device)
    return dict(inputs=[inputs.to(device)], data_samples=[sample])


def build_pair(arch: Optional[dict] = None, device: str = 'cpu',
               frames: int = 16):
    """(ours, mmaction2's) ViT-B AVA detectors in eval mode with equal
    weights; ``arch``: ``dict(embed_dims, num_layers, num_heads)`` for a
    smaller pair (both models); ``frames``: the clip length (mmaction2's
    position table is built for it)."""
    register_all_modules()
    ours_cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ava_vitb.py'))
    ours_cfg.model.backbone.init_cfg = None
    mm_root = osp.dirname(importlib.util.find_spec('mmaction').origin)
    theirs_cfg = Config.fromfile(osp.join(mm_root, THEIRS))
    theirs_cfg.model.init_cfg = None
    if arch:
        ours_cfg.model.backbone.arch = arch
        theirs_cfg.model.backbone.update(
            embed_dims=arch['embed_dims'], depth=arch['num_layers'],
            num_heads=arch['num_heads'])
        for cfg in (ours_cfg, theirs_cfg):
            cfg.model.roi_head.bbox_head.in_channels = arch['embed_dims']
    for cfg in (ours_cfg, theirs_cfg):
        cfg.model.backbone.num_frames = frames
    torch.manual_seed(0)
    ours = MODELS.build(ours_cfg.model).eval()
    theirs = MODELS.build(theirs_cfg.model).eval()
    state = to_mmaction_backbone(ours.state_dict())  # roi_head keys agree
    theirs.load_state_dict(dict(theirs.state_dict(), **state), strict=True)
    return ours.to(device), theirs.to(device)


def with_token_dropout(model, rate: float, weight: float = 1.):
    """A copy of ``model`` dropping tokens at EVAD's ViT-B blocks."""
    model = copy.deepcopy(model)
    depth = len(model.backbone.blocks)
    blocks = (3, 6, 9) if depth == 12 else tuple(
        range(1, depth - 1))  # a smaller test model: every middle block
    model.backbone.token_dropout = TokenDropout(blocks, rate, weight)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--reps', type=int, default=3)
    args = parser.parse_args()
    ours, theirs = build_pair()
    data = batch(args.frames, args.size)
    runs = {}
    for name, model in (('ours', ours), ('mmaction2', theirs)):
        with torch.no_grad():
            runs[name] = model.test_step(data)[0].pred_instances.scores
    diff = (runs['ours'] - runs['mmaction2']).abs().max().item()
    print(f'max |ours - mmaction2| action scores: {diff:.2e}')
    assert diff < 1e-4, diff
    models = dict(ours=ours, mmaction2=theirs)
    for name, rate, weight in (('evad07', 0.7, 1.), ('evad06', 0.6, 4.)):
        models[name] = with_token_dropout(ours, rate, weight)
        with torch.no_grad():
            scores = models[name].test_step(data)[0].pred_instances.scores
        print(f'max |{name} - ours| action scores (random weights): '
              f'{(scores - runs["ours"]).abs().max().item():.2e}')
    fp32 = timed(models, data, args.reps)
    for model in models.values():
        keep_fp32(model)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        bf16 = timed(models, data, args.reps)
        with torch.no_grad():
            low = ours.test_step(data)[0].pred_instances.scores
    diff = (low - runs['ours']).abs().max().item()
    print(f'max |bf16 - fp32| action scores (ours): {diff:.2e}')
    assert diff < 0.05, diff
    for precision, rate in (('fp32', fp32), ('bf16', bf16)):
        print(f'ViT-B AVA detector, 1 clip {args.frames}x{args.size}x'
              f'{args.size}, 3 proposals, {precision}, '
              f'{torch.get_num_threads()} threads: ours '
              f'{rate["ours"]:.3f} clips/s, mmaction2 '
              f'{rate["mmaction2"]:.3f} clips/s, ours with token dropout '
              f'0.7 {rate["evad07"]:.3f}, 0.6 {rate["evad06"]:.3f} clips/s')
    print(f'speedup_vs_mmaction2={fp32["ours"] / fp32["mmaction2"]:.2f} '
          f'bf16_vs_fp32={bf16["ours"] / fp32["ours"]:.2f} '
          f'evad07_vs_full={fp32["evad07"] / fp32["ours"]:.2f} '
          f'evad06_vs_full={fp32["evad06"] / fp32["ours"]:.2f}')


def timed(models: dict, data: dict, reps: int) -> dict:
    """Clips/s of each model (median over ``reps``, after a warm-up round;
    the order alternates between rounds)."""
    times = {name: [] for name in models}
    with torch.no_grad():
        for rep in range(reps + 1):
            for name, model in list(models.items())[::1 if rep % 2 else -1]:
                start = time.perf_counter()
                model.test_step(data)
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                if rep:  # the first round warms up
                    times[name].append(time.perf_counter() - start)
    return {k: 1 / statistics.median(v) for k, v in times.items()}

if __name__ == '__main__':
    main()
