"""Inference on videos: keyframe clips from one decode, person boxes,
tracks, action scores, and the outputs a person looks at."""
from .inferencer import AVADetInferencer
from .keyframes import FrameStream, KeyframeClips, KeyframePlan, VideoError
from .outputs import (
    AnnotatedStream,
    AnnotatedVideo,
    ResultWriter,
    plot_timeline,
)
from .people import (
    SOURCES,
    BoxesError,
    BoxesFile,
    HOGPeople,
    MMDetPeople,
    build_people,
    default_people,
)
from .ssd_people import SSDPeople
from .tracking import KeyframeTracker

__all__ = [
    'AVADetInferencer', 'AnnotatedStream', 'AnnotatedVideo', 'BoxesError',
    'BoxesFile',
    'FrameStream', 'HOGPeople', 'KeyframeClips', 'KeyframePlan',
    'KeyframeTracker', 'MMDetPeople', 'ResultWriter', 'SSDPeople',
    'SOURCES', 'VideoError', 'build_people', 'default_people',
    'plot_timeline'
]
