"""Video in, who did what when out: the AVA detector as an inferencer.

:class:`AVADetInferencer` follows mmengine's ``BaseInferencer`` (as
mmaction2's ``MMAction2Inferencer`` does for recognition): built from a
config and a checkpoint, called on videos. Each video is decoded once
(:mod:`.keyframes`); at each keyframe the person boxes (:mod:`.people`)
are linked into tracks (:mod:`.tracking`) and go through the RoI head in
one forward; results stream out keyframe by keyframe
(:meth:`AVADetInferencer.iter_video`), so memory stays flat on long videos.
"""
import contextlib
import os.path as osp
import time
from typing import Callable, Dict, Iterator, List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log

from videomae_det_core.ava.io import read_label_map
from videomae_det_core.errors import InputError

from ..checkpoint.load import fit_checkpoint
from ..engine.precision import keep_fp32
from .keyframes import FrameStream, KeyframeClips
from .people import BoxesFile
from .thresholds import class_thresholds
from .tracking import KeyframeTracker

BACKENDS = ('pytorch', 'onnxruntime')


def class_names(labels: str, num_classes: int,
                custom: Optional[List[int]] = None) -> List[Optional[str]]:
    """The label map's name of each of the head's ``num_classes`` action
    outputs (ids ``custom``, the config's ``custom_classes``, or
    1..num_classes); ``None`` for an output the map leaves out (AVA's
    80-output heads under the 60-class evaluation map), with a warning.

    Raises:
        InputError: The map and the head disagree: ``custom_classes`` not
            as long as the head or naming ids the map lacks, or a map id
            past the head's classes (a map of another model).
    """
    categories, _ = read_label_map(labels)
    names = {c['id']: c['name'] for c in categories}
    ids = list(custom) if custom else list(range(1, num_classes + 1))
    if len(ids) != num_classes:
        raise InputError(f'custom_classes lists {len(ids)} classes but the '
                         f'head has {num_classes} (num_classes - 1)')
    missing = [i for i in ids if i not in names]
    if custom and missing:
        raise InputError(f'label map {labels} has no names for '
                         f'custom_classes {missing[:10]}')
    beyond = sorted(set(names) - set(ids))
    if not custom and beyond:
        raise InputError(f'label map {labels} names ids {beyond[:10]} but '
                         f'the head has {num_classes} classes (1..'
                         f'{num_classes}): give the label map the model was '
                         "trained with, or the config's custom_classes")
    if missing:
        print_log(f'label map {labels} names {num_classes - len(missing)} '
                  f'of the head\'s {num_classes} classes: ids '
                  f'{missing[:10]}{"..." if len(missing) > 10 else ""} are '
                  'not listed (their scores stay in "scores")',
                  logger='current', level=30)
    return [names.get(i) for i in ids]


def label_ids(config: Union[str, Config], labels: Optional[str] = None
              ) -> Dict[str, int]:
    """Action name -> label map id of a detector config's listed classes
    (its test set's label map unless ``labels``), without building it."""
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    dataset = cfg.test_dataloader.dataset
    custom = dataset.get('custom_classes')
    head = cfg.model.roi_head.bbox_head
    names = class_names(labels or dataset.label_file, head.num_classes - 1,
                        custom)
    ids = list(custom or range(1, len(names) + 1))
    return {n: i for n, i in zip(names, ids) if n is not None}


class AVADetInferencer(BaseInferencer):
    """Per-person, per-keyframe action scores of an AVA detector.

    Args:
        model: Config path or ``Config`` of the detector.
        weights: Checkpoint, any format the safe loader reads; it must fit
            the config (``allow_partial=True`` loads what fits).
        device: ``'cpu'`` or ``'cuda:N'``.
        amp: Mixed precision: bf16 on CPUs (RoI extraction and head in
            float32), fp16 on GPUs.
        people: Person box source, ``(frame, second) -> (N, 5)``; default
            OpenCV's HOG people detector.
        track: Link each keyframe's people into tracks (mmdet ByteTracker).
        interval: Seconds between keyframes (AVA: 1).
        labels: Label map pbtxt (default: the config's test data set's).
        thr, topk: Actions listed per person: the ``topk`` best scoring at
            least their threshold; ``thr`` is one value, ``label=value``
            pairs, a thresholds file or a mix (:mod:`.thresholds`).
        backend: ``'pytorch'``, or ``'onnxruntime'`` with ``weights`` a
            detector exported by ``tools/deployment/export_onnx.py`` (the
            config still gives the pipeline, preprocessor and labels).
        compile: Compile the backbone (:mod:`..engine.compile`); the first
            scored clip pays it (``warmup_seconds``, logged).
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = set()
    postprocess_kwargs: set = set()

    def __init__(self, model: Union[str, Config], weights: Optional[str],
                 device: str = 'cpu', amp: bool = False,
                 people: Optional[Callable] = None, track: bool = True,
                 interval: float = 1.0, labels: Optional[str] = None,
                 thr=0.3, topk: int = 3,
                 allow_partial: bool = False, backend: str = 'pytorch',
                 compile: bool = False) -> None:
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got '
                             f'{backend!r}')
        if backend == 'onnxruntime' and amp:
            raise ValueError('amp is a PyTorch option; an ONNX model runs '
                             'as exported (fp32 or int8)')
        self.backend = backend
        cfg = Config.fromfile(model) if isinstance(model, str) else \
            model.copy()
        cfg.model.backbone.init_cfg = None  # the checkpoint has it all
        self.policy = 'partial' if allow_partial else 'exact'
        self.weights_file = weights
        self.interval = interval
        from mmengine.registry import DefaultScope
        with DefaultScope.overwrite_default_scope('mmaction'):
            super().__init__(cfg, weights, device, scope='mmaction',
                             show_progress=False)
        self.device, self.amp = torch.device(device), amp
        if amp and self.device.type == 'cpu':
            keep_fp32(self.model)
        if compile and backend != 'pytorch':
            raise ValueError('compile is for the pytorch backend')
        if compile:
            from ..engine.compile import compile_backbone
            compile_backbone(self.model)
        self.warmup_seconds = None if compile else 0.0
        dataset = cfg.test_dataloader.dataset
        labels = labels or dataset.label_file
        if not osp.isfile(labels):
            raise InputError(f'label map not found: {labels} (give one with '
                             'labels=, --labels on the command line)')
        head = getattr(self.model, 'roi_head', self.model).bbox_head
        custom = dataset.get('custom_classes')
        names = class_names(labels, head.num_classes - 1, custom)
        ids = list(custom or range(1, len(names) + 1))
        self.listed = np.array([n is not None for n in names])
        self.class_ids = ids
        self.class_names = [n or str(i) for n, i in zip(names, ids)]
        self.people = people
        self.track, self.topk = track, topk
        self.thr = class_thresholds(thr, self.class_names, ids)

    def _init_pipeline(self, cfg: Config) -> KeyframeClips:
        dataset = cfg.test_dataloader.dataset
        return KeyframeClips(dataset.pipeline, interval=self.interval,
                             data_fps=dataset.get('fps', 30),
                             start_index=dataset.get('start_index', 1))

    def _init_visualizer(self, cfg: Config):
        return None  # our outputs: videomae_det.apis.outputs

    def _init_model(self, cfg: Config, weights: Optional[str],
                    device: str = 'cpu'):
        if self.backend == 'pytorch':
            return super()._init_model(cfg, weights, device)
        from mmaction.registry import MODELS

        from ..deploy.runtime import ONNXDetector
        if weights is None:
            raise ValueError('the onnxruntime backend needs an ONNX file')
        return MODELS.build(ONNXDetector.from_config(cfg, weights, device))

    def _load_weights_to_model(self, model, checkpoint, cfg) -> None:
        if checkpoint is None:
            raise ValueError('an inferencer needs weights')
        fit_checkpoint(model, checkpoint, self.weights_file, self.policy)

    def autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.device.type == 'cpu' else \
            torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    @torch.no_grad()
    def scores(self, data: dict) -> np.ndarray:
        """Action scores ``(N, num_classes - 1)`` of one packed clip."""
        start = time.perf_counter()
        with self.autocast():
            pred = self.model.test_step(pseudo_collate([data]))[0]
        if self.warmup_seconds is None:  # compiled: the first call built it
            self.warmup_seconds = time.perf_counter() - start
            print_log(f'compiled backbone: first clip (compilation and '
                      f'warm-up) {self.warmup_seconds:.1f} s',
                      logger='current')
        return pred.pred_instances.scores[:, 1:].float().cpu().numpy()

    def iter_video(self, video: str,
                   sink: Optional[Callable[[int, np.ndarray], None]] = None
                   ) -> Iterator[dict]:
        """Yield, per keyframe, ``dict(second, people=[dict(track, box,
        det_score, scores, actions)])``: ``box`` normalised x1, y1, x2, y2,
        ``scores`` one per class, ``actions`` the listed (name, score).
        Every decoded frame also goes to ``sink``."""
        stream = FrameStream(video)
        self.last_stream = stream
        people = self._people()
        if isinstance(people, BoxesFile):
            people.check_duration(stream.num_frames / stream.fps)
        tracker = KeyframeTracker() if self.track else None
        for key, frame, pack in self.pipeline(stream, sink):
            yield self._keyframe(key.second, frame, pack, people, tracker)

    def iter_live(self, source: Union[int, str], realtime: bool = True,
                  keep_all: bool = False) -> Iterator[dict]:
        """Score a camera index, a stream URL or a file (``realtime``: at
        its frame rate) live (:mod:`.live`): each result as
        :meth:`iter_video`'s plus ``skipped`` (keyframes skipped just
        before it), ``latency`` (seconds from its clip's last frame to the
        result) and ``age`` (from its own frame). ``self.capture`` is the
        capture thread (``keep_all``: its ``outgoing`` holds every frame
        for an annotated video). Stopping early (``close()``, Ctrl-C)
        stops the capture."""
        from .live import Capture, clip_offsets, live_keyframes
        clips = self.pipeline
        offsets = clip_offsets(clips.sample, clips.data_fps,
                               clips.start_index)
        capture = self.capture = Capture(
            source, offsets, self.interval, clips.resize, realtime,
            keep_all)
        people = self._people()
        tracker = KeyframeTracker() if self.track else None
        capture.start()
        try:
            for key, frame, pack in live_keyframes(capture, clips):
                result = self._keyframe(key.second, frame, pack, people,
                                        tracker)
                now = time.monotonic()
                result.update(skipped=key.skipped, latency=now - key.ready,
                              age=now - key.captured)
                yield result
        finally:
            capture.stop()
            capture.join()

    def _people(self):
        if self.people is None:
            from .people import default_people
            self.people = default_people()
        return self.people

    def _keyframe(self, second, frame, pack, people, tracker) -> dict:
        """People, tracks and action scores at one keyframe."""
        boxes = np.asarray(people(frame, second), np.float64).reshape(-1, 5)
        tracks = tracker(boxes, frame.shape) if tracker else \
            [None] * len(boxes)
        scores = self.scores(pack(boxes)) if len(boxes) else \
            np.zeros((0, len(self.class_names)))
        return dict(second=second, people=[
            dict(track=track, box=[float(v) for v in box[:4]],
                 det_score=float(box[4]), scores=row,
                 actions=self.top_actions(row))
            for box, track, row in zip(boxes, tracks, scores)])

    def top_actions(self, row: np.ndarray) -> List[tuple]:
        row = np.where(self.listed, row, -np.inf)
        order = np.argsort(row)[::-1][:self.topk]
        return [(self.class_names[i], float(row[i])) for i in order
                if row[i] >= self.thr[i]]

    def visualize(self, inputs, preds, **kwargs):
        return None  # AnnotatedVideo and plot_timeline draw the results

    def postprocess(self, preds, visualization, return_datasamples=False,
                    **kwargs) -> Dict:
        return dict(predictions=preds)

    def __call__(self, inputs: Union[str, List[str]], **kwargs) -> Dict:
        """``{'predictions': [keyframe results of each video]}``."""
        videos = [inputs] if isinstance(inputs, str) else list(inputs)
        return self.postprocess([list(self.iter_video(v)) for v in videos],
                                None)
