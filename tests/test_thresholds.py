"""Per-class thresholds: picked at a target precision from a validation
set's AVA CSVs (tools/analysis/thresholds.py), read back by the demo's
inferencer from the file, pairs or one value."""
import numpy as np
import pytest

import videomae_det  # noqa: F401
from conftest import ROOT, run_python
from videomae_det.apis.thresholds import class_thresholds
from videomae_det_core.ava.frame_map import threshold_at_precision
from videomae_det_core.errors import InputError

LABELS = 'item {\n  name: "wave"\n  id: 1\n}\nitem {\n  name: "jump"\n  ' \
    'id: 2\n}\n'


def test_threshold_at_precision_keeps_ties_together():
    scores = np.array([.9, .8, .7, .6, .6])
    tp = np.array([1, 0, 1, 0, 1], bool)
    assert threshold_at_precision(scores, tp, 3, .8) == (.9, 1.0, 1 / 3)
    assert threshold_at_precision(scores, tp, 3, .6) == (
        .6, 3 / 5, 1.0)  # the tie at .6 taken whole
    assert threshold_at_precision(scores, tp, 3, .65)[:2] == (.7, 2 / 3)
    assert threshold_at_precision(scores, ~tp, 3, .99)[0] == float('inf')


def test_thresholds_tool_writes_the_file_the_demo_reads(tmp_path):
    (tmp_path / 'labels.pbtxt').write_text(LABELS)
    box = {'A': '0.1,0.1,0.4,0.9', 'B': '0.5,0.1,0.9,0.9',
           'X': '0.0,0.0,0.05,0.05', 'Y': '0.9,0.9,1.0,1.0'}
    (tmp_path / 'gt.csv').write_text(f'v,0902,{box["A"]},1,0\n'
                                     f'v,0902,{box["B"]},1,1\n')
    (tmp_path / 'det.csv').write_text(''.join(
        f'v,0902,{box[k]},1,{s}\n' for k, s in
        (('A', .9), ('X', .8), ('B', .7), ('Y', .6))) +
        f'v,0902,{box["A"]},2,0.5\n')
    result = run_python([str(ROOT / 'tools/analysis/thresholds.py'),
                         'det.csv', '--gt', 'gt.csv', '--labels',
                         'labels.pbtxt', '--precision', '0.6', '--out',
                         'thr.txt'], cwd=tmp_path)
    assert '1 of 2 classes reach precision 0.6' in result.stdout
    text = (tmp_path / 'thr.txt').read_text()
    assert 'wave=0.7000  # id 1: precision 0.667, recall 1.000' in text
    assert 'jump=inf  # id 2: no groundtruth' in text
    names, ids = ['wave', 'jump'], [1, 2]
    thr = class_thresholds([str(tmp_path / 'thr.txt')], names, ids)
    assert thr.tolist() == [.7, float('inf')]
    # one value, then pairs by name or id over it, later ones winning
    assert class_thresholds(['0.5', 'jump=0.2'], names, ids).tolist() == [
        .5, .2]
    assert class_thresholds(['2=0.1', str(tmp_path / 'thr.txt')], names,
                            ids).tolist() == [.7, float('inf')]
    with pytest.raises(InputError, match="'run' is not a class"):
        class_thresholds(['run=0.5'], names, ids)
    (tmp_path / 'bad.txt').write_text('wave 0.5\n')
    with pytest.raises(InputError, match=r'bad.txt:1: expected label=value'):
        class_thresholds([str(tmp_path / 'bad.txt')], names, ids)


def test_inferencer_lists_actions_by_their_class_threshold(tmp_path,
                                                            detector):
    from videomae_det.apis import AVADetInferencer
    labels = ROOT / 'tests' / 'helpers' / 'toy_action_list.pbtxt'
    (tmp_path / 'thr.txt').write_text('# picked\nflash=0.9\nsway left-right'
                                      '=0  # always\n')
    api = AVADetInferencer(
        str(ROOT / 'configs' / 'ava_toy_vit-tiny_video.py'), detector,
        labels=str(labels), thr=['0.5', str(tmp_path / 'thr.txt')], topk=5)
    names = api.class_names
    row = np.full(len(names), 0.6)
    listed = [n for n, _ in api.top_actions(row)]
    assert 'flash' not in listed and 'sway left-right' in listed
    assert len(listed) == len(names) - 1
