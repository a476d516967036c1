"""What a person sees of a video's actions: an annotated video, a JSON and
a CSV of actions per track per keyframe, and a timeline chart.

The CSV is appended and flushed keyframe by keyframe and the JSON rewritten
atomically as results come, so an interrupted run leaves complete files
for what it finished; the video is written under a temporary name and
renamed when it is complete (a killed run leaves no half-written mp4).
"""
import contextlib
import csv
import json
import os
import sys
import time
from collections import deque
from typing import Dict, List, Optional

import numpy as np

from ..utils.files import set_default_mode

PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
           (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230),
           (210, 245, 60), (250, 190, 212), (0, 128, 128), (170, 110, 40)]


def colour(track: Optional[int]):
    return (200, 200, 200) if track is None else PALETTE[track % len(
        PALETTE)]


def write_atomic(path: str, text: str) -> None:
    tmp = f'{path}.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


class ResultWriter:
    """Keyframe results to ``csv_path`` (one row per person and action
    above the threshold), ``json_path`` (the whole list) and ``jsonl_path``
    (a line per keyframe, flushed; a path or an open text file), as they
    come.

    A keyframe result is ``dict(second, people=[dict(track, box, actions=
    [(name, score), ...])])``; the people's ``scores`` (every class, an
    array) are left out.
    """

    def __init__(self, csv_path: Optional[str] = None,
                 json_path: Optional[str] = None,
                 every: float = 2.0, jsonl=None) -> None:
        self.json_path, self.every = json_path, every
        self.results: List[dict] = []
        self._last = 0.0
        self.duration: Optional[float] = None
        self.jsonl = open(jsonl, 'w') if isinstance(jsonl, str) else jsonl
        self.csv = None
        if csv_path:
            self.csv_file = open(csv_path, 'w', newline='')
            self.csv = csv.writer(self.csv_file)
            self.csv.writerow(['second', 'track', 'x1', 'y1', 'x2', 'y2',
                               'action', 'score'])

    def add(self, result: dict) -> None:
        result = dict(result, people=[
            {k: v for k, v in person.items() if k != 'scores'}
            for person in result['people']])
        self.results.append(result)
        if self.jsonl:
            self.jsonl.write(json.dumps(result) + '\n')
            self.jsonl.flush()
        if self.csv:
            for person in result['people']:
                for name, score in person['actions']:
                    self.csv.writerow([
                        result['second'],
                        '' if person['track'] is None else person['track'],
                        *[f'{v:.4f}' for v in person['box']], name,
                        f'{score:.4f}'])
            self.csv_file.flush()
        if self.json_path and time.perf_counter() - self._last > \
                self.every:
            self._write_json()

    def _write_json(self) -> None:
        write_atomic(self.json_path, json.dumps(self.results, indent=1))
        self._last = time.perf_counter()

    def close(self) -> None:
        if self.json_path:
            self._write_json()
        if self.csv:
            self.csv_file.close()
        if self.jsonl is not None:
            with contextlib.suppress(BrokenPipeError):  # its reader left
                self.jsonl.close()


class AnnotatedVideo:
    """Frames with the boxes, track ids and top actions of the keyframe
    nearest in time (each keyframe labels the frames from half an interval
    before it to half an interval after).

    Frames wait in a queue until the keyframe that labels them is known:
    about half a clip's span, flat in the video's length.

    Args:
        path: Output ``.mp4``; H.264 (``avc1``) where OpenCV has an encoder,
            else MPEG-4 Part 2 (``mp4v``); ``codec`` says which was used.
        fps: The video's frame rate.
        interval: Seconds between keyframes.
    """

    def __init__(self, path: str, fps: float, interval: float = 1.0) -> None:
        self.path, self.fps, self.interval = path, fps, interval
        self.tmp = path + '.part.mp4'
        self.writer, self.codec = None, None
        self.queue: deque = deque()
        self.labels: Dict[float, List[dict]] = {}
        self.status: Dict[float, str] = {}
        self.done = -1.0  # keyframes up to this second are known

    def _open(self, shape) -> None:
        import cv2
        h, w = shape[:2]
        logging = cv2.utils.logging
        level = logging.getLogLevel()
        tries = []
        for codec in ('avc1', 'mp4v'):
            logging.setLogLevel(logging.LOG_LEVEL_SILENT)  # a failed try
            # FFmpeg prints its own encoder probing (h264_v4l2m2m...) to
            # the process's stderr: kept, and shown only if all fail
            with captured_stderr() as said:
                writer = cv2.VideoWriter(
                    self.tmp, cv2.VideoWriter_fourcc(*codec), self.fps,
                    (w, h))
            logging.setLogLevel(level)
            if writer.isOpened():
                self.writer, self.codec = writer, codec
                return
            tries.append(f'{codec}: {"".join(said).strip() or "refused"}')
        raise OSError(f'{self.path}: OpenCV cannot write mp4 here: ' +
                      '; '.join(tries))

    def frame(self, index: int, frame: np.ndarray) -> None:
        self.queue.append((index, frame))
        self._flush()

    def keyframe(self, result: dict, status: str = '') -> None:
        """A keyframe's people (and a status line to show, live)."""
        self.labels[result['second']] = result['people']
        self.status[result['second']] = status
        self.done = result['second']
        self._flush()

    def _flush(self, final: bool = False) -> None:
        while self.queue:
            index, frame = self.queue[0]
            t = index / self.fps
            key = round(t / self.interval) * self.interval
            if not final and key > self.done:
                return
            self.queue.popleft()
            self._write(frame, self.labels.get(key, []),
                        self.status.get(key, ''))

    def _write(self, frame: np.ndarray, people: List[dict],
               status: str = '') -> None:
        import cv2
        if self.writer is None:
            self._open(frame.shape)
        img = draw_people(np.ascontiguousarray(frame[:, :, ::-1]), people)
        if status:
            cv2.putText(img, status, (6, img.shape[0] - 8),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
        self.writer.write(img)

    def close(self) -> None:
        self._flush(final=True)
        if self.writer is not None:
            self.writer.release()
            os.replace(self.tmp, self.path)
            set_default_mode(self.path)


class AnnotatedStream(AnnotatedVideo):
    """The annotated frames encoded live by ffmpeg (the binary of the
    ``imageio-ffmpeg`` wheel, the ``live`` extra) to a URL: ``rtsp://``
    (to a server such as MediaMTX), ``rtmp://``, ``udp://``, ``tcp://``,
    ``srt://`` (MPEG-TS), or a file (by its extension). H.264, ultrafast
    and zero-latency, a keyframe every second."""

    FORMATS = dict(rtsp='rtsp', rtmp='flv', udp='mpegts', tcp='mpegts',
                   srt='mpegts', http='mpegts')

    def __init__(self, url: str, fps: float, interval: float = 1.0) -> None:
        super().__init__(url, fps, interval)
        self.proc, self.codec = None, 'h264'

    def _open(self, shape) -> None:
        import subprocess
        try:
            import imageio_ffmpeg
        except ImportError:
            raise OSError(f'{self.path}: streaming needs ffmpeg: pip install '
                          "'videomae_det[live]' (make install does)") \
                from None
        h, w = shape[:2]
        fmt = self.FORMATS.get(self.path.split('://')[0]) if '://' in \
            self.path else None
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), '-loglevel', 'error', '-y',
               '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', f'{w}x{h}',
               '-r', f'{self.fps}', '-i', '-',
               '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2',  # x264 wants even
               '-c:v', 'libx264', '-preset', 'ultrafast', '-tune',
               'zerolatency', '-pix_fmt', 'yuv420p', '-g',
               str(max(1, round(self.fps)))] + \
            (['-f', fmt] if fmt else []) + [self.path]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.writer = self

    def write(self, img: np.ndarray) -> None:
        try:
            self.proc.stdin.write(np.ascontiguousarray(img).tobytes())
        except BrokenPipeError:
            raise OSError(f'{self.path}: ffmpeg stopped: '
                          f'{self._said()}') from None

    def _said(self) -> str:
        self.proc.wait()
        return self.proc.stderr.read().decode(errors='replace').strip()[
            -500:] or f'exit code {self.proc.returncode}'

    def close(self) -> None:
        self._flush(final=True)
        if self.proc is not None:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
            if self.proc.wait():
                raise OSError(f'{self.path}: ffmpeg failed: {self._said()}')


def draw_people(img: np.ndarray, people: List[dict]) -> np.ndarray:
    """Draw each person's box (normalised x1, y1, x2, y2), track id and
    listed actions on a BGR image, in place; returns it."""
    import cv2
    h, w = img.shape[:2]
    for person in people:
        x1, y1, x2, y2 = (np.array(person['box']) * [w, h, w, h]).astype(int)
        bgr = colour(person['track'])[::-1]
        cv2.rectangle(img, (x1, y1), (x2, y2), bgr, 2)
        lines = ([f'#{person["track"]}'] if person['track'] is not None
                 else []) + [f'{n} {s:.2f}' for n, s in person['actions']]
        for k, text in enumerate(lines):
            org = (x1 + 2, y1 + 12 + 13 * k)
            (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                          0.4, 1)
            cv2.rectangle(img, (org[0] - 1, org[1] - th - 2),
                          (org[0] + tw + 1, org[1] + 3), (0, 0, 0), -1)
            cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.4, bgr,
                        1)
    return img


@contextlib.contextmanager
def captured_stderr():
    """What the process (C libraries included) writes to stderr inside
    the block: the yielded list holds it after the block."""
    import tempfile
    said: List[str] = []
    with tempfile.TemporaryFile(mode='w+') as sink:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield said
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            said.append(sink.read())


def plot_timeline(results: List[dict], path: str, thr: float,
                  title: str = '', duration: Optional[float] = None) -> None:
    """One row per track, time on the x axis (the video's ``duration``
    when given), each action drawn as a bar where its score reaches ``thr``
    (darker: higher score)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = timeline_rows(results, thr)
    actions = sorted({a for spans in rows.values() for a in spans})
    tracks = sorted(rows, key=lambda t: (t is None, t if t is not None
                                         else 0))
    step = min((b['second'] - a['second'] for a, b in
                zip(results, results[1:])), default=1.0) or 1.0
    height = max(2.0, 0.3 * len(tracks) * max(1, len(actions)) / 2 + 1.5)
    fig, ax = plt.subplots(figsize=(10, height))
    cmap = plt.get_cmap('tab10')
    lane = 1.0 / max(1, len(actions))
    for row, track in enumerate(tracks):
        for a, action in enumerate(actions):
            for second, score in rows[track].get(action, []):
                start = max(0., second - step / 2)
                end = second + step / 2 if duration is None else min(
                    duration, second + step / 2)
                ax.broken_barh([(start, end - start)],
                               (row + a * lane, lane * 0.9),
                               color=cmap(a % 10), alpha=0.35 + 0.65 * score)
    ax.set_yticks([r + 0.5 for r in range(len(tracks))],
                  [f'track {t}' if t is not None else 'untracked'
                   for t in tracks])
    ax.set_ylim(0, max(1, len(tracks)))
    ax.invert_yaxis()
    ax.set_xlabel('time (s)')
    last = max((r['second'] for r in results), default=0) + step / 2
    ax.set_xlim(0, duration if duration is not None else max(last, 1.0))
    if actions:
        ax.legend(handles=[matplotlib.patches.Patch(color=cmap(a % 10),
                                                    label=n)
                           for a, n in enumerate(actions)],
                  loc='upper left', bbox_to_anchor=(1.0, 1.0), fontsize=8)
    else:
        ax.text(0.5, 0.5, 'no people found' if not tracks else
                f'no action scores >= {thr}', transform=ax.transAxes,
                ha='center', va='center', fontsize=14, color='0.4')
    ax.set_title(title or f'actions per track (score >= {thr})')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def timeline_rows(results: List[dict], thr: float) -> dict:
    """track -> action -> [(second, score)] for scores >= ``thr``."""
    rows: dict = {}
    for result in results:
        for person in result['people']:
            spans = rows.setdefault(person['track'], {})
            for name, score in person['actions']:
                if score >= thr:
                    spans.setdefault(name, []).append((result['second'],
                                                       score))
    return rows
