"""One GPU, under 8 minutes: the figures this project could not measure on
its CPU, as ratios.

    python benchmarks/gpu_check.py [--device cuda] [--quick]
        [--work-dir work_dirs/gpu_check] [--toy-epochs 400]

1. AVA detector clips/s at ViT-B, fp16 autocast: ours (full, token dropout
   0.7 and 0.6) against mmaction2's own VideoMAE detector, equal weights,
   scores checked equal in fp32 first (``detect_speed.py``'s models).
2. Pre-training step (forward + backward, fp16 autocast) at ViT-B: ours
   against HF ``VideoMAEForPreTraining`` with its SDPA attention, equal
   weights and masks, losses checked equal in fp32 first.
3. The toy pre-training-then-fine-tuning comparison at a GPU's scale: the
   toy AVA set, ``configs/pretrain_toy_ava.py`` for ``--toy-epochs``, then
   the toy detector fine-tuned from it and from scratch (the schedules
   stretched to the epochs given), both evaluated (frame-mAP@0.5).

``--quick`` runs all three at tiny sizes and a few epochs, so the script is
known to work on a CPU (bf16 autocast there) before a GPU sees it.
Everything goes to ``--work-dir`` (``gpu_check.json`` as it goes); last
line: ``detector_vs_mmaction2=<a> evad07_vs_full=<b> evad06_vs_full=<c>
pretrain_vs_hf=<d> toy_pretrained_map=<e> toy_scratch_map=<f>``.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

import torch

import videomae_det  # noqa: F401

# isort: split
import detect_speed
import pretrain_speed

from videomae_det.engine.precision import keep_fp32
from videomae_det.models.masking import make_mask

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SMALL = dict(embed_dims=96, num_layers=4, num_heads=3)


def autocast(device: str):
    dtype = torch.float16 if device.startswith('cuda') else torch.bfloat16
    return torch.autocast(torch.device(device).type, dtype=dtype)


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def rate(run, device: str, reps: int) -> float:
    """Calls per second (median of ``reps`` after one warm-up call)."""
    run()
    times = []
    for _ in range(reps):
        sync(device)
        start = time.perf_counter()
        run()
        sync(device)
        times.append(time.perf_counter() - start)
    return 1 / statistics.median(times)


def check_detector(args) -> dict:
    size, frames = (64, 4) if args.quick else (256, 16)
    ours, theirs = detect_speed.build_pair(SMALL if args.quick else None,
                                           args.device, frames)
    data = detect_speed.batch(frames, size, args.device)
    with torch.no_grad():
        a = ours.test_step(data)[0].pred_instances.scores
        b = theirs.test_step(data)[0].pred_instances.scores
    diff = (a - b).abs().max().item()
    print(f'detector: max |ours - mmaction2| fp32 scores {diff:.2e}')
    assert diff < 1e-4, diff
    models = dict(ours=ours, mmaction2=theirs,
                  evad07=detect_speed.with_token_dropout(ours, 0.7),
                  evad06=detect_speed.with_token_dropout(ours, 0.6, 4.))
    out = {}
    for name, model in models.items():
        keep_fp32(model)  # RoIAlign and head in fp32, as --amp
        with torch.no_grad(), autocast(args.device):
            out[name] = rate(lambda m=model: m.test_step(data), args.device,
                             args.reps)
    print(f'detector, 1 clip {frames}x{size}x{size}, autocast, clips/s: ' +
          ', '.join(f'{k} {v:.2f}' for k, v in out.items()))
    return out


def check_pretrain(args) -> dict:
    size, frames = (32, 4) if args.quick else (224, 16)
    torch.manual_seed(0)
    hf, ours = pretrain_speed.build(frames, size, args.quick, 'sdpa')
    hf, ours = hf.to(args.device), ours.to(args.device)
    x = torch.randn(2, 3, frames, size, size, device=args.device)
    grid = (frames // 2, size // 16, size // 16)
    mask = make_mask('tube', 2, grid, 0.9,
                     torch.Generator().manual_seed(0)).to(args.device)
    hf_x = x.transpose(1, 2)
    with torch.no_grad():
        theirs = hf(hf_x, bool_masked_pos=mask).loss.item()
        mine = ours.reconstruct(x, mask)['loss'].item()
    print(f'pre-training: loss fp32 HF {theirs:.6f}, ours {mine:.6f}')
    assert abs(theirs - mine) < 1e-4 * max(1., abs(theirs))

    def step(loss_fn):
        def run():
            with autocast(args.device):
                loss = loss_fn()
            loss.backward()
        return run

    out = dict(
        ours=2 * rate(step(lambda: ours.reconstruct(x, mask)['loss']),
                      args.device, args.reps),
        hf=2 * rate(step(lambda: hf(hf_x, bool_masked_pos=mask).loss),
                    args.device, args.reps))
    print(f'pre-training step, batch 2, {frames}x{size}x{size}, tube 90%, '
          f'autocast, clips/s: ours {out["ours"]:.2f}, HF (sdpa) '
          f'{out["hf"]:.2f}')
    return out


def tool(args, *argv) -> None:
    """Run a tool of this project in the work dir (where the configs find
    ``data/toy_ava``); its output goes to ``tools.log`` there."""
    log = osp.join(args.work_dir, 'tools.log')
    with open(log, 'a') as f:
        print(f'$ {" ".join(argv)}', file=f, flush=True)
        done = subprocess.run([sys.executable, osp.join(ROOT, argv[0]),
                               *argv[1:]], cwd=args.work_dir, stdout=f,
                              stderr=subprocess.STDOUT,
                              env=dict(os.environ, PYTHONPATH=ROOT))
    if done.returncode:
        raise SystemExit(f'{argv[0]} failed ({done.returncode}); see {log}')


def check_toy(args) -> dict:
    """Toy AVA pre-training, then both detector arms; frame-mAP of each."""
    epochs, tune = (1, 1) if args.quick else (args.toy_epochs, 40)
    ann = 'data/toy_ava/annotations'
    if not osp.isdir(osp.join(args.work_dir, 'data/toy_ava')):
        tool(args, 'tools/data/make_toy_ava.py', 'data/toy_ava', '--videos',
             *(['4', '--val-videos', '2'] if args.quick else
               ['72', '--val-videos', '24']))
    amp = [] if args.quick else ['--amp']
    tool(args, 'tools/train.py', osp.join(ROOT, 'configs/pretrain_toy_ava.py'),
         '--work-dir', 'pretrain', '--cfg-options',
         f'train_cfg.max_epochs={epochs}', *amp)
    maps = {}
    for arm in ('pretrained', 'scratch'):
        init = (f'model.backbone.init_cfg.checkpoint=pretrain/epoch_{epochs}'
                '.pth' if arm == 'pretrained' else
                'model.backbone.init_cfg=None')
        config = osp.join(ROOT, 'configs/ava_toy_vit-tiny.py')
        tool(args, 'tools/train.py', config, '--work-dir', arm,
             '--cfg-options', f'train_cfg.max_epochs={tune}', init, *amp)
        tool(args, 'tools/test.py', config, f'{arm}/epoch_{tune}.pth',
             '--work-dir', arm, '--ava-csv', f'{arm}/detections.csv')
        tool(args, 'tools/eval_ava.py', f'{arm}/detections.csv', '--gt',
             f'{ann}/toy_val.csv', '--labels', f'{ann}/toy_action_list.pbtxt',
             '--exclusions', f'{ann}/toy_val_excluded_timestamps.csv',
             '--json', f'{arm}/map.json')
        maps[arm] = json.load(open(osp.join(args.work_dir, arm,
                                            'map.json')))['mAP']
    print(f'toy AVA, pre-training {epochs} epochs, fine-tuning {tune}: '
          f'frame-mAP pre-trained {maps["pretrained"]:.4f}, scratch '
          f'{maps["scratch"]:.4f}')
    return maps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--quick', action='store_true',
                        help='tiny sizes, 1 epoch: checks the script')
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--toy-epochs', type=int, default=400)
    parser.add_argument('--work-dir', default='work_dirs/gpu_check')
    args = parser.parse_args()
    if args.quick:
        args.reps = 1
    os.makedirs(args.work_dir, exist_ok=True)
    args.work_dir = osp.abspath(args.work_dir)
    report = dict(device=args.device, quick=args.quick,
                  torch=torch.__version__, gpu=torch.cuda.get_device_name() if
                  args.device.startswith('cuda') else None)
    path = osp.join(args.work_dir, 'gpu_check.json')
    start = time.perf_counter()
    for name, check in (('detector', check_detector),
                        ('pretrain', check_pretrain), ('toy', check_toy)):
        report[name] = check(args)
        report['seconds'] = time.perf_counter() - start
        with open(path, 'w') as f:
            json.dump(report, f, indent=2)
    det, pre, toy = report['detector'], report['pretrain'], report['toy']
    print(f'{report["seconds"]:.0f} s; {path}')
    print(f'detector_vs_mmaction2={det["ours"] / det["mmaction2"]:.2f} '
          f'evad07_vs_full={det["evad07"] / det["ours"]:.2f} '
          f'evad06_vs_full={det["evad06"] / det["ours"]:.2f} '
          f'pretrain_vs_hf={pre["ours"] / pre["hf"]:.2f} '
          f'toy_pretrained_map={toy["pretrained"]:.4f} '
          f'toy_scratch_map={toy["scratch"]:.4f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
