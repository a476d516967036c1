# ViT-L on AVA-Kinetics (see ava-kinetics_vitb.py): mmaction2's
# vit-large-p16_videomae-k400-pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py
# recipe (lr 2.5e-4 for batch 64, layer decay 0.8, drop path 0.2, 20
# epochs). Target, theirs: 38.7 mAP on AVA val. Activation checkpointing
# for the 24 blocks.
_base_ = ['ava-kinetics_vitb.py']
pretrained = 'checkpoints/videomae_vitl_k400.pth'
model = dict(
    backbone=dict(arch='large', with_cp=True,
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=1024)))
optim_wrapper = dict(optimizer=dict(lr=2.5e-4),
                     paramwise_cfg=dict(decay_rate=0.8))
