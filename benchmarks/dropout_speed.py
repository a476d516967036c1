"""Token dropout's speed-up, established: ViT-B AVA detector with EVAD's
keyframe-centric token dropout (keep 0.7; 0.6 with weight 4) against the
full model, fp32 and bf16 autocast, in several fresh processes, with the
spread.

    python benchmarks/dropout_speed.py [--sizes 224 256] [--runs 3]
        [--reps 5]

Each run is a new process (``--child``), 2 threads unless
``OMP_NUM_THREADS`` says otherwise, the three models timed in alternating
order after a warm-up round (``detect_speed.timed``). Each run also times,
on one 2048-token block input, the fused attention alone and the ranking
beside it (what dropout adds per dropping block), and says whether the CPU
has AVX-512 BF16 / AMX (oneDNN's bf16 matmul path). Last line:
``evad07_vs_full_bf16_256=<median> spread=<max-min over median>``.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def child(size: int, reps: int, out: str) -> None:
    import torch
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    from detect_speed import batch, build_pair, timed, with_token_dropout

    from videomae_det.engine.precision import keep_fp32
    from videomae_det.models.backbones.videomae import Attention
    ours, _ = build_pair()
    models = dict(full=ours, evad07=with_token_dropout(ours, 0.7),
                  evad06=with_token_dropout(ours, 0.6, 4.))
    data = batch(16, size)
    fp32 = timed(models, data, reps)
    for model in models.values():
        keep_fp32(model)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        bf16 = timed(models, data, reps)
    # one block's attention at 2048 tokens: fused alone vs with ranking
    attn = Attention(768, 12).eval()
    x = torch.randn(1, 2048, 768)
    weight = torch.ones(1, 2048)
    block = {}
    for name, enabled in (('fp32', False), ('bf16', True)):
        with torch.no_grad(), torch.autocast('cpu', torch.bfloat16,
                                             enabled=enabled):
            for kind, args in (('fused', ()), ('with_ranking', (weight,))):
                attn(x, *args)
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    attn(x, *args)
                    times.append(time.perf_counter() - start)
                block[f'{name}_{kind}'] = statistics.median(times)
    cpu = torch.backends.cpu.get_cpu_capability()
    with open(out, 'w') as f:
        json.dump(dict(fp32=fp32, bf16=bf16, block=block, cpu=cpu,
                       threads=torch.get_num_threads()), f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[224, 256])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--child', nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        size, reps, out = args.child
        return child(int(size), int(reps), out)
    ratios = {}
    for size in args.sizes:
        for run in range(args.runs):
            with tempfile.NamedTemporaryFile(suffix='.json') as out:
                subprocess.run([sys.executable, __file__, '--child',
                                str(size), str(args.reps), out.name],
                               check=True, env=dict(os.environ,
                                                    PYTHONPATH=ROOT))
                r = json.load(open(out.name))
            line = []
            for prec in ('fp32', 'bf16'):
                rate = r[prec]
                for name in ('evad07', 'evad06'):
                    ratio = rate[name] / rate['full']
                    ratios.setdefault((size, prec, name), []).append(ratio)
                line.append(f'{prec} full {rate["full"]:.3f} evad07 '
                            f'{rate["evad07"]:.3f} evad06 '
                            f'{rate["evad06"]:.3f} clips/s')
            b = r['block']
            print(f'{size} run {run + 1} ({r["threads"]} threads, '
                  f'{r["cpu"]}): ' + '; '.join(line) + '; one block fp32 '
                  f'fused {b["fp32_fused"]:.3f} s + ranking '
                  f'{b["fp32_with_ranking"] - b["fp32_fused"]:.3f} s, bf16 '
                  f'fused {b["bf16_fused"]:.3f} s + ranking '
                  f'{b["bf16_with_ranking"] - b["bf16_fused"]:.3f} s',
                  flush=True)
    for (size, prec, name), values in sorted(ratios.items()):
        med = statistics.median(values)
        print(f'{size} {prec} {name}_vs_full: ' + ' / '.join(
            f'{v:.2f}' for v in values) + f' (median {med:.2f}, spread '
            f'{(max(values) - min(values)) / med:.1%})')
    key = (256 if 256 in args.sizes else args.sizes[0], 'bf16', 'evad07')
    values = ratios[key]
    med = statistics.median(values)
    print(f'evad07_vs_full_bf16_{key[0]}={med:.2f} '
          f'spread={(max(values) - min(values)) / med:.3f}')


if __name__ == '__main__':
    main()
