# ViT-S, Kinetics-400: decoder 192 dims x 4 blocks, 3 heads.
_base_ = ['_base_/pretrain_vitb_k400.py']
model = dict(backbone=dict(arch='small'),
             decoder=dict(embed_dims=192, num_heads=3))
