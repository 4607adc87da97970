"""Province benchmark data: one district, 20 towns and 15,000 communities (scale 1) reporting
daily for 365 days from 2021-01-01, with missed, late and resubmitted reports.

    .venv/bin/python benchmarks/province.py --scale 0.1 --out benchmarks/out/province-0.1

Writes units.csv (the registry), daily.csv (one row per report, day by day) and manifest.json
with the exact counts the checks must find:
- units: communities expected to report daily (towns and the district are not);
- expected_unit_days = units x days; missing_unit_days: the generated gaps;
- late: unit-days whose report in force (the latest submitted_at) is after D+1 09:00;
- resubmitted: unit-days with a second, later row (a correction): reported, never missing.
The same scale and seed always give the same files. Generation is vectorised (numpy) and
streamed one day at a time, so memory stays at one day's rows.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl

SEED = 2021
START = dt.date(2021, 1, 1)
DAYS = 365
TOWNS = 20
COMMUNITIES = 15_000            # at scale 1
MISSING_RATE = 0.03
LATE_RATE = 0.02
RESUBMIT_RATE = 0.005           # of reports; half of the corrections arrive after the deadline
ZERO_DAY_RATE = 0.4             # reports with nothing to report (是否零報告 = 是)

DISTRICT = ("440106000000", "天河區")
TOWN_STEMS = ["沙河", "五山", "員村", "車陂", "石牌", "林和", "棠下", "天園", "冼村", "獵德",
              "元崗", "黃村", "長興", "龍洞", "鳳凰", "前進", "珠吉", "新塘", "興華", "沙東"]
REGISTRY_HEADER = ["單位編碼", "單位名稱", "層級", "上級編碼", "是否日報"]
DAILY_HEADER = ["日期", "單位編碼", "單位名稱", "新增確診", "新增疑似", "新增無癥狀", "密切接觸者",
                "返鄉人員登記", "居家隔離", "集中隔離", "發熱人員", "核酸檢測人數", "是否零報告",
                "填報人", "帶班領導", "報送時間"]
# column -> mean of its Poisson count on a day that is not a zero report
COUNT_MEANS = {"新增確診": 0.002, "新增疑似": 0.005, "新增無癥狀": 0.003, "密切接觸者": 0.05,
               "返鄉人員登記": 0.8, "居家隔離": 2.0, "集中隔離": 0.3, "發熱人員": 0.1, "核酸檢測人數": 150}
REPORTERS = np.array(["張偉", "王芳", "李娜", "劉洋", "陳靜", "楊帆", "趙敏", "黃磊", "周婷", "吳剛"])
LEADERS = np.array(["林書記", "何主任", "郭主任", "馬書記", "羅主任", "梁書記"])

# submitted_at as minutes after 00:00 of the report day D; the deadline is D+1 09:00
DEADLINE = (24 + 9) * 60
ON_TIME = (17 * 60, DEADLINE)                   # D 17:00 .. D+1 08:59
LATE = (DEADLINE + 1, (48 + 12) * 60)           # D+1 09:01 .. D+2 11:59
FIRST_OF_CORRECTED = (17 * 60, 23 * 60)         # D 17:00 .. 22:59, then corrected ...
CORRECTION_ON_TIME = (31 * 60, DEADLINE)        # ... by D+1 07:00 .. 08:59
CORRECTION_LATE = (DEADLINE + 30, 42 * 60)      # ... or by D+1 09:30 .. 17:59


def communities(scale: float) -> int:
    n = round(COMMUNITIES * scale)
    if not TOWNS <= n <= TOWNS * 999:
        raise ValueError(f"scale {scale} gives {n} communities; need {TOWNS} to {TOWNS * 999}")
    return n


def registry(scale: float) -> pl.DataFrame:
    """District, towns, then communities (12-digit codes: district 6, town 3, community 3)."""
    n = communities(scale)
    town_of = np.arange(n) * TOWNS // n
    rank_in_town = np.arange(n) - np.searchsorted(town_of, town_of)
    prefix = DISTRICT[0][:6]
    towns = [(f"{prefix}{t + 1:03d}000", f"{TOWN_STEMS[t]}街道") for t in range(TOWNS)]
    rows = [(*DISTRICT, "區", None, "否")]
    rows += [(code, name, "街道", DISTRICT[0], "否") for code, name in towns]
    rows += [(towns[t][0][:9] + f"{j + 1:03d}", f"{TOWN_STEMS[t]}第{j + 1}社區", "社區", towns[t][0], "是")
             for t, j in zip(town_of.tolist(), rank_in_town.tolist())]
    return pl.DataFrame(rows, schema=REGISTRY_HEADER, orient="row")


def _minutes(rng, bounds: tuple[int, int], n: int) -> np.ndarray:
    return rng.integers(bounds[0], bounds[1], n)


def _day(rng, day: dt.date, codes: np.ndarray, names: np.ndarray) -> tuple[pl.DataFrame, dict]:
    """One day's rows (reports, then the corrections) and its counts."""
    n = len(codes)
    missing = rng.random(n) < MISSING_RATE
    draw = rng.random(n)
    late = ~missing & (draw < LATE_RATE)
    corrected = ~missing & (draw >= LATE_RATE) & (draw < LATE_RATE + RESUBMIT_RATE)
    correction_late = corrected & (rng.random(n) < 0.5)
    first = np.where(late, _minutes(rng, LATE, n),
                     np.where(corrected, _minutes(rng, FIRST_OF_CORRECTED, n), _minutes(rng, ON_TIME, n)))
    second = np.where(correction_late, _minutes(rng, CORRECTION_LATE, n), _minutes(rng, CORRECTION_ON_TIME, n))
    zero = rng.random(n) < ZERO_DAY_RATE
    counts = {col: np.where(zero, 0, rng.poisson(mean, n)) for col, mean in COUNT_MEANS.items()}
    reporter, leader = rng.integers(0, len(REPORTERS), n), rng.integers(0, len(LEADERS), n)

    midnight = np.datetime64(day.isoformat(), "m")

    def rows(mask: np.ndarray, minutes: np.ndarray, correction: bool) -> pl.DataFrame:
        c = {col: v[mask] for col, v in counts.items()}
        flag = zero[mask]
        if correction:              # a correction adds a returnee, so it is no zero report any more
            c["返鄉人員登記"] = c["返鄉人員登記"] + 1
            flag = np.zeros_like(flag)
        return pl.DataFrame({
            "日期": np.full(mask.sum(), day.isoformat()), "單位編碼": codes[mask], "單位名稱": names[mask],
            **c, "是否零報告": np.where(flag, "是", "否"), "填報人": REPORTERS[reporter[mask]],
            "帶班領導": LEADERS[leader[mask]],
            "報送時間": np.datetime_as_string(midnight + minutes[mask].astype("timedelta64[m]"), unit="s"),
        })

    frame = pl.concat([rows(~missing, first, False), rows(corrected, second, True)])
    stats = {"missing_unit_days": int(missing.sum()), "late": int(late.sum() + correction_late.sum()),
             "resubmitted": int(corrected.sum()), "daily_rows": frame.height}
    return frame, stats


def generate(out: Path, scale: float = 1.0, seed: int = SEED) -> dict:
    """Write units.csv, daily.csv and manifest.json into `out`; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    units = registry(scale)
    units.write_csv(out / "units.csv")
    reporting = units.filter(pl.col("是否日報") == "是")
    codes = reporting["單位編碼"].to_numpy().astype(str)
    names = reporting["單位名稱"].to_numpy().astype(str)
    rng = np.random.default_rng(seed)
    totals = dict.fromkeys(["missing_unit_days", "late", "resubmitted", "daily_rows"], 0)
    with open(out / "daily.csv", "wb") as f:
        for i in range(DAYS):
            frame, stats = _day(rng, START + dt.timedelta(days=i), codes, names)
            frame.write_csv(f, include_header=i == 0)
            for key, value in stats.items():
                totals[key] += value
    manifest = {
        "scale": scale, "seed": seed, "start": START.isoformat(),
        "end": (START + dt.timedelta(days=DAYS - 1)).isoformat(), "days": DAYS,
        "units": len(codes), "towns": TOWNS, "registry_rows": units.height,
        "expected_unit_days": len(codes) * DAYS, **totals,
        "daily_bytes": (out / "daily.csv").stat().st_size,
        "files": {"registry": "units.csv", "daily": "daily.csv"},
        "sample_unit_code": str(codes[len(codes) // 2]),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 15,000 communities (default)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=None, help="default benchmarks/out/province-SCALE")
    args = parser.parse_args()
    out = args.out or Path(__file__).parent / "out" / f"province-{args.scale:g}"
    print(json.dumps(generate(out, args.scale, args.seed), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
