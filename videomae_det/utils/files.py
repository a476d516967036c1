"""File helpers."""
import os


def set_default_mode(path: str) -> None:
    """Give ``path`` the mode a plain ``open()`` would (0644 under the usual
    umask): ``mkstemp`` and safetensors' writer create files 0600, which
    other users and tools cannot read."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
