"""The numpy objects a pickle of plain data may name.

Both unpicklers of untrusted files build on this list: the proposals reader
(:mod:`videomae_det_core.proposals`) allows exactly these, the checkpoint
loader (:mod:`videomae_det.checkpoint.safe_load`) these plus mmengine's
``HistoryBuffer``.
"""
from typing import Any, List

import numpy as np


def numpy_globals() -> List[Any]:
    """numpy's pickle reconstructors and every concrete dtype class.

    numpy 2 pickles arrays through ``numpy._core`` and numpy 1 through
    ``numpy.core``; both names are allowed so old files load too.
    """
    import numpy.dtypes
    found = [np.ndarray, np.dtype]
    for mod in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            multiarray = __import__(mod, fromlist=['_reconstruct'])
        except ImportError:
            continue
        found += [multiarray._reconstruct, multiarray.scalar]
    found += [getattr(numpy.dtypes, name) for name in numpy.dtypes.__all__]
    return found


def pickle_name(obj: Any) -> str:
    """``obj`` as a pickle spells it: ``module.qualname``."""
    return f'{obj.__module__}.{obj.__qualname__}'


# numpy.core.* objects report numpy._core.* as their module; allow both.
NUMPY_NAMES = {pickle_name(g) for g in numpy_globals()} | {
    'numpy.core.multiarray._reconstruct', 'numpy.core.multiarray.scalar'}
