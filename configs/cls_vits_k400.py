# VideoMAE ViT-S fine-tuned on Kinetics-400 from its own
# VideoMAE pre-training (configs/pretrain_vits_k400.py): the recipe of
# _base_/cls_vitb_k400.py with this size's depth,
# drop path 0.1, layer decay 0.75, 150 epochs.
_base_ = ['_base_/cls_vitb_k400.py']

pretrained = 'checkpoints/videomae_vits_k400_pretrain.pth'
model = dict(
    backbone=dict(arch='small', drop_path_rate=0.1,
                  init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(in_channels=384))
optim_wrapper = dict(paramwise_cfg=dict(decay_rate=0.75))
train_cfg = dict(max_epochs=150)
