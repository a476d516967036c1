"""Reuse from another OpenMMLab project: the configs, tools and model
index shipped in the package, the new-style configs, the downstream
example, and a wheel installed outside the checkout (mim included)."""
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml
from mmengine.config import Config

from conftest import ROOT
from videomae_det.utils import type_name

EXAMPLE = ROOT / 'projects' / 'example_downstream' / 'configs'
HELPERS = ('splits', 'toy', 'anno')  # the example's own variables


def resolved(cfg: Config, drop=()) -> dict:
    """A config as plain data, every ``type`` as its registry name and
    ``_scope_`` left out (new-style configs name classes, not scopes)."""

    def norm(x):
        if isinstance(x, dict):
            return {k: type_name(v) if k == 'type' else norm(v)
                    for k, v in x.items() if k != '_scope_'}
        if isinstance(x, (list, tuple)):
            return [norm(v) for v in x]
        return x
    return {k: v for k, v in norm(cfg.to_dict()).items() if k not in drop}


def new_style(module: str, tmp_path) -> Config:
    """The config a user's file gets by importing ``module``."""
    path = tmp_path / f'{module}_user.py'
    path.write_text('from mmengine.config import read_base\n'
                    'with read_base():\n'
                    f'    from videomae_det.configs.{module} import *\n')
    return Config.fromfile(str(path))


def test_new_style_modules_are_rendered_from_the_text_configs(tmp_path):
    from videomae_det.utils.new_style import NEW_STYLE, write_all
    written = write_all(str(ROOT / 'configs'), str(tmp_path))
    stale = [m for m, path in written.items() if open(path).read() != (
        ROOT / 'videomae_det' / 'configs' / os.path.relpath(
            path, tmp_path)).read_text()]
    assert not stale, (f'{stale} differ from their text configs: run '
                       'python tools/misc/new_style_configs.py')
    assert {'ava_vitb', 'ava_vitl', 'ava_vitb_evad', 'ava_vitl_evad',
            'pretrain_vitb_k400', 'cls_vitb_k400'} <= set(NEW_STYLE)


def test_new_style_configs_resolve_to_the_text_configs(tmp_path):
    from videomae_det.utils.new_style import NEW_STYLE
    for module, text in NEW_STYLE.items():
        ours = new_style(module, tmp_path)
        assert resolved(ours) == resolved(
            Config.fromfile(str(ROOT / 'configs' / text))), module
    # classes, not names: building needs no custom_imports
    assert ours.model.backbone.type.__name__ == 'VideoMAE'


def test_new_style_toy_detector_builds_the_text_configs_model(tmp_path):
    import torch
    from mmaction.registry import MODELS
    models = []
    for cfg in (new_style('ava_toy_vit_tiny', tmp_path), Config.fromfile(
            str(ROOT / 'configs' / 'ava_toy_vit-tiny.py'))):
        cfg.model.backbone.init_cfg = None
        torch.manual_seed(0)
        models.append(MODELS.build(cfg.model).state_dict())
    assert models[0].keys() == models[1].keys()
    assert all(torch.equal(models[0][k], models[1][k]) for k in models[0])


def test_downstream_example_routes_give_one_config():
    text = Config.fromfile(str(EXAMPLE / 'ava_vitb_toy.py'))
    lazy = Config.fromfile(str(EXAMPLE / 'ava_vitb_toy_new-style.py'))
    assert resolved(text, HELPERS) == resolved(lazy, HELPERS)
    head = text.model.roi_head.bbox_head
    assert (head.num_classes, head.dropout_ratio, head.in_channels) == (
        6, 0.3, 768)
    assert text.train_dataloader.dataset.ann_file == \
        'data/toy_ava/annotations/toy_train.csv'


def test_shipped_configs_by_name(tmp_path, monkeypatch):
    from videomae_det.shipped import find_config
    from videomae_det_core.errors import InputError
    monkeypatch.chdir(tmp_path)  # no configs/ here
    path = find_config('ava_vitb')
    assert path == find_config('ava_vitb.py') == str(
        (ROOT / 'configs' / 'ava_vitb.py').resolve())
    assert find_config('_base_/fsdp.py').endswith('_base_/fsdp.py')
    with pytest.raises(InputError, match='did you mean ava_vitb.py'):
        find_config('ava_vitbb.py')
    (tmp_path / 'mine.py').write_text('x = 1\n')
    assert find_config('mine.py') == 'mine.py'  # a file wins


def test_model_index_covers_every_config_with_published_figures():
    index = yaml.safe_load((ROOT / 'model-index.yml').read_text())
    models = [m for f in index['Import'] for m in yaml.safe_load(
        (ROOT / f).read_text())['Models']]
    configs = [m['Config'] for m in models]
    assert len(configs) == len(set(configs))
    assert all((ROOT / c).is_file() for c in configs)
    top = {f'configs/{p.name}' for p in (ROOT / 'configs').glob('*.py')}
    assert top == set(configs)
    assert all(m['Name'] == os.path.basename(m['Config'])[:-3]
               for m in models)
    # README's AVA table and the metafile show the same paper figures
    readme = (ROOT / 'README.md').read_text()
    for m in models:
        if m['Name'] in ('ava_vits', 'ava_vitb', 'ava_vitl', 'ava_vith'):
            mAP = m['Results'][0]['Metrics']['mAP']
            row = next(r for r in readme.splitlines()
                       if r.startswith(f'| `{m["Config"]}`'))
            assert f'| {mAP} |' in row, (m['Name'], row)


GUARD = '''
import os, sys
root = os.environ.get('NO_CHECKOUT_ROOT')
if root:
    allowed = (os.path.join(root, '.venv') + os.sep,)
    def _guard(event, args):
        if event in ('open', 'os.listdir', 'os.scandir') and args and \\
                isinstance(args[0], (str, bytes)):
            path = os.path.abspath(os.fsdecode(args[0]))
            if path.startswith(root + os.sep) and \\
                    not path.startswith(allowed):
                with open(os.environ['NO_CHECKOUT_LOG'], 'a') as f:
                    f.write(path + '\\n')
    sys.addaudithook(_guard)
'''


def venv_with_wheel(tmp_path):
    """A wheel built from an sdist of the tracked files, installed into a
    new virtual environment that reads the project venv's dependencies (a
    path in a .pth file, whose own .pth files, the editable install's among
    them, are not run), and whose interpreters log every file they open in
    the checkout (outside .venv) to the returned log."""
    src, wheels, venv = (tmp_path / n for n in ('src', 'wheels', 'venv'))
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'],
                           cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file() and '.mim' not in name:
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    # an sdist first (MANIFEST.in), then the wheel built from it
    name = subprocess.run(
        [sys.executable, '-c', 'from setuptools import build_meta; '
         'print(build_meta.build_sdist("dist"))'], cwd=src, check=True,
        capture_output=True, text=True).stdout.split()[-1]
    sdist = src / 'dist' / name
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert any(n.endswith('/configs/ava_vitb.py') for n in names)
    assert any(n.endswith('/tools/train.py') for n in names)
    assert any(n.endswith('/model-index.yml') for n in names)
    subprocess.run([*pip, 'wheel', str(sdist), '--no-deps',
                    '--no-build-isolation', '-q', '-w', str(wheels)],
                   check=True, capture_output=True)
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(venv)], check=True)
    python = venv / 'bin' / 'python'
    site = subprocess.run([str(python), '-c', 'import sysconfig; print('
                           'sysconfig.get_paths()["purelib"])'],
                          capture_output=True, text=True,
                          check=True).stdout.strip()
    deps = [p for p in sys.path if p.endswith('site-packages')]
    with open(os.path.join(site, '_project_deps.pth'), 'w') as f:
        f.write('\n'.join(deps) + '\nimport _no_checkout\n')
    with open(os.path.join(site, '_no_checkout.py'), 'w') as f:
        f.write(GUARD)
    wheel = next(wheels.glob('videomae_det-*.whl'))
    subprocess.run([*pip, '--python', str(python), 'install', '--no-deps',
                    '-q', str(wheel)], check=True, capture_output=True)
    return python, tmp_path / 'checkout_reads.log'


@pytest.mark.slow
def test_installed_wheel_serves_a_project_outside_the_checkout(tmp_path):
    python, log = venv_with_wheel(tmp_path)
    work = tmp_path / 'downstream'
    shutil.copytree(EXAMPLE, work / 'configs')  # the user's own files
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(NO_CHECKOUT_ROOT=str(ROOT), NO_CHECKOUT_LOG=str(log))

    def run(*args):
        result = subprocess.run([str(python), *args], cwd=work, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-4000:]
        return result.stdout + result.stderr

    run('-m', 'videomae_det.tools', 'data/make_toy_ava', 'data/toy_ava',
        '--videos', '2', '--val-videos', '1')
    one_step = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=1',
                'train_dataloader.dataset.indices=1',
                'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False']
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    # mim's own launcher flags: 2 ranks through torch.distributed.launch
    # (gloo on the CPU), a config by name
    out = run('-m', 'mim', 'train', 'videomae_det', 'ava_toy_vit-tiny.py',
              '--gpus', '2', '--launcher', 'pytorch', '--port', str(port),
              '--work-dir', 'toy', '--no-validate',
              '--cfg-options', 'model.backbone.init_cfg=None', *one_step)
    assert 'Epoch(train) [1][1/1]' in out and (work / 'toy' /
                                               'epoch_1.pth').exists()
    assert 'Distributed training: True' in out
    out = run('-m', 'mim', 'test', 'videomae_det', 'ava_toy_vit-tiny.py',
              '--checkpoint', 'toy/epoch_1.pth', '--gpus', '0',
              '--work-dir', 'toy')
    assert 'mAP/overall' in out
    assert 'site-packages/videomae_det/.mim/configs/ava_toy_vit-tiny.py' \
        in out
    # the downstream example (text route) trains one iteration
    out = run('-m', 'videomae_det.tools', 'train',
              'configs/ava_vitb_toy.py', '--work-dir', 'mine',
              '--no-validate', '--cfg-options', *one_step)
    assert 'Epoch(train) [1][1/1]' in out
    # both routes read from the installed package, to one config
    out = run('-c', f'''
from mmengine.config import Config
from videomae_det.utils import type_name
import videomae_det.configs as shipped
print(shipped.__file__)
routes = [Config.fromfile(f'configs/{{n}}.py') for n in (
    'ava_vitb_toy', 'ava_vitb_toy_new-style')]
def norm(x):
    if isinstance(x, dict):
        return {{k: type_name(v) if k == 'type' else norm(v)
                 for k, v in x.items() if k != '_scope_'}}
    return [norm(v) for v in x] if isinstance(x, (list, tuple)) else x
a, b = (norm(c.to_dict()) for c in routes)
print('same', {{k: a[k] for k in a if k not in {HELPERS}}} ==
      {{k: b[k] for k in b if k not in {HELPERS}}})
''')
    assert 'same True' in out and '/venv/' in out
    out = run('-m', 'mim', 'search', 'videomae_det', '--valid-config')
    assert all(f"'{n}'" in out for n in (
        'ava_vitb', 'ava_vitl', 'ava_vitb_evad', 'pretrain_vitb_k400'))
    out = run('-m', 'mim', 'search', 'videomae_det', '--config', 'ava_vitb',
              '--field', 'map')
    assert '26.7' in out
    reads = log.read_text().split() if log.exists() else []
    assert reads == [], reads[:10]  # nothing of the checkout was read
