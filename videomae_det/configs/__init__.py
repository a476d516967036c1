"""New-style (pure Python) configs, generated from ``configs/`` by
``tools/misc/new_style_configs.py``. A config in any folder inherits one:

    from mmengine.config import read_base
    with read_base():
        from videomae_det.configs.ava_vitb import *
"""
