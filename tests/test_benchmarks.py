"""benchmarks/gpu_check.py, the script a GPU machine runs, works on the CPU
at tiny sizes (--quick): every section, its checks and its report."""
import json

from conftest import run_python


def test_gpu_check_runs_quick_on_the_cpu(tmp_path):
    result = run_python(['benchmarks/gpu_check.py', '--quick', '--device',
                         'cpu', '--work-dir', str(tmp_path)], timeout=900)
    last = dict(kv.split('=') for kv in result.stdout.split('\n')[-2]
                .split())
    assert set(last) == {'detector_vs_mmaction2', 'evad07_vs_full',
                         'evad06_vs_full', 'pretrain_vs_hf',
                         'toy_pretrained_map', 'toy_scratch_map'}
    assert all(float(v) > 0 for v in last.values())
    report = json.loads((tmp_path / 'gpu_check.json').read_text())
    assert report['quick'] and set(report) >= {'detector', 'pretrain', 'toy'}
    assert 'max |ours - mmaction2| fp32 scores' in result.stdout
