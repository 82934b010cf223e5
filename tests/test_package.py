"""The installed package: build information and typing files."""

from importlib import resources

import imagenet32


def test_build_info():
    info = imagenet32.build_info()
    assert info["version"] == imagenet32.__version__
    assert info["simd"] in info["simd_available"]
    assert "scalar" in info["simd_available"]
    assert "-ffp-contract=off" in info["compile_flags"]
    assert "-march=native" not in info["compile_flags"] and "fast-math" not in info["compile_flags"].replace("-fno-fast-math", "")
    assert info["pillow_behaviour"] == "13.0"


def test_typing_files_are_installed():
    files = resources.files("imagenet32")
    assert files.joinpath("py.typed").is_file()
    stub = files.joinpath("_core.pyi").read_text()
    for name in ("def resize8", "def resize8_batch", "class Rules", "def arrow_pixels"):
        assert name in stub


def test_public_api_is_declared():
    for name in imagenet32.__all__:
        assert hasattr(imagenet32, name)
