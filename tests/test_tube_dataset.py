"""The ACT-format datasets (UCF101-24, JHMDB-21, MultiSports): reader,
keyframes, clips, proposals, bad inputs, the single-label head, and the
toy set trained and scored end to end."""
import os
import pickle
import struct
import subprocess
import sys
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch

import videomae_det  # noqa: F401  (before mmaction.models)

# isort: split
from mmaction.registry import DATASETS, MODELS
from mmaction.utils import register_all_modules

from conftest import ROOT
from videomae_det_core.tubes.io import TubeFormatError

register_all_modules()


def toy(root, **kwargs):
    data = root / 'data' / 'toy_tubes'
    cfg = dict(type='TubeDataset', ann_file=str(data / 'toy_tubes_GT.pkl'),
               pipeline=[], data_prefix=dict(img=str(data / 'rgb-images')))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_toy_keyframes_boxes_and_labels(toy_tubes_root):
    gt = pickle.load(open(toy_tubes_root / 'data/toy_tubes/toy_tubes_GT.pkl',
                          'rb'))
    train = toy(toy_tubes_root)  # annotated frames of train split 0
    videos = gt['train_videos'][0]
    assert len(train) == sum(len(t) for v in videos
                             for ts in gt['gttubes'][v].values() for t in ts)
    info = train.get_data_info(0)
    video, frame = info['video_id'], info['timestamp']
    (label, (tube,)), = gt['gttubes'][video].items()
    row = tube[tube[:, 0] == frame][0]
    np.testing.assert_allclose(info['gt_bboxes'][0] * [128, 96, 128, 96],
                               row[1:], atol=1e-4)
    assert info['gt_labels'][0].argmax() == label + 1
    assert info['gt_labels'].shape == (1, 5)  # 4 labels + background
    np.testing.assert_array_equal(info['proposals'], info['gt_bboxes'])
    assert info['img_key'] == f'{video},{frame:05d}'
    # test split 1, every frame, the proposals file's boxes
    test = toy(toy_tubes_root, subset='test', split=1, proposal_file=str(
        toy_tubes_root / 'data/toy_tubes/toy_tubes_proposals.pkl'))
    assert len(test) == sum(gt['nframes'][v] for v in gt['test_videos'][1])
    stride = toy(toy_tubes_root, subset='test', keyframe_stride=3)
    assert {d['timestamp'] % 3 for d in stride} == {1}


@pytest.mark.parametrize('where', ['first', 'last'])
def test_clips_clamp_at_video_ends_and_read_the_1_based_files(
        toy_tubes_root, where):
    pipeline = [dict(type='SampleAVAFrames', clip_len=8, frame_interval=2,
                     test_mode=True), dict(type='RawFrameDecode')]
    ds = toy(toy_tubes_root, subset='test', keyframes='all',
             proposal_file=str(toy_tubes_root /
                               'data/toy_tubes/toy_tubes_proposals.pkl'),
             pipeline=pipeline)
    video = ds.get_data_info(0)['video_id']
    n = ds.gt['nframes'][video]
    frame = 1 if where == 'first' else n
    idx = next(i for i in range(len(ds)) if ds.get_data_info(i)[
        'video_id'] == video and ds.get_data_info(i)['timestamp'] == frame)
    results = ds.pipeline.transforms[0](ds.get_data_info(idx))
    inds = results['frame_inds']
    # centred on the keyframe (0-based frame - 1), clamped to the video
    want = np.clip(frame - 1 + np.arange(-8, 8, 2), 0, n - 1)
    np.testing.assert_array_equal(inds, want)
    img = mmcv.imread(str(toy_tubes_root / 'data/toy_tubes/rgb-images' /
                          video / f'{want[4] + 1:05d}.jpg'),
                      channel_order='rgb')
    decoded = ds.pipeline.transforms[1](results)['imgs'][4]
    np.testing.assert_array_equal(decoded, img)


def test_video_route_reads_the_frames_the_indices_name(toy_tubes_root):
    import decord
    data = toy_tubes_root / 'data' / 'toy_tubes'
    sample = [dict(type='SampleAVAFrames', clip_len=4, frame_interval=3,
                   test_mode=True)]
    frames = toy(toy_tubes_root, subset='test', pipeline=sample + [
        dict(type='RawFrameDecode')])
    videos = toy(toy_tubes_root, subset='test',
                 data_prefix=dict(img=str(data / 'videos')),
                 video_suffix='.mp4', pipeline=sample + [
                     dict(type='AVAVideoDecode', units='frames')])
    for i in (0, 5, len(videos) - 1):
        a, b = frames[i], videos[i]
        np.testing.assert_array_equal(a['frame_inds'], b['frame_inds'])
        reader = decord.VideoReader(
            str(data / 'videos' / b['video_id']) + '.mp4')
        want = reader.get_batch(b['frame_inds'].tolist()).asnumpy()
        np.testing.assert_array_equal(np.stack(b['imgs']), want)
        np.testing.assert_allclose(a['gt_bboxes'], b['gt_bboxes'])
        np.testing.assert_allclose(a['proposals'], b['proposals'])


class _Py2Pickler(pickle._Pickler):
    """Writes str and bytes as Python 2 ``str`` (BINSTRING), as the
    released JHMDB-GT.pkl and UCF101v2-GT.pkl are written."""

    def save_bytes(self, obj):
        n = len(obj)
        self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj if n < 256
                   else pickle.BINSTRING + struct.pack('<i', n) + obj)
        self.memoize(obj)

    def save_str(self, obj):
        self.save_bytes(obj.encode('latin1'))

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[bytes], dispatch[str] = save_bytes, save_str


def hand_written(tmp_path, python2=True, **changes):
    """JHMDB's three splits (trimmed, one tube per video) and a UCF-style
    untrimmed video with two partial tubes, frames on disk."""
    box = [10., 20., 60., 90.]
    gt = dict(
        labels=['brush_hair', 'catch', 'clap'],
        gttubes={
            'catch/a': {1: [np.array([[f, *box] for f in range(1, 11)],
                                     np.float32)]},
            'clap/b': {2: [np.array([[f, *box] for f in range(1, 9)],
                                    np.float32)]},
            'clap/u': {2: [np.array([[f, *box] for f in range(3, 7)],
                                    np.float32),
                           np.array([[f, 100, 30, 150, 110] for f in
                                     range(5, 9)], np.float32)]}},
        nframes={'catch/a': 10, 'clap/b': 8, 'clap/u': 12},
        train_videos=[['clap/b', 'clap/u'], ['catch/a', 'clap/u'],
                      ['catch/a', 'clap/b']],
        test_videos=[['catch/a'], ['clap/b'], ['clap/u']],
        resolution={'catch/a': (240, 320), 'clap/b': (240, 320),
                    'clap/u': (240, 320)})
    for key, value in changes.items():
        value(gt) if callable(value) else gt.__setitem__(key, value)
    path = tmp_path / 'GT.pkl'
    with open(path, 'wb') as f:
        (_Py2Pickler(f, protocol=2) if python2 else
         pickle.Pickler(f, protocol=2)).dump(gt)
    for video in ('catch/a', 'clap/b', 'clap/u'):
        (tmp_path / 'frames' / video).mkdir(parents=True, exist_ok=True)
    return dict(type='TubeDataset', ann_file=str(path), pipeline=[],
                data_prefix=dict(img=str(tmp_path / 'frames')))


def test_python2_pickle_three_splits_and_untrimmed_tubes(tmp_path):
    cfg = hand_written(tmp_path)
    assert b'U\x05catch' in (tmp_path / 'GT.pkl').read_bytes()  # py2 str
    ds = DATASETS.build(dict(cfg, split=2, subset='test',
                             keyframes='annotated'))
    # clap/u: frames 3-8 annotated, 5 and 6 by both tubes
    assert [d['timestamp'] for d in ds] == [3, 4, 5, 6, 7, 8]
    assert [len(d['gt_bboxes']) for d in ds] == [1, 1, 2, 2, 1, 1]
    everything = DATASETS.build(dict(cfg, split=2, subset='test'))
    assert len(everything) == 6  # ground truth as boxes: 6 frames hold one
    assert DATASETS.build(dict(cfg, split=1)).videos == ['catch/a', 'clap/u']
    assert len(DATASETS.build(dict(cfg, split=0, subset='test'))) == 10
    with pytest.raises(TubeFormatError, match=r'split 3: the file has 3 '
                       r'test split\(s\)'):
        DATASETS.build(dict(cfg, split=3, subset='test'))


def _beyond(gt):
    gt['gttubes']['clap/u'][2][0][-1, 0] = 13


def _outside(gt):
    gt['gttubes']['catch/a'][1][0][4, 3] = 330


def _label(gt):
    gt['gttubes']['clap/b'] = {3: gt['gttubes']['clap/b'][2]}


@pytest.mark.parametrize('change, split, message', [
    (_beyond, 0, r"video 'clap/u', label 2 \(clap\), tube 0, row 3: frame "
     r'outside 1-12'),
    (_outside, 1, r"video 'catch/a', label 1 \(catch\), tube 0, row 4: a box "
     r"outside the 320x240 frame.*box_outside='clip'"),
    (_label, 0, r"video 'clap/b': label index 3 past the 3 labels"),
], ids=['beyond-nframes', 'outside-frame', 'label-index'])
def test_bad_annotations_are_named(tmp_path, change, split, message):
    cfg = hand_written(tmp_path, python2=False, change=change)
    with pytest.raises(TubeFormatError, match=message):
        DATASETS.build(dict(cfg, split=split))


def test_boxes_outside_clip_when_asked_and_missing_videos_named(tmp_path):
    cfg = hand_written(tmp_path, change=_outside)
    ds = DATASETS.build(dict(cfg, split=1, box_outside='clip'))
    assert max(d['gt_bboxes'][:, 2].max() for d in ds) == 1.0
    cfg = hand_written(tmp_path)
    (tmp_path / 'frames' / 'clap' / 'u').rmdir()
    with pytest.raises(TubeFormatError, match=r"1 of the 2 train videos of "
                       r"split 0 have no frame folders under .*clap/u"):
        DATASETS.build(dict(cfg, split=0))


def test_released_proposal_keys_are_rekeyed(tmp_path, caplog):
    cfg = hand_written(tmp_path)
    props = {'u,0003': np.array([[.1, .1, .3, .5, .9], [.5, .1, .7, .5,
                                                         .02]]),
             'clap/u.mp4,4': np.array([[.1, .1, .3, .5, .8]]),
             'clap/u,00005': np.zeros((0, 5))}
    with open(tmp_path / 'p.pkl', 'wb') as f:
        pickle.dump(props, f)
    ds = DATASETS.build(dict(cfg, split=2, subset='test', proposal_file=str(
        tmp_path / 'p.pkl'), proposal_score_thr=0.05))
    assert [(d['timestamp'], len(d['proposals'])) for d in ds] == [(3, 1),
                                                                   (4, 1)]
    np.testing.assert_allclose(ds[0]['scores'], [0.9])
    props['nowhere,0001'] = props.pop('u,0003')
    with open(tmp_path / 'p.pkl', 'wb') as f:
        pickle.dump(props, f)
    with pytest.raises(TubeFormatError, match=r"key 'nowhere,0001': video "
                       r"'nowhere' is not in"):
        DATASETS.build(dict(cfg, split=2, subset='test',
                            proposal_file=str(tmp_path / 'p.pkl')))


def sampling(pos_labels, num_neg, num_classes=5):
    labels = torch.zeros(len(pos_labels), num_classes)
    labels[torch.arange(len(pos_labels)), torch.tensor(pos_labels,
                                                       dtype=torch.long)] = 1
    return SimpleNamespace(pos_priors=torch.zeros(len(pos_labels), 4),
                           neg_priors=torch.zeros(num_neg, 4),
                           pos_gt_labels=labels)


def test_tube_head_trains_the_background_where_mmaction2_gives_nan():
    torch.manual_seed(0)
    cfg = dict(in_channels=8, num_classes=5, multilabel=False, topk=(1, 3),
               background_class=True)
    ours = MODELS.build(dict(type='BBoxHeadTube', **cfg))
    theirs = MODELS.build(dict(type='mmdet.BBoxHeadAVA', **cfg))
    train_cfg = SimpleNamespace(pos_weight=1.0)
    scores = torch.randn(5, 5)
    batch = [sampling([2, 4], 1), sampling([], 2)]
    loss = ours.loss_and_target(scores, None, batch, train_cfg)['loss_bbox']
    want = torch.nn.functional.cross_entropy(scores,
                                             torch.tensor([2, 4, 0, 0, 0]))
    torch.testing.assert_close(loss['loss_action_cls'], want)
    # a batch of keyframes where nobody acts: mmaction2's mean of nothing
    idle = [sampling([], 3)]
    assert torch.isnan(theirs.loss_and_target(
        scores[:3], None, idle, train_cfg)['loss_bbox']['loss_action_cls'])
    assert torch.isfinite(ours.loss_and_target(
        scores[:3], None, idle, train_cfg)['loss_bbox']['loss_action_cls'])
    with pytest.raises(ValueError, match='multilabel must be False'):
        MODELS.build(dict(type='BBoxHeadTube', **dict(cfg, multilabel=True)))


def test_split_option_moves_every_split_key():
    from videomae_det.engine.runner_setup import load_config
    cfg = load_config(str(ROOT / 'configs/tubes_toy_vit-tiny.py'),
                      {'split': 1}, 'none', None)
    assert [cfg[f'{s}_dataloader'].dataset.split for s in
            ('train', 'val', 'test')] == [1, 1, 1]
    assert cfg.val_evaluator.split == cfg.test_evaluator.split == 1


def test_toy_tubes_on_two_splits_end_to_end(toy_tubes_root, tmp_path):
    """tools/tube_splits.sh on the toy set, one short epoch per split:
    train, test (TubeMAP's frame- and video-mAP, frame detections
    written), eval_tubes with linking, the mean over the splits; a second
    call finds both splits done."""
    import json
    work = tmp_path / 'work'
    args = [str(ROOT / 'tools/tube_splits.sh'),
            str(ROOT / 'configs/tubes_toy_vit-tiny.py'), str(work), '0 1',
            'train_cfg.max_epochs=1',
            'train_dataloader.dataset.keyframe_stride=6']
    env = dict(os.environ, PYTHON=sys.executable)
    out = subprocess.run(args, cwd=toy_tubes_root, env=env, text=True,
                         capture_output=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'ucf-jhmdb (all frames): frame_mAP' in out.stderr + out.stdout
    runs = [json.load(open(work / f'split{s}' / 'map.json')) for s in (0, 1)]
    mean = 100 * (runs[0]['frame_mAP'] + runs[1]['frame_mAP']) / 2
    assert f'frame_mAP: mean {mean:.2f} over splits' in out.stdout
    assert 'video_mAP@0.5: mean' in out.stdout
    rows = pickle.load(open(work / 'split1' / 'frame_dets.pkl', 'rb'))
    assert rows.shape[1] == 8 and len(rows)
    again = subprocess.run(args, cwd=toy_tubes_root, env=env, text=True,
                           capture_output=True, timeout=600)
    assert 'split 0: done' in again.stdout and 'split 1: done' in \
        again.stdout


TUBE_CONFIGS = [f'{d}_vit{s}.py' for d in ('ucf24', 'jhmdb', 'multisports')
                for s in 'bl']


@pytest.mark.parametrize('name', TUBE_CONFIGS)
def test_tube_configs_build_and_train_one_step(name):
    """Each benchmark config: its data and metric settings, and one training
    step at a reduced input (ViT-L at two of its blocks)."""
    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    from mmengine.structures import InstanceData
    cfg = Config.fromfile(str(ROOT / 'configs' / name))
    classes = dict(ucf24=25, jhmdb=22, multisports=67)[name.split('_')[0]]
    protocol = 'multisports' if 'multisports' in name else 'ucf-jhmdb'
    assert cfg.train_dataloader.dataset.type == 'TubeDataset'
    assert cfg.test_evaluator.type == 'TubeMAP'
    assert cfg.test_evaluator.protocol == protocol
    assert cfg.test_evaluator.ann_file == \
        cfg.train_dataloader.dataset.ann_file
    assert cfg.model.roi_head.bbox_head.num_classes == classes
    if 'vitl' in name:
        cfg.model.backbone.arch = dict(embed_dims=1024, num_layers=2,
                                       num_heads=16)
    model = MODELS.build(cfg.model)
    assert model.roi_head.bbox_head.fc_cls.in_features == \
        model.backbone.embed_dims
    sample = ActionDataSample()
    sample.set_metainfo(dict(img_shape=(64, 64)))
    sample.proposals = InstanceData(bboxes=torch.tensor(
        [[4., 4., 40., 60.], [20., 10., 60., 50.]]))
    labels = torch.zeros(1, classes)
    labels[0, 3] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[5., 5., 40., 58.]]), labels=labels)
    x = torch.randint(0, 255, (3, 4, 64, 64), dtype=torch.uint8)
    model.train()
    data = model.data_preprocessor(dict(inputs=[x], data_samples=[sample]),
                                   True)
    losses = model(**data, mode='loss')
    losses['loss_action_cls'].backward()
    assert model.backbone.blocks[-1].mlp.fc2.weight.grad is not None
