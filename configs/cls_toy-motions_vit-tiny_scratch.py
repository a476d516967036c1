# The toy classifier from random initialisation: the baseline beside
# configs/cls_toy-motions_vit-tiny.py.
_base_ = ['cls_toy-motions_vit-tiny.py']

model = dict(backbone=dict(init_cfg=None))
