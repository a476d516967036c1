# ViT-S, Kinetics-400 (decoder 192 dims, 3 heads: DECODER_SETTINGS).
_base_ = ['_base_/pretrain_vitb_k400.py']
model = dict(backbone=dict(arch='small'))
