# ViT-H on AVA v2.2 (paper: 36.5 mAP, K400 pre-training alone).
_base_ = ['_base_/ava_vitb_k400.py']
pretrained = 'checkpoints/videomae_vith_k400.pth'
model = dict(
    backbone=dict(arch='huge', with_cp=True,
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=1280)))
