"""From the downloads of UCF101-24, JHMDB-21 and MultiSports to the layout
the configs read: each needed file or folder is found under the download
folder (at any depth) or, failing that, in the archives there, which are
unpacked once; the results are linked (not copied) into place."""
import os
import os.path as osp
import shutil
from typing import Callable, Dict, List, Optional

from ..errors import InputError

ARCHIVES = ('.zip', '.tar', '.tar.gz', '.tgz')
# dataset -> {place in the layout: name to find in the download}
LAYOUTS: Dict[str, Dict[str, str]] = {
    'ucf24': {'UCF101v2-GT.pkl': 'UCF101v2-GT.pkl',
              'rgb-images': 'rgb-images'},
    'jhmdb': {'JHMDB-GT.pkl': 'JHMDB-GT.pkl', 'Frames': 'Frames'},
    'multisports': {'trainval/multisports_GT.pkl': 'multisports_GT.pkl',
                    'MultiSports_box': 'MultiSports_box'},
}


def _find(root: str, name: str) -> Optional[str]:
    for folder, dirs, files in os.walk(root):
        if name in files or name in dirs:
            return osp.join(folder, name)
    return None


def _archives(root: str) -> List[str]:
    return sorted(osp.join(folder, f) for folder, _, files in os.walk(root)
                  for f in files if f.endswith(ARCHIVES))


def _unpack(path: str, into: str) -> None:
    try:
        shutil.unpack_archive(path, into)
    except (shutil.ReadError, OSError, ValueError) as err:
        raise InputError(f'cannot unpack {path}: {err}') from None


def organize(dataset: str, src: str, out: str,
             log: Callable[[str], None] = print) -> None:
    """Lay out ``dataset``'s download folder ``src`` under ``out``.

    MultiSports' videos come as one zip per sport under ``trainval/``:
    they are unpacked into ``out/trainval/<sport>/<video>.mp4``.

    Raises:
        InputError: Something needed is neither in ``src`` nor in its
            archives (named, with what was looked at).
    """
    if dataset not in LAYOUTS:
        raise InputError(f'dataset {dataset!r}: one of {sorted(LAYOUTS)}')
    if not osp.isdir(src):
        raise InputError(f'not a folder: {src}')
    staging = osp.join(out, '.unpacked')
    os.makedirs(out, exist_ok=True)
    unpacked = False
    for place, name in LAYOUTS[dataset].items():
        found = _find(src, name) or (_find(staging, name)
                                     if osp.isdir(staging) else None)
        if found is None and not unpacked:
            for archive in _archives(src):
                if dataset == 'multisports' and osp.basename(
                        osp.dirname(archive)) in ('trainval', 'test'):
                    continue  # the sports' videos: below
                log(f'unpacking {archive}')
                _unpack(archive, staging)
            unpacked = True
            found = _find(staging, name) if osp.isdir(staging) else None
        if found is None:
            raise InputError(
                f'{dataset}: {name} is not in {src} nor in its archives '
                f'({", ".join(map(osp.basename, _archives(src))) or "none"})')
        target = osp.join(out, place)
        os.makedirs(osp.dirname(target), exist_ok=True)
        if osp.islink(target):  # a link of an earlier run: renewed
            os.remove(target)
        if not osp.exists(target):  # a real file or folder there stays
            os.symlink(osp.abspath(found), target)
        log(f'{target} -> {found}')
    if dataset == 'multisports':
        videos = osp.join(out, 'trainval')
        for archive in _archives(src):
            if osp.basename(osp.dirname(archive)) == 'trainval':
                sport = osp.basename(archive).split('.')[0]
                if not osp.isdir(osp.join(videos, sport)):
                    log(f'unpacking {archive}')
                    _unpack(archive, videos)
