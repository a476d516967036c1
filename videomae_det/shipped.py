"""The configs, tools and model index shipped inside the package.

As OpenMMLab packages do for mim, an installed ``videomae_det`` carries the
project's ``configs/``, ``tools/`` and ``model-index.yml`` in
``videomae_det/.mim`` (copies in a wheel, links to the checkout in an
editable install; ``setup.py`` puts them there), so a config can be given
by name from any folder: ``ava_vitb.py``, ``ava_vitb`` or ``_base_/...``.
"""
import difflib
import os
import os.path as osp
from typing import List

from videomae_det_core.errors import InputError

MIM_ROOT = osp.join(osp.dirname(osp.abspath(__file__)), '.mim')


def shipped(name: str) -> str:
    """The path of ``configs``, ``tools`` or ``model-index.yml`` in the
    installed package.

    Raises:
        InputError: The package was installed without them (a bare copy of
            the sources on ``PYTHONPATH``).
    """
    path = osp.join(MIM_ROOT, name)
    if not osp.exists(path):
        raise InputError(
            f'{path} is missing: videomae_det was not installed with its '
            'configs and tools; install it with pip install . (or -e .)')
    return path


def shipped_configs() -> List[str]:
    """Every shipped config, relative to the configs folder, sorted (none
    where the package was not installed with them)."""
    root = osp.join(MIM_ROOT, 'configs')
    found = []
    for folder, _, names in os.walk(root, followlinks=True):
        found += [osp.relpath(osp.join(folder, n), root) for n in names
                  if n.endswith('.py')]
    return sorted(found)


def find_config(name: str) -> str:
    """``name`` if it is a file, else the shipped config it names (a path
    relative to the configs folder or a file name, ``.py`` optional), as a
    real path (mim's rule: the config's own folder resolves its bases).

    Raises:
        InputError: No such config (the closest names are listed), or the
            file name is shipped in several folders.
    """
    if osp.isfile(name):
        return name
    wanted = name if name.endswith('.py') else name + '.py'
    configs = shipped_configs()
    matches = [c for c in configs if c == wanted] or \
        [c for c in configs if osp.basename(c) == osp.basename(wanted)]
    if len(matches) > 1:
        raise InputError(f'config {name!r} names several shipped configs: '
                         f'{", ".join(matches)}; give the path')
    if not matches:
        close = difflib.get_close_matches(wanted, configs, n=4, cutoff=0.5)
        hint = f'; did you mean {", ".join(close)}?' if close else ''
        raise InputError(f'config {name}: no such file, nor a config '
                         f'shipped with videomae_det{hint}')
    return osp.realpath(osp.join(MIM_ROOT, 'configs', matches[0]))
