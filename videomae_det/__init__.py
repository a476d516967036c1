"""videomae_det: VideoMAE pre-training and AVA action detection for OpenMMLab.

Importing the package applies the upstream work-arounds in
:mod:`videomae_det.compat` and registers every module into mmaction2's
registries (and mmdet's where an mmdet model builds it), so
``custom_imports=dict(imports=['videomae_det'])`` is all a config needs.
"""
from . import compat

compat.apply()

from . import datasets, engine, evaluation, models, visualization  # noqa: E402,F401

__version__ = '0.1.0'
