"""Spec rows for backchain/_rules/conv.py: convolutions and transposed convolutions (float64, to order 2)."""
from backchain._rules import conv as C
from tests.specs import Spec

P = ("conv", "conv_input_grad", "conv_weight_grad")
B = P + ("conv_bias",)

SPECS = [
    Spec(lambda x, w, b: C.conv1d(x, w, b, stride=2, padding=1), [((2, 3, 7), (4, 3, 3), (4,))], prims=B,
         id="conv1d-stride-pad"),
    Spec(lambda x, w: C.conv1d(x, w, padding="same", dilation=2), [((1, 2, 6), (2, 2, 3))], prims=P,
         id="conv1d-same-dilation"),
    Spec(lambda x, w: C.conv1d(x, w, padding=2, padding_mode="circular"), [((1, 2, 5), (3, 2, 3))], prims=P,
         id="conv1d-circular"),
    Spec(lambda x, w, b: C.conv2d(x, w, b), [((2, 2, 5, 4), (3, 2, 3, 2), (3,))], prims=B, id="conv2d"),
    Spec(lambda x, w, b: C.conv2d(x, w, b, groups=2, padding=1, stride=2), [((1, 4, 5, 4), (4, 2, 3, 3), (4,))],
         prims=B, id="conv2d-bias-groups"),
    Spec(lambda x, w: C.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
         [((1, 2, 6, 5), (2, 2, 3, 2))], prims=P, id="conv2d-stride-pad-dilation"),
    Spec(lambda x, w: C.conv2d(x, w, groups=2, padding=1), [((2, 4, 4, 4), (6, 2, 3, 3))], prims=P,
         id="conv2d-groups"),
    Spec(lambda x, w: C.conv2d(x, w, groups=3, padding="same"), [((1, 3, 4, 5), (3, 1, 3, 3))], prims=P,
         id="conv2d-depthwise-same"),
    Spec(lambda x, w: C.conv2d(x, w, padding=1, padding_mode="reflect"), [((1, 2, 4, 4), (2, 2, 3, 3))], prims=P,
         id="conv2d-reflect"),
    Spec(lambda x, w: C.conv2d(x, w, padding=(1, 2), padding_mode="replicate"), [((1, 1, 3, 4), (2, 1, 2, 3))],
         prims=P, id="conv2d-replicate"),
    Spec(lambda x, w: C.conv2d(x, w), [((2, 4, 4), (3, 2, 2, 2))], prims=P, id="conv2d-unbatched"),
    Spec(lambda x, w: C.conv3d(x, w, stride=2, padding=1), [((1, 2, 4, 3, 4), (2, 2, 2, 2, 2))], prims=P,
         id="conv3d"),
    Spec(lambda x, w, b: C.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1),
         [((2, 3, 4), (3, 2, 3), (2,))], prims=P, id="conv_transpose1d"),
    Spec(lambda x, w: C.conv_transpose2d(x, w, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2,
                                         dilation=(2, 1)),
         [((1, 4, 3, 3), (4, 2, 3, 2))], prims=P, id="conv_transpose2d"),
]

COVERED_ELSEWHERE = {}
