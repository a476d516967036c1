"""AVA-Kinetics: the Kinetics part read straight from clips named by the
seconds they were cut from, timed in the original video's seconds; and AVA
plus that part scored as one frame-mAP."""
import csv
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config

import videomae_det  # noqa: F401

# isort: split
from mmaction.registry import DATASETS, METRICS
from mmaction.utils import register_all_modules

from conftest import ROOT
from videomae_det.evaluation.ava import AVAFormatError

register_all_modules()
START = 120  # the toy clip's start in its "YouTube video", seconds


@pytest.fixture(scope='module')
def kinetics(toy_ava_root, tmp_path_factory):
    """The toy set's validation video as a Kinetics clip of video 'yt-Id_x'
    cut at 120-130 s, its annotation as Kinetics rows (7 columns, seconds
    of the original video)."""
    root = tmp_path_factory.mktemp('kinetics')
    toy = toy_ava_root / 'data' / 'toy_ava'
    rows = list(csv.reader(open(toy / 'annotations' / 'toy_val.csv')))
    video = rows[0][0]
    (root / 'clips' / 'class7').mkdir(parents=True)
    shutil.copy(toy / 'videos' / f'{video}.mp4', root / 'clips' / 'class7' /
                f'yt-Id_x_{START:06d}_{START + 10:06d}.mp4')
    with open(root / 'kinetics_val.csv', 'w', newline='') as f:
        csv.writer(f).writerows(
            ['yt-Id_x', int(r[1]) - 900 + START, *r[2:7]] for r in rows
            if r[0] == video)
    return dict(root=root, toy=toy, video=video)


def build(kinetics, pipeline=(), **kw):
    anno = kinetics['toy'] / 'annotations'
    cfg = dict(type='KineticsAVADataset',
               ann_file=str(kinetics['root'] / 'kinetics_val.csv'),
               label_file=str(anno / 'toy_action_list.pbtxt'),
               data_prefix=dict(img=str(kinetics['root'] / 'clips')),
               num_classes=6, pipeline=list(pipeline), test_mode=True)
    cfg.update(kw)
    return DATASETS.build(cfg)


def test_kinetics_clips_decode_the_frames_of_the_same_moment(kinetics):
    """The Kinetics route (clip found by name, original-video seconds)
    gives the very frames and boxes the AVA video route gives for the same
    video at the same moments."""
    sample = [dict(type='SampleAVAFrames', clip_len=8, frame_interval=2,
                   test_mode=True), dict(type='AVAVideoDecode')]
    ours = build(kinetics, sample)
    anno = kinetics['toy'] / 'annotations'
    ava = DATASETS.build(dict(
        type='CheckedAVADataset', ann_file=str(anno / 'toy_val.csv'),
        label_file=str(anno / 'toy_action_list.pbtxt'), num_classes=6,
        data_prefix=dict(img=str(kinetics['toy'] / 'videos')),
        timestamp_start=900, timestamp_end=910, pipeline=sample,
        test_mode=True))
    ava = {ava.get_data_info(i)['timestamp']: ava[i] for i in range(len(ava))
           if ava.get_data_info(i)['video_id'] == kinetics['video']}
    assert len(ours) == len(ava) == 7
    for i in range(len(ours)):
        mine = ours[i]
        assert mine['video_id'] == 'yt-Id_x'
        theirs = ava[mine['timestamp'] - START + 900]
        np.testing.assert_array_equal(np.stack(mine['imgs']),
                                      np.stack(theirs['imgs']))
        np.testing.assert_allclose(mine['gt_bboxes'], theirs['gt_bboxes'])
        np.testing.assert_array_equal(mine['gt_labels'], theirs['gt_labels'])


def test_a_keyframe_without_its_clip_is_named(kinetics, tmp_path):
    ann = tmp_path / 'k.csv'
    text = (kinetics['root'] / 'kinetics_val.csv').read_text()
    ann.write_text(text + 'yt-Id_x,140,0.1,0.1,0.5,0.9,1\n')
    with pytest.raises(AVAFormatError, match=r"k.csv:\d+: no clip of 'yt-Id_x'"
                       r' .* holds its second 140 .*found: 120-130 s'):
        build(kinetics, ann_file=str(ann))
    kept = build(kinetics, ann_file=str(ann), missing_clips='skip')
    assert len(kept) == 7


def test_mmaction2_proposal_keys_are_read(kinetics, tmp_path):
    boxes = np.array([[0.1, 0.1, 0.4, 0.9, 0.95], [0.5, 0.2, 0.6, 0.3, 0.5]],
                     np.float32)
    import pickle
    with open(tmp_path / 'p.pkl', 'wb') as f:  # a re-cut clip's name
        pickle.dump({f'yt-Id_x_000121_000129,{t:04d}': boxes
                     for t in range(122, 129)}, f)
    ds = build(kinetics, proposal_file=str(tmp_path / 'p.pkl'),
               person_det_score_thr=0.7)
    np.testing.assert_allclose(ds.get_data_info(0)['proposals'], boxes[:1, :4])


def perfect(dataset):
    """Predictions that are the ground truth, score 1, as the RoI head
    gives them (normalised boxes, a column per class)."""
    out = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        scores = torch.tensor(info['gt_labels'], dtype=torch.float32)
        out.append(dict(video_id=info['video_id'],
                        timestamp=info['timestamp'],
                        pred_instances=dict(bboxes=torch.tensor(
                            info['gt_bboxes']), scores=scores)))
    return out


def test_ava_kinetics_val_is_one_frame_map_with_each_parts(kinetics,
                                                           tmp_path):
    anno = kinetics['toy'] / 'annotations'
    ava_csv = str(anno / 'toy_val.csv')
    kin_csv = str(kinetics['root'] / 'kinetics_val.csv')
    ava = DATASETS.build(dict(
        type='CheckedAVADataset', ann_file=ava_csv, num_classes=6,
        label_file=str(anno / 'toy_action_list.pbtxt'),
        data_prefix=dict(img=str(kinetics['toy'] / 'rawframes')),
        timestamp_start=900, timestamp_end=910, pipeline=[], test_mode=True))
    metric = METRICS.build(dict(type='AVAFrameMAP', ann_file=[ava_csv,
                                                              kin_csv],
                                label_file=str(anno /
                                               'toy_action_list.pbtxt'),
                                num_classes=6))
    # AVA perfect, the Kinetics part's every box on the wrong class
    wrong = perfect(build(kinetics))
    for w in wrong:
        w['pred_instances']['scores'] = w['pred_instances']['scores'].roll(
            1, 1)
    metric.process(None, perfect(ava) + wrong)
    res = metric.compute_metrics(metric.results)
    assert res['toy_val'] == 1.0 and res['kinetics_val'] < 0.5
    # overall: the official rules on the two files as one
    merged = tmp_path / 'merged.csv'
    merged.write_text(open(ava_csv).read() + open(kin_csv).read())
    one = METRICS.build(dict(type='AVAFrameMAP', ann_file=str(merged),
                             label_file=str(anno / 'toy_action_list.pbtxt'),
                             num_classes=6))
    one.process(None, perfect(ava) + wrong)
    assert res['overall'] == one.compute_metrics(one.results)['overall']
    assert 0 < res['overall'] < 1


def test_ava_kinetics_configs_build_and_train_one_step():
    from mmaction.registry import MODELS
    from test_detection_configs import one_sample
    for name in ('ava-kinetics_vitb.py', 'ava-kinetics_vitl.py'):
        cfg = Config.fromfile(str(ROOT / 'configs' / name))
        parts = cfg.train_dataloader.dataset.datasets
        assert [p.type for p in parts] == ['CheckedAVADataset',
                                           'KineticsAVADataset']
        assert cfg.val_evaluator.ann_file == [
            cfg.val_dataloader.dataset.datasets[0].ann_file,
            cfg.val_dataloader.dataset.datasets[1].ann_file]
        if 'vitl' in name:
            cfg.model.backbone.arch = dict(embed_dims=1024, num_layers=2,
                                           num_heads=16)
        model = MODELS.build(cfg.model)
        model.train()
        data = model.data_preprocessor(one_sample(), True)
        model(**data, mode='loss')['loss_action_cls'].backward()
