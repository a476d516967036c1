"""Which files are videos: one list for the dataset scanners and the tools."""
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.webm', '.mkv', '.mov', '.m4v')


def is_video(path: str) -> bool:
    """True when ``path``'s extension (any case) is a video container's."""
    return path.lower().endswith(VIDEO_EXTENSIONS)
