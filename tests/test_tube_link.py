"""Linking frame detections into tubes: equal to mmaction2's
``link_tubes`` (run here) with its score bug fixed in the test, and to
MOC's ``BuildTubes`` on K=1 (the same loop with ACT's +1 IoU); hand-made
frames; the CLI's --link."""
import numpy as np
import pytest

from videomae_det_core.tubes import link_tubes


def act_iou2d(b1, b2):
    """ACT's iou2d (+1 pixels), written from its rules (test-only)."""
    b1, b2 = np.atleast_2d(b1), np.atleast_2d(b2)
    w = np.maximum(0, np.minimum(b1[:, 2] + 1, b2[:, 2] + 1) -
                   np.maximum(b1[:, 0], b2[:, 0]))
    h = np.maximum(0, np.minimum(b1[:, 3] + 1, b2[:, 3] + 1) -
                   np.maximum(b1[:, 1], b2[:, 1]))
    ov = w * h
    area1 = (b1[:, 2] - b1[:, 0] + 1) * (b1[:, 3] - b1[:, 1] + 1)
    area2 = (b2[:, 2] - b2[:, 0] + 1) * (b2[:, 3] - b2[:, 1] + 1)
    return ov / (area1 + area2 - ov)


def frames_by_row(dtype):
    """mmaction2's per-frame gathering with each row's own score (as
    written it takes the score of the array's last row), in ``dtype``."""

    def get_vid_dets(self):
        out = {}
        for row in self.frm_alldets:
            video = self.video_list[int(row[0])]
            if video not in out:
                out[video] = {f: {c: np.empty((0, 5), dtype)
                                  for c in range(len(self.labels))}
                              for f in range(1, self.nframes[video] + 1)}
            frames = out[video]
            cell = frames[int(row[1])]
            cell[int(row[2])] = np.concatenate(
                [cell[int(row[2])], np.array([[*row[4:8], row[3]]], dtype)])
        return out
    return get_vid_dets


def crowd(seed, dtype):
    """1-6 people per video drifting right, 1-4 rows each per frame
    (soft-NMS has work; some frames keep more than 10), random labels,
    tied scores, dropped frames and people, shuffled rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for iv in range(4):
        people = rng.uniform(0, 100, (rng.integers(1, 7), 2))
        for f in range(1, 80 - int(rng.integers(0, 10))):
            if rng.uniform() < 0.02:
                continue
            for x, y in people[rng.uniform(size=len(people)) > 0.03]:
                for _ in range(rng.integers(1, 5)):
                    box = np.array([x, y, x + 40, y + 80]) + rng.normal(
                        0, 4, 4) + f * 0.5
                    rows.append([iv, f, rng.integers(0, 2),
                                 round(rng.uniform(0.3, 1), 1 + seed % 2),
                                 *box])
    dets = np.array(rows, dtype)[rng.permutation(len(rows))]
    dets[:, 6:8] = np.maximum(dets[:, 6:8], dets[:, 4:6] + 1)
    videos = [f'v{i}' for i in range(4)]
    return dets, videos, {v: 80 for v in videos}


@pytest.mark.parametrize('seed', range(4))
def test_equals_mmaction2_and_moc_tube_for_tube(seed, monkeypatch):
    """Tubes, scores (value and dtype) and order equal to mmaction2's
    link_tubes under multisports (rows gathered in float64, as it does)
    and, with ACT's +1 IoU, to MOC's BuildTubes on K=1 under ucf-jhmdb
    (rows kept in their dtype, as MOC's pickles)."""
    import mmaction.evaluation.functional.multisports_utils as ms
    monkeypatch.setattr(ms, 'track', lambda x, description=None: x)
    dets, videos, nframes = crowd(seed, [np.float32, np.float64][seed % 2])
    anno = dict(test_videos=[videos], nframes=nframes, labels=['a', 'b'])
    linked = 0
    for protocol in ('multisports', 'ucf-jhmdb'):
        moc = protocol == 'ucf-jhmdb'
        monkeypatch.setattr(ms.Dataset, 'get_vid_dets', frames_by_row(
            dets.dtype if moc else np.float64))
        if moc:
            monkeypatch.setattr(ms, 'iou2d_voc', act_iou2d)
        theirs = ms.link_tubes(anno, dets, len_thre=3)
        ours = link_tubes(dets, videos, nframes, 2, protocol, min_frames=3)
        for label in (0, 1):
            assert len(ours[label]) == len(theirs[label])
            for (v, s, t), (v2, s2, t2) in zip(ours[label], theirs[label]):
                assert (v, s, s.dtype) == (v2, s2, s2.dtype)
                assert t.dtype == t2.dtype and np.array_equal(t, t2)
            linked += len(ours[label])
    assert linked > 100


def walk(x0, dx, frames, score, label=0, video=0, y=0):
    """One person: 40x100 boxes moving ``dx`` px per frame."""
    return np.array([[video, f, label, score, x0 + dx * f, y,
                      x0 + dx * f + 39, y + 99] for f in frames], float)


def test_a_person_lost_for_a_frame_splits_the_tube():
    """Frames 1-16 and 18-33 (17 missed): two tubes, the first ended at
    the empty frame; 1-10 and 12-20: both under 15 frames, dropped."""
    dets = walk(0, 2, [*range(1, 17), *range(18, 34)], 0.8)
    tubes = link_tubes(dets, ['v'], {'v': 40}, 1)[0]
    assert [t[2][[0, -1], 0].tolist() for t in tubes] == [[1, 16],
                                                          [18, 33]]
    assert [t[1] for t in tubes] == [pytest.approx(0.8)] * 2
    short = walk(0, 2, [*range(1, 11), *range(12, 21)], 0.8)
    assert link_tubes(short, ['v'], {'v': 40}, 1)[0] == []


def test_two_people_crossing_keep_their_tubes():
    """A (score .9) walks right, B (.6) left; they cross at frame 11.
    Each frame A's tube (higher mean) takes the best box within IoU .5
    of its last one, its own; B's boxes lose score by soft-NMS where they
    overlap A's over IoU .6: .6 * (1 - IoU) (+1-pixel IoU; at frame 12
    the IoU is 0.6 exactly: not over)."""
    a = walk(10, 4, range(1, 21), 0.9)
    b = walk(96, -4, range(1, 21), 0.6)
    tubes = link_tubes(np.concatenate([a, b]), ['v'], {'v': 20}, 1)[0]
    assert len(tubes) == 2
    (_, score_a, tube_a), (_, score_b, tube_b) = sorted(
        tubes, key=lambda t: -t[1])
    assert np.array_equal(tube_a[:, 1:5], a[:, 4:8].astype(np.float32))
    assert np.array_equal(tube_b[:, 1:5], b[:, 4:8].astype(np.float32))
    gap = np.abs(a[:, 4] - b[:, 4])  # same y and size: IoU from x
    iou = (40 - gap).clip(0) * 100 / (2 * 4000 - (40 - gap).clip(0) * 100)
    want = np.where(iou > 0.6, 0.6 * (1 - iou), 0.6)
    assert np.flatnonzero(iou > 0.6).tolist() == [9, 10]  # frames 10, 11
    assert iou[11] == 0.6
    assert tube_b[:, 5] == pytest.approx(want, abs=1e-7)
    assert (score_a, score_b) == (pytest.approx(0.9),
                                  pytest.approx(want.mean()))


def test_mmaction2s_tube_scores_are_the_last_rows(monkeypatch):
    """The bug we do not reproduce: mmaction2 scores every box with the
    last detection row's score, so a far-off false track ties with the
    true one, and a last row under 0.005 leaves no tube at all."""
    import mmaction.evaluation.functional.multisports_utils as ms
    monkeypatch.setattr(ms, 'track', lambda x, description=None: x)
    true = walk(0, 2, range(1, 21), 0.9)
    false = walk(200, 0, range(1, 21), 0.3)
    for last in (0.2, 0.001):
        dets = np.concatenate([true, false])
        dets[-1, 3] = last
        anno = dict(test_videos=[['v']], nframes={'v': 20}, labels=['a'])
        theirs = ms.link_tubes(anno, dets)[0]
        ours = link_tubes(dets, ['v'], {'v': 20}, 1, 'multisports')[0]
        assert sorted(t[1] for t in ours) == [
            pytest.approx((19 * 0.3 + last) / 20), pytest.approx(0.9)]
        assert [t[1] for t in theirs] == ([pytest.approx(last)] * 2
                                          if last > 0.005 else [])


def walking_case():
    """Two videos, a 20-frame tube of class a and a 27-frame one of b;
    detections on both plus a wrong-class track (float32)."""
    gttubes = {'v0': {0: [walk(0, 2, range(1, 21), 1)[:, [1, 4, 5, 6, 7]]]},
               'v1': {1: [walk(50, -1, range(3, 30), 1)[:, [1, 4, 5, 6,
                                                            7]]]}}
    gt = dict(labels=['a', 'b'], gttubes=gttubes,
              nframes={'v0': 20, 'v1': 30}, train_videos=[[]],
              test_videos=[['v0', 'v1']],
              resolution={'v0': (240, 320), 'v1': (240, 320)})
    dets = np.concatenate([walk(1, 2, range(1, 21), 0.8),
                           walk(50, -1, range(3, 30), 0.7, 1, 1),
                           walk(50, -1, range(3, 30), 0.9, 0, 1)])
    return gt, dets.astype(np.float32)


def test_cli_links_and_saves_tubes(tmp_path):
    """--link --save-tubes: the saved tubes are link_tubes' own, and the
    JSON's video-mAP the evaluator's on them."""
    import json
    import pickle

    from conftest import ROOT, run_python
    from videomae_det_core.tubes.evaluate import evaluate
    from videomae_det_core.tubes.io import read_tubes
    gt, dets = walking_case()
    with open(tmp_path / 'gt.pkl', 'wb') as f:
        pickle.dump(gt, f)
    with open(tmp_path / 'dets.pkl', 'wb') as f:
        pickle.dump(dets, f)
    run_python([str(ROOT / 'tools/eval_tubes.py'), str(tmp_path / 'gt.pkl'),
                str(tmp_path / 'dets.pkl'), '--protocol', 'ucf-jhmdb',
                '--link', '--save-tubes', str(tmp_path / 'tubes.pkl'),
                '--json', str(tmp_path / 'out.json')])
    saved = read_tubes(str(tmp_path / 'tubes.pkl'), gt['labels'])
    want = link_tubes(dets, ['v0', 'v1'], gt['nframes'], 2)
    assert {k: [(v, s) for v, s, _ in t] for k, t in saved.items()} == {
        k: [(v, s) for v, s, _ in t] for k, t in want.items()}
    out = json.loads((tmp_path / 'out.json').read_text())
    res = evaluate(gt, ['v0', 'v1'], dets, 'ucf-jhmdb', want)
    # b: its tube on v1 hits. a: the wrong-class tube on v1 (.9) is a
    # false positive before the hit on v0: points (1, 0), (0, 0), (.5, 1)
    assert out['video_mAP'] == res['video_mAP']
    assert res['video_AP']['0.5'] == {'a': 0.25, 'b': 1.0}


def test_metric_scores_model_outputs(tmp_path):
    """TubeMAP from mmaction2-style predictions (a background column,
    normalised boxes, one sample per frame) equals the evaluator on the
    same detections in pixels; a video outside the split is named."""
    import pickle

    import torch
    from mmaction.registry import METRICS
    from mmengine.structures import InstanceData

    import videomae_det  # noqa: F401  (registers the metric)
    from videomae_det_core.tubes.evaluate import evaluate
    from videomae_det_core.tubes.io import TubeFormatError
    gt, dets = walking_case()
    with open(tmp_path / 'gt.pkl', 'wb') as f:
        pickle.dump(gt, f)
    metric = METRICS.build(dict(type='TubeMAP', ann_file=str(
        tmp_path / 'gt.pkl'), protocol='multisports',
        out_dets=str(tmp_path / 'dets.pkl')))
    samples = []
    for (video, frame), rows in _by_frame(dets).items():
        scores = np.zeros((len(rows), 3), np.float32)
        scores[np.arange(len(rows)), rows[:, 2].astype(int) + 1] = rows[:, 3]
        pred = InstanceData(bboxes=torch.tensor(rows[:, 4:8] / [320, 240,
                                                                 320, 240]),
                            scores=torch.tensor(scores))
        samples.append(dict(video_id=f'v{video}.mp4', timestamp=frame,
                            pred_instances=pred))
    metric.process(None, samples)
    got = metric.evaluate(len(samples))
    with open(tmp_path / 'dets.pkl', 'rb') as f:
        mine = pickle.load(f)  # out_dets: the metric's frame detections
    want = evaluate(gt, ['v0', 'v1'], mine, 'multisports', link_tubes(
        mine, ['v0', 'v1'], gt['nframes'], 2, 'multisports'))
    assert np.abs(mine[:, 4:8] - dets[np.lexsort((dets[:, 1], dets[:, 0]))][
        :, 4:8]).max() < 1e-3
    assert got['tubes/frame_mAP'] == want['frame_mAP'] > 0.5
    assert got['tubes/video_mAP@0.5'] == want['video_mAP']['0.5'] > 0.5
    metric.process(None, samples[::-1])  # another rank and worker order
    assert metric.evaluate(len(samples)) == got
    with open(tmp_path / 'dets.pkl', 'rb') as f:
        assert np.array_equal(pickle.load(f), mine)
    with pytest.raises(TubeFormatError, match="'v9' .* not in the test"):
        metric.process(None, [dict(samples[0], video_id='v9')])


def _by_frame(dets):
    """{(video, frame): rows} in video, frame order."""
    out = {}
    for row in dets[np.lexsort((dets[:, 1], dets[:, 0]))]:
        out.setdefault((int(row[0]), int(row[1])), []).append(row)
    return {k: np.array(v) for k, v in out.items()}
