"""Live input: a file delivered at its frame rate scores as the offline
path does (colour order included), a slow model skips keyframes instead
of queueing them, the buffer stays one clip, and Ctrl-C closes every
output complete."""
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import videomae_det  # noqa: F401
from conftest import ROOT
from videomae_det.apis import AVADetInferencer, BoxesFile, live

CONFIG = str(ROOT / 'configs' / 'ava_toy_vit-tiny_video.py')
LABELS = str(ROOT / 'tests' / 'helpers' / 'toy_action_list.pbtxt')


@pytest.fixture
def boxes(tmp_path):
    path = tmp_path / 'boxes.csv'
    path.write_text(''.join(f'{s},0.1,0.1,0.6,0.95,1\n{s},0.5,0.2,0.9,0.9,'
                            '0.8\n' for s in range(4)))
    return str(path)


def inferencer(detector, people, **kwargs):
    return AVADetInferencer(CONFIG, detector, people=people, thr=0.0,
                            labels=LABELS, **kwargs)


def test_live_file_scores_equal_the_offline_path_in_rgb(
        detector, boxes, clips, monkeypatch):
    """OpenCV's capture (BGR) turned to RGB gives the scores of the
    offline path (decord, RGB), itself equal to tools/test.py's pipeline
    (test_apis); fed BGR, the scores differ: the check can fail."""
    api = inferencer(detector, BoxesFile(boxes), track=False)
    video = clips['carphone_pristine']  # 4 s at 29.97 fps
    offline = list(api.iter_video(video))
    ours = list(api.iter_live(video))
    assert [r['second'] for r in ours] == [r['second'] for r in offline]
    assert all(r['skipped'] == 0 for r in ours)
    for a, b in zip(offline, ours):
        for p, q in zip(a['people'], b['people']):
            np.testing.assert_allclose(q['scores'], p['scores'], atol=1e-6)
    assert api.capture.peak <= api.capture.keep
    # the same path without the colour swap
    monkeypatch.setattr(live, 'to_rgb', lambda bgr: bgr)
    bgr = list(api.iter_live(video))
    diff = max(np.abs(p['scores'] - q['scores']).max()
               for a, b in zip(offline, bgr)
               for p, q in zip(a['people'], b['people']))
    assert diff > 1e-3


def test_a_slow_model_skips_keyframes_with_bounded_latency(
        detector, clips):
    """Inference slower than the keyframe rate: keyframes are skipped
    (counted), never queued; each result comes within one keyframe interval
    plus one inference of its clip's last frame; tracks go on."""
    def slow_people(frame, second):
        time.sleep(0.45)
        return np.array([[0.2, 0.1, 0.7, 0.95, 0.9]])

    interval = 0.25
    api = inferencer(detector, slow_people, interval=interval)
    took, step = [], api._keyframe

    def timed(*args):  # one inference: people, tracks, model
        start = time.perf_counter()
        out = step(*args)
        took.append(time.perf_counter() - start)
        return out

    api._keyframe = timed
    results = list(api.iter_live(clips['carphone_pristine']))
    keyframes = 17  # 0 ... 4.0 s (the clip lasts 4.004 s) every 0.25 s
    # each keyframe scored or skipped (counted in the next result, or in
    # the capture's total for the last ones of the stream)
    assert api.capture.skipped + len(results) == keyframes
    assert api.capture.skipped - 2 <= sum(r['skipped'] for r in results) \
        <= api.capture.skipped
    assert api.capture.skipped >= 6
    seconds = [r['second'] for r in results]
    assert seconds == sorted(seconds)
    slack = 0.25  # packing, thread wake-up on a busy 2-core CI
    assert max(r['latency'] for r in results[:-2]) <= \
        interval + max(took) + slack
    tracks = {r['people'][0]['track'] for r in results[2:]}
    assert tracks == {results[2]['people'][0]['track']} != {None}
    assert api.capture.peak <= api.capture.keep


def test_interrupted_live_run_closes_every_output(tmp_path, detector, clips):
    """Ctrl-C after a few keyframes: the JSON lines, CSV and JSON parse
    whole, and the annotated video is complete under its final name."""
    import cv2
    people = tmp_path / 'boxes.csv'
    people.write_text(''.join(f'{s},0.1,0.1,0.6,0.95,1\n' for s in range(10)))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / 'tools/demo_video.py'), clips['bikes'],
         CONFIG, detector, '--labels', LABELS, '--realtime', '--thr', '0',
         '--boxes', str(people),
         '--out-dir', str(tmp_path), '--out-jsonl', '-',
         '--out-stream', str(tmp_path / 'stream.ts')],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline() for _ in range(3)]
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert 'interrupted: closing the outputs' in err
    records = [json.loads(line) for line in lines + rest.splitlines()]
    assert 3 <= len(records) < 10  # stopped before the 10 s clip's end
    assert all(r['people'] for r in records)
    saved = json.loads((tmp_path / 'actions.json').read_text())
    assert [r['second'] for r in saved] == [r['second'] for r in records]
    rows = (tmp_path / 'actions.csv').read_text().splitlines()
    assert len(rows) - 1 == sum(len(p['actions']) for r in records
                                for p in r['people'])
    cap = cv2.VideoCapture(str(tmp_path / 'annotated.mp4'))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) >= 25 * len(records) - 25
    assert not list(tmp_path.glob('*.part*'))
    # the same frames encoded by ffmpeg (H.264 in MPEG-TS), complete
    cap = cv2.VideoCapture(str(tmp_path / 'stream.ts'))
    count = 0
    while cap.read()[0]:
        count += 1
    assert count == cv2.VideoCapture(str(tmp_path / 'annotated.mp4')).get(
        cv2.CAP_PROP_FRAME_COUNT)


def test_annotated_frames_stream_over_tcp(tmp_path):
    """ffmpeg pushes the frames as MPEG-TS to a TCP listener; what it
    receives decodes to the frames sent, annotated."""
    import socket
    import threading

    import cv2

    from videomae_det.apis import AnnotatedStream
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(1)
    received = bytearray()

    def receive():
        conn, _ = server.accept()
        while chunk := conn.recv(1 << 16):
            received.extend(chunk)
        conn.close()

    thread = threading.Thread(target=receive)
    thread.start()
    port = server.getsockname()[1]
    stream = AnnotatedStream(f'tcp://127.0.0.1:{port}', 25.0)
    frames = [np.full((96, 130, 3), 8 * i, np.uint8) for i in range(30)]
    for i, frame in enumerate(frames):
        stream.frame(i, frame)
    stream.keyframe(dict(second=0.0, people=[dict(
        track=1, box=[0.1, 0.1, 0.6, 0.9], actions=[('wave', 0.9)])]))
    stream.keyframe(dict(second=1.0, people=[]))
    stream.close()
    thread.join(timeout=30)
    server.close()
    (tmp_path / 'got.ts').write_bytes(bytes(received))
    cap = cv2.VideoCapture(str(tmp_path / 'got.ts'))
    got = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        got.append(img)
    assert len(got) == 30 and got[0].shape[:2] == (96, 130)
    # frame 20 (no people): the grey level sent; frame 0: a box drawn
    assert abs(float(got[20][40:60, 40:80].mean()) - 160) < 4
    assert np.abs(got[0].astype(int) - 0).max() > 100
