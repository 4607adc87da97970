"""Ingest benchmark: one large daily-report CSV loaded three ways, timed in one script.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--out benchmarks/out]

Baseline: the sqlite3 shell's `.import --csv` (no parsing, no provenance: the practical floor).
Then `sqlite-utils insert --csv` and `fangyi ingest` (normalises every cell, resolves units,
records provenance). Prints seconds and the ratio of each to the baseline.
"""
from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HEADER = ["填报日期", "报送单位", "新增确诊", "新增疑似", "新增无症状", "密接", "返乡人员登记",
          "居家隔离", "集中隔离", "发热人员", "核酸检测人数", "是否零报告", "填报人", "带班领导", "报送时间"]
COUNT_FORMS = ["0", "0", "0", "零", "-", "/", "无", "1", "2", "3人", "１２"]


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A realistic daily-report CSV: 2,000 units over as many days as the rows need."""
    rng = random.Random(seed)
    units = [f"第{i}社区" for i in range(2000)]
    forms = ["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日", "{y}{m:02d}{d:02d}"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for n in range(rows):
            day = n // len(units)
            y, m, d = 2021, 1 + (day // 28) % 12, 1 + day % 28
            date = rng.choice(forms).format(y=y, m=m, d=d)
            counts = [rng.choice(COUNT_FORMS) for _ in range(9)]
            zero = "是" if all(c in ("0", "零", "-", "/", "无") for c in counts) else "否"
            w.writerow([date, units[n % len(units)], *counts, zero, "张三", "李四",
                        f"{y}/{m}/{d} {rng.randint(16, 23)}:{rng.randint(0, 59):02d}"])


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("the sqlite3 shell is needed for the baseline (apt-get install sqlite3)")
    args.out.mkdir(parents=True, exist_ok=True)
    source = args.out / f"daily_{args.rows}.csv"
    if not source.exists():
        make_csv(source, args.rows)
    bin_dir = Path(sys.executable).parent
    dbs = {name: args.out / f"{name}.db" for name in ("import", "sqlite_utils", "fangyi")}
    runs = {
        "sqlite3 .import": (dbs["import"], ["sqlite3", str(dbs["import"]), f".import --csv {source} daily"]),
        "sqlite-utils insert --csv": (dbs["sqlite_utils"], [str(bin_dir / "sqlite-utils"), "insert",
                                      str(dbs["sqlite_utils"]), "daily", str(source), "--csv"]),
        "fangyi ingest": (dbs["fangyi"], [str(bin_dir / "fangyi"), "ingest", "--db", str(dbs["fangyi"]),
                                          str(source)]),
    }
    results = {}
    for name, (db_file, cmd) in runs.items():
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_file) + suffix).unlink(missing_ok=True)
        results[name] = timed(cmd)
    base = results["sqlite3 .import"]
    print(f"{args.rows:,} rows, {source.stat().st_size / 1e6:.0f} MB")
    for name, seconds in results.items():
        print(f"{name:28s} {seconds:7.2f} s   {seconds / base:5.2f}x")


if __name__ == "__main__":
    main()
