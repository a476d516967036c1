"""ONNX export and the onnxruntime backend: the exported detector,
recognizer and backbone equal PyTorch (mmcv's RoIAlign, mmaction2's head)
at two input sizes, with 1 and 7 boxes; the CLI checks itself; the demo,
the inference API and tools/test.py give the PyTorch model's results."""
import json
import pickle

import numpy as np
import pytest
import torch

import videomae_det  # noqa: F401
from conftest import ROOT, run_python
from videomae_det_core.errors import InputError

onnx = pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

from videomae_det.deploy import export as ex  # noqa: E402
from videomae_det.deploy.runtime import OrtModel  # noqa: E402

DET = str(ROOT / 'configs' / 'ava_toy_vit-tiny.py')
DET_VIDEO = str(ROOT / 'configs' / 'ava_toy_vit-tiny_video.py')
CLS = str(ROOT / 'configs' / 'cls_toy-motions_vit-tiny.py')


def random_model(config, seed=0):
    """The config's model with non-trivial random weights (biases and
    norms too, so that a wrong op cannot hide behind zeros and ones)."""
    torch.manual_seed(seed)
    cfg, model = ex.load_model(config, None)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return cfg, model


def op_types(path):
    return {n.op_type for n in onnx.load(path).graph.node}


@pytest.fixture(scope='module')
def toy_detector():
    return random_model(DET)[1]


@pytest.mark.parametrize('shape', [(8, 96, 96), (8, 96, 128)])
def test_detector_equals_pytorch_with_1_and_7_boxes(tmp_path, toy_detector,
                                                    shape):
    """Square and non-square (AVA's 256x341 in miniature) clips; dynamic
    batch and box count: batch 1 with 3 boxes, 2 with 1, 3 with 7."""
    out = str(tmp_path / 'det.onnx')
    info = ex.export(toy_detector, out, 'detection', shape, dynamic=True)
    assert info['opset'] == ex.ROI_OPSET
    nodes = [n.op_type for n in onnx.load(out).graph.node]
    ops = set(nodes)
    assert {'RoiAlign', 'LayerNormalization'} <= ops, ops
    # each block's attention one fused op, the model itself left as it was
    depth = len(toy_detector.backbone.blocks)
    assert nodes.count('MultiHeadAttention') == depth and \
        'Softmax' not in ops, nodes
    assert info['attention'] == 'com.microsoft.MultiHeadAttention'
    assert {type(b.attn).__name__ for b in toy_detector.backbone.blocks} \
        == {'Attention'}
    assert ex.verify(toy_detector, out, 'detection', shape, True) <= 1e-4
    graph = OrtModel(out)
    assert graph.task == 'detection' and graph.clip_shape == (3, *shape)
    clip, rois = ex.sample_inputs('detection', shape, 1, 1, seed=5)
    assert graph(clip, rois).shape == (1, 6)
    with pytest.raises(InputError, match='--shape'):
        graph(torch.zeros(1, 3, 8, 96, 112), rois)


def test_detector_with_token_dropout_exports(tmp_path):
    """The EVAD toy detector: ranking, top-k and re-assembly in the graph
    give PyTorch's scores (144 -> 101 -> 71 tokens)."""
    _, model = random_model(str(ROOT / 'configs' /
                                'ava_toy_vit-tiny_evad.py'))
    out = str(tmp_path / 'evad.onnx')
    ex.export(model, out, 'detection', (8, 96, 96))
    assert 'TopK' in op_types(out)
    assert ex.verify(model, out, 'detection', (8, 96, 96)) <= 1e-4


def test_recognizer_and_backbone_equal_pytorch(tmp_path):
    """The recognizer (softmax, as its head averages probabilities) at a
    square and a non-square size, opset 23 with one Attention op per
    block; the backbone's pooled features."""
    _, model = random_model(CLS)
    for shape in [(8, 64, 64), (8, 48, 80)]:
        out = str(tmp_path / f'cls{shape[2]}.onnx')
        ex.export(model, out, None, shape)
        ops = [n.op_type for n in onnx.load(out).graph.node]
        assert ops.count('Attention') == 4 and 'Softmax' in ops
        assert ex.verify(model, out, 'recognition', shape) <= 1e-4
        scores = OrtModel(out)(ex.sample_inputs('recognition', shape)[0])
        np.testing.assert_allclose(scores.sum(1).numpy(), 1, atol=1e-5)
    out = str(tmp_path / 'backbone.onnx')
    ex.export(model, out, 'backbone', (8, 64, 64))
    assert ex.verify(model, out, 'backbone', (8, 64, 64)) <= 1e-4


def test_full_vitb_detector_at_reduced_size(tmp_path):
    """configs/ava_vitb.py as it is (12 blocks, 768 dims), a 4x64x96 clip."""
    _, model = random_model(str(ROOT / 'configs' / 'ava_vitb.py'))
    out = str(tmp_path / 'vitb.onnx')
    ex.export(model, out, None, (4, 64, 96))
    assert ex.verify(model, out, 'detection', (4, 64, 96)) <= 1e-4


def test_cli_verifies_quantizes_and_fails_on_a_mismatch(
        tmp_path, toy_detector, capsys, monkeypatch):
    import sys
    sys.path.insert(0, str(ROOT / 'tools' / 'deployment'))
    from export_onnx import main
    weights = tmp_path / 'det.pth'
    torch.save({'state_dict': toy_detector.state_dict()}, weights)
    out = str(tmp_path / 'det.onnx')
    assert main([DET, str(weights), out, '--quantize', 'dynamic',
                 '--standard-ops']) == 0
    printed = capsys.readouterr().out
    assert printed.count('max abs diff') == 2, printed
    assert 'attention MatMul-Softmax-MatMul' in printed, printed
    assert 'MultiHeadAttention' not in op_types(out)
    assert 'MatMulInteger' in op_types(str(tmp_path / 'det.int8.onnx'))
    # the check is real: with a zero tolerance it fails, exit code 1
    monkeypatch.setattr(ex, 'TOLERANCE', 0.0)
    assert main([DET, str(weights), out]) == 1
    assert 'differs from PyTorch' in capsys.readouterr().err
    for argv, text in [([DET, str(tmp_path / 'none.pth'), out], 'not found'),
                       ([DET, str(weights), str(tmp_path / 'x.pt')], '.onnx'),
                       ([DET, str(weights), out, '--task', 'recognition'],
                        'does not fit')]:
        assert main(argv) == 1
        assert text in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main([DET])
    assert usage.value.code == 2


def test_onnx_backend_equals_pytorch_in_test_tool_and_demo(
        tmp_path, toy_ava_root, clips):
    """tools/test.py on the toy AVA set and tools/demo_video.py on a real
    clip: the ONNX model's scores equal the checkpoint's."""
    _, model = random_model(DET_VIDEO, seed=1)
    weights = str(tmp_path / 'det.pth')
    torch.save({'state_dict': model.state_dict()}, weights)
    # the toy videos are 4:3 at 96 px high: clips of 8 x 96 x 128
    onnx_file = str(tmp_path / 'det.onnx')
    ex.export(model, onnx_file, 'detection', (8, 96, 128))
    dumps = {}
    for backend, ckpt in (('pytorch', weights), ('onnxruntime', onnx_file)):
        dump = tmp_path / f'{backend}.pkl'
        run_python([str(ROOT / 'tools/test.py'), DET_VIDEO, ckpt,
                    '--work-dir', str(tmp_path / backend), '--dump',
                    str(dump), '--backend', backend, '--show-dir',
                    str(tmp_path / f'show_{backend}'), '--show-num', '3'],
                   cwd=toy_ava_root)
        shown = sorted((tmp_path / f'show_{backend}').glob('*.png'))
        assert len(shown) == 3 and shown[0].read_bytes()[:4] == b'\x89PNG'
        dumps[backend] = pickle.loads(dump.read_bytes())
    assert len(dumps['pytorch']) == len(dumps['onnxruntime']) >= 5
    for a, b in zip(dumps['pytorch'], dumps['onnxruntime']):
        np.testing.assert_array_equal(a['pred_instances']['bboxes'],
                                      b['pred_instances']['bboxes'])
        np.testing.assert_allclose(a['pred_instances']['scores'],
                                   b['pred_instances']['scores'], atol=1e-5)
    # the API and the demo on a real clip (QCIF 176x144, 11:9): the
    # toy pipeline's short side 96 makes clips of 8 x 96 x 117
    import decord
    import mmcv

    from videomae_det.apis import AVADetInferencer
    video = clips['carphone_pristine']
    h, w = decord.VideoReader(video)[0].shape[:2]
    w, h = mmcv.rescale_size((w, h), (np.inf, 96))
    onnx_file = str(tmp_path / 'det_qcif.onnx')
    ex.export(model, onnx_file, 'detection', (8, h, w))
    boxes = tmp_path / 'boxes.csv'
    boxes.write_text(''.join(f'{t},0.1,0.1,0.6,0.9\n{t},0.4,0.2,0.9,1.0\n'
                             for t in range(5)))
    labels = str(toy_ava_root / 'data/toy_ava/annotations/'
                 'toy_action_list.pbtxt')
    results = {}
    for backend, ckpt in (('pytorch', weights), ('onnxruntime', onnx_file)):
        from videomae_det.apis import BoxesFile
        api = AVADetInferencer(DET_VIDEO, ckpt, backend=backend,
                               people=BoxesFile(str(boxes), 'x'),
                               labels=labels, thr=0, topk=5, track=False)
        results[backend] = list(api.iter_video(video))
    assert len(results['pytorch']) >= 3
    for a, b in zip(results['pytorch'], results['onnxruntime']):
        assert len(a['people']) == len(b['people']) > 0
        for p, q in zip(a['people'], b['people']):
            assert p['box'] == q['box']
            np.testing.assert_allclose(p['scores'], q['scores'], atol=1e-5)
            assert [n for n, _ in p['actions']] == \
                [n for n, _ in q['actions']]
    out = tmp_path / 'demo.json'
    run_python([str(ROOT / 'tools/demo_video.py'), video, DET_VIDEO,
                onnx_file, '--backend', 'onnxruntime', '--boxes', str(boxes),
                '--labels', labels, '--thr', '0', '--topk', '5',
                '--no-track', '--out-json', str(out)])
    for keyframe, ours in zip(json.loads(out.read_text()),
                              results['pytorch']):
        for person, theirs in zip(keyframe['people'], ours['people']):
            assert [n for n, _ in person['actions']] == \
                [n for n, _ in theirs['actions']]
            for (_, s), (_, t) in zip(person['actions'], theirs['actions']):
                assert s == pytest.approx(t, abs=1e-5)
