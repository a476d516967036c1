# The from-scratch baseline of the paper's data-efficiency table: ViT-B on
# Kinetics-400 with the same recipe and random initialisation.
_base_ = ['cls_vitb_k400.py']

model = dict(backbone=dict(init_cfg=None))
