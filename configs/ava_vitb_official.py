# ViT-B as the VideoMAE paper's own AVA detector and test protocol
# (_base_/ava_official.py).
# Paper: 26.7 mAP (K400 pre-training alone), 31.8 with
# K400 labels. Its run script's recipe: lr 1.25e-4 for batch 128 (its base lr
# x 128/256), layer decay 0.75, 30 epochs.
_base_ = ['_base_/ava_official.py']
pretrained = 'checkpoints/videomae_vitb_k400.pth'
model = dict(
    backbone=dict(arch='base',
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=768)))
optim_wrapper = dict(optimizer=dict(lr=1.25e-4),
                     paramwise_cfg=dict(decay_rate=0.75))
