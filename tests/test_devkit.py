"""Devkit metadata: class maps, ground truths, Kaggle files, meta.mat, archives, and errors."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagenet32.devkit import (DevkitError, is_wnid, load_devkit, parse_class_map, parse_ground_truth, parse_val_index,
                               val_number)

META = Path(os.environ.get("IMAGENET32_META", Path(__file__).resolve().parents[2] / "shared" / "imagenet-meta"))
real = pytest.mark.skipif(not (META / "map_clsloc.txt").exists(), reason="the devkit-style metadata is not here")


@real
def test_real_metadata_files():
    kit = load_devkit(META)
    assert kit.num_classes == 1000 and kit.wnids[0] == "n02119789" and kit.names[0] == "kit_fox"
    assert len(kit.val_labels) == 50000
    assert kit.val_label("ILSVRC2012_val_00000001.JPEG") == 490
    assert kit.wnids[490 - 1] == "n01751748"  # sea snake
    assert kit.to_sorted(np.array([490]))[0] == 66  # 65 zero-based in sorted-WNID order
    assert kit.to_devkit(kit.to_sorted(np.arange(1, 1001))).tolist() == list(range(1, 1001))
    assert kit.names.count("crane") == 2


def write_kit(folder: Path, wnids: list[str], truth: list[int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "map_clsloc.txt").write_text("".join(f"{w} {i} name_{i}\n" for i, w in enumerate(wnids, 1)))
    if truth:  # an empty file is an error (test_empty_and_odd_files)
        (folder / "ILSVRC2012_validation_ground_truth.txt").write_text("".join(f"{t}\n" for t in truth))


wnid_lists = st.lists(st.integers(0, 99999999).map(lambda n: f"n{n:08d}"), min_size=1, max_size=30, unique=True)


@given(wnids=wnid_lists, data=st.data())
def test_round_trip_of_generated_metadata(tmp_path_factory, wnids, data):
    truth = data.draw(st.lists(st.integers(1, len(wnids)), max_size=40))
    folder = tmp_path_factory.mktemp("kit")
    write_kit(folder, wnids, truth)
    kit = load_devkit(folder)
    assert kit.wnids == tuple(wnids)
    assert [kit.val_label(f"ILSVRC2012_val_{i:08d}.JPEG") for i in range(1, len(truth) + 1)] == truth
    ranks = kit.to_sorted(np.arange(1, len(wnids) + 1))
    assert [sorted(wnids)[r - 1] for r in ranks] == wnids


def test_archive_with_meta_mat(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    wnids = ["n00000003", "n00000001", "n00000002"]
    synsets = np.zeros((4, 1), dtype=[("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("num_children", "O")])
    for i, w in enumerate(wnids):
        synsets[i, 0] = (float(i + 1), w, f"thing {i}", 0.0)
    synsets[3, 0] = (4.0, "n00000009", "a parent", 3.0)  # not a leaf: not a class
    meta = io.BytesIO()
    scipy_io.savemat(meta, {"synsets": synsets})
    archive = tmp_path / "ILSVRC2012_devkit_t12.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, content in (("ILSVRC2012_devkit_t12/data/meta.mat", meta.getvalue()),
                              ("ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt", b"3\n1\n")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    kit = load_devkit(archive)
    assert kit.wnids == tuple(wnids) and kit.names[0] == "thing 0"
    assert kit.val_labels == {1: 3, 2: 1}


def test_kaggle_files(tmp_path):
    write_kit(tmp_path / "kit", ["n00000002", "n00000001"], [])
    (tmp_path / "LOC_val_solution.csv").write_text(
        "ImageId,PredictionString\nILSVRC2012_val_00000002,n00000001 1 2 3 4\nILSVRC2012_val_00000001,n00000002 5 6 7 8\n")
    kit = load_devkit(tmp_path / "kit", tmp_path / "LOC_val_solution.csv")
    assert kit.val_labels == {1: 1, 2: 2}
    (tmp_path / "LOC_synset_mapping.txt").write_text("n00000001 one\nn00000002 two\n")
    sorted_only = load_devkit(tmp_path / "LOC_synset_mapping.txt", tmp_path / "LOC_val_solution.csv")
    assert not sorted_only.has_devkit_ids and sorted_only.val_labels == {1: 2, 2: 1}


@pytest.mark.parametrize(
    ("text", "match"),
    [("n00000001 1 a\nn00000002 1 b\n", "ID 1 appears twice"), ("n00000001 2 a\n", "IDs must be 1..1"),
     ("n00000001 one a\n", "expected 'wnid id name'"), ("x0000001 1 a\n", "not a WNID"),
     ("n00000001 1 a\nn00000001 2 b\n", "map_clsloc.txt:2: WNID n00000001 appears twice .line 1 too")],
)
def test_bad_class_maps(tmp_path, text, match):
    (tmp_path / "map_clsloc.txt").write_text(text)
    with pytest.raises(DevkitError, match=match):
        load_devkit(tmp_path)


def test_bad_ground_truths_and_lookups(tmp_path):
    write_kit(tmp_path, ["n00000001", "n00000002"], [1, 2])
    (tmp_path / "ILSVRC2012_validation_ground_truth.txt").write_text("1\n7\n")
    with pytest.raises(DevkitError, match="expected a class ID 1..2"):
        load_devkit(tmp_path)
    (tmp_path / "ILSVRC2012_validation_ground_truth.txt").write_text("1\n2\n")
    kit = load_devkit(tmp_path)
    with pytest.raises(DevkitError, match="no validation label"):
        kit.val_label("ILSVRC2012_val_00000009.JPEG")
    with pytest.raises(DevkitError, match="not an ILSVRC2012_val_XXXXXXXX"):
        kit.val_label("cat.jpg")
    with pytest.raises(DevkitError, match="not one of the 2 classes"):
        kit.devkit_id("n00000003")
    with pytest.raises(DevkitError, match="no such file"):
        load_devkit(tmp_path / "missing")
    assert val_number("ILSVRC2012_val_00012345.JPEG") == 12345 and val_number("x") is None


def test_ids_are_ascii_digits():
    """'²' passes str.isdigit but not int(): a clear error, not a crash (found by hypothesis)."""
    with pytest.raises(DevkitError, match="expected 'wnid id name'"):
        parse_class_map("n01440764 \u00b2 tench\n", "map")
    with pytest.raises(DevkitError, match="expected a class ID"):
        parse_ground_truth("1\n\u00b2\n", "truth", 2)
    with pytest.raises(DevkitError, match="expected 'ILSVRC2012_val_XXXXXXXX index'"):
        parse_val_index("ILSVRC2012_val_00000001 \u00b2\n", "val.txt")
    assert is_wnid("n01440764") and not is_wnid("n0144076\u00b2") and not is_wnid("n01440764\n")


@given(st.text(max_size=200))
def test_class_map_parser_never_crashes(text):
    try:
        wnids, names = parse_class_map(text, "fuzz")
    except DevkitError:
        return
    assert len(wnids) == len(names)


def tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def test_text_files_as_editors_and_tools_leave_them(tmp_path):
    """A byte-order mark, CRLF, blank lines at the end, and names holding line breaks other
    than a newline (which str.splitlines would split at, putting every later line one off)."""
    text = "\ufeffn00000001 1 first\u2028name\r\nn00000002 2 second\x85\r\n\r\n"
    (tmp_path / "map_clsloc.txt").write_text(text, encoding="utf-8")
    (tmp_path / "ILSVRC2012_validation_ground_truth.txt").write_text("\ufeff2\r\n1\r\n\r\n", encoding="utf-8")
    kit = load_devkit(tmp_path)
    assert kit.wnids == ("n00000001", "n00000002") and kit.names[0] == "first\u2028name"
    assert kit.val_labels == {1: 2, 2: 1}
    (tmp_path / "map_clsloc.txt").write_text("n00000001 1 a\u2028b\nn00000002 1 c\n", encoding="utf-8")
    with pytest.raises(DevkitError, match="map_clsloc.txt:2: ID 1 appears twice"):
        load_devkit(tmp_path)


def test_a_label_given_twice_is_an_error(tmp_path):
    write_kit(tmp_path / "kit", ["n00000001", "n00000002"], [1, 2])
    (tmp_path / "val.txt").write_text("ILSVRC2012_val_00000001 1\nILSVRC2012_val_00000002 2\nILSVRC2012_val_00000001 2\n")
    with pytest.raises(DevkitError, match="val.txt:3: image 1 listed twice"):
        load_devkit(tmp_path / "kit", tmp_path / "val.txt")
    # Nine digits are not image 1 (the first eight of them were).
    (tmp_path / "val.txt").write_text("ILSVRC2012_val_00000001 1\nILSVRC2012_val_000000012 2\n")
    with pytest.raises(DevkitError, match="val.txt:2: expected"):
        load_devkit(tmp_path / "kit", tmp_path / "val.txt")
    assert val_number("ILSVRC2012_val_000000012.JPEG") is None
    assert val_number("ILSVRC2012_val_0000000\u0663.JPEG") is None  # an Arabic-Indic 3 is not a digit here
    solution = tmp_path / "LOC_val_solution.csv"
    solution.write_text("ImageId,PredictionString\nILSVRC2012_val_00000001,n00000001 1 2 3 4\n"
                        "ILSVRC2012_val_00000001,n00000002 1 2 3 4\n")
    (tmp_path / "kit" / "ILSVRC2012_validation_ground_truth.txt").unlink()
    with pytest.raises(DevkitError, match="LOC_val_solution.csv:3: image 1 listed twice"):
        load_devkit(tmp_path / "kit", solution)
    solution.write_text("ImageId,PredictionString\nILSVRC2012_val_00000001,n" + "0" * 200_000 + "\n")
    with pytest.raises(DevkitError, match="not a readable CSV"):
        load_devkit(tmp_path / "kit", solution)


def test_two_copies_of_a_file_in_one_place_are_an_error(tmp_path):
    """A folder took the first in path order and an archive its first member: they could differ."""
    for part, wnids in (("a", ["n00000001", "n00000002"]), ("b", ["n00000002", "n00000001"])):
        write_kit(tmp_path / "two" / part, wnids, [1])
    with pytest.raises(DevkitError, match="two (map_clsloc|ILSVRC2012_validation_ground_truth).txt"):
        load_devkit(tmp_path / "two")
    archive = tar_gz(tmp_path / "two.tar.gz", {f"{p}/map_clsloc.txt": (tmp_path / "two" / p / "map_clsloc.txt")
                                               .read_bytes() for p in ("a", "b")})
    with pytest.raises(DevkitError, match="two map_clsloc.txt"):
        load_devkit(archive)


def test_damaged_and_oversized_archives(tmp_path, monkeypatch):
    import imagenet32.devkit as devkit_module

    members = {"kit/map_clsloc.txt": b"n00000001 1 a\nn00000002 2 b\n",
               "kit/ILSVRC2012_validation_ground_truth.txt": b"1\n2\n" * 5000}
    whole = tar_gz(tmp_path / "kit.tar.gz", members).read_bytes()
    assert load_devkit(tmp_path / "kit.tar.gz").val_labels[10000] == 2
    cases = {"truncated": whole[: len(whole) // 2],
             "checksum": whole[:-8] + bytes([whole[-8] ^ 1]) + whole[-7:]}  # the gzip trailer's CRC
    for name, data in cases.items():
        (tmp_path / f"{name}.tar.gz").write_bytes(data)
        with pytest.raises(DevkitError, match="cannot read the archive"):
            load_devkit(tmp_path / f"{name}.tar.gz")
    monkeypatch.setattr(devkit_module, "_MAX_METADATA_BYTES", 1000)  # a gigabyte of zeros compresses to a megabyte
    with pytest.raises(DevkitError, match="ground_truth.txt is 20000 bytes, too large for a devkit file"):
        load_devkit(tmp_path / "kit.tar.gz")
    write_kit(tmp_path / "folder", ["n00000001", "n00000002"], [1, 2] * 5000)  # the same files, unpacked
    with pytest.raises(DevkitError, match="ground_truth.txt: 20000 bytes, too large for a devkit file"):
        load_devkit(tmp_path / "folder")


def test_meta_mat_ids_are_whole_and_unique(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    for ids, match in (([1.0, 2.9], "ILSVRC2012_ID is 2.9, not a whole number"),
                       ([1.0, 1.0], "two leaf synsets have ILSVRC2012_ID 1"),
                       ([1.0, float("inf")], "ILSVRC2012_ID is inf")):
        synsets = np.zeros((2, 1), dtype=[("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("num_children", "O")])
        for i, ident in enumerate(ids):
            synsets[i, 0] = (ident, f"n0000000{i + 1}", "thing", 0.0)
        scipy_io.savemat(tmp_path / "meta.mat", {"synsets": synsets})
        with pytest.raises(DevkitError, match=match):
            load_devkit(tmp_path / "meta.mat")


def test_a_ground_truth_a_line_off_from_the_official_one_is_an_error(tmp_path):
    """Line i labels image i: a line missing from the 50,000 would shift every later label."""
    for lines, ok in ((50_000, True), (49_999, False), (50_002, False), (40, True)):
        write_kit(tmp_path, ["n00000001", "n00000002"], [1 + i % 2 for i in range(lines)])
        if ok:
            assert len(load_devkit(tmp_path).val_labels) == lines
        else:
            with pytest.raises(DevkitError, match=f"{lines} lines, where ILSVRC2012's has 50000"):
                load_devkit(tmp_path)


def test_a_ground_truth_needs_devkit_ids(tmp_path):
    """Its lines are devkit IDs: beside Kaggle's synset mapping alone (sorted-WNID order) they
    were taken as sorted IDs and written unchanged (490 where 66 was right)."""
    (tmp_path / "LOC_synset_mapping.txt").write_text("n00000001 a\nn00000002 b\n")
    (tmp_path / "ILSVRC2012_validation_ground_truth.txt").write_text("2\n1\n")
    with pytest.raises(DevkitError, match="holds devkit IDs, which LOC_synset_mapping.txt .* does not give"):
        load_devkit(tmp_path)
    (tmp_path / "map_clsloc.txt").write_text("n00000002 1 b\nn00000001 2 a\n")
    kit = load_devkit(tmp_path)
    assert kit.val_labels == {1: 2, 2: 1} and kit.has_devkit_ids


def test_folders_are_searched_through_links_and_unreadable_ones_are_named(tmp_path, monkeypatch):
    write_kit(tmp_path / "real", ["n00000001", "n00000002"], [2, 1])
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "data").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "kit", target_is_directory=True)  # walked once
    assert load_devkit(tmp_path / "kit").val_labels == {1: 2, 2: 1}
    scandir = os.scandir

    def refusing(path="."):
        if Path(path).name == "data":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    with pytest.raises(DevkitError, match="data: cannot look inside .Permission denied"):
        load_devkit(tmp_path / "kit")


def test_empty_and_odd_files(tmp_path):
    """Old Macs' CR line ends (the class map was one class named by the rest of the file); an
    empty file (a devkit of no classes, or no val labels, and a later error about something else);
    a long bad line (quoted whole: a message of 244,725 characters)."""
    (tmp_path / "map_clsloc.txt").write_bytes(b"n00000001 1 a\rn00000002 2 b c\r")
    (tmp_path / "ILSVRC2012_validation_ground_truth.txt").write_bytes(b"2\r1\r")
    kit = load_devkit(tmp_path)
    assert kit.wnids == ("n00000001", "n00000002") and kit.names == ("a", "b c") and kit.val_labels == {1: 2, 2: 1}
    (tmp_path / "ILSVRC2012_validation_ground_truth.txt").write_text("1 " * 100_000)
    with pytest.raises(DevkitError, match=r"ground_truth.txt:1: expected a class ID 1..2, got '1 1 [1 ]*'\.\.\. "
                                          r"\(200000 characters\)$"):
        load_devkit(tmp_path)
    for name in ("ILSVRC2012_validation_ground_truth.txt", "map_clsloc.txt"):
        (tmp_path / name).write_text("\n\n")
        with pytest.raises(DevkitError, match=f"{name}: empty"):
            load_devkit(tmp_path)
    (tmp_path / "LOC_synset_mapping.txt").write_text("")
    with pytest.raises(DevkitError, match="LOC_synset_mapping.txt: empty"):
        load_devkit(tmp_path / "LOC_synset_mapping.txt")
    (tmp_path / "LOC_val_solution.csv").write_text("ImageId,PredictionString\n")
    write_kit(tmp_path / "kit", ["n00000001", "n00000002"], [])
    with pytest.raises(DevkitError, match="LOC_val_solution.csv: no images"):
        load_devkit(tmp_path / "kit", tmp_path / "LOC_val_solution.csv")


def test_inconsistent_labels_are_errors(tmp_path):
    write_kit(tmp_path / "kit", ["n00000001", "n00000002"], [])
    solution = tmp_path / "LOC_val_solution.csv"
    solution.write_text("ImageId,PredictionString\nILSVRC2012_val_00000001,n00000001 1 2 3 4 n00000002 5 6 7 8\n")
    with pytest.raises(DevkitError, match="csv:2: boxes of two classes .n00000001 and n00000002"):
        load_devkit(tmp_path / "kit", solution)
    solution.write_text("ImageId,PredictionString\nILSVRC2012_val_00000001,n00000001 1 2 3 4 n00000001 5 6 7 8\n"
                        "ILSVRC2012_val_00000002,n00000009 1 2 3 4\n")
    with pytest.raises(DevkitError, match="csv:3: n00000009 is not in the class map"):
        load_devkit(tmp_path / "kit", solution)
    write_kit(tmp_path / "kit", ["n00000001", "n00000002"], [1, 2])
    index = tmp_path / "val.txt"
    index.write_text("ILSVRC2012_val_00000001 1\nILSVRC2012_val_00000002 1\n")
    with pytest.raises(DevkitError, match="val.txt:2: ground-truth line 1 given to a second image .line 1 too"):
        load_devkit(tmp_path / "kit", index)
    index.write_text("ILSVRC2012_val_00000001 2\nILSVRC2012_val_00000002 3\n")
    with pytest.raises(DevkitError, match="val.txt:2: index 3 is outside the ground truth's 2 lines"):
        load_devkit(tmp_path / "kit", index)
    index.write_text("ILSVRC2012_val_00000001 2\nILSVRC2012_val_00000002 1\n")
    assert load_devkit(tmp_path / "kit", index).val_labels == {1: 2, 2: 1}
    write_kit(tmp_path / "long", ["n00000001"], [1] * 60_000)  # past 55,000 it was taken as given
    with pytest.raises(DevkitError, match="60000 lines, where ILSVRC2012's has 50000"):
        load_devkit(tmp_path / "long")


def test_two_sources_of_one_thing_are_an_error(tmp_path):
    """Across several paths the first copy of a file was taken unsaid, and an ILSVRC2012 ground
    truth anywhere won over an ILSVRC2015 one given by name."""
    write_kit(tmp_path / "a", ["n00000001", "n00000002"], [1, 2])
    write_kit(tmp_path / "b", ["n00000001", "n00000002"], [2, 1])
    with pytest.raises(DevkitError, match="two different ILSVRC2012_validation_ground_truth.txt"):
        load_devkit(tmp_path / "a", tmp_path / "b")
    truth = tmp_path / "a" / "ILSVRC2012_validation_ground_truth.txt"
    assert load_devkit(tmp_path / "a", truth).val_labels == {1: 1, 2: 2}  # the same file twice is one
    other = tmp_path / "ILSVRC2015_clsloc_validation_ground_truth.txt"
    other.write_text("2\n1\n")
    with pytest.raises(DevkitError, match="two ground truths"):
        load_devkit(tmp_path / "a", other)
    truth.unlink()
    assert load_devkit(tmp_path / "a", other).val_labels == {1: 2, 2: 1}


def test_archives_of_every_compression_and_with_links(tmp_path):
    kit = {"map_clsloc.txt": b"n00000001 1 a\nn00000002 2 b\n", "ILSVRC2012_validation_ground_truth.txt": b"2\n1\n"}
    for name, mode in (("kit.TAR.GZ", "w:gz"), ("kit.tar.bz2", "w:bz2"), ("kit.tar.xz", "w:xz"), ("kit.tar", "w")):
        with tarfile.open(tmp_path / name, mode) as tar:
            for member, content in kit.items():
                info = tarfile.TarInfo(f"top/store/{member}")
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
                link = tarfile.TarInfo(f"top/data/{member}")  # the devkit's names link to the stored files
                link.type, link.linkname = tarfile.SYMTYPE, f"../store/{member}"
                if name == "kit.tar":  # one archive holds only the links, to files it does not hold
                    tar.addfile(link)
        if name != "kit.tar":
            assert load_devkit(tmp_path / name).val_labels == {1: 2, 2: 1}, name
    with tarfile.open(tmp_path / "links.tar", "w") as tar:
        for member in kit:
            link = tarfile.TarInfo(f"data/{member}")
            link.type, link.linkname = tarfile.SYMTYPE, f"../elsewhere/{member}"
            tar.addfile(link)
    with pytest.raises(DevkitError, match="links to '../elsewhere/.*', not in the archive"):
        load_devkit(tmp_path / "links.tar")
