# ViT-L as the VideoMAE paper's own AVA detector and test protocol
# (_base_/ava_official.py).
# Paper: 34.3 mAP (K400 pre-training alone), 37.0 with
# K400 labels. Its run script's recipe: lr 1.25e-4 for batch 128 (its base lr
# x 128/256), layer decay 0.75, 30 epochs.
_base_ = ['_base_/ava_official.py']
pretrained = 'checkpoints/videomae_vitl_k400.pth'
model = dict(
    backbone=dict(arch='large', with_cp=True,
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=1024)))
optim_wrapper = dict(optimizer=dict(lr=1.25e-4),
                     paramwise_cfg=dict(decay_rate=0.75))
