"""The compiled inference path (--compile): the backbone compiled once
gives the eager scores for any number of person boxes, and the first clip's
compilation is reported."""
import numpy as np

import videomae_det  # noqa: F401
from conftest import ROOT
from videomae_det.apis import AVADetInferencer, FrameStream

CONFIG = str(ROOT / 'configs' / 'ava_toy_vit-tiny_video.py')
LABELS = str(ROOT / 'tests' / 'helpers' / 'toy_action_list.pbtxt')


def test_compiled_backbone_equals_eager_without_recompiling(detector,
                                                             clips):
    import torch._dynamo.utils as dynamo
    eager = AVADetInferencer(CONFIG, detector, labels=LABELS)
    compiled = AVADetInferencer(CONFIG, detector, labels=LABELS,
                                compile=True)
    assert compiled.warmup_seconds is None and eager.warmup_seconds == 0
    boxes = np.array([[.1, .1, .5, .9, 1], [.4, .2, .9, .9, 1],
                      [.2, .3, .6, .7, 1]])
    dynamo.counters.clear()
    stream = FrameStream(clips['carphone_pristine'])
    for n, (_, _, pack) in enumerate(eager.pipeline(stream)):
        data = pack(boxes[:1 + n % 3])  # 1, 2, 3 people
        np.testing.assert_allclose(compiled.scores(data), eager.scores(data),
                                   atol=1e-5)
    assert n >= 3 and compiled.warmup_seconds > 0
    assert dynamo.counters['stats']['unique_graphs'] == 1
