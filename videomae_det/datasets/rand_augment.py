"""RandAugment for clips, as the official VideoMAE fine-tuning recipe uses it
(timm's ``rand-m7-n4-mstd0.5-inc1``): ``num_layers`` operations drawn per
clip, each applied with probability 0.5 at a magnitude drawn around
``magnitude`` (std ``magnitude_std``, out of 10), and the *same* operation
and magnitude on every frame, so motion is left intact.

mmaction2 offers RandAugment only through pytorchvideo or imgaug wrappers,
neither installable beside a CPU torch here; this one is OpenCV/numpy on
uint8 frames ``(H, W, 3)``.
"""
import random
from typing import Callable, Dict, List

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

FILL = (128, 128, 128)


def _signed(x: float) -> float:
    return x if random.random() < 0.5 else -x


def _affine(frames: List[np.ndarray], matrix: np.ndarray) -> List[np.ndarray]:
    h, w = frames[0].shape[:2]
    return [cv2.warpAffine(f, matrix, (w, h), flags=cv2.INTER_LINEAR,
                           borderValue=FILL) for f in frames]


def _blend(frames, degenerate: Callable, factor: float):
    """``degenerate + factor * (frame - degenerate)``, as PIL's enhancers."""
    out = []
    for f in frames:
        d = degenerate(f).astype(np.float32)
        out.append(np.clip(d + factor * (f.astype(np.float32) - d), 0,
                           255).astype(np.uint8))
    return out


def _gray(f: np.ndarray) -> np.ndarray:
    g = cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
    return np.repeat(g[..., None], 3, axis=2)


_SHARPEN = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / 13


def _autocontrast(f: np.ndarray) -> np.ndarray:
    lo = f.reshape(-1, 3).min(0).astype(np.float32)
    hi = f.reshape(-1, 3).max(0).astype(np.float32)
    scale = np.where(hi > lo, 255 / np.maximum(hi - lo, 1), 1)
    lo = np.where(hi > lo, lo, 0)
    return np.clip((f - lo) * scale, 0, 255).astype(np.uint8)


def _ops(m: float, h: int, w: int) -> Dict[str, Callable]:
    """Operation name -> frames -> frames, at magnitude ``m`` in [0, 10]
    (the 'increasing' variants: a higher magnitude is always stronger)."""
    level = m / 10
    lut = lambda table: (lambda fs: [cv2.LUT(f, table) for f in fs])  # noqa
    bits = max(1, 4 - int(level * 4))  # timm: 4 bits down to 0, kept >= 1
    threshold = 256 - int(level * 256)
    add = int(level * 110)
    ramp = np.arange(256)
    return {
        'AutoContrast': lambda fs: [_autocontrast(f) for f in fs],
        'Equalize': lambda fs: [np.stack([cv2.equalizeHist(f[..., c])
                                          for c in range(3)], -1) for f in fs],
        'Invert': lut((255 - ramp).astype(np.uint8)),
        'Rotate': lambda fs: _affine(fs, cv2.getRotationMatrix2D(
            (w / 2, h / 2), _signed(30 * level), 1.0)),
        'Posterize': lut((ramp & (0xFF << (8 - bits))).astype(np.uint8)),
        'Solarize': lut(np.where(ramp < threshold, ramp,
                                 255 - ramp).astype(np.uint8)),
        'SolarizeAdd': lut(np.where(ramp < 128, np.minimum(ramp + add, 255),
                                    ramp).astype(np.uint8)),
        'Color': lambda fs: _blend(fs, _gray, 1 + _signed(0.9 * level)),
        'Contrast': lambda fs: _blend(
            fs, lambda f: np.full_like(f, _gray(f).mean()),
            1 + _signed(0.9 * level)),
        'Brightness': lambda fs: _blend(fs, np.zeros_like,
                                        1 + _signed(0.9 * level)),
        'Sharpness': lambda fs: _blend(
            fs, lambda f: cv2.filter2D(f, -1, _SHARPEN),
            1 + _signed(0.9 * level)),
        'ShearX': lambda fs: _affine(fs, np.float32(
            [[1, _signed(0.3 * level), 0], [0, 1, 0]])),
        'ShearY': lambda fs: _affine(fs, np.float32(
            [[1, 0, 0], [_signed(0.3 * level), 1, 0]])),
        'TranslateX': lambda fs: _affine(fs, np.float32(
            [[1, 0, _signed(0.45 * level) * w], [0, 1, 0]])),
        'TranslateY': lambda fs: _affine(fs, np.float32(
            [[1, 0, 0], [0, 1, _signed(0.45 * level) * h]])),
    }


OPS = tuple(_ops(0, 1, 1))


@TRANSFORMS.register_module()
class VideoRandAugment(BaseTransform):
    """RandAugment with one draw per clip.

    Required keys: ``imgs`` (list of uint8 ``(H, W, 3)`` frames); modified:
    ``imgs``.

    Args:
        magnitude: Mean magnitude out of 10 (official 7).
        num_layers: Operations per clip (official 4).
        magnitude_std: Std of the per-operation magnitude (official 0.5).
        prob: Probability of applying each drawn operation.
    """

    def __init__(self, magnitude: float = 7, num_layers: int = 4,
                 magnitude_std: float = 0.5, prob: float = 0.5) -> None:
        self.magnitude, self.num_layers = magnitude, num_layers
        self.magnitude_std, self.prob = magnitude_std, prob

    def transform(self, results: dict) -> dict:
        frames = results['imgs']
        h, w = frames[0].shape[:2]
        for name in random.choices(OPS, k=self.num_layers):
            if random.random() > self.prob:
                continue
            m = random.gauss(self.magnitude, self.magnitude_std)
            frames = _ops(min(max(m, 0), 10), h, w)[name](frames)
        results['imgs'] = list(frames)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(magnitude={self.magnitude}, '
                f'num_layers={self.num_layers}, '
                f'magnitude_std={self.magnitude_std}, prob={self.prob})')
