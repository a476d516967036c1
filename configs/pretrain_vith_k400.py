# ViT-H, Kinetics-400: decoder 640 dims x 4 blocks, 8 heads.
_base_ = ['_base_/pretrain_vitb_k400.py']
model = dict(backbone=dict(arch='huge', with_cp=True),
             decoder=dict(embed_dims=640, num_heads=8))
