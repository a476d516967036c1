# ViT-L, Kinetics-400 (decoder 512 dims, 8 heads: DECODER_SETTINGS);
# activation checkpointing keeps the 24 blocks in GPU memory.
_base_ = ['_base_/pretrain_vitb_k400.py']
model = dict(backbone=dict(arch='large', with_cp=True))
