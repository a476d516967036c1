# ViT-L, Kinetics-400: decoder 512 dims x 4 blocks, 8 heads; activation
# checkpointing keeps the 24 blocks in GPU memory.
_base_ = ['_base_/pretrain_vitb_k400.py']
model = dict(backbone=dict(arch='large', with_cp=True),
             decoder=dict(embed_dims=512, num_heads=8))
