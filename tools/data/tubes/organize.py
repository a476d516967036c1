"""Lay out a download of UCF101-24, JHMDB-21 or MultiSports as the configs
read it, then check it.

    python tools/data/tubes/organize.py ucf24 ~/Downloads/ucf24 \
        [--out data/ucf24]

Finds each needed file or folder in the download (any depth) or in its
archives (.zip, .tar[.gz], unpacked once into OUT/.unpacked) and links it
into place: UCF101-24 ``UCF101v2-GT.pkl`` and ``rgb-images/``; JHMDB-21
``JHMDB-GT.pkl`` and ``Frames/``; MultiSports ``trainval/multisports_GT.pkl``,
the sports' video zips of ``trainval/`` unpacked to
``trainval/<sport>/<video>.mp4`` (no frame extraction) and
``MultiSports_box/`` (then run convert_multisports_boxes.py). Names what is
missing. Then: ``python tools/data/tubes/check_data.py CONFIG``.
"""
import argparse
import sys

from videomae_det_core.errors import exit_code
from videomae_det_core.tubes.organize import LAYOUTS, organize


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dataset', choices=sorted(LAYOUTS))
    parser.add_argument('src', help='the download folder')
    parser.add_argument('--out', help='default: data/<dataset>')
    args = parser.parse_args()
    organize(args.dataset, args.src, args.out or f'data/{args.dataset}')
    config = dict(ucf24='ucf24_vitb', jhmdb='jhmdb_vitb',
                  multisports='multisports_vitb')[args.dataset]
    print(f'next: python tools/data/tubes/check_data.py configs/{config}.py')


def main() -> int:
    return exit_code(run)


if __name__ == '__main__':
    sys.exit(main())
