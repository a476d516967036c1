# ViT-H, Kinetics-400 (decoder 640 dims, 8 heads: DECODER_SETTINGS).
_base_ = ['_base_/pretrain_vitb_k400.py']
model = dict(backbone=dict(arch='huge', with_cp=True))
