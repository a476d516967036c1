"""Each upstream work-around of videomae_det.compat, and the install steps.

The negative tests load ``compat.py`` on its own (without the package's
``__init__``, which applies everything) and apply all but one work-around,
proving that each one is still needed.
"""
import importlib.metadata
import os
import textwrap

import pytest
import torch

from conftest import ROOT, run_python

LOAD_COMPAT = textwrap.dedent(f"""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'compat', {str(ROOT / 'videomae_det' / 'compat.py')!r})
    compat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compat)
""")


def test_mmaction_models_import_after_videomae_det():
    result = run_python(['-c', 'import videomae_det, mmaction.models; '
                         'print("ok")'])
    assert result.stdout.strip().endswith('ok')


def test_drn_is_missing_upstream_and_import_fails_without_stand_in():
    result = run_python(['-c', LOAD_COMPAT + textwrap.dedent("""
        assert compat.drn_is_missing()
        compat.patch_multimodal_flag()
        import mmaction.models
    """)], check=False)
    assert result.returncode != 0
    assert "No module named 'mmaction.models.localizers.drn'" in result.stderr


def test_vindlu_import_fails_without_flag_patch():
    pytest.importorskip('transformers')
    result = run_python(['-c', LOAD_COMPAT + textwrap.dedent("""
        assert not compat.vindlu_importable()
        compat.patch_missing_drn()
        import mmaction.models
    """)], check=False)
    assert result.returncode != 0
    assert 'timm' in result.stderr or 'apply_chunking' in result.stderr


def test_stand_ins_raise_clear_errors():
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules

    import videomae_det  # noqa: F401
    register_all_modules()
    with pytest.raises(ImportError, match='DRN is missing'):
        MODELS.build(dict(type='DRN'))
    with pytest.raises(ImportError, match='multi-modal'):
        MODELS.build(dict(type='VindLUVQA'))


def test_mmengine_loader_fails_on_runner_checkpoint_without_patch(tmp_path):
    """Plain mmengine + torch >= 2.6 cannot read its own checkpoints (numpy
    in the message hub); with videomae_det imported they load safely."""
    script = textwrap.dedent(f"""
        import numpy as np, torch
        from mmengine.logging import MessageHub
        hub = MessageHub.get_instance('t')
        hub.update_scalar('train/loss', 1.0)
        path = {str(tmp_path / 'c.pth')!r}
        torch.save({{'message_hub': hub.state_dict(),
                    'meta': {{'seed': np.int64(1)}}}}, path)
        from mmengine.runner.checkpoint import CheckpointLoader
        try:
            CheckpointLoader.load_checkpoint(path)
            print('loaded')
        except Exception as err:
            print('failed', type(err).__name__)
    """)
    plain = run_python(['-c', script])
    assert 'failed UnpicklingError' in plain.stdout
    patched = run_python(['-c', 'import videomae_det\n' + script])
    assert 'loaded' in patched.stdout


def test_importlib_metadata_is_declared():
    """mmaction2 imports importlib_metadata without declaring it."""
    requires = importlib.metadata.requires('videomae_det')
    assert any(r.startswith('importlib_metadata') for r in requires)
    import mmaction.utils.dependency  # noqa: F401  (imports it)


def test_mmcv_is_the_full_build_with_cpu_ops():
    """RoIAlign of a horizontal ramp (value = column index) over the whole
    8x8 map, 2x2 bins, 2 samples per bin side, aligned: bilinear sampling of
    a linear function is exact, so bins average to 1.5 and 5.5."""
    from mmcv.ops import RoIAlign
    feat = torch.arange(8.).repeat(8, 1)[None, None]
    rois = torch.tensor([[0., 0., 0., 8., 8.]])
    out = RoIAlign((2, 2), spatial_scale=1., sampling_ratio=2,
                   aligned=True)(feat, rois)
    torch.testing.assert_close(out[0, 0], torch.tensor([[1.5, 5.5],
                                                        [1.5, 5.5]]))


def test_transformers_pin_keeps_vindlu_importable_names():
    """Our test extra pins transformers < 5, the range in which mmaction2's
    VindLU code can import (it needs apply_chunking_to_forward)."""
    pytest.importorskip('transformers')
    from transformers.pytorch_utils import apply_chunking_to_forward
    assert callable(apply_chunking_to_forward)
    extra = [r for r in importlib.metadata.requires('videomae_det')
             if r.startswith('transformers')]
    assert extra and '<5' in extra[0]


def test_every_patch_is_listed_and_logged_once_at_debug_level():
    """compat.PATCHES names each patch import applies; one debug line lists
    them (visible with mmengine's logger at DEBUG)."""
    import logging

    from mmengine.logging import MMLogger

    from videomae_det import compat
    names = [name for name, _ in compat.PATCHES]
    assert len(names) == 9 and any('atomic' in n for n in names)
    logger = MMLogger.get_instance('compat_test', log_level='DEBUG')
    records = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        compat.apply()  # idempotent
    finally:
        logger.removeHandler(handler)
    mine = [r for r in records if 'videomae_det patches' in r.getMessage()]
    assert len(mine) == 1 and mine[0].levelno == logging.DEBUG
    assert all(n in mine[0].getMessage() for n in names)


def test_mmengine_finds_shipped_configs_only_with_the_patch(tmp_path):
    """An editable install keeps the distribution in site-packages: without
    the patch mmengine looks there for videomae_det/configs; and it refuses
    ``videomae_det::`` bases (not in its table, no folder in the path), and
    would give their variables a scope without registries."""
    lazy = tmp_path / 'lazy.py'
    lazy.write_text('from mmengine.config import read_base\n'
                    'with read_base():\n'
                    '    from videomae_det.configs.ava_vitb import *\n'
                    'model.roi_head.bbox_head.dropout_ratio = 0.3\n')
    text = tmp_path / 'text.py'
    text.write_text("_base_ = ['videomae_det::ava_toy_vit-tiny.py']\n")
    script = textwrap.dedent(f"""
        from mmengine.config import Config
        for path in ({str(lazy)!r}, {str(text)!r}):
            try:
                cfg = Config.fromfile(path)
                print('read', cfg.model.roi_head.bbox_head.dropout_ratio,
                      cfg.visualizer.get('_scope_'))
            except Exception as err:
                print('failed', type(err).__name__)
    """)
    plain = run_python(['-c', script]).stdout.split('\n')
    assert plain[0] == 'failed ConfigParsingError'  # site-packages/...
    assert plain[1] in ('failed ValueError', 'failed AssertionError')
    patched = run_python(['-c', 'import videomae_det\n' + script])
    assert patched.stdout.split('\n')[:2] == ['read 0.3 None',
                                              'read 0.2 mmaction']


def test_openmim_is_installed_without_its_setuptools_pin():
    """openmim 0.3.9 declares opendatalab, whose openxlab pins
    setuptools~=60.2 (below what torch's extension builder and the
    editable install need): the Makefile installs it with --no-deps and
    the mim extra brings what it imports."""
    from packaging.version import Version
    assert any(r.startswith('opendatalab')
               for r in importlib.metadata.requires('openmim'))
    assert Version(importlib.metadata.version('setuptools')) >= \
        Version('77.0.3')
    import mim.commands  # noqa: F401  everything mim's commands import
    makefile = open(os.path.join(os.path.dirname(__file__), '..',
                                 'Makefile')).read()
    assert "--no-deps 'openmim==" in makefile


def test_cfg_options_read_dict_values_only_with_the_patch():
    """mmengine's DictAction on k=dict(...): RecursionError without the
    patch; with it, the dict (nested in lists too), and a usage error
    naming a value that is no literal."""
    script = textwrap.dedent("""
        import argparse
        from mmengine.config import DictAction
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        try:
            print(parser.parse_args(['--o', "a=dict(type='P', x=[1, 2])",
                                     'b=[dict(k=1),3]']).o)
        except RecursionError:
            print('RecursionError')
    """)
    assert run_python(['-c', script]).stdout.strip() == 'RecursionError'
    patched = run_python(['-c', 'import videomae_det\n' + script])
    assert patched.stdout.strip() == (
        "{'a': {'type': 'P', 'x': [1, 2]}, 'b': [{'k': 1}, 3]}")
    bad = run_python(['-c', 'import videomae_det\n' + script.replace(
        "type='P'", 'type=P')], check=False)
    assert bad.returncode == 2 and "cannot read 'dict(type=P" in bad.stderr
    assert 'quote strings' in bad.stderr


def test_keyframes_without_ground_truth_get_background_rows_with_patch():
    """mmaction2's MaxIoUAssignerAVA on a keyframe where nobody acts: 1-D
    labels without the patch (bbox_target then fails), all-zero rows of
    the label width with it."""
    script = textwrap.dedent("""
        import torch
        from mmaction.models.task_modules.assigners import MaxIoUAssignerAVA
        a = MaxIoUAssignerAVA(pos_iou_thr=0.9, neg_iou_thr=0.9)
        r = a.assign_wrt_overlaps(torch.zeros(0, 3), torch.zeros(0, 5))
        print(tuple(r.labels.shape), float(r.labels.abs().sum()))
    """)
    unpatched = LOAD_COMPAT + textwrap.dedent('''
        compat.patch_missing_drn()
        compat.patch_multimodal_flag()
    ''')
    assert run_python(['-c', unpatched + script]).stdout.split()[0] == '(3,)'
    patched = run_python(['-c', 'import videomae_det\n' + script])
    assert patched.stdout.strip() == '(3, 5) 0.0'


def test_opencv_has_every_api_the_project_calls():
    """The OpenCV that is installed (both variants the stack pulls, pinned
    to one release in setup.py) has every ``cv2.<name>`` the project's code
    calls: 5.x's opencv-python lacks HOGDescriptor, for one."""
    import re

    import cv2
    names = set()
    for folder in ('videomae_det', 'videomae_det_core', 'tools',
                   'benchmarks'):
        for path in (ROOT / folder).rglob('*.py'):
            names |= set(re.findall(r'\bcv2\.([A-Za-z_]\w*)',
                                    path.read_text()))
    assert {'HOGDescriptor', 'VideoWriter', 'imwrite'} <= names
    missing = sorted(n for n in names if not hasattr(cv2, n))
    assert not missing, f'cv2 {cv2.__version__} lacks {missing}'
    versions = {d: importlib.metadata.version(d) for d in (
        'opencv-python', 'opencv-contrib-python')}
    setup = (ROOT / 'setup.py').read_text()
    for dist, version in versions.items():
        assert f"'{dist}=={version}'" in setup, (dist, version)
    assert cv2.__version__.startswith('4.')


@pytest.mark.parametrize('patched', [False, True])
def test_grammar_cache_is_whole_when_renamed_only_with_the_patch(
        tmp_path, patched):
    """yapf renames its grammar pickle into place before flushing it (the
    EOFError of two processes importing mmengine at once on a fresh
    machine): the file's size at the rename, against its final size. The
    pattern grammar's pickle (about 1 kB) stays in the write buffer."""
    result = run_python(['-c', LOAD_COMPAT + textwrap.dedent(f"""
        import importlib.util, os
        from yapf_third_party._ylib2to3.pgen2 import pgen
        package = importlib.util.find_spec('yapf_third_party._ylib2to3')
        text = os.path.join(package.submodule_search_locations[0],
                            'PatternGrammar.txt')
        if {patched}:
            compat.patch_grammar_cache()
        seen = []
        for name in ('rename', 'replace'):
            def spy(src, dst, _real=getattr(os, name)):
                seen.append(os.path.getsize(src))
                return _real(src, dst)
            setattr(os, name, spy)
        out = os.path.join({str(tmp_path)!r}, 'Grammar.pickle')
        pgen.generate_grammar(text).dump(out)
        assert len(seen) == 1, seen
        print(seen[0], os.path.getsize(out))
    """)])
    at_rename, final = map(int, result.stdout.split()[-2:])
    assert final > 500
    assert (at_rename == final) == patched, (at_rename, final)
