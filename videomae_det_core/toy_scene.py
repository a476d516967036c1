"""The rendered people and rooms of the generated toy sets (AVA and tube
formats): deterministic from a numpy generator, with the structure at the
16-px patch scale that masked-patch pre-training needs."""
import cv2
import numpy as np


def draw_person(img: np.ndarray, box, shirt, trousers) -> float:
    """A person-like figure filling ``box`` (x1, y1, x2, y2 in pixels):
    head, striped shirt, trousers, arms at the sides. Returns the neck's
    y, where an arm can be attached.

    The stripes and limbs give the figure structure at the patch scale, so
    a masked patch is predictable from its neighbours (flat boxes leave the
    per-patch normalised pre-training target nothing but codec noise).
    """
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    shirt, trousers = np.asarray(shirt, float), np.asarray(trousers, float)
    neck, hip = y1 + 0.28 * h, y1 + 0.62 * h
    xs = [round(x1 + f * w) for f in (0, .12, .45, .55, .88, 1)]
    cv2.circle(img, (round((x1 + x2) / 2), round(y1 + 0.14 * h)),
               max(2, round(0.13 * h)), (200, 210, 235), -1)
    cv2.rectangle(img, (xs[1], round(neck)), (xs[4], round(hip)),
                  shirt.tolist(), -1)
    stripe = (shirt * 0.55).tolist()
    for y in np.arange(neck + 0.1 * h, hip, 0.1 * h):
        cv2.line(img, (xs[1], round(y)), (xs[4], round(y)), stripe, 1)
    for a, b in ((xs[1], xs[2]), (xs[3], xs[4])):  # legs
        cv2.rectangle(img, (a, round(hip)), (b, round(y2)),
                      trousers.tolist(), -1)
    for x in (xs[0], xs[5]):  # arms hanging at the sides
        cv2.line(img, (x, round(neck)), (x, round(hip)), stripe, 2)
    return neck


def make_room(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A static ``(h, w, 3)`` scene: shaded wall, floor boards and a few
    pieces of furniture, all with edges a masked-patch model can
    continue."""
    wall = rng.integers(70, 170, 3)
    floor = rng.integers(40, 120, 3)
    shade = np.linspace(0.8, 1.1, h)[:, None, None]
    img = np.empty((h, w, 3))
    horizon = int(rng.integers(h // 2, 2 * h // 3))
    img[:horizon] = wall * shade[:horizon]
    img[horizon:] = floor * shade[horizon:]
    for x in range(0, w, 16):  # floor boards
        cv2.line(img, (x, horizon), (x + (x - w // 2) // 2, h),
                 (floor * 0.7).tolist(), 1)
    for _ in range(rng.integers(2, 5)):
        x, y = int(rng.integers(0, w - 20)), int(rng.integers(8, horizon))
        bw, bh = int(rng.integers(10, 30)), int(rng.integers(8, 30))
        color = rng.integers(30, 220, 3)
        cv2.rectangle(img, (x, y), (x + bw, y + bh), color.tolist(), -1)
        cv2.rectangle(img, (x, y), (x + bw, y + bh),
                      (color * .5).tolist(), 1)
    return img.clip(0, 255).astype(np.uint8)
