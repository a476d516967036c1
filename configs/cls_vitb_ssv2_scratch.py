# The from-scratch baseline of the paper's data-efficiency table: ViT-B on
# Something-Something V2 with the same recipe and random initialisation.
_base_ = ['cls_vitb_ssv2.py']

model = dict(backbone=dict(init_cfg=None))
