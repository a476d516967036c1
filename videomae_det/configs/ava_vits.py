# Generated from configs/ava_vits.py by
# tools/misc/new_style_configs.py: edit the text config and run the tool
# again (a test fails when they differ).
from mmengine.config import read_base

with read_base():
    from ._base_.ava_vitb_k400 import *

pretrained = 'checkpoints/videomae_vits_k400.pth'
model.backbone.arch = 'small'
model.backbone.init_cfg.checkpoint = 'checkpoints/videomae_vits_k400.pth'
model.roi_head.bbox_head.in_channels = 384
