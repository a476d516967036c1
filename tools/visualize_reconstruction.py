"""Show what a pre-trained VideoMAE reconstructs at several mask ratios.

    python tools/visualize_reconstruction.py VIDEO CONFIG CHECKPOINT \
        --out recon.png [--ratios 0.75 0.9 0.95] [--seed 0]

Rows: the original clip, then per ratio the tube-masked input and the
reconstruction (visible cubes kept, hidden cubes predicted), as in the
paper's figure. The clip is read with the config's pre-training pipeline in
test mode (centre crop, no flip).
"""
import argparse
import copy

import torch
from mmaction.registry import MODELS
from mmaction.utils import register_all_modules
from mmengine.config import Config
from mmengine.dataset import Compose

import videomae_det  # noqa: F401
from videomae_det.checkpoint.load import load_weights
from videomae_det.models.masking import make_mask
from videomae_det.utils import type_name
from videomae_det.visualization import (
    reconstruction_views,
    save_reconstruction_figure,
)


def test_pipeline(cfg: Config) -> Compose:
    """The config's training pipeline, one clip, centre crop, no flip."""
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset:  # RepeatDataset and friends
        dataset = dataset.dataset
    steps = copy.deepcopy(dataset.pipeline)
    for step in steps:
        if type_name(step['type']) in ('DecodeClips',
                                       'MultiScaleCropResize'):
            step['test_mode'] = True
        if type_name(step['type']) == 'DecodeClips':
            step['num_clips'] = 1
    return Compose(steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('video')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--ratios', type=float, nargs='+',
                        default=[0.75, 0.9, 0.95])
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    register_all_modules()
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model).eval()
    load_weights(model, args.checkpoint)  # must fit exactly
    data = test_pipeline(cfg)(dict(filename=args.video))
    batch = model.data_preprocessor(
        dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))
    inputs = batch['inputs']
    grid = model.backbone.patch_embed.grid(inputs.shape)
    rows = []
    gen = torch.Generator().manual_seed(args.seed)
    for ratio in args.ratios:
        mask = make_mask('tube', 1, grid, ratio, gen)
        views = reconstruction_views(model, inputs, mask)
        if not rows:
            rows.append(('original', views['original'][0]))
        rows.append((f'masked {ratio:.0%}', views['masked'][0]))
        rows.append((f'recon. {ratio:.0%}', views['reconstruction'][0]))
        print(f'mask ratio {ratio:.0%}: {int(mask.sum())} of {mask.shape[1]}'
              f' tokens hidden, loss {views["loss"].item():.4f}')
    save_reconstruction_figure(rows, args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
