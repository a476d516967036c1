# The from-scratch baseline of the paper's data-efficiency table: ViT-B on
# HMDB51 with the same recipe and random initialisation.
_base_ = ['cls_vitb_hmdb51.py']

model = dict(backbone=dict(init_cfg=None))
