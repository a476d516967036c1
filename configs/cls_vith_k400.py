# VideoMAE ViT-H fine-tuned on Kinetics-400 from its own
# VideoMAE pre-training (configs/pretrain_vith_k400.py): the recipe of
# _base_/cls_vitb_k400.py with this size's depth,
# drop path 0.2, layer decay 0.8, 50 epochs.
_base_ = ['_base_/cls_vitb_k400.py']

pretrained = 'checkpoints/videomae_vith_k400_pretrain.pth'
model = dict(
    backbone=dict(arch='huge', drop_path_rate=0.2,
                  init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(in_channels=1280))
optim_wrapper = dict(paramwise_cfg=dict(decay_rate=0.8))
train_cfg = dict(max_epochs=50)
