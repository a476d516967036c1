# ViT-L, Something-Something V2.
_base_ = ['pretrain_vitb_ssv2.py']
model = dict(backbone=dict(arch='large', with_cp=True))
