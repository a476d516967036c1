"""custom_imports alone makes our modules buildable by mmaction2's tools."""
import textwrap

from conftest import run_python


def test_custom_imports_registers_into_mmaction_models(tmp_path):
    config = tmp_path / 'user_cfg.py'
    config.write_text(textwrap.dedent("""
        custom_imports = dict(imports=['videomae_det'],
                              allow_failed_imports=False)
        model = dict(type='VideoMAE', arch='small', out_type='featmap')
    """))
    result = run_python(['-c', textwrap.dedent(f"""
        import sys, torch
        from mmengine.config import Config
        cfg = Config.fromfile({str(config)!r})
        from mmaction.registry import MODELS
        model = MODELS.build(cfg.model)
        assert type(model).__module__.startswith('videomae_det'), model
        out = model(torch.randn(1, 3, 2, 32, 32))
        print(tuple(out.shape))
    """)], cwd=tmp_path)
    assert result.stdout.strip() == '(1, 384, 1, 2, 2)'


def test_mmdet_fast_rcnn_config_names_the_backbone(tmp_path):
    """An mmdet-scoped model finds VideoMAE as 'VideoMAE' and as
    'mmaction.VideoMAE'."""
    result = run_python(['-c', textwrap.dedent("""
        import videomae_det
        from mmdet.registry import MODELS
        from mmengine.registry import DefaultScope
        with DefaultScope.overwrite_default_scope('mmdet'):
            for name in ('VideoMAE', 'mmaction.VideoMAE'):
                m = MODELS.build(dict(type=name, arch=dict(
                    embed_dims=32, num_layers=1, num_heads=2)))
                print(type(m).__name__)
    """)])
    assert result.stdout.split() == ['VideoMAE', 'VideoMAE']
