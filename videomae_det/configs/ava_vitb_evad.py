# Generated from configs/ava_vitb_evad.py by
# tools/misc/new_style_configs.py: edit the text config and run the tool
# again (a test fails when they differ).
from mmengine.config import read_base

with read_base():
    from .ava_vitb import *

model.backbone.token_dropout = dict(
    blocks=(3, 6, 9),
    keep_rate=0.7,
    enhanced_weight=1.0,
)
