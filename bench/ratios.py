"""Print the ratio tables the README quotes, from pytest-benchmark JSON.

    pytest bench --benchmark-json=bench.json && python bench/ratios.py bench.json
"""

from __future__ import annotations

import json
import platform
import sys
from collections import defaultdict


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


# Floors, not competitors: what imagenet32's time is compared with.
FLOORS = {"np.copy": "a copy", "libjpeg-turbo decode": "decoding alone"}


def main(path: str) -> None:
    data = json.load(open(path))
    groups: dict[str, dict[str, dict]] = defaultdict(dict)
    for bench in data["benchmarks"]:
        name = bench["name"].split("[", 1)[1].rstrip("]") if "[" in bench["name"] else bench["name"]
        competitor = next((p for p in name.split("-") if p in ("imagenet32", "pillow", "pillow-simd", "np.copy")), None)
        if "opencv" in name:
            competitor = "opencv INTER_AREA"
        if name.startswith("libjpeg-turbo"):
            competitor = "libjpeg-turbo decode"
        competitor = competitor or name
        groups[bench["group"]][competitor] = bench
    print(f"Machine: {machine()}\n")
    print("| scenario | imagenet32 (median) | competitor | its median | imagenet32 is | differing bytes |")
    print("|---|---|---|---|---|---|")
    for group, entries in groups.items():
        ours = entries.get("imagenet32")
        for competitor, bench in entries.items():
            if competitor == "imagenet32" or ours is None:
                continue
            ratio = bench["stats"]["median"] / ours["stats"]["median"]
            diff = bench.get("extra_info", {}).get("bytes differing from Pillow", "")
            # A copy of the input, or decoding it, is a floor, not a competitor: say how close to it we are.
            if competitor in FLOORS:
                verdict = f"{1 / ratio:.2f}x the time of {FLOORS[competitor]}"
            else:
                verdict = f"{ratio:.1f}x faster"
            print(f"| {group} | {ours['stats']['median'] * 1e6:.1f} us | {competitor} | "
                  f"{bench['stats']['median'] * 1e6:.1f} us | {verdict} | {diff} |")
        if ours is None:
            for competitor, bench in entries.items():
                print(f"| {group} | | {competitor} | {bench['stats']['median'] * 1e6:.1f} us | | |")
    for group, entries in groups.items():
        if "original-procedure" in entries and "libjpeg-turbo decode" in entries:
            bound = entries["original-procedure"]["stats"]["median"] / entries["libjpeg-turbo decode"]["stats"]["median"]
            print(f"\n{group}: the original procedure takes {bound:.1f}x the time of libjpeg-turbo's decode alone, "
                  "the most any exact build can be faster than it here")
    for bench in data["benchmarks"]:
        paired = bench.get("extra_info", {}).get("paired")
        if paired:
            print(f"\n{bench['name']}: rounds {paired['rounds (s)']} s, each next to a round of {paired['with']}: "
                  f"{paired['its rounds (s)']} s; imagenet32 is {paired['imagenet32 is']:.2f}x faster "
                  "(median of the rounds' ratios)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench.json")
