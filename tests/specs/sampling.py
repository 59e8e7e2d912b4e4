"""Spec rows for backchain/_rules/sampling.py: padding, interpolation, shuffles, affine grids, grid sampling."""
import numpy as np

from backchain._rules import sampling as S
from tests.specs import Spec

G = ("take_flat", "scatter_flat")


def away_from_integers(n_w, n_h, align_corners):
    """Reject grids whose pixel coordinates sit within 0.02 of an integer (the kinks of bilinear sampling)."""
    def avoid(x, grid):
        gx, gy = grid[..., 0], grid[..., 1]
        if align_corners:
            cx, cy = (gx + 1) / 2 * (n_w - 1), (gy + 1) / 2 * (n_h - 1)
        else:
            cx, cy = ((gx + 1) * n_w - 1) / 2, ((gy + 1) * n_h - 1) / 2
        return any(np.any(np.abs(c - np.round(c)) < 0.02) for c in (cx, cy))
    return avoid


def in_square(rng, shape):
    return rng.uniform(-0.9, 0.9, size=shape)


SPECS = [
    Spec(lambda x: S.pad(x, (1, 2), value=0.5), [((2, 3),)], prims=("index_add",), id="pad-constant"),
    Spec(lambda x: S.pad(x, (1, 2, 2, 1), mode="reflect"), [((1, 1, 3, 4),)], prims=("getitem", "concatenate"),
         id="pad-reflect"),
    Spec(lambda x: S.pad(x, (2, 1), mode="replicate"), [((2, 3),)], prims=("getitem", "concatenate"),
         id="pad-replicate"),
    Spec(lambda x: S.pad(x, (1, 1, 0, 2), mode="circular"), [((1, 2, 3),)], prims=("getitem", "concatenate"),
         id="pad-circular"),
    Spec(lambda x: S.interpolate(x, scale_factor=2), [((1, 2, 3, 2),)], prims=G, id="interpolate-nearest"),
    Spec(lambda x: S.interpolate(x, size=(5,), mode="nearest-exact"), [((2, 1, 3),)], prims=G,
         id="interpolate-nearest-exact"),
    Spec(lambda x: S.interpolate(x, size=(4, 5), mode="bilinear", align_corners=True), [((1, 2, 3, 3),)],
         prims=("matmul",), id="interpolate-bilinear-align"),
    Spec(lambda x: S.interpolate(x, scale_factor=1.5, mode="bilinear"), [((1, 1, 3, 4),)], prims=("matmul",),
         id="interpolate-bilinear"),
    Spec(lambda x: S.pixel_shuffle(x, 2), [((1, 8, 2, 3),)], prims=("reshape", "transpose"), id="pixel_shuffle"),
    Spec(lambda x: S.pixel_unshuffle(x, 2), [((1, 2, 4, 2),)], prims=("reshape", "transpose"),
         id="pixel_unshuffle"),
    Spec(lambda t: S.affine_grid(t, (2, 1, 3, 4)), [((2, 2, 3),)], prims=("matmul",), id="affine_grid"),
    Spec(lambda t: S.affine_grid(t, (1, 1, 2, 3, 2), align_corners=True), [((1, 3, 4),)], prims=("matmul",),
         id="affine_grid-3d"),
    Spec(lambda x, g: S.grid_sample(x, g), [((2, 2, 4, 5), (2, 3, 2, 2))], prims=G, id="grid_sample-zeros",
         domain=in_square, avoid=away_from_integers(5, 4, False)),
    Spec(lambda x, g: S.grid_sample(x, g * 1.4, padding_mode="zeros", align_corners=True),
         [((1, 2, 4, 5), (1, 3, 3, 2))], prims=G, id="grid_sample-zeros-outside", domain=in_square,
         avoid=lambda x, g: away_from_integers(5, 4, True)(x, g * 1.4) or np.any(np.abs(np.abs(g * 1.4) - 1) < 0.05)),
    Spec(lambda x, g: S.grid_sample(x, g, padding_mode="border", align_corners=True),
         [((1, 1, 3, 4), (1, 2, 3, 2))], prims=G, id="grid_sample-border", domain=in_square,
         avoid=away_from_integers(4, 3, True)),
    Spec(lambda x, g: S.grid_sample(x, g * 1.5, padding_mode="reflection"), [((1, 2, 4, 4), (1, 2, 3, 2))],
         prims=G, id="grid_sample-reflection", domain=in_square,
         avoid=lambda x, g: away_from_integers(4, 4, False)(x, g * 1.5) or np.any(np.abs(np.abs(g * 1.5) - 1) < 0.05)),
    Spec(lambda x, g: S.grid_sample(x, g, mode="nearest"), [((1, 2, 3, 4), (1, 2, 2, 2))], prims=G,
         id="grid_sample-nearest", domain=in_square,
         avoid=lambda x, g: np.any(np.abs(((g[..., 0] + 1) * 4 - 1) / 2 % 1 - 0.5) < 0.05)
         or np.any(np.abs(((g[..., 1] + 1) * 3 - 1) / 2 % 1 - 0.5) < 0.05)),
]

COVERED_ELSEWHERE = {}
