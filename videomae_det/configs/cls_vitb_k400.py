# Generated from configs/cls_vitb_k400.py by
# tools/misc/new_style_configs.py: edit the text config and run the tool
# again (a test fails when they differ).
from mmengine.config import read_base

with read_base():
    from ._base_.cls_vitb_k400 import *
