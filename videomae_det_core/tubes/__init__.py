"""Frame- and video-mAP of spatio-temporal detections against ground-truth
tubes (UCF101-24, JHMDB-21, MultiSports): torch-free, numpy only."""
from .frame_ap import PROTOCOLS, frame_ap, iou_matrix
from .link import link_tubes
from .video_ap import nms_tubes, tube_iou, video_ap

__all__ = ['PROTOCOLS', 'frame_ap', 'iou_matrix', 'link_tubes', 'nms_tubes',
           'tube_iou', 'video_ap']
