"""``imagenet32 demo``: the whole job on a small generated ImageNet-like tree.

The tree has the layout and the problem files of the real thing: class
folders named by WNID with JPEGs in ImageNet's shapes (landscape, portrait,
strips, tiny), some grayscale, a CMYK JPEG, a PNG named .JPEG and a truncated
file; a flat validation folder labelled by a devkit-style ground truth; and a
class map whose IDs are not in sorted-WNID order, as in the real devkit.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import formats
from .build import DEFAULT_SIZES, BuildError, build

__all__ = ["DemoTree", "make_demo_tree", "preview", "run_demo"]

# Five classes, listed in devkit-ID order (deliberately not sorted by WNID).
CLASSES = [
    ("n02119789", "kit_fox"),
    ("n02100735", "English_setter"),
    ("n01440764", "tench"),
    ("n03710637", "maillot"),
    ("n07583066", "guacamole"),
]
SHAPES = [(500, 375), (375, 500), (500, 333), (500, 500), (333, 500), (120, 90), (500, 33), (16, 90)]
VAL_IMAGES = 10


@dataclass(frozen=True)
class DemoTree:
    train: Path
    val: Path
    devkit: Path


def _picture(rng: np.random.Generator, size: tuple[int, int], tint: np.ndarray) -> Image.Image:
    """A photo-like RGB image: a tinted gradient, a few shapes, some grain."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    base = (x / max(width - 1, 1) * 160 + y / max(height - 1, 1) * 60)[..., None] * tint / 255.0
    grain = rng.normal(0, 12, (height, width, 3))
    im = Image.fromarray(np.clip(base + grain + 30, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(4):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(2, max(3, min(width, height) // 3)))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0 - r, y0 - r, x0 + r, y0 + r), fill=colour)
        else:
            draw.rectangle((x0 - r, y0 - r // 2, x0 + r, y0 + r // 2), fill=colour)
    return im


def _save_jpeg(im: Image.Image, path: Path, rng: np.random.Generator) -> None:
    im.save(path, "JPEG", quality=int(rng.integers(75, 96)), progressive=bool(rng.random() < 0.3),
            subsampling=int(rng.choice([0, 2])))


def make_demo_tree(root: str | Path, seed: int = 0) -> DemoTree:
    """Write the demo tree under ``root`` (train/, val/, devkit/)."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    train, val, devkit = root / "train", root / "val", root / "devkit"
    for folder in (train, val, devkit):
        folder.mkdir(parents=True, exist_ok=True)
    tints = rng.integers(90, 256, (len(CLASSES), 3))
    for index, (wnid, _) in enumerate(CLASSES):
        folder = train / wnid
        folder.mkdir(exist_ok=True)
        for i, shape in enumerate(SHAPES):
            im = _picture(rng, shape, tints[index])
            path = folder / f"{wnid}_{i + 1}.JPEG"
            if i == 1:
                im = im.convert("L")  # grayscale JPEGs: a few thousand in ImageNet
            if index == 0 and i == 2:
                im.convert("CMYK").save(path, "JPEG", quality=90)  # like n01739381_1309
            elif index == 1 and i == 3:
                im.save(path, "PNG")  # a PNG named .JPEG, like n02105855_2933
            else:
                _save_jpeg(im, path, rng)
        broken = folder / f"{wnid}_{len(SHAPES) + 1}.JPEG"
        if index == 2:
            data = (train / CLASSES[0][0] / f"{CLASSES[0][0]}_1.JPEG").read_bytes()
            broken.write_bytes(data[: len(data) // 2])  # a truncated download
    truth = []
    for number in range(1, VAL_IMAGES + 1):
        label = int(rng.integers(0, len(CLASSES)))
        shape = SHAPES[int(rng.integers(0, 5))]
        _save_jpeg(_picture(rng, shape, tints[label]), val / f"ILSVRC2012_val_{number:08d}.JPEG", rng)
        truth.append(label + 1)
    (devkit / "map_clsloc.txt").write_text(
        "".join(f"{wnid} {i} {name}\n" for i, (wnid, name) in enumerate(CLASSES, 1)), encoding="utf-8"
    )
    (devkit / "ILSVRC2012_validation_ground_truth.txt").write_text("".join(f"{t}\n" for t in truth))
    return DemoTree(train, val, devkit)


def preview(datasets: Path, out_png: Path, count: int = 12, cell: int = 64) -> Path:
    """A picture of the first train images at every size, one row per size, enlarged to `cell` pixels."""
    rows = []
    for size in DEFAULT_SIZES:
        folder = datasets / f"Imagenet{size}_train"
        if not folder.exists():
            continue
        fmt = "npz" if (folder / formats.train_batch_name(1, "npz")).exists() else "pickle"
        parts, have = [], 0
        for i in range(1, formats.TRAIN_BATCHES + 1):
            if have >= count:
                break
            parts.append(formats.read_batch(folder / formats.train_batch_name(i, fmt)).data[: count - have])
            have += len(parts[-1])
        images = np.concatenate(parts).reshape(-1, 3, size, size).transpose(0, 2, 3, 1)
        cells = [np.asarray(Image.fromarray(im).resize((cell, cell), Image.Resampling.NEAREST)) for im in images]
        cells += [np.full((cell, cell, 3), 255, np.uint8)] * (count - len(cells))
        rows.append(np.concatenate([np.pad(c, ((2, 2), (2, 2), (0, 0)), constant_values=255) for c in cells], axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(out_png)
    return out_png


def run_demo(out: str | Path = "imagenet32-demo", workers: int | None = None, progress: bool = True) -> int:
    out = Path(out)
    try:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            print(f"imagenet32 demo: {out} exists and is not an empty folder; give another folder", file=sys.stderr)
            return 2
        if workers is not None and workers < 1:
            print(f"imagenet32 demo: --workers must be at least 1, got {workers}", file=sys.stderr)
            return 2
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"imagenet32 demo: {out}: {error.strerror or error}", file=sys.stderr)
        return 2
    # Stopped or failed part way, the folder (empty or new before) is emptied again, so
    # that the same command runs again.
    try:
        code = _demo(out, workers, progress)
    except OSError as error:  # a full disk, a read-only folder: said in a line, as the checks above
        print(f"imagenet32 demo: {error.filename or out}: {error.strerror or error}", file=sys.stderr)
        code = 2
    except BaseException:
        _empty(out)
        raise
    if code:
        _empty(out)
    return code


def _empty(folder: Path) -> None:
    for made in folder.iterdir():
        if made.is_dir():
            shutil.rmtree(made, ignore_errors=True)
        else:
            made.unlink(missing_ok=True)


def _demo(out: Path, workers: int | None, progress: bool) -> int:
    tree = make_demo_tree(out / "imagenet")
    print(f"made a small ImageNet-like tree in {out / 'imagenet'}: {len(CLASSES)} classes, "
          f"{len(CLASSES) * len(SHAPES) + 1} train files (grayscale, CMYK, PNG-named-JPEG, one truncated), "
          f"{VAL_IMAGES} val files")
    try:
        report = build(tree.train, tree.val, tree.devkit, out / "datasets", workers=workers, progress=progress)
    except BuildError as error:
        print(f"imagenet32 demo: error: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    print(f"skipped files and reasons: {out / 'datasets' / 'skipped.csv'}")
    picture = preview(out / "datasets", out / "preview.png")
    print(f"preview of Imagenet8/16/32/64 (one row each): {picture}")
    return 0


def add_commands(commands) -> None:
    p = commands.add_parser(
        "demo",
        help="build all four sizes from a small generated ImageNet-like tree",
        description="Generate a small ImageNet-like tree, build Imagenet8/16/32/64 from it and write a preview.",
    )
    p.add_argument("out", nargs="?", default="imagenet32-demo", help="an empty or new folder (default: ./imagenet32-demo)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all the cores this process may use)")
    p.set_defaults(run=lambda args: run_demo(args.out, args.workers))
