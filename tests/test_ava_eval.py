"""The AVA frame-mAP evaluator: hand-derived cases, errors, and a
hypothesis comparison with a loop-per-keyframe reference."""
import json
import math

import ava_reference  # noqa: I001
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_python
from videomae_det.evaluation.ava import AVAFormatError, evaluate_files

LABELS = ''.join(f'item {{\n  name: "action {i}"\n  id: {i}\n}}\n'
                 for i in (1, 2, 3))


def write(tmp_path, gt_rows, det_rows, labels=LABELS, excluded=()):
    paths = {}
    for name, rows in (('gt', gt_rows), ('det', det_rows)):
        paths[name] = tmp_path / f'{name}.csv'
        paths[name].write_text(''.join(','.join(map(str, r)) + '\n'
                                       for r in rows))
    paths['labels'] = tmp_path / 'labels.pbtxt'
    paths['labels'].write_text(labels)
    paths['excl'] = tmp_path / 'excluded.csv'
    paths['excl'].write_text(''.join(f'{v},{t}\n' for v, t in excluded))
    return paths


def run(paths):
    return evaluate_files(str(paths['det']), str(paths['gt']),
                          str(paths['labels']), str(paths['excl']))


def gt(video, ts, box, label, pid=0):
    return (video, ts, *box, label, pid)


def det(video, ts, box, label, score):
    return (video, ts, *box, label, score)


BOX = (0.1, 0.1, 0.5, 0.5)


def test_tied_scores_break_as_numpy_argsort_reversed(tmp_path):
    """A TP and an FP at the same score: the official sort puts the later
    fed detection first, so precision is 0 then 1/2 -> AP 0.5."""
    p = write(tmp_path, [gt('vidA', 902, BOX, 1)],
              [det('vidA', 902, BOX, 1, 0.5), det('vidB', 902, BOX, 1, 0.5)])
    result = run(p)
    assert result['per_class'][1] == 0.5
    assert math.isnan(result['per_class'][2])  # no groundtruth
    assert result['mAP'] == 0.5  # classes 2, 3 (no gt) left out


def test_ties_straddling_tp_and_fp_give_the_map_range(tmp_path, capsys):
    """Same file: AP 0.5 by numpy's order, 0.5 to 1 over the tie orders,
    in the table and the JSON; untied classes report no range."""
    from videomae_det_core.ava.report import format_table, to_json
    p = write(tmp_path, [gt('vidA', 902, BOX, 1), gt('vidA', 902, BOX, 2)],
              [det('vidA', 902, BOX, 1, 0.5), det('vidB', 902, BOX, 1, 0.5),
               det('vidA', 902, BOX, 2, 0.9), det('vidB', 902, BOX, 2, 0.8),
               det('vidC', 902, BOX, 2, 0.8)])
    result = run(p)
    assert result['per_class'][1] == 0.5
    assert result['tie_range'] == {1: (0.5, 1.0)}  # class 2: tie of 2 FPs
    assert result['mAP_range'] == (result['mAP'], (1.0 + 1.0) / 2)
    assert 'mAP lies in [0.750000, 1.000000]' in format_table(
        dict(result, categories={}))
    out = to_json(result)
    assert out['mAP_tie_range'] == [0.75, 1.0]
    assert out['tie_range'] == {'1': [0.5, 1.0]}


def test_ties_range_brackets_the_official_ap_on_random_inputs():
    """Many ties: the official AP always lies inside the range."""
    import numpy as np

    from videomae_det_core.ava.frame_map import (
        average_precision,
        tie_range,
    )
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        scores = rng.integers(0, 4, n) / 4
        tp = rng.random(n) < 0.4
        num_gt = int(tp.sum()) + int(rng.integers(0, 3)) or 1
        low, high = tie_range(scores, tp, num_gt)
        assert low - 1e-12 <= average_precision(scores, tp, num_gt) <= \
            high + 1e-12


def test_duplicate_groundtruth_no_fallback_to_second_best(tmp_path):
    """Two identical groundtruth boxes; both detections pick the first
    (argmax takes the first index), the second is a false positive."""
    p = write(tmp_path, [gt('v', 902, BOX, 1, 1), gt('v', 902, BOX, 1, 2)],
              [det('v', 902, BOX, 1, 0.9), det('v', 902, BOX, 1, 0.8)])
    assert run(p)['per_class'][1] == 0.5


def test_class_without_detections_scores_zero(tmp_path):
    p = write(tmp_path, [gt('v', 902, BOX, 1), gt('v', 902, BOX, 2)],
              [det('v', 902, BOX, 1, 0.9)])
    result = run(p)
    assert result['per_class'] == {1: 1.0, 2: 0.0, 3: result['per_class'][3]}
    assert result['mAP'] == 0.5


def test_excluded_and_unlabelled_keyframes(tmp_path):
    """Detections on an excluded keyframe count for nothing; on a keyframe
    without groundtruth they are false positives."""
    rows = [gt('v', 902, BOX, 1), gt('x', 903, BOX, 1)]
    dets = [det('v', 902, BOX, 1, 0.5), det('x', 903, BOX, 1, 0.9)]
    p = write(tmp_path, rows, dets, excluded=[('x', 903)])
    assert run(p)['per_class'][1] == 1.0  # x,0903 gone from both sides
    p = write(tmp_path, [rows[0]], dets + [det('u', 904, BOX, 1, 0.95)])
    # order: u (FP .95), x (FP .9), v (TP .5): precision at recall 1 = 1/3
    assert run(p)['per_class'][1] == pytest.approx(1 / 3, abs=1e-15)


def test_iou_exactly_half_at_the_border_is_a_match(tmp_path):
    """Boxes touching the image border; IoU exactly 0.5 matches (>=)."""
    p = write(tmp_path, [gt('v', 902, (0.0, 0.0, 1.0, 1.0), 1)],
              [det('v', 902, (0.0, 0.0, 0.5, 1.0), 1, 0.3)])
    assert run(p)['per_class'][1] == 1.0
    p = write(tmp_path, [gt('v', 902, (0.0, 0.0, 1.0, 1.0), 1)],
              [det('v', 902, (0.0, 0.0, 0.49, 1.0), 1, 0.3)])
    assert run(p)['per_class'][1] == 0.0


def test_only_the_top_50_detections_per_keyframe_count(tmp_path):
    """55 detections, the true one has the lowest score: capped away."""
    false = [det('v', 902, (0.6, 0.6, 0.9, 0.9), 1, 0.5 + i / 100)
             for i in range(54)]
    p = write(tmp_path, [gt('v', 902, BOX, 1)],
              false + [det('v', 902, BOX, 1, 0.4)])
    assert run(p)['per_class'][1] == 0.0
    assert run(p)['num_det'][1] == 50
    p = write(tmp_path, [gt('v', 902, BOX, 1)],
              false[:49] + [det('v', 902, BOX, 1, 0.4)])
    assert run(p)['per_class'][1] == pytest.approx(1 / 50, abs=1e-15)


def test_timestamp_0902_equals_902_and_dashed_video_ids(tmp_path):
    p = write(tmp_path, [gt('-5KQ66BBWC4', '0902', BOX, 1)],
              [det('-5KQ66BBWC4', 902, BOX, 1, 0.7)])
    assert run(p)['per_class'][1] == 1.0


def test_zero_area_detection_is_neither_tp_nor_fp(tmp_path):
    p = write(tmp_path, [gt('v', 902, BOX, 1)],
              [det('v', 902, (0.3, 0.3, 0.3, 0.6), 1, 0.9),
               det('v', 902, BOX, 1, 0.5)])
    result = run(p)
    assert result['per_class'][1] == 1.0


def test_unknown_action_ids_are_ignored_and_counted(tmp_path):
    p = write(tmp_path, [gt('v', 902, BOX, 1), gt('v', 902, BOX, 80)],
              [det('v', 902, BOX, 1, 0.5), det('v', 902, BOX, 99, 0.5)])
    result = run(p)
    assert result['dropped'] == dict(groundtruth={80: 1},
                                     detections={99: 1})
    assert result['per_class'][1] == 1.0
    from videomae_det_core.ava.report import format_table
    result['categories'] = {}
    table = format_table(result)
    assert 'ignored 1 groundtruth row(s) with action ids not in the label ' \
        'map: 80 (1)' in table
    assert 'ignored 1 detection row(s)' in table


@pytest.mark.parametrize('row,message', [
    (('v', 902, 0.1, 0.1, 0.5, 1), 'needs 8 columns'),
    (('v', 902, 0.1, 'x', 0.5, 0.5, 1, 0.3), 'non-numeric'),
    (('v', 902, 0.1, 0.1, 1.5, 0.5, 1, 0.3), r'outside \[0, 1\]'),
    (('v', 902, 0.5, 0.1, 0.1, 0.5, 1, 0.3), 'x2 < x1'),
    (('v', '902.5', 0.1, 0.1, 0.5, 0.5, 1, 0.3), 'timestamp'),
])
def test_bad_rows_name_file_and_line(tmp_path, row, message):
    p = write(tmp_path, [gt('v', 902, BOX, 1)],
              [det('v', 902, BOX, 1, 0.5), row])
    with pytest.raises(AVAFormatError, match=f'det.csv:2: .*{message}'):
        run(p)


def test_bad_label_map_names_file_and_line(tmp_path):
    p = write(tmp_path, [gt('v', 902, BOX, 1)], [],
              labels='item {\n  name: "a"\n  id: one\n}\n')
    with pytest.raises(AVAFormatError, match='labels.pbtxt:3'):
        run(p)
    p = write(tmp_path, [gt('v', 902, BOX, 1)], [], labels='hello\n')
    with pytest.raises(AVAFormatError, match=':1: .hello. is outside'):
        run(p)
    p = write(tmp_path, [gt('v', 902, BOX, 1)], [], labels='# empty\n')
    with pytest.raises(AVAFormatError, match='not a label map'):
        run(p)


coords = st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.6, 0.75, 1.0])
scores = st.sampled_from([0.1, 0.2, 0.5, 0.7, 0.9, 0.95])


@st.composite
def rows(draw, with_score):
    video = draw(st.sampled_from(['a', 'b-1', 'c']))
    ts = draw(st.sampled_from([902, 903, 904]))
    x1, x2 = sorted([draw(coords), draw(coords)])
    y1, y2 = sorted([draw(coords), draw(coords)])
    label = draw(st.sampled_from([1, 2, 3, 7]))
    last = draw(scores) if with_score else draw(st.integers(0, 3))
    return (video, ts, x1, y1, x2, y2, label, last)


@settings(max_examples=200, deadline=None)
@given(gt_rows=st.lists(rows(False), max_size=25),
       det_rows=st.lists(rows(True), max_size=70),
       excluded=st.lists(st.tuples(st.sampled_from(['a', 'c']),
                                   st.sampled_from([902, 904])),
                         max_size=2))
def test_matches_loop_reference_on_random_inputs(tmp_path_factory, gt_rows,
                                                 det_rows, excluded):
    tmp = tmp_path_factory.mktemp('ava')
    p = write(tmp, gt_rows, det_rows, excluded=excluded)
    ours = run(p)
    keys = {f'{v},{t:04d}' for v, t in excluded}
    ref = ava_reference.evaluate(str(p['gt']), str(p['det']), [1, 2, 3],
                                 keys)
    for c in (1, 2, 3):
        a, b = ours['per_class'][c], ref['per_class'][c]
        assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12, c
    a, b = ours['mAP'], ref['mAP']
    assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12


def test_cli_table_json_and_plot(tmp_path):
    p = write(tmp_path, [gt('v', 902, BOX, 1), gt('v', 902, BOX, 2)],
              [det('v', 902, BOX, 1, 0.9), det('v', 902, BOX, 99, 0.5)])
    out = tmp_path / 'r.json'
    png = tmp_path / 'ap.png'
    result = run_python([
        'tools/eval_ava.py', str(p['det']), '--gt', str(p['gt']),
        '--labels', str(p['labels']), '--exclusions', str(p['excl']),
        '--json', str(out), '--plot', str(png)
    ])
    assert 'action 1' in result.stdout and 'mAP' in result.stdout
    assert '1 detection row(s) with action ids not in the label map' in \
        result.stdout
    data = json.loads(out.read_text())
    assert data == {'mAP': 0.5, 'per_class': {'1': 1.0, '2': 0.0,
                                             '3': None},
                    'mAP_tie_range': [0.5, 0.5], 'tie_range': {}}
    assert png.read_bytes()[:4] == b'\x89PNG'
    bad = run_python(['tools/eval_ava.py', str(p['det']), '--gt',
                      str(tmp_path / 'missing.csv'), '--labels',
                      str(p['labels'])], check=False)
    assert bad.returncode != 0 and 'missing.csv' in bad.stderr
    assert 'Traceback' not in bad.stderr
    assert ROOT.exists()


def test_metric_in_memory_equals_its_csv_dump_and_the_cli(tmp_path):
    """AVAFrameMAP (mmaction2 METRICS) on model-style predictions gives the
    file evaluator's mAP on the CSV it dumps, and the same mAP and CSV when
    the predictions come in another order (ranks, loader workers)."""
    import numpy as np
    import torch
    from mmaction.registry import METRICS

    import videomae_det  # noqa: F401
    rng = np.random.default_rng(0)
    gt_rows = [gt(f'vid{v}', t, tuple(rng.uniform(0, .4, 2)) +
                  tuple(rng.uniform(.5, 1, 2)), int(c))
               for v in range(3) for t in (902, 903)
               for c in rng.choice([1, 2, 3], 2, replace=False)]
    p = write(tmp_path, gt_rows, [])
    out_csv = tmp_path / 'dump.csv'
    metric = METRICS.build(dict(
        type='AVAFrameMAP', ann_file=str(p['gt']),
        label_file=str(p['labels']), exclude_file=str(p['excl']),
        num_classes=4, out_csv=str(out_csv)))
    samples = []
    for v in range(3):
        for t in (902, 903):
            boxes = torch.tensor(rng.uniform(0, .5, (6, 2)))
            boxes = torch.cat([boxes, boxes + torch.tensor(
                rng.uniform(.3, .5, (6, 2)))], 1)[:, [0, 1, 2, 3]]
            samples.append(dict(video_id=f'vid{v}', timestamp=t,
                                pred_instances=dict(
                                    bboxes=boxes,
                                    scores=torch.rand(6, 4))))
    metric.process({}, samples)
    result = metric.evaluate(len(samples))
    ours = result['mAP/overall']
    from_file = run(dict(p, det=out_csv))['mAP']
    assert 0 < ours < 1
    assert ours == from_file
    ref = ava_reference.evaluate(str(p['gt']), str(out_csv), [1, 2, 3])
    assert abs(ref['mAP'] - ours) <= 1e-12
    for sample in samples[:2]:  # ties across keyframes: order would tell
        sample['pred_instances']['scores'][:] = 0.5
    csvs = []
    for k, order in enumerate((samples, samples[::-1])):
        metric.out_csv = str(tmp_path / f'order{k}.csv')
        metric.process({}, order)
        csvs.append((metric.evaluate(len(order)),
                     open(metric.out_csv).read()))
    assert csvs[0] == csvs[1]
    with pytest.raises(ValueError, match='custom_classes'):
        METRICS.build(dict(type='AVAFrameMAP', ann_file='x', label_file='y',
                           num_classes=4, custom_classes=[1, 2]))


def test_chance_level_is_each_class_share_of_the_boxes(tmp_path):
    """Random scores on the true boxes: a class every actor has scores AP
    1; a class on one box in four scores about 1/4 (random ranking), and
    the same draws give the same figures."""
    rows = []
    for i in range(200):
        for pid, box in enumerate((BOX, (0.6, 0.1, 0.9, 0.5))):
            rows.append(gt(f'v{i}', 902, box, 1, pid))
            if pid == 0 and i % 2:
                rows.append(gt(f'v{i}', 902, box, 2, pid))
    p = write(tmp_path, rows, [det('v0', 902, BOX, 1, 0.9)],
              excluded=[('v1', 902)])
    result = evaluate_files(str(p['det']), str(p['gt']), str(p['labels']),
                            str(p['excl']), chance_draws=20)
    chance = result['chance']
    assert chance.shape == (20,) and chance.std() > 0
    # classes 1 and 2 have groundtruth: mAP = (1 + AP_2) / 2
    assert abs(chance.mean() - (1 + 0.25) / 2) < 0.03
    again = evaluate_files(str(p['det']), str(p['gt']), str(p['labels']),
                           str(p['excl']), chance_draws=20)['chance']
    assert (again == chance).all()
    out = tmp_path / 'r.json'
    cli = run_python(['tools/eval_ava.py', str(p['det']), '--gt',
                      str(p['gt']), '--labels', str(p['labels']),
                      '--exclusions', str(p['excl']), '--chance', '3',
                      '--json', str(out)])
    assert 'chance (random scores on the true boxes, 3 draws)' in cli.stdout
    assert len(json.loads(out.read_text())['chance']) == 3


def cli(paths, *extra):
    return run_python(['tools/eval_ava.py', str(paths['det']), '--gt',
                       str(paths['gt']), '--labels', str(paths['labels']),
                       *extra], check=False)


def test_empty_detections_say_nothing_was_scored(tmp_path):
    p = write(tmp_path, [gt('v', 902, BOX, 1)], [])
    result = cli(p)
    assert result.returncode == 1
    assert 'nothing was scored' in result.stderr and 'det.csv' in \
        result.stderr
    # every row's action outside the label map: also nothing scored
    p = write(tmp_path, [gt('v', 902, BOX, 1)], [det('v', 902, BOX, 9, .5)])
    result = cli(p)
    assert result.returncode == 1 and 'dropped ids: [9]' in result.stderr


def test_byte_order_mark_changes_nothing(tmp_path):
    gts = [gt('vidA', 902, BOX, 1), gt('vidB', 903, BOX, 2)]
    dets = [det('vidA', 902, BOX, 1, 0.9), det('vidB', 903, BOX, 2, 0.3),
            det('vidB', 903, (0.5, 0.5, 0.9, 0.9), 2, 0.8)]
    (tmp_path / 'plain').mkdir()
    plain = run(write(tmp_path / 'plain', gts, dets))
    p = write(tmp_path, gts, dets, excluded=[('vidC', 902)])
    for name in ('gt', 'det', 'excl'):
        p[name].write_bytes(b'\xef\xbb\xbf' + p[name].read_bytes())
    p['labels'].write_bytes(b'\xef\xbb\xbf' + p['labels'].read_bytes())
    marked = run(p)
    assert marked['per_class'] == pytest.approx(plain['per_class'], rel=0,
                                                abs=0, nan_ok=True)
    assert marked['mAP'] == plain['mAP'] < 1  # the first row's keyframe
    # the row-by-row reader (taken for quoted files) strips it too
    p['det'].write_bytes(p['det'].read_bytes().replace(b'0.3', b'"0.3"'))
    assert run(p)['mAP'] == plain['mAP']


def test_detections_need_scores(tmp_path):
    p = write(tmp_path, [gt('v', 902, BOX, 1)],
              [gt('v', 902, BOX, 1)[:7]])
    with pytest.raises(AVAFormatError, match='det.csv:1: a detection row '
                       'needs 8 columns'):
        run(p)
    assert 'needs 8 columns' in cli(p).stderr


def test_groundtruth_passed_as_detections_is_warned(tmp_path):
    rows = [gt('v', 902, BOX, 1, pid=3), gt('v', 903, BOX, 2, pid=0)]
    p = write(tmp_path, rows, rows)
    assert any('groundtruth file' in w for w in run(p)['warnings'])
    result = cli(p)
    assert result.returncode == 0 and 'warning:' in result.stderr
    # real scores: no warning
    p = write(tmp_path, rows, [det('v', 902, BOX, 1, 1)])
    assert run(p)['warnings'] == []


def test_header_row_is_named_as_such(tmp_path):
    p = write(tmp_path, [gt('v', 902, BOX, 1)], [det('v', 902, BOX, 1, .5)])
    text = p['det'].read_text()
    p['det'].write_text('video_id,timestamp,x1,y1,x2,y2,action_id,score\n' +
                        text)
    with pytest.raises(AVAFormatError,
                       match='det.csv:1: looks like a header row'):
        run(p)
    p['det'].write_text(text)
    p['excl'].write_text('video_id,timestamp\nv,903\n')
    with pytest.raises(AVAFormatError, match='excluded.csv:1: looks like'):
        run(p)


@pytest.mark.parametrize('labels,message', [
    ('item {\n  name: "a"\n  id: 1\n}\nitem {\n  name: "b"\n  id: 2\n',
     'labels.pbtxt:5: "item {" is never closed'),
    ('item {\n  name: "a"\n}\n', 'labels.pbtxt:1: item has no id'),
    ('name: "a"\nid: 1\n', 'labels.pbtxt:1: .* is outside'),
    ('item {\n  name: "a"\n  id: 1\n}\n}\n', 'labels.pbtxt:5: "}" closes'),
])
def test_malformed_label_map_is_an_error_with_its_line(tmp_path, labels,
                                                       message):
    p = write(tmp_path, [gt('v', 902, BOX, 1)], [det('v', 902, BOX, 1, .5)],
              labels=labels)
    with pytest.raises(AVAFormatError, match=message):
        run(p)


def test_metric_reports_per_class_ap(tmp_path):
    import torch
    from mmaction.registry import METRICS

    import videomae_det  # noqa: F401
    p = write(tmp_path, [gt('v', 902, BOX, 1), gt('v', 902, BOX, 2)], [])
    metric = METRICS.build(dict(type='AVAFrameMAP', ann_file=str(p['gt']),
                                label_file=str(p['labels']), num_classes=4))
    metric.process({}, [dict(video_id='v', timestamp=902, pred_instances=dict(
        bboxes=torch.tensor([BOX]), scores=torch.tensor([[0, .9, .1, .5]])))])
    result = metric.evaluate(1)
    assert result['mAP/AP_1'] == 1.0 and result['mAP/AP_2'] == 1.0
    assert 'mAP/AP_3' not in result  # no groundtruth: no AP
    assert result['mAP/overall'] == 1.0
