"""Convert a VideoMAE checkpoint from another code base to ours.

    python tools/convert_checkpoint.py SRC DST \
        [--to backbone|pretrainer|detector]

Detects the source format (official VideoMAE pre-training or fine-tuned,
Hugging Face ``transformers`` .bin/.safetensors, mmaction2's vit_mae
recognizer or AVA detector, or ours), converts it, checks the result
against our model built with the architecture read from the weights, and
writes an mmengine checkpoint (``.safetensors`` if DST ends so). Missing,
unexpected or mis-shaped keys are reported and the tool exits 1. The
source is read with the safe loader: no pickle code runs.
"""
import argparse
import os
import sys

import torch

import videomae_det  # noqa: F401
from videomae_det.checkpoint import load_checkpoint_file
from videomae_det.checkpoint.formats import ConversionError, convert, unwrap
from videomae_det.models import VideoMAE, VideoMAEPretrainer


def count_layers(sd, prefix: str) -> int:
    ids = {int(k[len(prefix):].split('.')[0]) for k in sd
           if k.startswith(prefix)}
    return max(ids) + 1 if ids else 0


def reference(sd, to: str) -> torch.nn.Module:
    """Our model with the architecture the weights imply (heads do not
    change shapes: one head is enough to check them)."""
    pre = 'backbone.' if to != 'backbone' else ''
    dims = sd[f'{pre}patch_embed.proj.weight'].shape[0]
    arch = dict(embed_dims=dims, num_heads=1,
                num_layers=count_layers(sd, f'{pre}blocks.'))
    hidden = sd[f'{pre}blocks.0.mlp.fc1.weight'].shape[0]
    backbone = dict(
        type='VideoMAE', arch=arch, mlp_ratio=hidden / dims,
        out_type='pooled' if f'{pre}fc_norm.weight' in sd else 'tokens',
        final_norm=f'{pre}norm.weight' in sd,
        learnable_pos_embed=f'{pre}pos_embed' in sd,
        layer_scale=0.1 if f'{pre}blocks.0.gamma_1' in sd else None,
        qkv_bias=f'{pre}blocks.0.attn.q_bias' in sd)
    if to == 'pretrainer':
        dec = dict(embed_dims=sd['decoder.norm.weight'].shape[0],
                   num_heads=1, num_layers=count_layers(sd, 'decoder.blocks.'))
        return VideoMAEPretrainer(backbone=backbone, decoder=dec)
    backbone.pop('type')
    if backbone['learnable_pos_embed']:
        n = sd[f'{pre}pos_embed'].shape[1]
        backbone.update(num_frames=2 * n, img_size=16)  # sized to n tokens
    model = VideoMAE(**backbone)
    return model if to == 'backbone' else torch.nn.ModuleDict(
        dict(backbone=model))


def report(model: torch.nn.Module, sd, to: str) -> list:
    expected = model.state_dict()
    if to == 'detector':  # the RoI head is checked by the config that uses it
        sd = {k: v for k, v in sd.items() if k.startswith('backbone.')}
    problems = [f'missing: {k}' for k in expected
                if k not in sd and not k.endswith('data_preprocessor.step')]
    problems += [f'unexpected: {k}' for k in sd if k not in expected]
    problems += [f'shape: {k} {tuple(sd[k].shape)} vs '
                 f'{tuple(expected[k].shape)}' for k in sd
                 if k in expected and sd[k].shape != expected[k].shape]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src')
    parser.add_argument('dst')
    parser.add_argument('--to', default='backbone',
                        choices=['backbone', 'pretrainer', 'detector'])
    args = parser.parse_args()
    print(f'reading {args.src} ({os.path.getsize(args.src) / 2**20:.1f} '
          'MiB)')
    sd = unwrap(load_checkpoint_file(args.src, map_location='cpu'))
    try:
        out, fmt = convert(sd, args.to)
    except ConversionError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'format: {fmt}; {len(sd)} tensors in, {len(out)} out')
    problems = report(reference(out, args.to), out, args.to)
    for p in problems:
        print(f'- {p}')
    if problems:
        print(f'{len(problems)} problem(s): nothing written')
        return 1
    params = sum(v.numel() for v in out.values())
    if args.dst.endswith('.safetensors'):
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in out.items()}, args.dst,
                  metadata=dict(converted_from=fmt))
    else:
        torch.save(dict(state_dict=out, meta=dict(converted_from=fmt)),
                   args.dst)
    print(f'wrote {args.dst}: {params / 1e6:.1f}M parameters, '
          f'{os.path.getsize(args.dst) / 2**20:.1f} MiB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
