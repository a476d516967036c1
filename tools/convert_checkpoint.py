"""Convert VideoMAE checkpoints: other code bases' to ours, ours to HF's.

    python tools/convert_checkpoint.py SRC DST \
        [--to backbone|pretrainer|recognizer|detector|hf]

Detects the source format (official VideoMAE or VideoMAE V2 pre-training or
fine-tuned, ViT-g included; Hugging Face ``transformers`` .bin/.safetensors
or model folder; mmaction2's vit_mae recognizer or AVA detector; ours),
converts it, checks the result against our model built with the
architecture read from the weights, and writes an mmengine checkpoint
(``.safetensors`` if DST ends so). Missing, unexpected or mis-shaped keys
are reported and the tool exits 1. ``--to hf`` writes DST as a Hugging Face
folder (``config.json`` + ``model.safetensors``) that ``from_pretrained``
loads offline; the head counts and input size, which weights do not show,
come from the standard architectures or ``--num-heads`` & co. The source is
read with the safe loader: no pickle code runs.
"""
import argparse
import os
import sys
import time

import torch
from mmengine.utils import ProgressBar

import videomae_det  # noqa: F401
from videomae_det.checkpoint import load_checkpoint_file
from videomae_det.checkpoint.formats import (
    ConversionError,
    convert,
    saved_settings,
    unwrap,
)
from videomae_det.checkpoint.hf import export_hf
from videomae_det.models import VideoMAE, VideoMAEPretrainer
from videomae_det.models.pretrainer import DECODER_SETTINGS
from videomae_det.utils import set_default_mode
from videomae_det_core.archs import ARCH_SETTINGS

ARCH_NAMES = {a['embed_dims']: n for n, a in ARCH_SETTINGS.items()}
# what the weights do not show (0: the standard value for the width)
DEFAULTS = dict(img_size=224, num_frames=16, num_heads=0,
                decoder_num_heads=0)


def count_layers(sd, prefix: str) -> int:
    ids = {int(k[len(prefix):].split('.')[0]) for k in sd
           if k.startswith(prefix)}
    return max(ids) + 1 if ids else 0


def heads(dims: int, given: int, table: dict, needed: bool) -> int:
    """Head count: given, else the standard one for this width. Weights
    do not show it: checking shapes needs none, an HF export does."""
    if given:
        return given
    if dims in table:
        return table[dims]['num_heads']
    if needed:
        sys.exit(f'error: no standard head count for width {dims}: pass '
                 '--num-heads / --decoder-num-heads')
    return 1


def reference(sd, to: str, args) -> torch.nn.Module:
    """Our model with the architecture the weights imply."""
    pre = '' if to == 'backbone' else 'backbone.'
    proj = sd[f'{pre}patch_embed.proj.weight']
    dims = proj.shape[0]
    hidden = sd[f'{pre}blocks.0.mlp.fc1.weight'].shape[0]
    std_dims = {a['embed_dims']: a for a in ARCH_SETTINGS.values()}
    arch = dict(embed_dims=dims, num_layers=count_layers(sd, f'{pre}blocks.'),
                num_heads=heads(dims, args.num_heads, std_dims,
                                args.to == 'hf'),
                # + .5: int(dims * ratio) must give back `hidden` exactly
                mlp_ratio=(hidden + .5) / dims)
    backbone = dict(
        type='VideoMAE', arch=arch, tubelet_size=proj.shape[2],
        patch_size=proj.shape[3], in_channels=proj.shape[1],
        img_size=args.img_size, num_frames=args.num_frames,
        out_type='pooled' if f'{pre}fc_norm.weight' in sd else 'tokens',
        final_norm=f'{pre}norm.weight' in sd,
        learnable_pos_embed=f'{pre}pos_embed' in sd,
        layer_scale=0.1 if f'{pre}blocks.0.gamma_1' in sd else None,
        qkv_bias=f'{pre}blocks.0.attn.q_bias' in sd)
    if backbone['learnable_pos_embed']:  # sized to the table's tokens
        n = sd[f'{pre}pos_embed'].shape[1]
        backbone.update(num_frames=backbone['tubelet_size'] * n,
                        img_size=backbone['patch_size'])
    if to == 'pretrainer':
        dd = sd['decoder.norm.weight'].shape[0]
        dec_hidden = sd['decoder.blocks.0.mlp.fc1.weight'].shape[0]
        dec = dict(embed_dims=dd,
                   num_heads=heads(dd, args.decoder_num_heads,
                                   {d['embed_dims']: d for d in
                                    DECODER_SETTINGS.values()},
                                   args.to == 'hf'),
                   num_layers=count_layers(sd, 'decoder.blocks.'),
                   mlp_ratio=(dec_hidden + .5) / dd)
        return VideoMAEPretrainer(backbone=backbone, decoder=dec)
    backbone.pop('type')
    model = VideoMAE(**backbone)
    if to == 'backbone':
        return model
    parts = dict(backbone=model)
    if 'cls_head.fc_cls.weight' in sd:
        parts['cls_head'] = torch.nn.ModuleDict(dict(fc_cls=torch.nn.Linear(
            *sd['cls_head.fc_cls.weight'].shape[::-1])))
    return torch.nn.ModuleDict(parts)


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


def mib(path: str) -> float:
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, f))
                   for f in os.listdir(path)) / 2**20
    return os.path.getsize(path) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='checkpoint file or HF model folder')
    parser.add_argument('dst')
    parser.add_argument('--to', default='backbone',
                        choices=['backbone', 'pretrainer', 'recognizer',
                                 'detector', 'hf'])
    for key, default in DEFAULTS.items():
        parser.add_argument(
            '--' + key.replace('_', '-'), type=int,
            help="default: the checkpoint's saved config, else " + (
                str(default) if default else 'the standard one for the '
                'width'))
    args = parser.parse_args()
    start = time.perf_counter()
    print(f'reading {args.src} ({mib(args.src):.1f} MiB)')
    checkpoint = load_checkpoint_file(args.src, map_location='cpu')
    saved = saved_settings(checkpoint)
    for key, default in DEFAULTS.items():
        if not getattr(args, key):
            setattr(args, key, saved.get(key, default))
    if saved:
        print("from the checkpoint's config: " + ', '.join(
            f'{k}={v}' for k, v in saved.items()))
    sd = unwrap(checkpoint)
    to = args.to
    if to == 'hf':  # the richest of our layouts the source has
        to = ('pretrainer' if any(k.endswith('encoder_to_decoder.weight')
                                  for k in sd) else 'recognizer')
    try:
        out, fmt = convert(sd, to)
    except ConversionError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    dims = next(v.shape[0] for k, v in out.items()
                if k.endswith('patch_embed.proj.weight'))
    print(f'format: {fmt}; arch: {ARCH_NAMES.get(dims, f"{dims} dims")}; '
          f'{len(sd)} tensors in, {len(out)} out')
    model = reference(out, to, args)
    problems = report(model, out, to)
    for p in problems:
        print(f'- {p}')
    if problems:
        print(f'{len(problems)} problem(s): nothing written')
        return 1
    bar = ProgressBar(len(out))
    for k in out:  # contiguous copies for writing; shows progress on ViT-g
        out[k] = out[k].contiguous()
        bar.update()
    print()
    params = sum(v.numel() for v in out.values())
    if args.to == 'hf':
        model.load_state_dict(out, strict=False)
        try:
            export_hf(model, args.dst)
        except KeyError as err:
            print(f'error: {err}', file=sys.stderr)
            return 1
    elif args.dst.endswith('.safetensors'):
        from safetensors.torch import save_file
        save_file(out, args.dst, metadata=dict(converted_from=fmt))
        set_default_mode(args.dst)
    else:
        torch.save(dict(state_dict=out, meta=dict(converted_from=fmt)),
                   args.dst)
    print(f'wrote {args.dst}: {params / 1e6:.1f}M parameters, '
          f'{mib(args.dst):.1f} MiB, in {time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
