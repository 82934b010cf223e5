"""``imagenet32 show``: contact sheets against the original script's way of drawing them,
the class histogram, and the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from imagenet32.cli import main
from imagenet32.view import class_counts, contact_sheet, save_grid, save_histogram
from published import arrays, write


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    p = arrays(np.random.default_rng(30), 8, 125, 40)
    return p, write(tmp_path_factory.mktemp("view"), p)


def original_sheet(images: np.ndarray, columns: int) -> np.ndarray:
    """The original test script's sheet: paste each image at (x + 2, y + 2) of its cell
    on a black canvas, cells 4 pixels wider than the images."""
    side = images.shape[1]
    cell = side + 4
    rows = -(-len(images) // columns)
    canvas = Image.new("RGB", (cell * columns, cell * rows))
    for i, image in enumerate(images):
        canvas.paste(Image.fromarray(image), (i % columns * cell + 2, i // columns * cell + 2))
    return np.asarray(canvas)


def test_a_sheet_is_the_original_scripts(dataset):
    p, _ = dataset
    images = p.train.reshape(-1, 3, 8, 8).transpose(0, 2, 3, 1)[:100]
    sheet = contact_sheet(p.train[:100].reshape(-1, 3, 8, 8), columns=10)
    assert sheet.shape == (120, 120, 3) and np.array_equal(sheet, original_sheet(images, 10))


@given(
    seed=st.integers(0, 2**32 - 1),
    side=st.integers(1, 9),
    count=st.integers(1, 40),
    columns=st.integers(1, 12),
    layout=st.sampled_from(["NCHW", "NHWC"]),
)
def test_sheets_of_any_shape(seed, side, count, columns, layout):
    nhwc = np.random.default_rng(seed).integers(1, 256, (count, side, side, 3), dtype=np.uint8)
    images = nhwc if layout == "NHWC" else np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2))
    sheet = contact_sheet(images, layout=layout, columns=columns)
    expected = original_sheet(nhwc, min(columns, count))
    assert sheet.dtype == np.uint8 and np.array_equal(sheet, expected)


@pytest.mark.parametrize(
    "images, kwargs, error, match",
    [
        (np.zeros((2, 3, 4, 4), np.float32), {}, TypeError, "4-D uint8 array, got float32"),
        (np.zeros((2, 4, 4), np.uint8), {}, TypeError, "4-D uint8 array"),
        (np.zeros((2, 4, 4, 3), np.uint8), {}, ValueError, "NCHW RGB images, got shape \\(2, 4, 4, 3\\)"),
        (np.zeros((0, 3, 4, 4), np.uint8), {}, ValueError, "one or more NCHW RGB images"),
        (np.zeros((2, 3, 4, 4), np.uint8), {"columns": 0}, ValueError, "columns must be an int >= 1"),
        (np.zeros((2, 3, 4, 4), np.uint8), {"layout": "CHW"}, ValueError, "layout must be one of"),
    ],
)
def test_contact_sheet_refuses_bad_input(images, kwargs, error, match):
    with pytest.raises(error, match=match):
        contact_sheet(images, **kwargs)


def test_save_grid_spans_files_and_sheets(dataset, tmp_path):
    p, folder = dataset
    written = save_grid(folder, tmp_path / "grid.png", start=10, count=30, columns=4)
    assert written == [tmp_path / f"grid-{k}.png" for k in (1, 2)]  # 16 images per sheet
    first, second = (np.asarray(Image.open(w)) for w in written)
    expected = p.train[10:40].reshape(-1, 3, 8, 8)
    assert np.array_equal(first, contact_sheet(expected[:16], columns=4))
    assert np.array_equal(second, contact_sheet(expected[16:], columns=4))
    assert save_grid(folder, tmp_path / "val.png", split="val", count=5) == [tmp_path / "val.png"]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "val.png")), contact_sheet(p.val[:5].reshape(-1, 3, 8, 8)))


def test_save_grid_draws_one_sheet_or_says_it_drew_fewer(dataset, tmp_path, recwarn):
    p, folder = dataset
    # Without a count: one full sheet of columns x columns images, or all there are, silently.
    assert save_grid(folder, tmp_path / "one.png", start=3, columns=4) == [tmp_path / "one.png"]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "one.png")), contact_sheet(p.train[3:19].reshape(-1, 3, 8, 8), columns=4))
    save_grid(folder, tmp_path / "all.png", start=100)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "all.png")), contact_sheet(p.train[100:].reshape(-1, 3, 8, 8)))
    assert not recwarn.list
    # A count past the end: the rest, and a warning saying how many.
    with pytest.warns(UserWarning, match="train has 25 images from number 100: drew those, not 40"):
        save_grid(folder, tmp_path / "rest.png", start=100, count=40)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "rest.png")), np.asarray(Image.open(tmp_path / "all.png")))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start": 125}, "train has no image number 125"),
        ({"start": -1}, "start must be an int >= 0"),
        ({"count": 0}, "count must be an int >= 1"),
        ({"columns": 1.5}, "columns must be an int >= 1"),
    ],
)
def test_save_grid_refuses_bad_ranges(dataset, tmp_path, kwargs, match):
    _, folder = dataset
    with pytest.raises(ValueError, match=match):
        save_grid(folder, tmp_path / "g.png", **kwargs)


def test_class_counts(dataset):
    p, folder = dataset
    assert np.array_equal(class_counts(folder), np.bincount(p.train_labels - 1, minlength=1000))
    assert np.array_equal(class_counts(folder, split="val"), np.bincount(p.val_labels - 1, minlength=1000))


def test_histogram(dataset, tmp_path):
    pytest.importorskip("matplotlib")
    _, folder = dataset
    for sort in (False, True):
        out = save_histogram(folder, tmp_path / f"h{sort}.png", sort=sort)
        with Image.open(out) as picture:
            assert picture.format == "PNG" and picture.size == (1200, 450)
    plain, ordered = (np.asarray(Image.open(tmp_path / f"h{s}.png").convert("L")) for s in (False, True))
    assert not np.array_equal(plain, ordered)


def test_histogram_without_matplotlib(dataset, tmp_path, monkeypatch, capsys):
    _, folder = dataset
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="needs matplotlib: pip install 'imagenet32\\[plot\\]'"):
        save_histogram(folder, tmp_path / "h.png")
    assert main(["show", str(folder), "--histogram", str(tmp_path / "h.png")]) == 1
    assert "needs matplotlib" in capsys.readouterr().err and not (tmp_path / "h.png").exists()


def test_show_command(dataset, tmp_path, capsys):
    p, folder = dataset
    assert main(["show", str(folder / "val_data"), "--grid", str(tmp_path / "g.png"), "--count", "7"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'g.png'}"  # val chosen: no train file given
    assert np.array_equal(np.asarray(Image.open(tmp_path / "g.png")), contact_sheet(p.val[:7].reshape(-1, 3, 8, 8)))
    assert main(["show", str(folder / "val_data"), "--grid", str(tmp_path / "g.png"), "--count", "99"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"wrote {tmp_path / 'g.png'}"
    assert err.strip() == "imagenet32 show: note: val has 40 images from number 0: drew those, not 99"
    assert main(["show", str(folder)]) == 2
    assert "give --grid OUT.png, --histogram OUT.png or both" in capsys.readouterr().err
    assert main(["show", str(tmp_path / "missing"), "--grid", str(tmp_path / "x.png")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_show_draws_both(dataset, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    _, folder = dataset
    argv = ["show", str(folder), "--grid", str(tmp_path / "g.png"), "--histogram", str(tmp_path / "h.png"), "--sorted"]
    assert main(argv) == 0
    assert [Path(line.removeprefix("wrote ")) for line in capsys.readouterr().out.splitlines()] == [
        tmp_path / "g.png",
        tmp_path / "h.png",
    ]


@pytest.mark.parametrize("draw", ["grid", "histogram"])
def test_pictures_go_exactly_where_named(dataset, tmp_path, capsys, draw):
    """A name without a picture format's extension, or a folder, is refused before anything is
    read or written (matplotlib wrote OUT.png for OUT, next to a folder for a folder)."""
    if draw == "histogram":
        pytest.importorskip("matplotlib")
    _, folder = dataset
    save = {"grid": save_grid, "histogram": save_histogram}[draw]
    (tmp_path / "pictures").mkdir()
    for out, problem in [
        (tmp_path / "pictures", "is a folder; name the"),
        (tmp_path / "sheet", "no extension names a format"),
        (tmp_path / "sheet.txt", "extension '.txt' is not a format"),
        # formats whose writers need what is not there (a plugin, LaTeX) or take only small pictures
        (tmp_path / ("sheet.h5" if draw == "grid" else "chart.pgf"), "is not a format"),
        (tmp_path / ("sheet.ico" if draw == "grid" else "chart.h5"), "is not a format"),
    ]:
        with pytest.raises(ValueError, match=problem):
            save(folder, out)
        assert main(["show", str(folder), f"--{draw}", str(out)]) == 1
        assert problem in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pictures"] and not any((tmp_path / "pictures").iterdir())
    # on the command line both names are checked before either picture is drawn
    other = "--histogram" if draw == "grid" else "--grid"
    assert main(["show", str(folder), other, str(tmp_path / "fine.png"), f"--{draw}", str(tmp_path / "sheet")]) == 1
    assert "no extension names a format" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pictures"]
    written = save(folder, tmp_path / "upper.PNG")
    assert (written if draw == "histogram" else written[0]) == tmp_path / "upper.PNG"
    with Image.open(tmp_path / "upper.PNG") as picture:
        assert picture.format == "PNG"
