"""AVA evaluation: the torch-free evaluator of :mod:`videomae_det_core.ava`
and the ``AVAFrameMAP`` metric that runs it inside mmengine."""
from videomae_det_core.ava import *  # noqa: F401,F403
from videomae_det_core.ava import __all__ as _core_all

from .metric import AVAFrameMAP

__all__ = _core_all + ['AVAFrameMAP']
