"""Record what the installed Pillow returns for every case of cases.json.

    <venv>/bin/python make_goldens.py --out pillow-<version>.npz

Needs only numpy and the Pillow under test. Works from Pillow 4.1.1 to 13.0:
pixels go in with Image.new + putdata (I;16: Image.frombuffer, a memory map,
because putdata mis-stores I;16 up to 8.x) and come out with getdata, so no
codec is used (4.x's codecs fail on Python 3.11). A case that the release
refuses (unknown filter, missing argument or method, wrong mode) is left out;
its error text goes into the `errors` entry.
"""
import argparse
import json
import os
import platform
import sys
import warnings

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FILTER_IDS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3,
              "box": 4, "hamming": 5, "mks2013": 6, "mks2021": 7}
BANDS = {"L": [0], "P": [0], "1": [0], "LA": [0, 3], "RGB": [0, 1, 2], "RGBA": [0, 1, 2, 3]}
DTYPES = {"I": np.int32, "F": np.float32, "I;16": np.uint16}


def pillow_filter(name):
    """Image.Resampling.X (9.1+) or Image.X (older); the raw id when the release lacks it."""
    constants = getattr(Image, "Resampling", Image)
    return getattr(constants, name.upper(), FILTER_IDS[name])


def make_image(a, mode, palette):
    h, w = a.shape[:2]
    if mode == "I;16":
        data = np.ascontiguousarray(a, dtype="<u2").tobytes()
        return Image.frombuffer(mode, (w, h), data, "raw", mode, 0, 1)
    if mode in DTYPES:
        values = a.ravel().tolist()
    elif mode == "1":
        values = np.where(a[..., 0] >= 128, 255, 0).ravel().tolist()
    elif len(BANDS[mode]) == 1:
        values = a[..., 0].ravel().tolist()
    else:
        values = [tuple(p) for p in a[..., BANDS[mode]].reshape(h * w, -1).tolist()]
    im = Image.new(mode, (w, h))
    im.putdata(values)
    if mode == "P":
        try:
            im.putpalette(palette.ravel().tolist())
        except SystemError:  # 4.1.1 on Python 3.11 (PY_SSIZE_T_CLEAN): keep the default palette,
            im = Image.new(mode, (w, h))  # the resized indices do not depend on it
            im.putdata(values)
    return im


def to_array(im):
    a = np.array(list(im.getdata()), dtype=DTYPES.get(im.mode, np.uint8))
    w, h = im.size
    return a.reshape((h, w) + a.shape[1:])


def run(case, im):
    if case["op"] == "reduce":
        kwargs = {} if case["box"] is None else {"box": tuple(case["box"])}
        return im.reduce(tuple(case["factor"]), **kwargs)
    kwargs = {}
    if case["box"] is not None:
        kwargs["box"] = tuple(case["box"])
    if case["reducing_gap"] is not None:
        kwargs["reducing_gap"] = case["reducing_gap"]
    return im.resize(tuple(case["size"]), pillow_filter(case["filter"]), **kwargs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--inputs", default=os.path.join(HERE, "inputs.npz"))
    ap.add_argument("--cases", default=os.path.join(HERE, "cases.json"))
    args = ap.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)  # getdata in 13.0, constants in 9.x
    inputs = np.load(args.inputs)
    with open(args.cases) as fh:
        cases = json.load(fh)["cases"]
    images, outputs, errors = {}, {}, {}
    for case in cases:
        key = (case["img"], case["mode"])
        if key not in images:
            images[key] = make_image(inputs[case["img"]], case["mode"], inputs["palette"])
        try:
            out = run(case, images[key])
        except Exception as e:
            errors[str(case["case"])] = "%s: %s" % (type(e).__name__, e)
            continue
        outputs["case%d" % case["case"]] = to_array(out)
    version = getattr(PIL, "__version__", None) or Image.PILLOW_VERSION
    meta = {"pillow": version, "python": sys.version.split()[0], "numpy": np.__version__,
            "machine": platform.machine(), "cases": len(cases), "errors": len(errors)}
    np.savez_compressed(args.out, errors=np.array(json.dumps(errors, sort_keys=True)),
                        meta=np.array(json.dumps(meta)), **outputs)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
