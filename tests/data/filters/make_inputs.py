"""Write inputs.npz and cases.json for make_goldens.py (run once, with numpy only).

    python3 make_inputs.py [--golden ../../../../shared/golden/inputs.npz]

Some images are reused from the BOX goldens' inputs.npz (shared/golden); the
rest are drawn from a fixed seed. See README.md for the format.
"""
import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FILTERS = ["nearest", "box", "bilinear", "hamming", "bicubic", "lanczos", "mks2013", "mks2021"]


def make_inputs(golden):
    g = np.load(golden)
    rng = np.random.default_rng(20240605)
    u8 = lambda h, w: rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    a = {
        # ImageNet-like shapes (names are W x H): noise, noise, 5x5 blocks with transparent holes
        "im500x375": g["img0"],
        "im375x500": g["img1"],
        "im333x500": np.ascontiguousarray(g["img2"].transpose(1, 0, 2)),
        "im33x95": g["img13"],            # 13.0 runs it vertical first at 17x52
        "strip8x300": g["img10"][:300],
        "im97x83": g["img0"][:83, :97],   # reduce, P and 1
        "im7x5": u8(5, 7),
        "im2x2": u8(2, 2),
        "tie13x17": u8(17, 13),
        "tall3x312": u8(312, 3),          # > 100x taller than wide
        "tall4x450": u8(450, 4),
    }
    for t in ["13_6", "15_14", "63_20", "2_49", "17_10"]:
        for o in "hv":
            a["tie_%s_%s" % (t, o)] = g["tie_%s_%s" % (t, o)]
    # hard 0/255 edges (clipping), a gradient and noise; alpha 0, 255 and ramps
    e = np.zeros((48, 64, 4), np.uint8)
    e[..., 0] = np.kron(rng.integers(0, 2, (6, 8)), np.ones((8, 8), int)) * 255
    e[..., 1] = np.linspace(0, 255, 64).astype(np.uint8)[None, :]
    e[..., 2] = rng.integers(0, 256, (48, 64))
    e[..., 3] = np.where(e[..., 0] > 0, 255, np.linspace(0, 255, 48).astype(np.uint8)[:, None])
    e[:8, :, 3] = 0
    a["edges64x48"] = e
    a["palette"] = rng.integers(0, 256, (256, 3), dtype=np.uint8)

    # 32-bit and 16-bit images (2-D), H x W = 125 x 167, in three horizontal zones
    def zones(top, mid, bottom):
        return np.concatenate([top(42), mid(42), bottom(41)], axis=0)

    blocks = lambda h, lo, hi: np.kron(rng.integers(0, 2, (h // 8 + 1, 167 // 8 + 1)),
                                       np.ones((8, 8), int))[:h, :167] * (hi - lo) + lo
    a["i32_167x125"] = zones(lambda h: rng.integers(-10**9, 10**9, (h, 167)),
                             lambda h: rng.integers(-300, 301, (h, 167)),
                             lambda h: blocks(h, -2**30, 2**30 - 1) + rng.integers(-3, 4, (h, 167)),
                             ).astype(np.int32)
    a["f32_167x125"] = zones(lambda h: rng.standard_normal((h, 167)) * 10.0 ** rng.uniform(-30, 30, (h, 167)),
                             lambda h: rng.uniform(-2, 2, (h, 167)),
                             lambda h: blocks(h, -1e37, 1e37) * rng.choice([1.0, 1e-80], (h, 167)),
                             ).astype(np.float32)
    a["u16_167x125"] = zones(lambda h: rng.integers(0, 65536, (h, 167)),
                             lambda h: blocks(h, 0, 65535),
                             lambda h: np.where(rng.random((h, 167)) < 0.5,
                                                rng.integers(65000, 65536, (h, 167)),
                                                rng.integers(0, 500, (h, 167))),
                             ).astype(np.uint16)
    for k in ["i32", "f32", "u16"]:
        big = a[k + "_167x125"]
        a[k + "_13x17"] = big[34:51, 60:73].copy()   # across the first two zones
        a[k + "_7x5"] = big[82:87, 100:107].copy()   # across the last two zones
    return a


def make_cases():
    cases = []

    def add(group, img, mode, size=None, filt=None, box=None, gap=None, op="resize", factor=None):
        cases.append({"case": len(cases), "group": group, "op": op, "filter": filt, "img": img,
                      "mode": mode, "size": size, "box": box, "reducing_gap": gap, "factor": factor})

    for f in FILTERS:
        r = lambda group, img, mode, size, box=None, gap=None: add(group, img, mode, size, f, box, gap)
        for img in ["im500x375", "im375x500", "im333x500"]:
            for s in ([8, 16, 32, 64] if img == "im500x375" else [32, 64]):
                r("imagenet", img, "RGB", [s, s])
            r("imagenet", img, "L", [32, 32])
            r("imagenet", img, "RGBA", [32, 32])
        r("imagenet", "im500x375", "L", [64, 64])
        r("imagenet", "im375x500", "LA", [32, 32])
        r("imagenet", "im333x500", "LA", [16, 16])
        r("imagenet", "im500x375", "RGBA", [64, 64])
        r("imagenet", "im500x375", "RGB", [64, 48])
        r("imagenet", "im375x500", "L", [24, 32])
        for t in ["13_6", "15_14", "63_20", "2_49", "17_10"]:
            n, m = map(int, t.split("_"))
            r("tie", "tie_%s_h" % t, "RGB", [m, 1])
            r("tie", "tie_%s_v" % t, "RGB", [1, m])
        for mode in ["L", "LA", "RGBA"]:
            r("tie", "tie13x17", mode, [6, 10])
        for mode in ["RGB", "L", "RGBA"]:
            r("upscale", "im7x5", mode, [33, 23])
        for mode in ["RGB", "LA"]:
            r("upscale", "im2x2", mode, [5, 5])
        r("edges", "edges64x48", "L", [20, 15])
        r("edges", "edges64x48", "RGBA", [20, 15])
        r("edges", "edges64x48", "RGB", [96, 72])
        r("strip", "strip8x300", "RGB", [3, 40])
        r("strip", "strip8x300", "L", [3, 40])
        r("tall", "tall3x312", "RGB", [1, 310])
        r("tall", "tall3x312", "L", [2, 31])
        r("tall", "tall4x450", "RGB", [3, 40])
        r("tall", "tall4x450", "L", [4, 45])
        r("tall", "tall4x450", "RGBA", [8, 100])
        r("tall", "im33x95", "RGB", [17, 52])
        r("box", "im500x375", "RGB", [32, 32], box=[10.5, 3.25, 480.75, 370.1])
        r("box", "im375x500", "L", [16, 16], box=[0, 0, 187.5, 250])
        r("box", "tie_13_6_h", "RGB", [6, 1], box=[0.5, 0, 12.5, 1])
        r("box", "im7x5", "RGBA", [17, 9], box=[1.25, 0.5, 5.75, 4.5])
        r("box", "im33x95", "RGB", [4, 8], box=[5, 10, 5, 60])            # zero width
        r("box", "im500x375", "RGB", [32, 32], box=[10, 20, 42, 52])      # crop shortcut
        for g in [1.0, 2.0, 3.0]:
            r("gap", "im500x375", "RGB", [32, 32], gap=g)
        r("gap", "im375x500", "L", [24, 32], gap=2.0)
        r("gap", "im333x500", "LA", [32, 32], gap=2.0)
        r("gap", "im500x375", "RGBA", [32, 32], gap=2.0)
        r("gap", "im500x375", "RGBA", [16, 16], box=[7.5, 0, 400.25, 333], gap=1.5)
        for mode, p in [("I", "i32"), ("F", "f32"), ("I;16", "u16")]:
            r("imagenet", p + "_167x125", mode, [32, 32])
            r("tie", p + "_13x17", mode, [6, 10])
            r("upscale", p + "_7x5", mode, [33, 23])
            r("box", p + "_167x125", mode, [16, 16], box=[2.5, 1.5, 160.25, 120])
            if mode != "I;16":
                r("imagenet", p + "_167x125", mode, [8, 8])
                r("gap", p + "_167x125", mode, [32, 32], gap=2.0)
    # NEAREST's accumulated stepping over long outputs
    add("nearest-drift", "tie_17_10_h", "L", [700, 1], "nearest")
    add("nearest-drift", "im33x95", "L", [331, 7], "nearest")
    add("nearest-drift", "tie_63_20_v", "RGB", [1, 20], "nearest", box=[0, 0.1, 1, 62.3])
    # P and 1: Pillow forces NEAREST whatever the filter
    for mode in ["P", "1"]:
        for f in ["nearest", "bilinear", "bicubic", "lanczos"]:
            add("palette", "im97x83", mode, [40, 30], f)
        add("palette", "im97x83", mode, [33, 29], "bilinear", box=[3.5, 2.25, 90, 80.5])
        add("palette", "im2x2", mode, [5, 49], "nearest")
    # reduce (7.0+)
    all_factors = [[2, 2], [3, 1], [1, 4], [5, 7], [19, 17], [3, 3], [4, 4], [5, 5], [1, 2], [2, 1], [1, 3], [6, 6]]
    for mode, img in [("L", "im97x83"), ("LA", "im97x83"), ("RGB", "im97x83"), ("RGBA", "im97x83"),
                      ("I", "i32_167x125"), ("F", "f32_167x125")]:
        factors = all_factors if mode in ("L", "RGBA") else all_factors[:5]
        for fac in factors:
            add("reduce", img, mode, op="reduce", factor=fac)
        add("reduce", img, mode, op="reduce", factor=[3, 2], box=[5, 3, 90, 77])
        add("reduce", img, mode, op="reduce", factor=[4, 4], box=[0, 10, 97, 81])
    add("reduce", "u16_167x125", "I;16", op="reduce", factor=[2, 2])   # refused: mode
    add("reduce", "im97x83", "P", op="reduce", factor=[2, 2])          # refused: mode
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--golden", default=os.path.join(HERE, "..", "..", "..", "..", "shared", "golden", "inputs.npz"))
    args = ap.parse_args()
    np.savez_compressed(os.path.join(HERE, "inputs.npz"), **make_inputs(args.golden))
    cases = make_cases()
    with open(os.path.join(HERE, "cases.json"), "w") as fh:
        fh.write('{"cases": [\n' + ",\n".join(json.dumps(c) for c in cases) + "\n]}\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
