"""Write the new-style config modules (videomae_det/configs/) from the text
configs they mirror (the list: videomae_det.utils.new_style.NEW_STYLE).

    python tools/misc/new_style_configs.py [--configs configs]
        [--out videomae_det/configs]
"""
import argparse
import os.path as osp

from videomae_det.utils.new_style import write_all

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', default=osp.join(ROOT, 'configs'),
                        help='the text configs (default: the checkout\'s)')
    parser.add_argument('--out', default=osp.join(ROOT, 'videomae_det',
                                                  'configs'),
                        help='where the modules go')
    args = parser.parse_args()
    for module, path in write_all(args.configs, args.out).items():
        print(f'{module}: {path}')


if __name__ == '__main__':
    main()
