"""Forward speed of our ViT-B against HF ``VideoMAEModel`` and mmaction2's
``VisionTransformer`` (vit_mae), same weights, same process.

    python benchmarks/backbone_speed.py [--batch 1] [--frames 16]
        [--size 224] [--reps 5]

All three get one set of random weights (HF's init, converted), and their
mean-pooled ``fc_norm`` features are checked equal before timing. Runs are
interleaved (one call of each model per round) so that machine drift hits
all three alike, rotating which goes first; the median per model is
reported. Last line:
``speedup_vs_hf=<x> speedup_vs_mmaction2=<y>`` (fp32, clips/s ratios).
"""
import argparse
import platform
import statistics
import time

import torch
from transformers import VideoMAEConfig, VideoMAEForVideoClassification

import videomae_det  # noqa: F401  (before mmaction.models: compat fixes)

# isort: split
from mmaction.models.backbones.vit_mae import VisionTransformer

from videomae_det.checkpoint.hf import convert_hf_backbone
from videomae_det.checkpoint.mmaction import to_mmaction_backbone
from videomae_det.models import VideoMAE


def build(frames: int, size: int):
    config = VideoMAEConfig(image_size=size, num_frames=frames,
                            use_mean_pooling=True, layer_norm_eps=1e-6,
                            num_labels=400)
    hf = VideoMAEForVideoClassification(config).eval()
    ours = VideoMAE('base', img_size=size, num_frames=frames,
                    out_type='pooled').eval()
    ours.load_state_dict(convert_hf_backbone(hf.state_dict()), strict=True)
    mm = VisionTransformer(img_size=size, num_frames=frames,
                           use_mean_pooling=True).eval()
    state = dict(mm.state_dict(), **to_mmaction_backbone(ours.state_dict()))
    mm.load_state_dict(state, strict=True)

    def hf_forward(x):  # (B, C, T, H, W) -> (B, D), as ours
        seq = hf.videomae(x.transpose(1, 2)).last_hidden_state
        return hf.fc_norm(seq.mean(1))

    return {'ours': ours, 'hf': hf_forward, 'mmaction2': mm}


def time_models(models, x, reps, autocast):
    times = {name: [] for name in models}
    with torch.inference_mode(), torch.autocast('cpu', torch.bfloat16,
                                                enabled=autocast):
        for fn in models.values():  # warm-up
            fn(x)
        names = list(models)
        for rep in range(reps):
            for name in names[rep % 3:] + names[:rep % 3]:  # rotate order
                fn = models[name]
                start = time.perf_counter()
                fn(x)
                times[name].append(time.perf_counter() - start)
    return {name: x.shape[0] / statistics.median(t)
            for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--reps', type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    models = build(args.frames, args.size)
    x = torch.randn(args.batch, 3, args.frames, args.size, args.size)
    with torch.inference_mode():
        outs = {name: fn(x) for name, fn in models.items()}
    for name in ('hf', 'mmaction2'):
        diff = (outs[name] - outs['ours']).abs().max().item()
        print(f'max |{name} - ours| = {diff:.2e} (fp32)')
        assert diff < 1e-4, f'{name} disagrees with ours: {diff}'

    print(f'machine: {platform.processor() or platform.machine()}, '
          f'{torch.get_num_threads()} threads, torch {torch.__version__}')
    print(f'ViT-B, batch {args.batch}, {args.frames}x{args.size}x{args.size}'
          f', median of {args.reps} interleaved runs')
    results = {}
    for label, autocast in (('fp32', False), ('bf16', True)):
        results[label] = time_models(models, x, args.reps, autocast)
        row = '  '.join(f'{n} {v:.3f} clips/s' for n, v in
                        results[label].items())
        print(f'{label}: {row}')
        ours = results[label]['ours']
        print(f'{label}: speedup vs hf {ours / results[label]["hf"]:.2f}x, '
              f'vs mmaction2 {ours / results[label]["mmaction2"]:.2f}x')
    fp32 = results['fp32']
    print(f'speedup_vs_hf={fp32["ours"] / fp32["hf"]:.2f} '
          f'speedup_vs_mmaction2={fp32["ours"] / fp32["mmaction2"]:.2f}')


if __name__ == '__main__':
    main()
