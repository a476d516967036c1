"""The VideoMAE paper's own AVA detector (MCG-NJU/VideoMAE-Action-Detection):
its checkpoint format, each step of its test protocol against hand-derived
values, and the whole path on a tiny model against an independent
reference (tests/official_reference.py)."""
import csv
import json
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

import videomae_det  # noqa: F401  (before mmaction.models)

# isort: split
import official_reference
from mmaction.registry import METRICS, MODELS, TRANSFORMS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules
from test_convert import official_keys, random_state

from conftest import ROOT, run_python
from videomae_det.checkpoint.formats import convert, detect_format
from videomae_det.models.official_ava import enlarge_boxes

register_all_modules()
DIMS, HEADS = 32, 2


def official_ava_state(seed=0):
    keys = official_keys(DIMS, 2)
    keys.update({'norm.weight': (DIMS,), 'norm.bias': (DIMS,),
                 'head.weight': (80, DIMS), 'head.bias': (80,)})
    sd = random_state(keys, seed)
    sd['head.bias'] = sd['head.bias'] * 20  # scores spread over (0, 1)
    return sd


def test_format_is_recognised_and_converted(tmp_path):
    sd = official_ava_state()
    assert detect_format(sd) == 'official_ava'
    ours, _ = convert(sd, 'detector')
    w = ours['roi_head.bbox_head.fc_cls.weight']
    assert w.shape == (81, DIMS) and not w[0].any()
    torch.testing.assert_close(w[1:], sd['head.weight'])
    assert not ours['roi_head.bbox_head.fc_cls.bias'][0]
    assert ours['backbone.norm.weight'] is sd['norm.weight']
    # a classifier keeps its format: fc_norm, or not 80 rows
    cls = dict(sd, **{'fc_norm.weight': sd['norm.weight'],
                      'fc_norm.bias': sd['norm.bias']})
    assert detect_format(cls) == 'official_finetune'
    rows = dict(sd, **{'head.weight': torch.zeros(400, DIMS)})
    assert detect_format(rows) == 'official_finetune'
    # the tool, on the file as the official code saves it (under 'model')
    torch.save(dict(model=sd, epoch=29), tmp_path / 'checkpoint-29.pth')
    out = run_python([str(ROOT / 'tools/convert_checkpoint.py'),
                      str(tmp_path / 'checkpoint-29.pth'),
                      str(tmp_path / 'det.pth'), '--to', 'detector'])
    assert 'format: official_ava' in out.stdout


def test_enlarged_box_at_the_frame_border():
    boxes = torch.tensor([[0., 10., 99., 209.], [400., 0., 454., 255.]])
    # widths 100 and 55, heights 200 and 256 (+1); 5 % and 2.5 % per side
    want = torch.tensor([[0., 5., 104., 214.],
                         [400 - 2.75, 0., 454., 255.]])
    torch.testing.assert_close(enlarge_boxes(boxes, (256, 455)), want)


def test_normalisation_and_padding_of_a_256x455_clip():
    pre = MODELS.build(Config.fromfile(
        str(ROOT / 'configs/ava_vits_official.py')).model.data_preprocessor)
    clip = torch.zeros(3, 2, 256, 455, dtype=torch.uint8)
    clip[:, :, 0, 0] = torch.tensor([180, 116, 46])[:, None]
    out = pre(dict(inputs=[clip], data_samples=[ActionDataSample()]))
    x = out['inputs']
    assert x.shape == (1, 3, 2, 256, 464)  # 455 -> 29 x 16
    mean = torch.tensor([122.7717, 115.9465, 102.9801])
    torch.testing.assert_close(x[0, :, 0, 0, 0],
                               (torch.tensor([180., 116., 46.]) - mean) /
                               57.375)
    torch.testing.assert_close(x[0, :, 0, 1, 1], -mean / 57.375)
    assert not x[..., 455:].any()  # zeros after normalisation


def test_frames_at_25_fps_around_the_keyframe():
    sample = TRANSFORMS.build(dict(type='SampleAVAFramesOffset', clip_len=16,
                                   frame_interval=4, offset=1,
                                   test_mode=True))
    out = sample.transform(dict(fps=25, timestamp=902, timestamp_start=900,
                                shot_info=(0, 22500)))
    # keyframe 2 s in = frame 50; AlphAction's clips: 50 - 31 + 4i
    np.testing.assert_array_equal(out['frame_inds'], 50 - 31 + 4 *
                                  np.arange(16))


def tiny_official_detector(sd):
    cfg = Config.fromfile(str(ROOT / 'configs/ava_vits_official.py'))
    cfg.model.backbone.arch = dict(embed_dims=DIMS, num_layers=2,
                                   num_heads=HEADS, mlp_ratio=4.)
    cfg.model.backbone.init_cfg = None
    cfg.model.roi_head.bbox_head.in_channels = DIMS
    model = MODELS.build(cfg.model)
    ours, _ = convert(sd, 'detector')
    missing, unexpected = model.load_state_dict(ours, strict=False)
    assert not unexpected and not [k for k in missing
                                   if not k.startswith('data_preproc')]
    return model.eval()


def test_whole_path_equals_the_official_detector_on_a_tiny_model():
    """The contract: a (3, 16, H, W) uint8 clip at short side 256, pixel
    boxes and detector scores in; columns 1..80 are the official final
    scores (independent reference: its own RoIAlign, box growth, scoring);
    the boxes come back as given, normalised."""
    sd = official_ava_state()
    model = tiny_official_detector(sd)
    g = torch.Generator().manual_seed(0)
    clip = torch.nn.functional.interpolate(  # smooth, like video
        torch.rand(1, 3, 16, 32, 57, generator=g) * 255,
        size=(16, 256, 455), mode='trilinear')[0].to(torch.uint8)
    boxes = torch.tensor([[0., 10., 99., 209.], [400., 0., 454., 255.],
                          [150.5, 60.2, 260.7, 250.1]])
    scores = torch.tensor([0.95, 0.81, 0.9])
    sample = ActionDataSample()
    sample.set_metainfo(dict(img_shape=(256, 455)))
    sample.proposals = InstanceData(bboxes=boxes, scores=scores)
    with torch.no_grad():
        pred = model.test_step(dict(inputs=[clip], data_samples=[sample]))[
            0].pred_instances
        want = official_reference.ava_detect(sd, clip, boxes, scores, HEADS)
    assert pred.scores.shape == (3, 81)
    torch.testing.assert_close(pred.scores[:, 1:], want, atol=1e-5,
                               rtol=1e-4)
    assert want.std() > 0.05  # the scores are not all alike
    torch.testing.assert_close(pred.bboxes, boxes / torch.tensor(
        [455, 256, 455, 256]))


def test_scores_are_multiplied_by_the_detector_score():
    sd = official_ava_state(1)
    model = tiny_official_detector(sd)
    clip = torch.full((3, 16, 64, 80), 100, dtype=torch.uint8)
    sample = ActionDataSample()
    sample.set_metainfo(dict(img_shape=(64, 80)))
    boxes = torch.tensor([[5., 5., 40., 60.], [5., 5., 40., 60.]])
    sample.proposals = InstanceData(bboxes=boxes,
                                    scores=torch.tensor([1.0, 0.5]))
    with torch.no_grad():
        s = model.test_step(dict(inputs=[clip], data_samples=[sample]))[
            0].pred_instances.scores
    torch.testing.assert_close(s[1, 1:], s[0, 1:] * 0.5)


def test_the_uncapped_evaluator_scores_a_keyframe_with_60_detections(
        tmp_path):
    """One true box, found only by the lowest of 60 detections: the
    official cap (50) drops it (AP 0); uncapped, it is the 60th hit
    (AP 1/60)."""
    (tmp_path / 'labels.pbtxt').write_text('item {\n  name: "a"\n  id: 1\n}\n')
    with open(tmp_path / 'gt.csv', 'w', newline='') as f:
        csv.writer(f).writerow(['vid', 902, 0.1, 0.1, 0.5, 0.9, 1, 0])
    boxes = torch.tensor([[0.6, 0.1, 0.9, 0.9]]).repeat(60, 1)
    boxes[59] = torch.tensor([0.1, 0.1, 0.5, 0.9])
    scores = torch.zeros(60, 2)
    scores[:, 1] = torch.linspace(0.9, 0.1, 60)
    res = {}
    for cap in (50, 0):
        metric = METRICS.build(dict(
            type='AVAFrameMAP', ann_file=str(tmp_path / 'gt.csv'),
            label_file=str(tmp_path / 'labels.pbtxt'), num_classes=2,
            max_per_keyframe=cap))
        metric.process(None, [dict(video_id='vid', timestamp=902,
                                   pred_instances=dict(bboxes=boxes,
                                                       scores=scores))])
        res[cap] = metric.compute_metrics(metric.results)['overall']
    assert res[50] == 0 and res[0] == pytest.approx(1 / 60)


def test_alphaction_person_detections_become_proposals(tmp_path):
    ann = dict(images=[dict(id=10902, movie='1j20qq1JyX4', timestamp=902,
                            width=640, height=360)])
    dets = [dict(image_id=10902, bbox=[64, 36, 65, 37], score=0.9,
                 category_id=1),
            dict(image_id=10902, bbox=[0, 0, 10, 10], score=0.79,
                 category_id=1)]
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    (tmp_path / 'dets.json').write_text(json.dumps(dets))
    out = run_python([str(ROOT / 'tools/data/ava/convert_alphaction_boxes.'
                          'py'), str(tmp_path / 'dets.json'),
                      str(tmp_path / 'ann.json'), str(tmp_path / 'p.pkl')])
    assert '1 boxes (score >= 0.8) on 1 keyframes' in out.stdout
    boxes = pickle.load(open(tmp_path / 'p.pkl', 'rb'))
    # x2 = x + w - 1 = 128, y2 = y + h - 1 = 72: normalised by 640 x 360
    np.testing.assert_allclose(boxes['1j20qq1JyX4,0902'],
                               [[0.1, 0.1, 0.2, 0.2, 0.9]], rtol=1e-6)
    dets[0]['image_id'] = 5
    (tmp_path / 'dets.json').write_text(json.dumps(dets))
    bad = run_python([str(ROOT / 'tools/data/ava/convert_alphaction_boxes.'
                          'py'), str(tmp_path / 'dets.json'),
                      str(tmp_path / 'ann.json'), str(tmp_path / 'p.pkl')],
                     check=False)
    assert bad.returncode == 1 and 'entry 0: unknown image_id' in bad.stderr


@pytest.mark.parametrize('size', 'sblh')
def test_official_configs_build_and_train_one_step(size):
    from test_detection_configs import PARAMS, one_sample
    cfg = Config.fromfile(str(ROOT / f'configs/ava_vit{size}_official.py'))
    arch = cfg.model.backbone.arch
    if size in 'lh':  # their width and heads at two blocks
        from videomae_det_core.archs import ARCH_SETTINGS
        cfg.model.backbone.arch = dict(ARCH_SETTINGS[arch], num_layers=2)
    model = MODELS.build(cfg.model)
    if size in 'sb':
        n = sum(p.numel() for p in model.parameters())
        assert abs(n - PARAMS[arch]) / PARAMS[arch] < 0.03, n
    assert cfg.val_evaluator.max_per_keyframe == 0
    model.train()
    data = model.data_preprocessor(one_sample(), True)
    model(**data, mode='loss')['loss_action_cls'].backward()
