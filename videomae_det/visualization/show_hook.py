"""``tools/test.py --show-dir``: a few test samples drawn as a person would
check them, the keyframe with each box and its top actions."""
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmaction.registry import HOOKS
from mmengine.hooks import Hook

from videomae_det_core.ava.io import read_label_map


@HOOKS.register_module()
class ShowPredictionsHook(Hook):
    """Save the keyframes of the first ``num`` test samples the loop sees
    as PNGs with the predicted boxes and their ``topk`` actions scoring at
    least ``thr`` (an AVA detector's test loop). With several loader
    workers they come from the starts of the workers' stretches
    (``ContiguousSampler``); the file names say which.

    Args:
        out_dir: Folder for ``<video>_<second>.png``.
        label_file: The label map (action names).
        custom_classes: The data set's ``custom_classes``, if any.
    """

    def __init__(self, out_dir: str, label_file: str, num: int = 8,
                 thr: float = 0.3, topk: int = 3,
                 custom_classes: Optional[Sequence[int]] = None) -> None:
        self.out_dir, self.num, self.thr, self.topk = out_dir, num, thr, topk
        categories, _ = read_label_map(label_file)
        names = {c['id']: c['name'] for c in categories}
        self.ids = list(custom_classes) if custom_classes else None
        self.names = names
        self.saved = 0

    def _name(self, column: int) -> str:
        cid = self.ids[column - 1] if self.ids else column
        return self.names.get(cid, str(cid))

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        import cv2

        from ..apis.outputs import draw_people
        for inputs, sample in zip(data_batch['inputs'], outputs or []):
            if self.saved >= self.num:
                return
            clip = inputs.detach().cpu().numpy()  # (C, T, H, W), RGB 0-255
            frame = clip[:, clip.shape[1] // 2].transpose(1, 2, 0)
            img = np.ascontiguousarray(
                np.clip(frame, 0, 255).astype(np.uint8)[:, :, ::-1])
            if img.shape[0] < 360:  # small test inputs: room for the text
                scale = 360 / img.shape[0]
                img = cv2.resize(img, None, fx=scale, fy=scale)
            pred = sample.pred_instances
            people = []
            for box, scores in zip(pred.bboxes.cpu().numpy(),
                                   pred.scores.float().cpu().numpy()):
                order = np.argsort(scores[1:])[::-1][:self.topk] + 1
                people.append(dict(box=box, track=None, actions=[
                    (self._name(c), float(scores[c])) for c in order
                    if scores[c] >= self.thr]))
            os.makedirs(self.out_dir, exist_ok=True)
            key = str(sample.metainfo.get('img_key', f'sample,{self.saved}'))
            cv2.imwrite(osp.join(self.out_dir,
                                 key.replace(',', '_') + '.png'),
                        draw_people(img, people))
            self.saved += 1
