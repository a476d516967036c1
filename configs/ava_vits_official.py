# ViT-S as the VideoMAE paper's own AVA detector and test protocol
# (_base_/ava_official.py).
# Paper: 22.5 mAP (K400 pre-training alone), 28.4 with
# K400 labels. Its run script's recipe: lr 5e-4 for batch 128 (its base lr
# x 128/256), layer decay 0.6, 30 epochs.
_base_ = ['_base_/ava_official.py']
pretrained = 'checkpoints/videomae_vits_k400.pth'
model = dict(
    backbone=dict(arch='small',
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=384)))
optim_wrapper = dict(optimizer=dict(lr=5e-4),
                     paramwise_cfg=dict(decay_rate=0.6))
