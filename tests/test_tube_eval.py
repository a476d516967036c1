"""Frame-AP by the UCF101-24 / JHMDB-21 rules (ACT-detector's frameAP):
hand-derived cases for each convention, and bit-equality with a plain
loop written from the official rules on random inputs."""
import numpy as np
import pytest

from videomae_det_core.tubes import frame_ap, iou_matrix


def official_rules(dets, gttubes, videos, labels, thr=0.5):
    """The official loop, written from its rules (test-only): per class,
    detections by np.argsort(-score), each takes the unmatched ground
    truth box of highest IoU (+1 pixels) in its frame, float32 precision
    and recall from (recall 0, precision 1), trapezoid AP."""

    def iou(gt, box):
        xmin = np.maximum(gt[:, 0], box[0])
        xmax = np.minimum(gt[:, 2] + 1, box[2] + 1)
        ymin = np.maximum(gt[:, 1], box[1])
        ymax = np.minimum(gt[:, 3] + 1, box[3] + 1)
        ov = np.maximum(0, xmax - xmin) * np.maximum(0, ymax - ymin)
        area = ((gt[:, 2] - gt[:, 0] + 1) * (gt[:, 3] - gt[:, 1] + 1))
        own = (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
        return ov / (area + own - ov)

    out = {}
    for ilabel, label in enumerate(labels):
        d = dets[dets[:, 2] == ilabel]
        gt = {}
        for iv, v in enumerate(videos):
            for tube in gttubes[v].get(ilabel, []):
                for row in tube:
                    gt.setdefault((iv, int(row[0])), []).append(
                        row[1:5].tolist())
        gt = {k: np.array(v) for k, v in gt.items()}
        pr = np.empty((len(d) + 1, 2), dtype=np.float32)
        pr[0] = 1.0, 0.0
        fn = sum(g.shape[0] for g in gt.values())
        tp = fp = 0
        for i, j in enumerate(np.argsort(-d[:, 3])):
            k = (int(d[j, 0]), int(d[j, 1]))
            positive = False
            if k in gt:
                ious = iou(gt[k], d[j, 4:8])
                best = np.argmax(ious)
                if ious[best] >= thr:
                    positive = True
                    gt[k] = np.delete(gt[k], best, 0)
                    if gt[k].size == 0:
                        del gt[k]
            tp, fp, fn = tp + positive, fp + (not positive), fn - positive
            pr[i + 1] = tp / (tp + fp), tp / (tp + fn)
        out[label] = float(np.sum((pr[1:, 1] - pr[:-1, 1]) *
                                  (pr[1:, 0] + pr[:-1, 0]) * 0.5))
    return out


def one_frame(gt_box, *boxes, scores=None):
    gttubes = {'v': {0: [np.array([[1, *gt_box]], float)]}}
    scores = scores or [0.9 - 0.1 * i for i in range(len(boxes))]
    dets = np.array([[0, 1, 0, s, *b] for s, b in zip(scores, boxes)])
    return frame_ap(dets, gttubes, ['v'], ['a'])['a']


def test_iou_counts_pixels_plus_one_at_the_boundary():
    """GT 0-9 (10 px), detection half its height: IoU exactly 0.5 with +1
    pixels (a hit); without it 36/81 (a miss)."""
    gt, det = np.array([[0., 0, 9, 9]]), np.array([[0., 0, 9, 4]])
    assert iou_matrix(gt, det, plus_one=True)[0, 0] == 0.5
    assert iou_matrix(gt, det, plus_one=False)[0, 0] == pytest.approx(
        36 / 81)
    assert one_frame([0, 0, 9, 9], [0, 0, 9, 4]) == 1.0


def test_a_ground_truth_box_matches_once():
    """Two detections on one person: the second is a false positive."""
    # pr: (1, 0), (1, 1), (0.5, 1): AP = 1
    assert one_frame([0, 0, 9, 9], [0, 0, 9, 9], [0, 0, 9, 9]) == 1.0
    # a miss first, then the hit: (1, 0), (0, 0), (.5, 1) -> .5 * .5
    assert one_frame([0, 0, 9, 9], [50, 50, 60, 60], [0, 0, 9, 9]) == 0.25


def test_trapezoid_from_recall_zero_precision_one():
    """Two GT boxes; hit, miss, hit: points (1, 0), (1, .5), (.5, .5),
    (2/3, 1) -> 0.5 + 0.5 * (0.5 + 2/3) * 0.5."""
    gttubes = {'v': {0: [np.array([[1, 0, 0, 9, 9], [2, 0, 0, 9, 9]],
                                  float)]}}
    dets = np.array([[0, 1, 0, 0.9, 0, 0, 9, 9],
                     [0, 1, 0, 0.8, 40, 40, 50, 50],
                     [0, 2, 0, 0.7, 0, 0, 9, 9]])
    ap = frame_ap(dets, gttubes, ['v'], ['a'])['a']
    assert ap == pytest.approx(0.5 + 0.5 * (0.5 + 2 / 3) * 0.5, abs=1e-7)


def test_a_class_without_ground_truth_is_zero_and_counts():
    """Detections of a class no test video has: the official code divides
    by zero; here AP 0, and every label counts in the mean."""
    gttubes = {'v': {0: [np.array([[1, 0, 0, 9, 9]], float)]}}
    dets = np.array([[0, 1, 0, 0.9, 0, 0, 9, 9],
                     [0, 1, 1, 0.8, 0, 0, 9, 9]])
    with pytest.raises(ZeroDivisionError):
        official_rules(dets, gttubes, ['v'], ['a', 'b'])
    res = frame_ap(dets, gttubes, ['v'], ['a', 'b', 'c'])
    assert (res['a'], res['b'], res['c'], res['mAP']) == (
        1.0, 0.0, 0.0, pytest.approx(1 / 3))


def test_tied_scores_report_the_range_over_their_orders():
    """One GT box; a miss and a hit tied at .5: misses first gives the
    points (1, 0), (0, 0), (.5, 1): AP .25; hits first 1. The figure
    itself is whichever numpy's argsort gives, as the official."""
    from videomae_det_core.tubes.evaluate import evaluate
    gttubes = {'v': {0: [np.array([[1, 0, 0, 9, 9]], float)]}}
    dets = np.array([[0, 1, 0, 0.5, 0, 0, 9, 9],
                     [0, 1, 0, 0.5, 50, 50, 60, 60]])
    res = evaluate(dict(labels=['a'], gttubes=gttubes), ['v'], dets,
                   'ucf-jhmdb')
    assert res['frame_mAP_tie_range'] == [0.25, 1.0]
    assert res['frame_mAP'] in (0.25, 1.0)
    dets[1, 3] = 0.4  # no tie: one value
    res = evaluate(dict(labels=['a'], gttubes=gttubes), ['v'], dets,
                   'ucf-jhmdb')
    assert res['frame_mAP_tie_range'] == [1.0, 1.0] == [res['frame_mAP']] * 2


@pytest.mark.parametrize('seed', range(6))
def test_equals_the_official_rules_bit_for_bit(seed):
    """Random inputs (:func:`random_case`): every AP equal to the plain
    loop's."""
    dets, gttubes, videos, labels = random_case(seed)
    ours = frame_ap(dets, gttubes, videos, labels)
    theirs = official_rules(dets.astype(np.float64), gttubes, videos,
                            labels)
    assert [ours[k] for k in labels] == [theirs[k] for k in labels]
    assert 0 < ours['mAP'] < 1


def two_people_one_frame(protocol):
    """GT A at x 0-10, B at 6-16; the first detection is A, the second
    (3-13) overlaps both equally (IoU 0.54 without +1 pixels, 0.57
    with)."""
    gttubes = {'v': {0: [np.array([[1, 0, 0, 10, 10]], float),
                         np.array([[1, 6, 0, 16, 10]], float)]}}
    dets = np.array([[0, 1, 0, 0.9, 0, 0, 10, 10],
                     [0, 1, 0, 0.8, 3, 0, 13, 10]])
    return frame_ap(dets, gttubes, ['v'], ['a'], protocol)['a']


def test_multisports_matches_only_the_best_box_ucf_any_unmatched_one():
    """multisports takes the second detection's first best box, A, already
    matched: a false positive (AP 0.5, VOC all-point); ucf-jhmdb takes the
    unmatched B: both hit (AP 1)."""
    assert two_people_one_frame('multisports') == 0.5
    assert two_people_one_frame('ucf-jhmdb') == 1.0


def test_multisports_leaves_out_excluded_and_ground_truth_less_classes():
    gttubes = {'v': {0: [np.array([[1, 0, 0, 9, 9]], float)],
                     1: [np.array([[1, 0, 0, 9, 9]], float)]}}
    dets = np.array([[0, 1, 0, 0.9, 0, 0, 9, 9],
                     [0, 1, 1, 0.9, 0, 0, 9, 9],
                     [0, 1, 2, 0.9, 0, 0, 9, 9]])
    labels = ['a', 'basketball save', 'c']
    res = frame_ap(dets, gttubes, ['v'], labels, 'multisports')
    assert res == {'a': 1.0, 'basketball save': None, 'c': None,
                   'mAP': 1.0}
    # nothing to evaluate: None, where the official code returns NaN
    assert frame_ap(dets, {'v': {}}, ['v'], labels,
                    'multisports')['mAP'] is None


def random_case(seed):
    """Random videos, tubes and detections near them plus noise (scores
    rounded: ties), three classes."""
    rng = np.random.default_rng(seed)
    videos = [f'v{i}' for i in range(4)]
    gttubes, dets = {}, []
    for iv, video in enumerate(videos):
        gttubes[video] = {}
        for label in rng.choice(3, size=2, replace=False):
            tubes = []
            for _ in range(rng.integers(1, 3)):
                start = int(rng.integers(1, 10))
                frames = np.arange(start, start + rng.integers(3, 12))
                x, y = rng.uniform(0, 200, 2)
                boxes = np.stack([frames, np.full(len(frames), x),
                                  np.full(len(frames), y),
                                  x + rng.uniform(20, 60, len(frames)),
                                  y + rng.uniform(20, 90, len(frames))], 1)
                tubes.append(boxes)
                for row in boxes:
                    for _ in range(rng.integers(0, 3)):
                        dets.append([iv, row[0], rng.integers(0, 3),
                                     round(rng.uniform(), 2),
                                     *(row[1:5] + rng.normal(0, 6, 4))])
            gttubes[video][int(label)] = tubes
        for _ in range(5):
            x, y = rng.uniform(0, 200, 2)
            dets.append([iv, rng.integers(1, 20), rng.integers(0, 3),
                         round(rng.uniform(), 2), x, y, x + 30, y + 40])
    dets = np.array(dets, dtype=np.float32)  # as the official pickles
    dets[:, 6] = np.maximum(dets[:, 6], dets[:, 4] + 1)
    dets[:, 7] = np.maximum(dets[:, 7], dets[:, 5] + 1)
    return dets, gttubes, videos, ['a', 'b', 'c']


@pytest.mark.parametrize('seed', range(6))
def test_multisports_equals_mmaction2s_port(seed):
    """mmaction2's own multisports frameAP (installed, run here) on random
    inputs: the same mAP to the last bit."""
    from mmaction.evaluation.functional.multisports_utils import frameAP
    dets, gttubes, videos, labels = random_case(seed)
    ours = frame_ap(dets, gttubes, videos, labels, 'multisports')
    aps = [ours[k] for k in labels if ours[k] is not None]
    theirs = frameAP(dict(labels=labels, gttubes=gttubes,
                          test_videos=[videos]), dets, 0.5,
                     print_info=False)
    assert np.mean(100 * np.array(aps)) == theirs


# ---- video-AP ------------------------------------------------------------

def act_iou3dt(b1, b2, one=1.0):
    """ACT's iou3dt (one=0: mmaction2's iou3dt_voc), its int() of a
    1-element array (a TypeError under numpy 2) made .item()."""
    tmin, tmax = max(b1[0, 0], b2[0, 0]), min(b1[-1, 0], b2[-1, 0])
    if tmax < tmin:
        return 0.0
    inter = tmax - tmin + one
    union = max(b1[-1, 0], b2[-1, 0]) - min(b1[0, 0], b2[0, 0]) + one
    t1 = b1[np.where(b1[:, 0] == tmin)[0].item():
            np.where(b1[:, 0] == tmax)[0].item() + 1]
    t2 = b2[np.where(b2[:, 0] == tmin)[0].item():
            np.where(b2[:, 0] == tmax)[0].item() + 1]
    assert t1.shape[0] == t2.shape[0] and np.all(t1[:, 0] == t2[:, 0])
    x, y = t1[:, 1:5], t2[:, 1:5]
    ov = (np.maximum(0, np.minimum(x[:, 2] + one, y[:, 2] + one) -
                     np.maximum(x[:, 0], y[:, 0])) *
          np.maximum(0, np.minimum(x[:, 3] + one, y[:, 3] + one) -
                     np.maximum(x[:, 1], y[:, 1])))

    def area(b):
        return (b[:, 2] - b[:, 0] + one) * (b[:, 3] - b[:, 1] + one)
    return np.mean(ov / (area(x) + area(y) - ov)) * (inter / union)


def act_video_ap(tubes, gttubes, videos, labels, thr):
    """ACT's videoAP, written from its rules (test-only): ACT's tube NMS
    at 0.3 per video, unmatched-best matching, float32 trapezoid."""
    out = {}
    for ilabel, label in enumerate(labels):
        dets = []
        for v in videos:
            mine = [(t, s) for u, s, t in tubes.get(ilabel, []) if u == v]
            order, kept = np.argsort([m[1] for m in mine]), []
            while order.size:
                i = order[-1]
                kept.append(i)
                ious = np.array([act_iou3dt(mine[j][0], mine[i][0])
                                 for j in order[:-1]])
                order = order[np.where(ious <= 0.3)[0]]
            dets += [(v, mine[i][1], mine[i][0]) for i in kept]
        gt = {v: list(gttubes[v][ilabel]) for v in videos
              if gttubes[v].get(ilabel)}
        pr = np.empty((len(dets) + 1, 2), dtype=np.float32)
        pr[0] = 1.0, 0.0
        fn, fp, tp = sum(len(g) for g in gt.values()), 0, 0
        for i, j in enumerate(np.argsort(-np.array([d[1] for d in dets]))):
            v, _, tube = dets[j]
            positive = False
            if v in gt:
                ious = [act_iou3dt(g, tube) for g in gt[v]]
                best = np.argmax(ious)
                if ious[best] >= thr:
                    positive = True
                    del gt[v][best]
                    if not gt[v]:
                        del gt[v]
            tp, fp, fn = tp + positive, fp + (not positive), fn - positive
            pr[i + 1] = tp / (tp + fp), tp / (tp + fn)
        out[label] = float(np.sum((pr[1:, 1] - pr[:-1, 1]) *
                                  (pr[1:, 0] + pr[:-1, 0]) * 0.5))
    return out


def random_tubes(seed):
    """Ground-truth tubes and scored tubes near them (shifted in time and
    space), some far off, some in a video outside the split."""
    rng = np.random.default_rng(seed)
    _, gttubes, videos, labels = random_case(seed)
    tubes = {}
    for video in videos + ['elsewhere']:
        for label in range(3):
            for gt in gttubes.get(video, {}).get(label, []) or [
                    np.array([[f, 50, 50, 90, 120] for f in range(1, 8)],
                             float)]:
                for _ in range(rng.integers(1, 4)):
                    a = int(rng.integers(0, 3))
                    b = len(gt) - int(rng.integers(0, 3))
                    tube = gt[a:max(b, a + 3)].copy()
                    tube[:, 0] += rng.integers(-2, 3)
                    tube[:, 1:5] += rng.normal(0, 5, (len(tube), 4))
                    tube[:, 3:5] = np.maximum(tube[:, 3:5],
                                              tube[:, 1:3] + 1)
                    tubes.setdefault(label, []).append(
                        (video, round(float(rng.uniform()), 2), tube))
    return tubes, gttubes, videos, labels


@pytest.mark.parametrize('seed', range(4))
def test_video_ap_equals_act_rules_bit_for_bit(seed):
    from videomae_det_core.tubes import video_ap
    tubes, gttubes, videos, labels = random_tubes(seed)
    for thr in (0.2, 0.5):
        ours = video_ap(tubes, gttubes, videos, labels, 'ucf-jhmdb', thr)
        theirs = act_video_ap(tubes, gttubes, videos, labels, thr)
        assert [ours[k] for k in labels] == [theirs[k] for k in labels]


@pytest.mark.parametrize('seed', range(4))
def test_video_ap_equals_mmaction2s_multisports(seed, monkeypatch):
    """mmaction2's videoAP run here, its iou3dt_voc made numpy-2 safe
    (as written it raises TypeError on every overlapping pair)."""
    import mmaction.evaluation.functional.multisports_utils as ms

    from videomae_det_core.tubes import video_ap
    tubes, gttubes, videos, labels = random_tubes(seed)
    with pytest.raises(TypeError):
        ms.iou3dt_voc(gttubes[videos[0]][next(iter(gttubes[videos[0]]))][0],
                      gttubes[videos[0]][next(iter(gttubes[videos[0]]))][0])
    monkeypatch.setattr(ms, 'iou3dt_voc',
                        lambda a, b: act_iou3dt(a, b, one=0.0))
    for thr in (0.2, 0.5):
        ours = video_ap(tubes, gttubes, videos, labels, 'multisports', thr)
        aps = [ours[k] for k in labels if ours[k] is not None]
        theirs = ms.videoAP(dict(labels=labels, gttubes=gttubes,
                                 test_videos=[videos]),
                            {k: list(v) for k, v in tubes.items()}, thr,
                            print_info=False)
        assert np.mean(100 * np.array(aps)) == theirs


def test_temporal_iou_conventions_and_gaps():
    """Same boxes, GT frames 1-10, tube 6-15: ACT counts frames (5 / 15),
    mmaction2 differences (4 / 14). A GT tube with a gap (no frame 8):
    compared over the frames both have, no assertion error."""
    from videomae_det_core.tubes import tube_iou
    box = [0, 0, 9, 9]
    gt = np.array([[f, *box] for f in range(1, 11)], float)
    det = np.array([[f, *box] for f in range(6, 16)], float)
    assert tube_iou(gt, det, True) == pytest.approx(5 / 15)
    assert tube_iou(gt, det, False) == pytest.approx(4 / 14)
    gap = gt[gt[:, 0] != 8]
    with pytest.raises(AssertionError):
        act_iou3dt(gap, det)
    assert tube_iou(gap, det, True) == pytest.approx(5 / 15)


def test_tube_nms_only_under_ucf_jhmdb():
    """Two copies of one tube (scores .9, .8) on one person: ACT's NMS
    leaves one (a hit: AP 1); multisports scores both (hit, false
    positive: VOC AP 1 as well, but two detections)."""
    from videomae_det_core.tubes import nms_tubes, video_ap
    gt = np.array([[f, 0, 0, 9, 9] for f in range(1, 11)], float)
    tubes = {0: [('v', 0.8, gt.copy()), ('v', 0.9, gt.copy())]}
    assert nms_tubes([(t, s) for _, s, t in tubes[0]]).tolist() == [1]
    gttubes = {'v': {0: [gt]}}
    assert video_ap(tubes, gttubes, ['v'], ['a'])['a'] == 1.0
    tubes[0].append(('v', 0.95, gt + [0, 40, 40, 40, 40]))  # a miss first
    # ucf-jhmdb: the far tube survives NMS: miss then hit -> 0.25
    assert video_ap(tubes, gttubes, ['v'], ['a'])['a'] == 0.25
    # multisports: miss, hit, miss -> VOC 0.5
    assert video_ap(tubes, gttubes, ['v'], ['a'], 'multisports')['a'] == 0.5


# ---- files and the CLI ---------------------------------------------------

def write_case(tmp_path, python2=False):
    """An ACT-style annotation pickle (protocol 2 with latin-1 bytes when
    ``python2``), detections as pickle and CSV, and tubes."""
    import pickle
    dets, gttubes, videos, labels = random_case(0)
    tubes, _, _, _ = random_tubes(0)
    tubes = {k: [t for t in v if t[0] != 'elsewhere']
             for k, v in tubes.items()}
    gt = dict(labels=labels, gttubes=gttubes,
              nframes={v: 40 for v in videos}, train_videos=[[]],
              test_videos=[videos], resolution={v: (240, 320)
                                               for v in videos})
    with open(tmp_path / 'gt.pkl', 'wb') as f:
        pickle.dump(gt, f, protocol=2)
    with open(tmp_path / 'dets.pkl', 'wb') as f:
        pickle.dump(dets, f)
    np.savetxt(tmp_path / 'dets.csv', dets, delimiter=',', fmt='%.9g',
               header='video_index,frame,label,score,x1,y1,x2,y2',
               comments='')
    with open(tmp_path / 'tubes.pkl', 'wb') as f:
        pickle.dump(tubes, f)
    return gt, dets, tubes


def test_cli_reads_the_official_files_and_writes_json(tmp_path):
    import json

    from conftest import ROOT, run_python
    from videomae_det_core.tubes.evaluate import evaluate
    gt, dets, tubes = write_case(tmp_path)
    for name in ('dets.pkl', 'dets.csv'):
        result = run_python([str(ROOT / 'tools/eval_tubes.py'),
                             str(tmp_path / 'gt.pkl'), str(tmp_path / name),
                             '--protocol', 'multisports', '--tubes',
                             str(tmp_path / 'tubes.pkl'), '--json',
                             str(tmp_path / 'out.json'), '--plot',
                             str(tmp_path / 'ap.png')])
        assert (tmp_path / 'ap.png').stat().st_size > 1000
        assert 'frame-mAP@0.5 (multisports, all frames)' in result.stdout
        out = json.loads((tmp_path / 'out.json').read_text())
        assert set(out['video_mAP']) == {'0.2', '0.5', '0.05:0.45',
                                         '0.1:0.9', '0.5:0.95'}
        want = evaluate(gt, gt['test_videos'][0], dets, 'multisports',
                        tubes)
        assert out['frame_mAP'] == pytest.approx(want['frame_mAP'])
        assert out['video_mAP']['0.5'] == pytest.approx(
            want['video_mAP']['0.5'])


@pytest.mark.parametrize('row, message', [
    ([9, 1, 0, 0.5, 0, 0, 9, 9], 'row 2: a video index outside the split'),
    ([0, 41, 0, 0.5, 0, 0, 9, 9], 'row 2: frame 41 outside 1-40 of v0'),
    ([0, 1, 3, 0.5, 0, 0, 9, 9], 'row 2: a label outside 0-2'),
    ([0, 1, 0, float('nan'), 0, 0, 9, 9], 'row 2: a non-finite value'),
    ([0, 1, 0, 0.5, 9, 0, 0, 9], 'row 2: a box with x2 < x1'),
])
def test_bad_detections_are_one_line_naming_the_row(tmp_path, row, message):
    from conftest import ROOT, run_python
    write_case(tmp_path)
    (tmp_path / 'bad.csv').write_text(
        'video_index,frame,label,score,x1,y1,x2,y2\n'
        + ','.join(map(str, row)) + '\n')
    result = run_python([str(ROOT / 'tools/eval_tubes.py'),
                         str(tmp_path / 'gt.pkl'), str(tmp_path / 'bad.csv'),
                         '--protocol', 'ucf-jhmdb'], check=False)
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert message in result.stderr


def test_ground_truth_keys_and_python2_pickles(tmp_path):
    import pickle

    from videomae_det_core.tubes.io import TubeFormatError, read_ground_truth
    # a Python 2 pickle of numpy arrays: byte strings that need latin-1
    py2 = (b'\x80\x02}q\x00U\x06labelsq\x01]q\x02U\x01aq\x03as.')
    (tmp_path / 'py2.pkl').write_bytes(py2)
    with pytest.raises(TubeFormatError, match=r"missing keys \['gttubes'"):
        read_ground_truth(str(tmp_path / 'py2.pkl'))
    gt, _, _ = write_case(tmp_path)
    del gt['nframes']
    with open(tmp_path / 'gt.pkl', 'wb') as f:
        pickle.dump(gt, f)
    with pytest.raises(TubeFormatError, match=r"missing keys \['nframes'\]"):
        read_ground_truth(str(tmp_path / 'gt.pkl'))
