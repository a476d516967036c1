"""Pre-training step speed: ours against HF ``VideoMAEForPreTraining``, and
visible-only against full-token encoding.

    python benchmarks/pretrain_speed.py [--batch 1] [--reps 3]

ViT-B encoder, decoder 384 x 4, 16x224x224, 90% tube mask, forward and
backward, fp32, same weights (HF's init, converted) and the same masks in
one process; the reconstruction and loss are checked equal first. The
full-token variant runs the same encoder on all 1568 tokens and gathers
the visible ones afterwards (same decoder): what the encoder would cost
without VideoMAE's asymmetric design. Last line:
``speedup_vs_hf=<x> visible_only_speedup=<y>``.
"""
import argparse
import statistics
import time

import torch
from mmaction.registry import MODELS
from transformers import VideoMAEConfig, VideoMAEForPreTraining

import videomae_det  # noqa: F401
from videomae_det.checkpoint.hf import convert_hf_pretrainer
from videomae_det.models.masking import make_mask


def build(frames: int, size: int, small: bool = False,
          attn_implementation: str = 'eager'):
    """(HF, ours) ViT-B pre-trainers (decoder 384 x 4) with HF's init in
    both, training mode; ``small``: a 96-dim, 2-block encoder and 64-dim,
    1-block decoder (CPU checks of the scripts)."""
    sizes = dict(hidden_size=96, num_hidden_layers=2, num_attention_heads=3,
                 intermediate_size=384, decoder_hidden_size=64,
                 decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
                 decoder_intermediate_size=256) if small else {}
    config = VideoMAEConfig(image_size=size, num_frames=frames,
                            use_mean_pooling=False, layer_norm_eps=1e-6,
                            norm_pix_loss=True, **sizes)
    config._attn_implementation = attn_implementation
    hf = VideoMAEForPreTraining(config)
    arch = dict(embed_dims=96, num_layers=2, num_heads=3) if small else \
        'base'
    decoder = dict(embed_dims=64, num_layers=1, num_heads=2) if small else \
        dict(embed_dims=384, num_layers=4, num_heads=6)
    ours = MODELS.build(dict(
        type='VideoMAEPretrainer',
        backbone=dict(type='VideoMAE', arch=arch, img_size=size,
                      num_frames=frames),
        decoder=decoder))
    ours.load_state_dict(convert_hf_pretrainer(hf.state_dict()),
                         strict=True)
    return hf.train(), ours.train()


def full_token_loss(model, x, mask):
    """Encoder on every token, visible ones gathered after it."""
    encode = model.backbone.forward

    def encode_all(inputs, m):
        tokens = encode(inputs)
        return tokens[~m].reshape(tokens.shape[0], -1, tokens.shape[-1])

    model.backbone.forward = encode_all
    try:
        return model.reconstruct(x, mask)['loss']
    finally:
        model.backbone.forward = encode


def step_time(fn, reps: int) -> float:
    fn().backward()  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn().backward()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--reps', type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    hf, ours = build(args.frames, args.size)
    x = torch.randn(args.batch, 3, args.frames, args.size, args.size)
    grid = (args.frames // 2, args.size // 16, args.size // 16)
    mask = make_mask('tube', args.batch, grid, 0.9,
                     torch.Generator().manual_seed(0))
    hf_x = x.transpose(1, 2)
    ref = hf(hf_x, bool_masked_pos=mask)
    out = ours.reconstruct(x, mask)
    diff = (ref.logits - out['pred']).abs().max().item()
    print(f'max |hf - ours| reconstruction {diff:.2e}, loss '
          f'{ref.loss.item():.6f} vs {out["loss"].item():.6f}')
    assert diff < 1e-4

    runs = {
        'ours': lambda: ours.reconstruct(x, mask)['loss'],
        'hf': lambda: hf(hf_x, bool_masked_pos=mask).loss,
        'ours_full_token': lambda: full_token_loss(ours, x, mask),
    }
    rate = {name: args.batch / step_time(fn, args.reps)
            for name, fn in runs.items()}
    print(f'ViT-B, batch {args.batch}, {args.frames}x{args.size}x'
          f'{args.size}, tube 90% ({int(mask[0].sum())} of {mask.shape[1]}'
          f' hidden), fwd+bwd fp32, {torch.get_num_threads()} threads:')
    for name, value in rate.items():
        print(f'  {name:16s} {value:.3f} clips/s')
    print(f'speedup_vs_hf={rate["ours"] / rate["hf"]:.2f} '
          f'visible_only_speedup={rate["ours"] / rate["ours_full_token"]:.2f}')


if __name__ == '__main__':
    main()
