"""The deployed ViT-B AVA detector: PyTorch fp32 and bf16 against
onnxruntime fp32 and dynamic int8, same weights and inputs, same process.

    python benchmarks/deploy_speed.py [--shape 16 224 224] [--rois 3]
        [--reps 3] [--work-dir work_dirs/deploy_speed]

``configs/ava_vitb.py`` with random weights, exported by
``videomae_det.deploy`` (opset 21, the graph ``tools/deployment/
export_onnx.py`` writes: attention as onnxruntime's ``MultiHeadAttention``;
also with ``--standard-ops``, MatMul-Softmax-MatMul) and quantized with
onnxruntime's ``quantize_dynamic`` (MatMul/Gemm weights int8). Each backend
scores one preprocessed clip and its boxes (backbone, RoIAlign, head);
outputs are compared with PyTorch fp32 before timing (fp32 ONNX within
1e-4; bf16 and int8 differences printed). Last line: ``ort_vs_torch=<x>
int8_vs_torch=<y> int8_vs_bf16=<z>`` (clips/s ratios).
"""
import argparse
import os
import os.path as osp
import statistics
import time

import torch

import videomae_det  # noqa: F401
from videomae_det.deploy import export as ex
from videomae_det.deploy.runtime import OrtModel
from videomae_det.engine.precision import keep_fp32

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def timed(runs: dict, reps: int) -> dict:
    """Clips/s of each callable (median over ``reps`` after a warm-up
    round; the order alternates between rounds)."""
    times = {name: [] for name in runs}
    for rep in range(reps + 1):
        for name, run in list(runs.items())[::1 if rep % 2 else -1]:
            start = time.perf_counter()
            run()
            if rep:
                times[name].append(time.perf_counter() - start)
    return {k: 1 / statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--shape', type=int, nargs=3, default=[16, 224, 224],
                        metavar=('T', 'H', 'W'))
    parser.add_argument('--rois', type=int, default=3)
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--work-dir', default='work_dirs/deploy_speed')
    args = parser.parse_args()
    torch.manual_seed(0)
    _, model = ex.load_model(osp.join(ROOT, 'configs', 'ava_vitb.py'), None)
    shape = tuple(args.shape)
    os.makedirs(args.work_dir, exist_ok=True)
    fp32_file = osp.join(args.work_dir, 'ava_vitb.onnx')
    std_file = osp.join(args.work_dir, 'ava_vitb.standard.onnx')
    int8_file = osp.join(args.work_dir, 'ava_vitb.int8.onnx')
    info = ex.export(model, fp32_file, 'detection', shape)
    ex.export(model, std_file, 'detection', shape, fused_attention=False)
    print(f'exported in {info["seconds"]:.1f} s (opset {info["opset"]})')
    ex.quantize(fp32_file, int8_file)
    inputs = ex.sample_inputs('detection', shape, 1, args.rois)
    fp32, std, int8 = map(OrtModel, (fp32_file, std_file, int8_file))

    def torch_fp32():
        return ex.reference(model, 'detection', inputs)

    def torch_bf16():
        with torch.autocast('cpu', dtype=torch.bfloat16):
            return ex.reference(model, 'detection', inputs).float()

    expected = torch_fp32()
    keep_fp32(model)  # RoIAlign and head in fp32 under autocast, as --amp
    runs = dict(torch_fp32=torch_fp32, torch_bf16=torch_bf16,
                ort_fp32=lambda: fp32(*inputs),
                ort_fp32_standard_ops=lambda: std(*inputs),
                ort_int8=lambda: int8(*inputs))
    for name, run in list(runs.items())[1:]:
        diff = (run() - expected).abs().max().item()
        print(f'max |{name} - torch_fp32| action scores: {diff:.2e}')
        if name.startswith('ort_fp32'):
            assert diff <= ex.TOLERANCE, diff
    rate = timed(runs, args.reps)
    T, H, W = shape
    print(f'ViT-B AVA detector, 1 clip {T}x{H}x{W}, {args.rois} boxes, '
          f'{torch.get_num_threads()} threads, {cpu_name()} '
          f'({torch.backends.cpu.get_cpu_capability()}), clips/s: ' +
          ', '.join(f'{k} {v:.3f}' for k, v in rate.items()))
    print(f'ort_vs_torch={rate["ort_fp32"] / rate["torch_fp32"]:.2f} '
          f'int8_vs_torch={rate["ort_int8"] / rate["torch_fp32"]:.2f} '
          f'int8_vs_bf16={rate["ort_int8"] / rate["torch_bf16"]:.2f}')


def cpu_name() -> str:
    with open('/proc/cpuinfo') as f:
        names = [line.split(':', 1)[1].strip() for line in f
                 if line.startswith('model name')]
    return names[0] if names else 'unknown CPU'


if __name__ == '__main__':
    main()
