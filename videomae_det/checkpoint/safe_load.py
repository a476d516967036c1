"""One safe loader for every checkpoint the toolkit reads.

A checkpoint is untrusted input: a pickle can name any importable callable
and have it run on load. Every load path (Runner resume, ``load_from``,
``init_cfg=dict(type='Pretrained')``, our tools) goes through
:func:`load_checkpoint_file`, which unpickles with ``weights_only=True`` plus
an explicit allowlist of the few plain-data types mmengine's checkpoints
hold (numpy arrays, dtypes and scalars in the message hub, mmengine's
``HistoryBuffer``). ``.safetensors`` files load without pickle at all.

mmengine 0.10.7 calls ``torch.load`` with the default ``weights_only``,
which torch >= 2.6 turned to True, so its own Runner checkpoints fail to
load; :func:`videomae_det.checkpoint.load.install` registers this loader
(then the format conversion) as mmengine's handler for local files.
"""
import os
import pickle
from typing import Any, Callable, Dict, List, Optional, Set, Union

import torch
from mmengine.logging import HistoryBuffer

from videomae_det_core.errors import InputError
from videomae_det_core.plain_pickle import (
    NUMPY_NAMES,
    numpy_globals,
    pickle_name,
)


class UnsafeCheckpointError(InputError, pickle.UnpicklingError):
    """A checkpoint asked to import a global outside the allowlist."""


_HISTORY_METHODS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stands in for ``builtins.getattr`` while unpickling.

    mmengine's ``HistoryBuffer.__getstate__`` stores its statistics methods,
    which pickle spells ``getattr(HistoryBuffer, 'mean')``. A general
    ``getattr`` would open a path from any allowed object to arbitrary code
    (``f.__globals__``...), so only that one lookup is allowed.
    """
    if obj is HistoryBuffer and (name in _HISTORY_METHODS or callable(
            HistoryBuffer._statistics_methods.get(name))):
        return getattr(obj, name)
    if name in NESTED_CLASSES.get(obj, ()):
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'refused getattr({getattr(obj, "__name__", type(obj).__name__)}, '
        f'{name!r}): only HistoryBuffer statistics methods and the nested '
        'classes in safe_load.NESTED_CLASSES may be looked up')


# Plain-data classes pickled by their owner's name (``getattr(owner,
# 'Name')``), added by the modules that save them (engine/fsdp.py: the
# process-group record of a sharded tensor); the owner itself must also be
# an allowed global for the lookup to be reached.
NESTED_CLASSES: Dict[type, Set[str]] = {}


SAFE_GLOBALS: List[Any] = numpy_globals() + [
    HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')]
SAFE_NAMES = NUMPY_NAMES | {'builtins.getattr', pickle_name(HistoryBuffer)}


def _unsafe_globals(path: str) -> List[str]:
    """Globals in a pickle-based checkpoint that the allowlist rejects."""
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # not a zip checkpoint: fall back on torch's message
        return []
    return sorted(set(names) - SAFE_NAMES)


_BOILERPLATE = ('Weights only load failed', 'Please file an issue',
                'Check the documentation')


def _unpickler_reason(message: str) -> str:
    """The informative line of torch's weights-only error message."""
    for line in message.splitlines():
        line = line.replace('WeightsUnpickler error:', '').strip()
        if line and not line.startswith(_BOILERPLATE):
            return line
    return 'unreadable pickle'


def load_checkpoint_file(filename: Union[str, os.PathLike],
                         map_location: Optional[Union[str, Callable,
                                                      torch.device]] = None
                         ) -> Any:
    """Load a checkpoint without running code from it.

    Args:
        filename: A ``.pth``/``.bin`` (torch zip or legacy pickle) or a
            ``.safetensors`` file, or a Hugging Face model folder (its
            ``model.safetensors`` or ``pytorch_model.bin``).
        map_location: As :func:`torch.load`.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The pickle needs a global outside the
            allowlist; the message names the file and the globals.
    """
    filename = os.fspath(filename)
    if os.path.isdir(filename):
        for name in ('model.safetensors', 'pytorch_model.bin'):
            if os.path.isfile(os.path.join(filename, name)):
                filename = os.path.join(filename, name)
                break
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    if filename.endswith('.safetensors'):
        from safetensors.torch import load_file
        device = map_location if isinstance(map_location, str) else 'cpu'
        return load_file(filename, device=device)
    # not the safe_globals() context: on exit it removes the globals that
    # install() added for every weights-only load
    torch.serialization.add_safe_globals(SAFE_GLOBALS)
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as err:
        bad = _unsafe_globals(filename)
        reason = (f'it needs the global(s) {", ".join(bad)}' if bad else
                  _unpickler_reason(str(err)))
        raise UnsafeCheckpointError(
            f'{filename}: refused to load: {reason}. A checkpoint may only '
            'hold tensors and plain data; nothing from it was run.') from None
