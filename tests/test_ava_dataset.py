"""The AVA training data path: files checked when the data set is built,
with file and line, and the same data list as mmaction2's AVADataset."""
import copy
import shutil

import numpy as np
import pytest
from mmengine.config import Config

import videomae_det  # noqa: F401
from conftest import ROOT, run_python
from videomae_det.datasets.ava_checks import AVAConfigError
from videomae_det.evaluation.ava import AVAFormatError

CONFIG = str(ROOT / 'configs' / 'ava_toy_vit-tiny.py')


@pytest.fixture
def anno(toy_ava_root, tmp_path):
    """A copy of the toy set's annotations to break."""
    out = tmp_path / 'annotations'
    shutil.copytree(toy_ava_root / 'data' / 'toy_ava' / 'annotations', out)
    return out


def build(anno, root, type='CheckedAVADataset', ann='toy_train.csv', **kw):
    from mmaction.registry import DATASETS
    from mmaction.utils import register_all_modules
    register_all_modules()
    cfg = copy.deepcopy(Config.fromfile(CONFIG).train_dataloader.dataset)
    cfg.update(type=type, ann_file=str(anno / ann),
               exclude_file=str(anno / 'toy_train_excluded_timestamps.csv'),
               label_file=str(anno / 'toy_action_list.pbtxt'),
               proposal_file=str(anno / 'toy_dense_proposals_train.pkl'),
               data_prefix=dict(img=str(root / 'data/toy_ava/rawframes')),
               pipeline=[], **kw)
    return DATASETS.build(cfg)


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def same_data(a, b):
    assert len(a) == len(b) > 0
    for x, y in zip(infos(a), infos(b)):
        assert x.keys() == y.keys()
        for key in x:
            if isinstance(x[key], np.ndarray):
                np.testing.assert_array_equal(x[key], y[key])
            else:
                assert x[key] == y[key], key


def test_data_list_equals_mmaction2s(anno, toy_ava_root):
    ours = build(anno, toy_ava_root)
    theirs = build(anno, toy_ava_root, type='AVADataset')
    same_data(ours, theirs)
    # excluded keyframes are left out as mmaction2 does
    excluded = (anno / 'toy_train_excluded_timestamps.csv').read_text()
    video, stamp = excluded.splitlines()[0].split(',')
    assert all(d['img_key'] != f'{video},{int(stamp):04d}'
               for d in infos(ours))
    assert len(infos(ours)) == len(set(d['img_key'] for d in infos(ours)))
    # a subset of classes: columns as mmaction2 maps them
    kw = dict(custom_classes=[2, 4], num_classes=3, drop_unused_actions=True)
    sub = build(anno, toy_ava_root, **kw)
    kw.pop('drop_unused_actions')
    same_data(sub, build(anno, toy_ava_root, type='AVADataset', **kw))


def test_byte_order_mark_is_dropped(anno, toy_ava_root):
    plain = build(anno, toy_ava_root)
    for name in ('toy_train.csv', 'toy_train_excluded_timestamps.csv',
                 'toy_action_list.pbtxt'):
        path = anno / name
        path.write_bytes(b'\xef\xbb\xbf' + path.read_bytes())
    same_data(build(anno, toy_ava_root), plain)


@pytest.mark.parametrize('edit,message', [
    (lambda rows: ['video_id,timestamp,x1,y1,x2,y2,action_id,person_id'] +
     rows, r'toy_train.csv:1: looks like a header row'),
    (lambda rows: rows[:2] + [','.join(rows[2].split(',')[:6])] + rows[3:],
     r'toy_train.csv:3: expected 7 or 8 columns'),
    (lambda rows: rows[:4] + ['{0},{1},0.6,0.1,0.2,0.5,{6},{7}'.format(
        *rows[4].split(','))] + rows[5:],
     r'toy_train.csv:5: box .* has x2 < x1'),
])
def test_bad_annotation_rows_name_file_and_line(anno, toy_ava_root, edit,
                                                message):
    path = anno / 'toy_train.csv'
    path.write_text('\n'.join(edit(path.read_text().splitlines())) + '\n')
    with pytest.raises(AVAFormatError, match=message):
        build(anno, toy_ava_root)


def test_flipped_proposal_box_is_named(anno, toy_ava_root):
    import pickle
    path = anno / 'toy_dense_proposals_train.pkl'
    proposals = pickle.loads(path.read_bytes())
    key = next(iter(proposals))
    proposals[key] = np.array([[0.6, 0.1, 0.2, 0.5, 0.9]])
    path.write_bytes(pickle.dumps(proposals))
    with pytest.raises(AVAFormatError, match=f"{key!r} box 0 .* x2 < x1"):
        build(anno, toy_ava_root)


def test_action_ids_no_class_uses_stop_with_their_counts(anno,
                                                         toy_ava_root):
    rows = [r.split(',') for r in
            (anno / 'toy_train.csv').read_text().splitlines()]
    ids = [int(r[6]) for r in rows]
    kw = dict(custom_classes=[2, 4], num_classes=3)
    with pytest.raises(AVAConfigError) as err:
        build(anno, toy_ava_root, **kw)
    for action in (1, 3, 5):
        assert f'id {action}: {ids.count(action)}' in str(err.value)
    assert 'drop_unused_actions=True' in str(err.value)
    kept = build(anno, toy_ava_root, drop_unused_actions=True, **kw)
    labels = np.concatenate([d['gt_labels'] for d in infos(kept)])
    excluded = {(v, int(t)) for v, t in (r.split(',') for r in (
        anno / 'toy_train_excluded_timestamps.csv').read_text().split())}
    kept_rows = [r for r in rows if int(r[6]) in (2, 4) and
                 (r[0], int(r[1])) not in excluded]
    assert labels.shape[1] == 3 and labels[:, 1:].sum() == len(kept_rows)


def test_training_tool_prints_one_line_not_a_traceback(toy_ava_root,
                                                       tmp_path):
    root = tmp_path / 'root'
    shutil.copytree(toy_ava_root / 'data', root / 'data')
    path = root / 'data/toy_ava/annotations/toy_train.csv'
    rows = path.read_text().splitlines()
    path.write_text('\n'.join(rows[:6] + [rows[6] + ',extra'] + rows[7:]))
    result = run_python([str(ROOT / 'tools/train.py'), CONFIG, '--work-dir',
                         'wd', '--cfg-options',
                         'model.backbone.init_cfg=None'], cwd=root,
                        check=False)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('error: ') and 'toy_train.csv:7: expected 7 or 8' \
        in last, last
    # the start-up check (class settings) also prints one line
    path.write_text('\n'.join(rows))
    result = run_python([str(ROOT / 'tools/train.py'), CONFIG, '--work-dir',
                         'wd', '--cfg-options',
                         'model.backbone.init_cfg=None',
                         'train_dataloader.dataset.num_classes=4'],
                        cwd=root, check=False)
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert 'num_classes=4' in result.stderr
