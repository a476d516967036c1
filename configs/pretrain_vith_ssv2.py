# ViT-H, Something-Something V2.
_base_ = ['pretrain_vitb_ssv2.py']
model = dict(backbone=dict(arch='huge', with_cp=True))
