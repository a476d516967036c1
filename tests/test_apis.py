"""The video inference API and tools/demo_video.py: one decode per frame,
the test pipeline's inputs, person boxes from three sources, tracks, the
outputs, bad inputs."""
import json
import pickle

import numpy as np
import pytest
import torch

import videomae_det  # noqa: F401
from conftest import ROOT, run_python
from videomae_det.apis import (
    AVADetInferencer,
    BoxesError,
    BoxesFile,
    FrameStream,
    HOGPeople,
    KeyframeClips,
    VideoError,
)
from videomae_det_core.errors import InputError

CONFIG = str(ROOT / 'configs' / 'ava_toy_vit-tiny_video.py')


def pipeline(scaled: bool = False):
    """The toy video config's test pipeline; ``scaled``: its Resize
    folded into the decode step (``AVAVideoDecode(scale=...)``)."""
    from mmengine.config import Config
    steps = Config.fromfile(CONFIG).test_dataloader.dataset.pipeline
    if scaled:
        resize = steps.pop(2)
        steps[1] = dict(steps[1], scale=resize['scale'])
    return steps


@pytest.mark.parametrize('scaled', [False, True])
def test_each_frame_is_decoded_once_and_clips_equal_seeking(clips, scaled):
    """On a real clip: the streaming clips (each frame decoded once,
    resized once) equal the test pipeline's per-clip seek and resize, and
    with a decode step converting at the pipeline's size, its frames."""
    from mmaction.registry import TRANSFORMS
    from mmengine.dataset import Compose
    video = clips['bikes']
    stream = FrameStream(video)
    keyframes = KeyframeClips(pipeline(scaled))
    boxes = np.array([[0.1, 0.2, 0.4, 0.9, 1.0], [0.5, 0.1, 0.8, 0.8, 1.0]])
    per_clip = Compose([TRANSFORMS.build(t) for t in pipeline(scaled)])
    n = 0
    for key, frame, pack in keyframes(stream):
        ours = pack(boxes)
        ref = per_clip(dict(
            frame_dir=video[:-4], fps=30, timestamp=int(key.second),
            timestamp_start=0, start_index=1,
            shot_info=(0, int(round(stream.num_frames / stream.fps * 30))),
            proposals=boxes[:, :4], gt_bboxes=np.zeros((0, 4)),
            gt_labels=np.zeros((0, 0))))
        assert torch.equal(ours['inputs'], ref['inputs']), key.second
        torch.testing.assert_close(ours['data_samples'].proposals.bboxes,
                                   ref['data_samples'].proposals.bboxes)
        assert frame.shape == (272, 640, 3)
        n += 1
    assert n == 10  # 10 s, one keyframe per second
    assert stream.decoded == stream.num_frames == 250


def test_memory_stays_flat_on_a_long_video(tmp_path, clips):
    """A real clip looped to 2 minutes holds no more frames at once than
    the clip itself, and peaks at about the same memory."""
    import cv2
    import decord
    reader = decord.VideoReader(clips['carphone_pristine'])
    frames = reader.get_batch(range(len(reader))).asnumpy()
    long = tmp_path / 'long.mp4'
    writer = cv2.VideoWriter(str(long), cv2.VideoWriter_fourcc(*'mp4v'),
                             30, frames.shape[2:0:-1])
    for _ in range(30):  # 30 x 4 s
        for f in frames:
            writer.write(f[:, :, ::-1])
    writer.release()
    peaks = {}
    code = ('import resource, sys, videomae_det\n'
            'from mmengine.config import Config\n'
            'from videomae_det.apis import FrameStream, KeyframeClips\n'
            f'p = Config.fromfile({CONFIG!r}).test_dataloader.dataset.'
            'pipeline\n'
            'clips = KeyframeClips(p)\n'
            'n = sum(1 for _ in clips(FrameStream(sys.argv[1])))\n'
            'print(n, clips.peak_buffered, resource.getrusage('
            'resource.RUSAGE_SELF).ru_maxrss)\n')
    for name, path in (('short', clips['carphone_pristine']),
                       ('long', str(long))):
        out = run_python(['-c', code, path]).stdout.split()
        peaks[name] = [int(v) for v in out[-3:]]
    assert peaks['long'][0] == 120 and peaks['short'][0] == 5  # 4.004 s
    assert peaks['long'][1] == peaks['short'][1]  # frames held at once
    assert peaks['long'][2] - peaks['short'][2] < 40_000, peaks  # KiB


def test_api_scores_equal_the_test_tool(toy_ava_root, detector, tmp_path):
    """Same video, keyframes and boxes as tools/test.py (video mode, its
    backbone compiled): the same action scores; tracks follow the toy's
    people."""
    # (tools/test.py with the backbone compiled and two loader workers,
    # each streaming a stretch of keyframes: the same scores, in order,
    # and the compilation said)
    result = run_python([str(ROOT / 'tools/test.py'), CONFIG, detector,
                         '--work-dir', str(tmp_path), '--dump',
                         str(tmp_path / 'dump.pkl'), '--compile',
                         '--cfg-options', 'test_dataloader.num_workers=2'],
                        cwd=toy_ava_root)
    assert 'compiled backbone: first iteration (compilation and warm-up)' \
        in result.stdout + result.stderr
    dump = pickle.loads((tmp_path / 'dump.pkl').read_bytes())
    times = [s['timestamp'] for s in dump]
    assert times == sorted(times)
    anno = toy_ava_root / 'data/toy_ava/annotations'
    video = dump[0]['video_id']
    people = BoxesFile(str(anno / 'toy_dense_proposals_val.pkl'), video,
                       thr=0.9, start=900)
    api = AVADetInferencer(CONFIG, detector, people=people,
                           labels=str(anno / 'toy_action_list.pbtxt'))
    results = {r['second']: r for r in api.iter_video(
        str(toy_ava_root / f'data/toy_ava/videos/{video}.mp4'))}
    assert api.last_stream.decoded == api.last_stream.num_frames
    for sample in dump:
        ours = np.array([p['scores'] for p in
                         results[sample['timestamp'] - 900]['people']])
        theirs = sample['pred_instances']['scores'][:, 1:].numpy()
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    assert len(dump) >= 5  # 7 keyframes, less the excluded one(s)
    # the CLI on the same video and boxes lists the same scores
    run_python([str(ROOT / 'tools/demo_video.py'),
                f'data/toy_ava/videos/{video}.mp4', CONFIG, detector,
                '--boxes', str(anno / 'toy_dense_proposals_val.pkl'),
                '--boxes-start', '900', '--det-thr', '0.9', '--thr', '0',
                '--topk', '5', '--out-json', str(tmp_path / 'cli.json'),
                '--no-track'], cwd=toy_ava_root)
    for keyframe in json.loads((tmp_path / 'cli.json').read_text()):
        for person, ours in zip(keyframe['people'],
                                results[keyframe['second']]['people']):
            assert person['box'] == ours['box']
            listed = dict(person['actions'])
            for name, score in zip(api.class_names, ours['scores']):
                assert listed[name] == pytest.approx(float(score), abs=1e-6)


@pytest.fixture(scope='module')
def labels(toy_ava_root):
    return str(toy_ava_root / 'data/toy_ava/annotations/'
               'toy_action_list.pbtxt')


def test_boxes_from_an_mmdet_detector_flow_through_scoring(
        tmp_path, detector, clips, labels):
    """An mmdet RetinaNet (random weights, threshold 0): its person boxes
    are scored; without its checkpoint it is an error, not an empty run."""
    import importlib.util
    import os.path as osp

    from mmdet.apis import init_detector
    from mmengine.config import Config
    root = osp.dirname(importlib.util.find_spec('mmdet').origin)
    det_cfg = Config.fromfile(osp.join(
        root, '.mim/configs/retinanet/retinanet_r18_fpn_1x_coco.py'))
    det_cfg.model.backbone.init_cfg = None
    det_cfg.test_dataloader.dataset.pipeline[1].scale = (160, 96)
    det_cfg.model.test_cfg.update(score_thr=0.0, max_per_img=300)
    det_cfg.dump(str(tmp_path / 'retina.py'))
    torch.manual_seed(0)
    model = init_detector(str(tmp_path / 'retina.py'), None, device='cpu')
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'retina.pth')
    from videomae_det.apis import MMDetPeople
    people = MMDetPeople(str(tmp_path / 'retina.py'),
                         str(tmp_path / 'retina.pth'), thr=0.0)
    api = AVADetInferencer(CONFIG, detector, people=people, thr=0.0,
                           labels=labels)
    results = list(api.iter_video(clips['carphone_pristine']))
    boxes = [p for r in results for p in r['people']]
    assert len(results) == 5 and boxes
    assert all(0 <= v <= 1 for p in boxes for v in p['box'])
    assert all(len(p['scores']) == 5 and p['actions'] for p in boxes)
    with pytest.raises(InputError,
                       match='needs --det-checkpoint'):
        MMDetPeople(str(tmp_path / 'retina.py'), None)


def test_hog_boxes_on_a_real_clip(clips):
    import decord
    frame = decord.VideoReader(clips['bikes'])[70].asnumpy()
    # boxes on a taxi's blurred lights: HOG's false people (nobody is in
    # the frame: tests/data/people_frames.csv, frame 72)
    boxes = HOGPeople()(frame)
    assert boxes.shape[1] == 5 and len(boxes) >= 2
    assert (boxes[:, :4] >= 0).all() and (boxes[:, :4] <= 1).all()
    assert (boxes[:, 2] > boxes[:, 0]).all()


@pytest.mark.parametrize('text,message', [
    ('0,0.1,0.1,0.5,0.5\n1.5,0.1,0.1,0.5,0.5\n', 'csv:2: second .1.5. is '
     'not a whole number'),
    ('0,10,20,200,220\n', 'csv:1: box .* is outside \\[0, 1\\]: boxes are '
     'normalised'),
    ('0,0.5,0.1,0.2,0.5\n', 'csv:1: box .* x2 < x1'),
    ('0,0.1\n', 'csv:1: expected second,x1,y1,x2,y2'),
])
def test_bad_boxes_files_are_named(tmp_path, text, message):
    path = tmp_path / 'boxes.csv'
    path.write_text(text)
    with pytest.raises(BoxesError, match=message):
        BoxesFile(str(path))


def test_boxes_past_the_end_and_bad_videos(tmp_path, clips):
    path = tmp_path / 'boxes.csv'
    path.write_text('0,0.1,0.1,0.5,0.5\n12,0.1,0.1,0.5,0.5\n')
    with pytest.raises(BoxesError, match=r'seconds \[12\] but the video '
                       r'lasts 10.00 s'):
        BoxesFile(str(path)).check_duration(10.0)
    (tmp_path / 'text.mp4').write_text('not a video')
    with pytest.raises(VideoError, match='text.mp4: not a readable video'):
        FrameStream(str(tmp_path / 'text.mp4'))
    (tmp_path / 'empty.mp4').write_bytes(b'')
    with pytest.raises(VideoError, match='empty.mp4'):
        FrameStream(str(tmp_path / 'empty.mp4'))


def demo(video, detector, *extra, cwd, check=True):
    labels = ROOT / 'tests' / 'helpers' / 'toy_action_list.pbtxt'
    return run_python([str(ROOT / 'tools/demo_video.py'), str(video), CONFIG,
                       detector, '--labels', str(labels), *extra], cwd=cwd,
                      check=check)


def test_demo_writes_every_output_by_default(tmp_path, detector, clips):
    """No --out-* option: video, JSON, CSV and timeline go to a default
    folder, said at the end; HOG finds the people."""
    import decord
    result = demo(clips['bikes'], detector, '--thr', '0', cwd=tmp_path)
    out = tmp_path / 'work_dirs/demo_video/bikes'
    for name in ('annotated.mp4', 'actions.json', 'actions.csv',
                 'timeline.png'):
        assert (out / name).is_file(), name
        assert f'work_dirs/demo_video/bikes/{name}' in result.stdout
    assert 'ERROR' not in result.stderr
    assert len(decord.VideoReader(str(out / 'annotated.mp4'))) == 250
    people = json.loads((out / 'actions.json').read_text())
    assert len(people) == 10 and any(r['people'] for r in people)
    rows = (out / 'actions.csv').read_text().splitlines()
    assert rows[0] == 'second,track,x1,y1,x2,y2,action,score'
    assert len(rows) - 1 == sum(len(p['actions']) for r in people
                                for p in r['people'])
    assert '250/250 frames' in result.stdout
    # the progress ends with every keyframe, as the summary; the encoder
    # search says nothing when one encoder works
    last = [line for line in result.stdout.splitlines() if 'frames/s' in
            line][-1]
    assert last.endswith('10 keyframes') and '10 keyframes,' in result.stdout
    assert 'v4l2' not in result.stderr and 'avc1' not in result.stderr


def test_timeline_spans_the_video_and_says_when_nobody_was_found(
        tmp_path, monkeypatch):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from videomae_det.apis.outputs import plot_timeline
    figures = []
    monkeypatch.setattr(plt, 'close', figures.append)
    person = dict(track=1, actions=[['wave arm', 0.9]])
    plot_timeline([dict(second=s, people=[person]) for s in (6.0, 7.0)],
                  str(tmp_path / 'a.png'), 0.5, duration=7.2)
    plot_timeline([], str(tmp_path / 'b.png'), 0.5, duration=7.2)
    bars, empty = (f.axes[0] for f in figures)
    assert bars.get_xlim() == empty.get_xlim() == (0, 7.2)
    ends = [c.get_datalim(bars.transData).x1 for c in bars.collections]
    assert ends and max(ends) <= 7.2 + 1e-9  # no bar past the end
    assert [t.get_text() for t in empty.texts] == ['no people found']
    assert empty.get_legend() is None


def test_demo_bad_inputs_exit_1_naming_the_file(tmp_path, detector, clips):
    (tmp_path / 'text.mp4').write_text('not a video')
    result = demo(tmp_path / 'text.mp4', detector, cwd=tmp_path, check=False)
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert 'text.mp4: not a readable video' in result.stderr
    # (boxes past the end, --det-config without --det-checkpoint: the
    # same one-line path, their errors tested on the API above)
    # nobody: a valid, empty result and a line saying so
    (tmp_path / 'none.csv').write_text('')
    # a label map that lacks one of the head's classes: a warning, the
    # class left out of the listed actions
    full = (ROOT / 'tests/helpers/toy_action_list.pbtxt').read_text()
    (tmp_path / 'four.pbtxt').write_text(''.join(
        'item {' + item for item in full.split('item {')[1:5]))
    result = demo(clips['bikes'], detector, '--boxes', 'none.csv',
                  '--out-json', 'none.json', '--labels', 'four.pbtxt',
                  cwd=tmp_path)
    assert 'no people found' in result.stdout
    assert "four.pbtxt names 4 of the head's 5 classes: ids [5] are not " \
        'listed' in result.stdout + result.stderr
    assert all(not r['people'] for r in
               json.loads((tmp_path / 'none.json').read_text()))
    # a label map of another model (an id past the head's): an error
    (tmp_path / 'six.pbtxt').write_text(full + 'item {\n  name: "wave"\n'
                                        '  id: 9\n}\n')
    result = demo(clips['bikes'], detector, '--boxes', 'none.csv',
                  '--labels', 'six.pbtxt', cwd=tmp_path, check=False)
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert 'six.pbtxt names ids [9] but the head has 5 classes' in \
        result.stderr


def test_truncated_video_scores_what_was_decoded(tmp_path, detector,
                                                 clips):
    """The second half of a real clip's stream is lost (zeroed; the index
    is intact): the keyframes before the break are scored, none after it,
    and the run says where decoding stopped."""
    data = bytearray(open(clips['bikes'], 'rb').read())
    end = data.find(b'moov') - 4
    data[len(data) // 2:end] = bytes(end - len(data) // 2)
    (tmp_path / 'cut.mp4').write_bytes(bytes(data))
    (tmp_path / 'b.csv').write_text(''.join(f'{s},0.1,0.1,0.5,0.9\n'
                                            for s in range(10)))
    result = demo(tmp_path / 'cut.mp4', detector, '--out-json', 'cut.json',
                  '--boxes', 'b.csv', cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    import re
    stop = re.search(r'decoding stopped at frame (\d+) of 250', result.stderr)
    # where decord's threaded decoder gives up varies (57 to 120 seen)
    assert stop and 0 < int(stop[1]) <= 125, result.stderr[-2000:]
    scored = json.loads((tmp_path / 'cut.json').read_text())
    # the keyframes whose clips (1/2 s either side) were decoded, no more
    assert [r['second'] for r in scored] == list(range(len(scored)))
    assert len(scored) <= int(stop[1]) / 25 + 1
    assert all(len(r['people']) == 1 for r in scored)


def test_pyav_frames_of_a_truncated_video_stop_where_decoding_does(
        tmp_path, clips):
    """FrameStream.frames(yuv=True) (scaled decode steps) on a stream
    whose second half is lost: consecutive indices, then a stop, said."""
    data = bytearray(open(clips['bikes'], 'rb').read())
    end = data.find(b'moov') - 4
    data[len(data) // 2:end] = bytes(end - len(data) // 2)
    (tmp_path / 'cut.mp4').write_bytes(bytes(data))
    stream = FrameStream(str(tmp_path / 'cut.mp4'))
    indices = [i for i, _ in stream.frames(yuv=True)]
    assert indices == list(range(len(indices)))
    assert 0 < stream.stopped_at == len(indices) <= 125
    whole = FrameStream(clips['bikes'])
    assert [i for i, _ in whole.frames(yuv=True)] == list(range(250))
    assert whole.stopped_at is None


def test_box_and_track_metrics_by_hand():
    from videomae_det.evaluation.tracks import box_and_track_metrics
    a, b = [0, 0, .4, .4], [.5, .5, .9, .9]
    gt = (np.array([a, b]), np.array([7, 8]))
    frames = [(*gt, np.array([a, b]), np.array([0, 1])),
              (*gt, np.array([a, b]), np.array([0, 1])),
              (*gt, np.array([a, b, [.1, .6, .2, .7]]), np.array([0, 2, 3])),
              (*gt, np.array([a]), np.array([0]))]
    m = box_and_track_metrics([frames])
    assert m['recall'] == 7 / 8 and m['precision'] == 7 / 8
    assert m['id_switches'] == 1  # person 8: track 1, then 2
    # identities: 7 <-> 0 (4 frames), 8 <-> 1 (2 frames): IDTP 6
    assert m['idf1'] == pytest.approx(2 * 6 / (8 + 8))


def test_people_and_tracks_measured_on_the_toy_set(toy_ava_root):
    result = run_python([str(ROOT / 'tools/analysis/eval_people.py'),
                         str(toy_ava_root / 'data/toy_ava')])
    rows = {line.split()[0]: line.split()[1:] for line in
            result.stdout.splitlines()[1:]}
    assert float(rows['proposals'][0]) == 1.0  # recall of the toy proposals
    assert float(rows['proposals'][2]) > 0.5  # IDF1
    assert set(rows) == {'proposals', 'hog'}


def test_an_interrupted_run_leaves_complete_files(tmp_path, detector,
                                                  clips):
    """Killed mid-video: the CSV holds whole rows for the keyframes done,
    the JSON (rewritten atomically) parses, and there is no half-written
    annotated video under its final name."""
    import csv

    import cv2
    import decord

    from conftest import kill_when
    reader = decord.VideoReader(clips['carphone_pristine'])
    frames = reader.get_batch(range(len(reader))).asnumpy()
    long = tmp_path / 'long.mp4'
    writer = cv2.VideoWriter(str(long), cv2.VideoWriter_fourcc(*'mp4v'), 30,
                             frames.shape[2:0:-1])
    for _ in range(15):  # 1 minute
        for f in frames:
            writer.write(f[:, :, ::-1])
    writer.release()
    (tmp_path / 'b.csv').write_text(''.join(f'{s},0.1,0.1,0.5,0.9\n'
                                            for s in range(60)))
    labels = ROOT / 'tests' / 'helpers' / 'toy_action_list.pbtxt'
    kill_when([str(ROOT / 'tools/demo_video.py'), str(long), CONFIG,
               detector, '--labels', str(labels), '--boxes', 'b.csv',
               '--thr', '0', '--out-dir', 'out'], '720/1800 frames',
              cwd=tmp_path)
    out = tmp_path / 'out'
    rows = list(csv.reader(open(out / 'actions.csv')))
    assert rows[0][0] == 'second' and len(rows) > 1
    assert all(len(r) == 8 for r in rows)
    seconds = sorted({float(r[0]) for r in rows[1:]})
    assert seconds == list(range(len(seconds))) and len(seconds) < 60
    if (out / 'actions.json').exists():
        done = json.loads((out / 'actions.json').read_text())
        assert [r['second'] for r in done] == list(range(len(done)))
    assert not (out / 'annotated.mp4').exists()
