"""Images per second of `mamoru hash` against python-threatexchange's PDQ hasher, same folder.

For each folder of generated photos (JPEG, quality 90) every contender runs as its own process,
from start to exit, so JPEG decoding and start-up are in the time, as a user pays them:

- mamoru: `mamoru hash FOLDER` (process pool on all cores; PDQ + MD5 + SHA-1 + SHA-256, CSV out);
- threatexchange, pool: its `pdq_hasher.pdq_from_file` in a process pool of the same size (the
  peer at its best: its own CLI hashes on one core);
- threatexchange CLI: `threatexchange hash photo FILE...` (one process), for reference.

Each contender is warmed up once, then timed --repeat times; the table gives the median, the
spread (min-max) and mamoru's ratio to each peer. Run:
    .venv/bin/python bench/hashing.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.photos import generated_photo  # noqa: E402

from mamoru.matching.hashrun import default_workers  # noqa: E402

FOLDERS = [(512, 512, 300), (1600, 1200, 150), (4000, 3000, 40)]
BIN = Path(sys.executable).parent

THREATEXCHANGE_POOL = """
import sys, os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file
files = sorted(Path(sys.argv[1]).iterdir())
with ProcessPoolExecutor(int(sys.argv[2])) as pool:
    for h, q in pool.map(pdq_from_file, files, chunksize=4):
        sys.stdout.write(f"{h},{q}\\n")
"""


def make_folder(root: Path, width: int, height: int, count: int) -> Path:
    folder = root / f"{width}x{height}"
    folder.mkdir()
    for seed in range(count):
        pixels = generated_photo(1000 + seed, width, height)
        Image.fromarray(pixels).save(folder / f"photo{seed:04d}.jpg", quality=90)
    return folder


def contenders(folder: Path, workers: int) -> dict[str, list[str]]:
    files = [str(p) for p in sorted(folder.iterdir())]
    return {
        "mamoru hash": [str(BIN / "mamoru"), "hash", str(folder)],
        f"threatexchange pdq_from_file, pool of {workers}": [
            sys.executable, "-c", THREATEXCHANGE_POOL, str(folder), str(workers)],
        "threatexchange hash photo (CLI, 1 process)": [
            str(BIN / "threatexchange"), "hash", "photo", *files],
    }


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    workers = default_workers()
    print(f"command: .venv/bin/python bench/hashing.py --repeat {args.repeat}")
    print(f"python {platform.python_version()}, mamoru {version('mamoru')}, "
          f"threatexchange {version('threatexchange')}, pdqhash {version('pdqhash')}, "
          f"Pillow {version('pillow')}, NumPy {version('numpy')}; {workers} cores "
          f"({platform.processor() or platform.machine()}), {workers} processes each; "
          f"warm-up 1, repeats {args.repeat}; images/s = files / wall time of the whole process; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for width, height, count in FOLDERS:
            folder = make_folder(Path(tmp), width, height, count)
            size = sum(p.stat().st_size for p in folder.iterdir()) / count / 1024
            print(f"\n{count} generated photos {width}x{height}, JPEG q90, "
                  f"{size:.0f} KiB each on average")
            print(f"{'contender':<46} {'images/s':>9} {'spread':>15} {'mamoru is':>10}")
            rates: dict[str, tuple[float, float, float]] = {}
            for name, command in contenders(folder, workers).items():
                timed(command)
                runs = [count / timed(command) for _ in range(args.repeat)]
                rates[name] = (statistics.median(runs), min(runs), max(runs))
            ours = rates["mamoru hash"][0]
            for name, (median, low, high) in rates.items():
                ratio = "" if name == "mamoru hash" else f"{ours / median:.2f}x"
                print(f"{name:<46} {median:>9.1f} {low:>7.1f}-{high:<7.1f} {ratio:>10}")


if __name__ == "__main__":
    main()
