# ViT-L on AVA v2.2 (paper: 34.3 mAP, K400 pre-training alone; mmaction2's
# config: 38.7 after K400 fine-tuning). Activation checkpointing for the 24
# blocks.
_base_ = ['_base_/ava_vitb_k400.py']
pretrained = 'checkpoints/videomae_vitl_k400.pth'
model = dict(
    backbone=dict(arch='large', with_cp=True,
                  init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(in_channels=1024)))
