"""The data side of the VideoMAE paper's own AVA test protocol
(MCG-NJU/VideoMAE-Action-Detection on AlphAction's clips): where its 16
frames lie around a keyframe, and person-detector scores carried to the
model (mmaction2's packing drops them)."""
import numpy as np
from mmaction.datasets.transforms import PackActionInputs, SampleAVAFrames
from mmaction.registry import TRANSFORMS
from mmcv.transforms import to_tensor


@TRANSFORMS.register_module()
class SampleAVAFramesOffset(SampleAVAFrames):
    """``SampleAVAFrames`` (same arguments) with the clip moved by
    ``offset`` frames. With the dataset's ``fps=25``, ``clip_len=16``,
    ``frame_interval=4`` and ``offset=1`` the frames are the keyframe's
    ``-31, -27, ..., +29`` (AlphAction's 25 fps clips, the official
    sampling); mmaction2's are ``-32 ... +28``. Clamped to the video as
    mmaction2's."""

    def __init__(self, *args, offset: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.offset = offset

    def _get_clips(self, center_index, skip_offsets, shot_info):
        return super()._get_clips(center_index + self.offset, skip_offsets,
                                  shot_info)


@TRANSFORMS.register_module()
class PackAVAInputs(PackActionInputs):
    """``PackActionInputs`` that keeps the proposals' detector scores
    (``data_sample.proposals.scores``), which ``OfficialAVARoIHead``
    multiplies into the action scores."""

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        sample = packed['data_samples']
        if 'proposals' in sample and results.get('scores') is not None:
            sample.proposals.scores = to_tensor(np.asarray(
                results['scores'], np.float32))
        return packed
