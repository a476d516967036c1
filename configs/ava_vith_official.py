# ViT-H as the VideoMAE paper's own AVA detector and test protocol
# (_base_/ava_official.py).
# Paper: 36.5 mAP (K400 pre-training alone), 39.5 with
# K400 labels. Its run script's recipe: lr 2.5e-4 for batch 128 (its base lr
# x 128/256), layer decay 0.8, 20 epochs.
_base_ = ['_base_/ava_official.py']
pretrained = 'checkpoints/videomae_vith_k400.pth'
model = dict(
    backbone=dict(arch='huge', with_cp=True,
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=1280)))
optim_wrapper = dict(optimizer=dict(lr=2.5e-4),
                     paramwise_cfg=dict(decay_rate=0.8))
train_cfg = dict(max_epochs=20)
