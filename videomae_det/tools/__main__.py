"""Run the project's tools from an installed package, with configs by name.

    python -m videomae_det.tools train ava_toy_vit-tiny.py --work-dir out
    python -m videomae_det.tools test ava_vitb.py CHECKPOINT --ava-csv det.csv
    python -m videomae_det.tools data/make_toy_ava data/toy_ava
    python -m videomae_det.tools list            # the tools and configs

The tools are the copies shipped in ``videomae_det/.mim/tools`` (the
checkout's ``tools/`` in an editable install); an argument ending in
``.py`` that is not a file is looked up among the shipped configs.
"""
import os.path as osp
import runpy
import sys

from videomae_det_core.errors import InputError, report

from ..shipped import find_config, shipped, shipped_configs


def tool_path(name: str) -> str:
    """``train`` -> ``.../tools/train.py``; ``data/make_toy_ava`` too."""
    path = osp.join(shipped('tools'), name.removesuffix('.py') + '.py')
    if not osp.isfile(path):
        raise InputError(f'no tool {name!r}: python -m videomae_det.tools '
                         'list shows them')
    return path


def list_all() -> None:
    import glob
    root = shipped('tools')
    tools = sorted(osp.relpath(p, root)[:-3] for p in glob.glob(
        osp.join(root, '**', '*.py'), recursive=True))
    print('tools:', *tools, sep='\n  ')
    print('configs:', *shipped_configs(), sep='\n  ')


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if argv else 2
    try:
        if argv[0] == 'list':
            list_all()
            return 0
        script = tool_path(argv[0])
        args = [find_config(a) if a.endswith('.py') and not osp.exists(a)
                else a for a in argv[1:]]
    except InputError as err:
        return report(err)
    sys.argv = [script, *args]
    sys.path.insert(0, osp.dirname(script))
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else int(
            stop.code is not None)
    return 0


if __name__ == '__main__':
    sys.exit(main())
