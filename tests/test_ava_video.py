"""AVAVideoDecode: PyAV's forward decoding against decord's frames, and the
decode at the pipeline's size against decoding and resizing."""
import subprocess

import numpy as np
import pytest


def _info(path: str, start: int = 0) -> dict:
    """A clip of 16 frames at stride 4 from frame ``start``, with boxes."""
    boxes = np.array([[0.1, 0.2, 0.5, 0.9], [0.4, 0.1, 0.95, 0.7]],
                     np.float32)
    return dict(frame_dir=path[:-4], timestamp_start=0, fps=25,
                start_index=0, frame_inds=np.arange(start, start + 61, 4),
                proposals=boxes, gt_bboxes=boxes[:1].copy())


def test_full_size_frames_are_decords_bit_for_bit(clips):
    import decord

    from videomae_det.datasets import AVAVideoDecode
    path = clips['bigbuckbunny']  # 720p H.264, 132 frames
    reader = decord.VideoReader(path, num_threads=1)
    step = AVAVideoDecode(units='frames')
    for start in (0, 8, 60, 30):  # forward, overlapping, ahead, back
        out = step(_info(path, start))
        inds = np.arange(start, start + 61, 4).clip(0, len(reader) - 1)
        assert np.array_equal(np.stack(out['imgs']),
                              reader.get_batch(inds.tolist()).asnumpy())
        assert out['img_shape'] == out['original_shape'] == (720, 1280)
    assert np.allclose(out['proposals'][0], [128, 144, 640, 648])
    # 0-60, 61-68 (overlap), from the keyframe before 60 to 120, then back
    # from the keyframe before 30: every frame decoded once per position
    assert step.decoded < 2 * len(reader)


def test_decode_at_the_pipeline_size_is_decode_then_resize(clips):
    from mmaction.datasets.transforms import Resize

    from videomae_det.datasets import AVAVideoDecode
    path = clips['bigbuckbunny']
    resize = Resize(scale=(-1, 256))
    exact, small = AVAVideoDecode(units='frames'), AVAVideoDecode(
        units='frames', scale=(-1, 256))
    seek = AVAVideoDecode(units='frames', scale=(-1, 256), stream=False)
    for start in (0, 24, 48):  # overlapping clips: frames converted once
        a = resize(exact(_info(path, start)))
        b = small(_info(path, start))
        assert a['img_shape'] == b['img_shape'] == (256, 455)
        assert a['original_shape'] == b['original_shape'] == (720, 1280)
        for key in ('scale_factor', 'proposals', 'gt_bboxes'):
            assert np.array_equal(a[key], b[key]) and \
                a[key].dtype == b[key].dtype, key
        x, y = (np.stack(r['imgs']).astype(np.int16) for r in (a, b))
        diff = np.abs(x - y)  # measured: mean 1.1, 99th percentile 3
        assert diff.mean() < 1.5 and np.percentile(diff, 99) <= 5
        assert np.array_equal(y, np.stack(seek(_info(path, start))['imgs']))
    assert small.decoded == exact.decoded < seek.decoded


@pytest.mark.parametrize('tags,matrix', [
    ([], (601, False)),  # untagged: BT.601, limited range
    (['-colorspace', 'bt709'], (709, False)),
    (['-pix_fmt', 'yuvj420p'], (601, True))])
def test_conversion_follows_the_colour_tags_as_swscale(tmp_path, tags,
                                                       matrix):
    import av
    import cv2
    import decord
    import imageio_ffmpeg

    from videomae_det.datasets.video_frames import small_rgb, yuv_to_rgb_matrix
    path = str(tmp_path / 'colour.mp4')
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-v', 'error', '-f',
                    'lavfi', '-i', 'color=c=0xC03020:s=64x48:d=0.2', '-c:v',
                    'libx264', '-pix_fmt', 'yuv420p'] + tags + [path],
                   check=True)
    with av.open(path) as container:
        frame = next(container.decode(video=0))
        ours = small_rgb(frame, (64, 48)).astype(np.int16)
        planes = cv2.merge([np.frombuffer(p, np.uint8).reshape(
            p.height, p.line_size)[:, :p.width].repeat(
                64 // p.width, 1).repeat(48 // p.height, 0)
            for p in frame.planes])
    swscale = decord.VideoReader(path)[0].asnumpy().astype(np.int16)
    assert np.abs(ours - swscale).max() <= 3  # (swscale's own rounding)
    colorspace = 2 if matrix[0] == 709 else 1  # 2: unspecified, BT.601
    for wrong in (yuv_to_rgb_matrix(colorspace, matrix[1]),
                  yuv_to_rgb_matrix(3 - colorspace, not matrix[1])):
        assert np.abs(cv2.transform(planes, wrong) - swscale).max() >= 6


def test_a_timeline_pyav_cannot_follow_is_read_with_decord(clips,
                                                           monkeypatch):
    from videomae_det.datasets import AVAVideoDecode, video_frames

    def refuse(*args):
        raise LookupError('the first frame is at 0.04 s')

    path = clips['bikes']
    reference = AVAVideoDecode(units='frames', stream=False)(_info(path))
    monkeypatch.setattr(video_frames.ForwardDecoder, '__init__', refuse)
    step = AVAVideoDecode(units='frames')
    out = step(_info(path))
    assert step._forward is False
    assert np.array_equal(np.stack(out['imgs']), np.stack(reference['imgs']))
