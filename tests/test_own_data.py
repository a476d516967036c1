"""A user's own AVA-format data: 25 fps videos of 2.6-8 s at two sizes (one
name with a space), action ids 3/7/12/20 in their own label map,
timestamps from 1 s. The clips are the right frames on both routes, and
each trap that used to pass silently (or end in a traceback) is a named
error."""
import pickle
import re

import cv2
import numpy as np
import pytest

import videomae_det  # noqa: F401  registers ours, compat fixes
from conftest import ROOT, run_python
from videomae_det_core.ava.io import image_key
from videomae_det_core.errors import InputError

FPS = 25  # the dataset's rate (frames extracted at it)
VIDEOS = {'walk 1': (2.6, (160, 120), 25), 'b': (6.0, (192, 108), 25),
          'c': (8.0, (160, 120), 25), 'd': (4.0, (192, 108), 25),
          'e': (5.0, (160, 120), 30)}  # name: seconds, size, own fps
IDS = (3, 7, 12, 20)
CLIP = dict(clip_len=16, frame_interval=4)  # the AVA configs'


def frame_image(i: int, size) -> np.ndarray:
    """Frame ``i``: flat colours that name it (and a bar that moves)."""
    w, h = size
    img = np.full((h, w, 3), (i % 50 * 5, i // 50 * 60, 128), np.uint8)
    img[:, (i * 3) % w:(i * 3) % w + 6] = 255
    return img


@pytest.fixture(scope='module')
def own(tmp_path_factory):
    """videos/, frames/ (extract_frames.py at 25 fps), annotations."""
    root = tmp_path_factory.mktemp('own')
    (root / 'videos').mkdir()
    rng = np.random.default_rng(0)
    rows, proposals = [], {}
    for video, (seconds, size, fps) in VIDEOS.items():
        out = cv2.VideoWriter(str(root / 'videos' / f'{video}.mp4'),
                              cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
        for i in range(round(seconds * fps)):
            out.write(frame_image(i, size))
        out.release()
        for t in range(1, int(seconds - 0.5) + 1):
            box = np.round(np.sort(rng.uniform(0.05, 0.95, 4).reshape(2, 2),
                                   0).T.reshape(-1)[[0, 2, 1, 3]], 3)
            rows.append(f'{video},{t},{",".join(map(str, box))},'
                        f'{IDS[t % 4]},0')
            proposals[image_key(video, t)] = np.array([[*box, 0.99]])
    anno = root / 'annotations'
    anno.mkdir()
    (anno / 'train.csv').write_text('\n'.join(rows) + '\n')
    (anno / 'labels.pbtxt').write_text(''.join(
        f'item {{\n  name: "action {i}"\n  id: {i}\n}}\n' for i in IDS))
    with open(anno / 'proposals.pkl', 'wb') as f:
        pickle.dump(proposals, f)
    run_python([str(ROOT / 'tools/data/ava/extract_frames.py'),
                str(root / 'videos'), str(root / 'frames'), '--fps', '25'])
    return root


def build(own, route='frames', pipeline=True, **kw):
    from mmaction.registry import DATASETS
    from mmaction.utils import register_all_modules
    register_all_modules()
    decode = dict(type='RawFrameDecode') if route == 'frames' else dict(
        type='AVAVideoDecode')
    cfg = dict(type='CheckedAVADataset',
               ann_file=str(own / 'annotations/train.csv'),
               label_file=str(own / 'annotations/labels.pbtxt'),
               proposal_file=str(own / 'annotations/proposals.pkl'),
               data_prefix=dict(img=str(own / route)),
               custom_classes=list(IDS), num_classes=5, fps=FPS,
               test_mode=True,
               pipeline=[dict(type='SampleAVAFrames', test_mode=True, **CLIP),
                         decode] if pipeline else [])
    cfg.update(kw)
    return DATASETS.build(cfg)


def opencv_frames(path):
    cap, frames = cv2.VideoCapture(str(path)), []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(frame[:, :, ::-1])  # RGB, as the pipelines give


def test_both_routes_read_the_frames_at_the_keyframes_times(own):
    """Keyframe t of a 25 fps video: the clip's frames (clamped at the
    video's own end, not a global one) equal OpenCV's decode of those
    frames, on the video and the frames route; video 'e' runs at 30 fps (its
    frames extracted at 25). mmaction2's SampleAVAFrames (whose convention
    we keep) adds ``start_index`` twice: clip frame o is at index 25 t + 1 +
    interval o (o = -clip_len/2 .. clip_len/2 - 1), that is at time
    index / 25 s."""
    datasets = {r: build(own, r) for r in ('frames', 'videos')}
    decoded = {v: opencv_frames(own / 'videos' / f'{v}.mp4')
               for v in VIDEOS}
    n = len(datasets['frames'])
    assert n == len(datasets['videos']) == sum(
        int(s - 0.5) for s, _, _ in VIDEOS.values())
    checked_end = False
    for i in range(n):
        info = datasets['frames'].get_data_info(i)
        video, t = info['video_id'], info['timestamp']
        frames = decoded[video]
        offsets = np.arange(-(CLIP['clip_len'] // 2),
                            (CLIP['clip_len'] + 1) // 2)
        index = np.clip(FPS * t + 1 + offsets * CLIP['frame_interval'], 0,
                        round(VIDEOS[video][0] * FPS) - 1)
        want = np.round(index / FPS * VIDEOS[video][2]).astype(int)
        checked_end |= bool(want.max() == len(frames) - 1)
        for route, dataset in datasets.items():
            got = np.stack(dataset.prepare_data(i)['imgs'])
            ref = np.stack([frames[k] for k in want])
            err = np.abs(got.astype(float) - ref).mean()
            assert err < (2 if route == 'frames' else 0.5), (route, video, t)
    assert checked_end  # a clip ran past a short video's end


def test_ava_times_on_own_data_is_an_error_with_the_fix(own):
    """The toy config's timestamp_start=900 inherited over timestamps from
    1 s: every clip used to be the first frame."""
    with pytest.raises(InputError, match=r'train.csv:1: keyframe 1 s of '
                       r"video 'walk 1' is -899 s into it.*set "
                       r'timestamp_start=0'):
        build(own, timestamp_start=900, timestamp_end=910)


def test_keyframe_past_the_end_names_file_line_and_length(own, tmp_path):
    ann = tmp_path / 'train.csv'
    lines = (own / 'annotations/train.csv').read_text().splitlines()
    ann.write_text('\n'.join(lines + ['b,9,0.1,0.1,0.5,0.9,3,0']) + '\n')
    with pytest.raises(InputError, match=rf"train.csv:{len(lines) + 1}: "
                       r"keyframe 9 s of video 'b' is 9 s into it, outside "
                       r'its 6.00 s \(150 frames at 25 fps\)'):
        build(own, 'videos', ann_file=str(ann))
    with pytest.raises(InputError, match='6.00 s'):  # the frames route too
        build(own, 'frames', ann_file=str(ann))
    kept = build(own, 'frames', ann_file=str(ann), outside_video='drop')
    assert len(kept) == len(lines)


def test_keyframes_without_proposals_error_or_named_policy(own, tmp_path):
    with open(own / 'annotations/proposals.pkl', 'rb') as f:
        proposals = pickle.load(f)
    del proposals[image_key('b', 2)]
    path = tmp_path / 'proposals.pkl'
    with open(path, 'wb') as f:
        pickle.dump(proposals, f)
    with pytest.raises(InputError, match=r'proposals.pkl: 1 of 21 '
                       r'keyframes of .*train.csv have no proposals: b,0002'):
        build(own, proposal_file=str(path))
    assert len(build(own, proposal_file=str(path),
                     missing_proposals='skip')) == 20
    whole = build(own, proposal_file=str(path),
                  missing_proposals='whole_frame')
    keys = [whole.get_data_info(i)['img_key'] for i in range(len(whole))]
    info = whole.get_data_info(keys.index(image_key('b', 2)))
    assert info['proposals'].tolist() == [[0, 0, 1, 1]]


def test_ground_truth_boxes_as_proposals(own):
    dataset = build(own, proposal_file=None)
    info = dataset.get_data_info(0)
    assert np.array_equal(info['proposals'], info['gt_bboxes'])


def test_frames_at_another_rate_than_the_dataset_says(own):
    with pytest.raises(InputError, match=r'frames.json: the frames were '
                       r'extracted at 25 fps but the dataset says fps=30'):
        build(own, fps=30)


def test_missing_video_is_named_before_the_first_iteration(own, tmp_path):
    import shutil
    videos = tmp_path / 'videos'
    shutil.copytree(own / 'videos', videos)
    (videos / 'c.mp4').unlink()
    (videos / 'd.mp4').write_bytes(b'not a video')
    with pytest.raises(InputError, match=r"2 of 5 videos cannot be read "
                       r".*'c' \(missing\), 'd' \(does not open"):
        build(own, 'videos', data_prefix=dict(img=str(videos)))


def test_check_annotations_writes_a_config_that_trains_and_tests(
        own, tmp_path):
    """The config tool on the user's files (GT boxes as proposals): its
    checks pass, its config (on the toy detector, to run here) trains one
    epoch from the videos and evaluates; with an extra keyframe past a
    video's end it reports that instead and writes nothing."""
    anno = own / 'annotations'
    tool = [str(ROOT / 'tools/data/ava/check_annotations.py'),
            '--ann', str(anno / 'train.csv'), '--labels',
            str(anno / 'labels.pbtxt'), '--videos', str(own / 'videos'),
            '--base', 'ava_toy_vit_tiny', '--write-config', 'mine.py']
    out = run_python(tool, cwd=tmp_path).stdout
    assert 'OK' in out and 'wrote mine.py' in out
    text = (tmp_path / 'mine.py').read_text()
    assert 'classes = [3, 7, 12, 20]' in text and 'topk=(1, 3)' in text
    assert 'fps=25,' in text and "suffix='.mp4'" in text
    result = run_python([str(ROOT / 'tools/train.py'), 'mine.py',
                         '--work-dir', 'wd', '--cfg-options',
                         'train_cfg.max_epochs=1',
                         'train_dataloader.batch_size=8'], cwd=tmp_path)
    log = result.stdout + result.stderr
    assert re.search(r'mAP/overall: [\d.]+', log)
    bad = tmp_path / 'bad.csv'
    bad.write_text((anno / 'train.csv').read_text() +
                   'walk 1,3,0.1,0.1,0.5,0.9,3,0\n')
    result = run_python([*tool[:2], str(bad), *tool[3:]], cwd=tmp_path,
                        check=False)
    assert result.returncode == 1
    assert "keyframe 3 s of video 'walk 1' is 3 s into it, outside its " \
        '2.60 s (65 frames at 25 fps)' in result.stdout


def test_start_up_errors_are_one_line(own, tmp_path):
    """topk against num_classes and a missing pre-trained checkpoint: one
    `error:` line, exit 1, no traceback."""
    anno = own / 'annotations'
    run_python([str(ROOT / 'tools/data/ava/check_annotations.py'),
                '--ann', str(anno / 'train.csv'), '--labels',
                str(anno / 'labels.pbtxt'), '--frames', str(own / 'frames'),
                '--proposals', str(anno / 'proposals.pkl'), '--base',
                'ava_toy_vit_tiny', '--write-config', 'mine.py',
                '--pretrained', 'nowhere.pth'], cwd=tmp_path)
    cases = {
        'model.roi_head.bbox_head.topk=(3, 5)': [
            '--cfg-options', 'model.roi_head.bbox_head.topk=(3,5)'],
        'model.backbone.init_cfg.checkpoint=nowhere.pth: no such file': [],
        "5 of 5 videos cannot be read under": [
            '--cfg-options', 'model.backbone.init_cfg=None',
            f'train_dataloader.dataset.data_prefix.img={tmp_path}'],
    }
    for message, options in cases.items():
        result = run_python([str(ROOT / 'tools/train.py'), 'mine.py',
                             *options], cwd=tmp_path, check=False)
        assert result.returncode == 1, result.stderr[-2000:]
        assert 'Traceback' not in result.stderr
        assert result.stderr.strip().startswith('error:')
        assert message in result.stderr
