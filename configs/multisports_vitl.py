# ViT-L on the data and schedule of multisports_vitb.py; lr and layer
# decay of mmaction2's VideoMAE ViT-L detection recipe (lr 2.5e-4 per
# batch 64, decay 0.8), activation checkpointing for the 24 blocks.
_base_ = ['multisports_vitb.py']
pretrained = 'checkpoints/videomae_vitl_k400.pth'
model = dict(
    backbone=dict(arch='large', with_cp=True,
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=1024)))
optim_wrapper = dict(optimizer=dict(lr=2.5e-4),
                     paramwise_cfg=dict(decay_rate=0.8))
