# ViT-S on AVA v2.2 (paper: 22.5 mAP, K400 pre-training alone).
_base_ = ['_base_/ava_vitb_k400.py']
pretrained = 'checkpoints/videomae_vits_k400.pth'
model = dict(
    backbone=dict(arch='small',
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=384)))
