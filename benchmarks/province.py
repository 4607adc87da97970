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

With returnee registers (the default; `--no-returnees` leaves them out), 1% of the reporting
communities also keep a returnee register (返鄉人員健康管理臺賬) of 10 to 40 returnees over the
year, written as communities send them into returnees/: for half of the towns one XLSX per town,
a sheet per community under a merged title row, the tests as its columns (入戶核酸, 第7天核酸,
第14天核酸: `1月27日 陰性`); for the other half a GB18030 CSV register per town with a unit
column, and the tests as rows of an XLSX test sheet (matched by identity number, one in five by
phone only). Most arrivals fall around the Spring Festival; none after 2021-12-01, so every
test owed is due within the year. Each returnee is notified a day or more before arriving,
registered within five hours, carries a certificate from the six days before and is tested on
each day owed (7 and 14; medium and high risk also day 1) or one day late. Injected, one in
four register communities each: a notice 10 hours before arrival (returnee_late_notice), a
registration 20 hours after (returnee_late_registration), no certificate and no test before
day 7 (returnee_no_certificate), a day-7 test left out (returnee_test_missed); the manifest
gives their exact counts. Their random draws come from a generator of their own, so the daily
file is the same with or without them.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import random
import shutil
from pathlib import Path

import numpy as np
import polars as pl

from fangyi.demo.district import name_maker, simp
from fangyi.demo.files import OutFile, Sheet, save

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


# The towns shape: names that communities of every town bear (about 40 recur in each town)
SHARED_NAMES = [f"{a}{b}社區" for a in ("新村", "東風", "紅旗", "幸福", "和平", "勝利", "建設", "團結", "光明", "向陽")
                for b in ("", "東", "西", "北")]
TOWN_HEADER = ["日期", "街道", "社區", *DAILY_HEADER[3:]]
TOWN_SETTINGS = '[headers.daily]\nparent = ["街道"]\n'     # 街道 is no built-in synonym of the parent


def registry(scale: float, shared_names: bool = False) -> pl.DataFrame:
    """District, towns, then communities (12-digit codes: district 6, town 3, community 3).
    With `shared_names`, each town's first communities take the names of SHARED_NAMES, so the
    same name is a community in every town."""
    n = communities(scale)
    town_of = np.arange(n) * TOWNS // n
    rank_in_town = np.arange(n) - np.searchsorted(town_of, town_of)
    prefix = DISTRICT[0][:6]
    towns = [(f"{prefix}{t + 1:03d}000", f"{TOWN_STEMS[t]}街道") for t in range(TOWNS)]
    rows = [(*DISTRICT, "區", None, "否")]
    rows += [(code, name, "街道", DISTRICT[0], "否") for code, name in towns]
    rows += [(towns[t][0][:9] + f"{j + 1:03d}",
              SHARED_NAMES[j] if shared_names and j < len(SHARED_NAMES) else f"{TOWN_STEMS[t]}第{j + 1}社區",
              "社區", towns[t][0], "是")
             for t, j in zip(town_of.tolist(), rank_in_town.tolist())]
    return pl.DataFrame(rows, schema=REGISTRY_HEADER, orient="row")


def _minutes(rng, bounds: tuple[int, int], n: int) -> np.ndarray:
    return rng.integers(bounds[0], bounds[1], n)


def _day(rng, day: dt.date, codes: np.ndarray, names: np.ndarray,
         registered: dict | None = None) -> tuple[pl.DataFrame, dict]:
    """One day's rows (reports, then the corrections) and its counts. `registered`: for the
    communities keeping a returnee register, their index -> {day: registrations}; their
    返鄉人員登記 is that day's registrations (a correction keeps it), drawing nothing more."""
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
    keeps = np.zeros(n, dtype=bool)
    for index, per_day in (registered or {}).items():
        keeps[index] = True
        counts["返鄉人員登記"][index] = per_day.get(day, 0)
        zero[index] &= per_day.get(day, 0) == 0

    midnight = np.datetime64(day.isoformat(), "m")

    def rows(mask: np.ndarray, minutes: np.ndarray, correction: bool) -> pl.DataFrame:
        c = {col: v[mask] for col, v in counts.items()}
        flag = zero[mask]
        if correction:              # a correction adds a returnee, so it is no zero report any more
            c["返鄉人員登記"] = c["返鄉人員登記"] + ~keeps[mask]    # a register's count stays its register's:
            c["居家隔離"] = c["居家隔離"] + keeps[mask]            # that correction adds one in home isolation
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


REGISTER_SHARE = 0.01          # of the reporting communities
RETURNEES_PER_UNIT = (10, 40)
LAST_ARRIVAL = dt.date(2021, 12, 1)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ORIGINS = ("廣東省深圳市寶安區", "浙江省杭州市西湖區", "上海市浦東新區", "福建省廈門市思明區", "江蘇省蘇州市工業園區",
           "北京市朝陽區", "湖北省武漢市洪山區")
MEDIUM_ORIGINS = ("河北省石家莊市藁城區", "黑龍江省綏化市望奎縣")
REGISTER_HEADER = ["姓名", "身份證號", "聯繫電話", "從何地返鄉", "風險等級", "報備時間", "返鄉時間", "登記時間",
                   "核酸陰性證明日期", "管理方式", "離開日期", "網格員", "入戶核酸", "第7天核酸", "第14天核酸"]
CSV_HEADER = ["社区(村)", "姓名", "身份证号", "联系电话", "从何地返乡", "风险等级", "报备时间", "返乡时间", "登记时间",
              "核酸阴性证明日期", "管理方式", "离开日期", "网格员"]
TEST_HEADER = ["社區(村)", "姓名", "身份證號", "聯繫電話", "採樣日期", "結果", "處置情況"]
DEFECTS = ("returnee_late_notice", "returnee_late_registration", "returnee_no_certificate", "returnee_test_missed")
NO_FINDINGS = ("returnee_count_mismatch", "returnee_positive", "returnee_test_unmatched")  # the registers agree


def _id_number(serial: int, birth: dt.date) -> str:
    body = f"440106{birth:%Y%m%d}{serial % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


def _arrival(rng: random.Random) -> dt.date:
    """Around the Spring Festival (2021-02-12) for most, else any day up to LAST_ARRIVAL."""
    if rng.random() < 0.6:
        return dt.date(2021, 1, 20) + dt.timedelta(days=rng.randrange(0, 40))
    return START + dt.timedelta(days=rng.randrange(0, (LAST_ARRIVAL - START).days + 1))


def _returnee(rng: random.Random, new_name, serial: int, phones: set) -> dict:
    day = _arrival(rng)
    risk = rng.choices(["", "低", "低風險", "中", "中風險", "高"], weights=[30, 50, 10, 5, 3, 2])[0]
    while True:
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        if phone not in phones:
            phones.add(phone)
            break
    arrived = dt.datetime.combine(day, dt.time(7, 0)) + dt.timedelta(minutes=rng.randrange(0, 12 * 60, 5))
    low = risk in ("", "低", "低風險")
    return {
        "name": new_name(), "id": _id_number(serial, dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 45))),
        "phone": phone, "origin": rng.choice(ORIGINS if low else MEDIUM_ORIGINS), "risk": risk, "low": low,
        "notified": arrived - dt.timedelta(days=rng.randint(1, 4), minutes=rng.randrange(0, 600, 5)),
        "arrived": arrived, "registered": arrived + dt.timedelta(minutes=rng.randrange(30, 5 * 60, 5)),
        "cert": day - dt.timedelta(days=rng.randint(1, 6)),
        "management": "居家健康監測" if low else "居家隔離",
        "tests": {n: day + dt.timedelta(days=n + (1 if rng.random() < 0.15 else 0))
                  for n in ((7, 14) if low else (1, 7, 14))},
    }


def _cell(day: dt.date) -> str:
    return f"{day.month}月{day.day}日 陰性"


def returnee_registers(out: Path, units: pl.DataFrame, seed: int) -> dict:
    """Write the returnee registers of 1% of the reporting communities into out/returnees/;
    return their manifest section (exact counts of the injected defects)."""
    rng = random.Random(seed * 7 + 20)
    reporting = units.filter(pl.col("是否日報") == "是")
    towns = dict(units.filter(pl.col("層級") == "街道").select("單位編碼", "單位名稱").rows())
    chosen = sorted(rng.sample(range(reporting.height), max(1, round(reporting.height * REGISTER_SHARE))))
    new_name, phones = name_maker(rng), set()
    defects = {k: 0 for k in DEFECTS}
    by_town: dict[str, list] = {}
    serial = 0
    for i, index in enumerate(chosen):
        code, name, _, town, _ = reporting.row(index)
        people = []
        for _ in range(rng.randint(*RETURNEES_PER_UNIT)):
            serial += 1
            people.append(_returnee(rng, new_name, serial, phones))
        people.sort(key=lambda p: (p["registered"], p["id"]))
        if i % 4 == 0:                              # one case of each check in one register in four
            low = [p for p in people if p["low"]]
            a, b, c, d = low[:4]
            a["notified"] = a["arrived"] - dt.timedelta(hours=10)
            b["registered"] = b["arrived"] + dt.timedelta(hours=20)
            c["cert"] = None
            del d["tests"][7]
            for key in DEFECTS:
                defects[key] += 1
        by_town.setdefault(town, []).append((code, name, people))
    written = {"files": [], "returnees": 0, "register_test_cells": 0, "test_rows": 0}
    for t, (town, registers) in enumerate(sorted(by_town.items())):
        town_name = towns[town]
        written["returnees"] += sum(len(p) for _, _, p in registers)
        files = _town_xlsx(town_name, registers, written) if t % 2 == 0 else _town_csv(town_name, registers, written)
        for f in files:
            save(f, out)
            written["files"].append(f.path)
    registered = {}
    for index in chosen:
        code = reporting["單位編碼"][index]
        people = next(p for _, registers in by_town.items() for c, _, p in registers if c == code)
        registered[index] = {}
        for p in people:
            day = p["registered"].date()
            registered[index][day] = registered[index].get(day, 0) + 1
    return {"units": len(chosen), **written, "defects": {**defects, **dict.fromkeys(NO_FINDINGS, 0)}}, registered


def _town_xlsx(town: str, registers: list, written: dict) -> list[OutFile]:
    out = OutFile(f"returnees/{town}各社區返鄉人員健康管理臺賬_2021年.xlsx", "returnees", "xlsx")
    for code, name, people in registers:
        sheet = Sheet(name, date_format="yyyy/m/d", datetime_format="yyyy/m/d h:mm")
        sheet.add("title", [f"{name}返鄉人員健康管理臺賬（2021年）"])
        sheet.merges.append(f"A1:{chr(ord('A') + len(REGISTER_HEADER) - 1)}1")
        sheet.add("header", REGISTER_HEADER)
        for p in people:
            tests = [p["tests"].get(1), p["tests"].get(7), p["tests"].get(14)]
            written["register_test_cells"] += sum(d is not None for d in tests)
            sheet.add("data", [p["name"], p["id"], p["phone"], p["origin"], p["risk"], p["notified"], p["arrived"],
                               p["registered"], p["cert"] or "無", p["management"], None, "網格員" + name[:2],
                               *(_cell(d) if d else None for d in tests)])
        sheet.add("blank", [])
        sheet.add("footer", ["填表人：", None, None, "審核人："])
        out.sheets.append(sheet)
    return [out]


def _town_csv(town: str, registers: list, written: dict) -> list[OutFile]:
    register = OutFile(f"returnees/{simp(town)}返乡人员登记台账_2021年.csv", "returnees", "gb18030")
    sheet = Sheet("")
    sheet.add("header", CSV_HEADER)
    tests = OutFile(f"returnees/{town}返鄉人員核酸檢測登記表_2021年.xlsx", "returnee_tests", "xlsx")
    test_sheet = Sheet("核酸檢測", date_format="yyyy/m/d")
    test_sheet.add("title", [f"{town}返鄉人員核酸檢測登記表"])
    test_sheet.merges.append(f"A1:{chr(ord('A') + len(TEST_HEADER) - 1)}1")
    test_sheet.add("header", TEST_HEADER)
    rows, test_rows = [], []
    for code, name, people in registers:
        for i, p in enumerate(people):
            rows.append((p["registered"], p["id"], [
                simp(name), p["name"], p["id"], p["phone"], simp(p["origin"]), p["risk"],
                f"{p['notified']:%Y-%m-%d %H:%M}", f"{p['arrived']:%Y-%m-%d %H:%M}", f"{p['registered']:%Y-%m-%d %H:%M}",
                p["cert"].isoformat() if p["cert"] else "无", simp(p["management"]), "", simp("網格員" + name[:2])]))
            for day in p["tests"].values():
                test_rows.append((day, p["id"], [name, p["name"], None if i % 5 == 3 else p["id"], p["phone"], day,
                                                 "陰性", None]))
    for *_, values in sorted(rows, key=lambda r: r[:2]):
        sheet.add("data", values)
    for *_, values in sorted(test_rows, key=lambda r: r[:2]):
        test_sheet.add("data", values)
    written["test_rows"] += len(test_rows)
    test_sheet.add("footer", ["填表人：", None, None, "審核人："])
    register.sheets.append(sheet)
    tests.sheets.append(test_sheet)
    return [register, tests]


class TownFiles:
    """The towns shape of the daily reports: daily/<town>/<town>2021年M月疫情防控日報.csv, one file
    per town and month as towns send them: even towns GB18030, odd towns UTF-8 with a BOM; dates
    written 2021年1月5日, times 2021/1/6 8:30; the town's name in 街道 and no unit code, so a
    community is known by its town and name (SHARED_NAMES recur in every town). The rows of
    `drop_day` go to drop/<town>/<town>2021年12月31日疫情防控日報.csv instead: a day's drop."""

    def __init__(self, out: Path, units: pl.DataFrame, drop_day: dt.date | None = None):
        self.root, self.drop_root, self.drop_day = out / "daily", out / "drop", drop_day
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.drop_root, ignore_errors=True)
        towns = units.filter(pl.col("層級") == "街道")
        self.town_of_code = dict(zip(towns["單位編碼"], towns["單位名稱"]))
        self.gb18030 = {name for i, name in enumerate(towns["單位名稱"]) if i % 2 == 0}
        self.month, self.files = None, {}

    def write(self, day: dt.date, frame: pl.DataFrame) -> None:
        if day.month != self.month:
            self.close()
            self.month = day.month
        frame = frame.select(
            pl.lit(f"{day.year}年{day.month}月{day.day}日").alias("日期"),
            (pl.col("單位編碼").str.slice(0, 9) + "000").replace_strict(self.town_of_code).alias("街道"),
            pl.col("單位名稱").alias("社區"),
            *DAILY_HEADER[3:-1],
            pl.col("報送時間").str.to_datetime("%Y-%m-%dT%H:%M:%S").dt.strftime("%Y/%-m/%-d %-H:%M"),
        )
        drop = day == self.drop_day
        for (town,), part in frame.partition_by("街道", as_dict=True, maintain_order=True).items():
            key = (town, drop)
            new = key not in self.files
            if new:
                path = (self.drop_root / town / f"{town}{day.year}年{day.month}月{day.day}日疫情防控日報.csv" if drop
                        else self.root / town / f"{town}{day.year}年{day.month}月疫情防控日報.csv")
                path.parent.mkdir(parents=True, exist_ok=True)
                self.files[key] = open(path, "wb")
            data = part.write_csv(include_header=new).encode("utf-8")
            if town in self.gb18030:
                data = data.decode("utf-8").encode("gb18030")
            elif new:
                data = b"\xef\xbb\xbf" + data
            self.files[key].write(data)

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        self.files = {}

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.root.rglob("*.csv"))

    def drop_rows(self) -> int:
        return sum(max(0, len(f.read_bytes().splitlines()) - 1) for f in self.drop_root.rglob("*.csv"))


SHAPES = ("one", "towns")


def generate(out: Path, scale: float = 1.0, seed: int = SEED, returnees: bool = True, shape: str = "one") -> dict:
    """Write units.csv, the daily reports and manifest.json into `out` (and, with `returnees`,
    the returnee registers into out/returnees/); return the manifest. The daily reports are one
    UTF-8 daily.csv with ISO dates and unit codes (shape "one") or the 240 town-month files of
    TownFiles (shape "towns"): the same rows and counts either way."""
    if shape not in SHAPES:
        raise ValueError(f"shape {shape!r}: one of {', '.join(SHAPES)}")
    out.mkdir(parents=True, exist_ok=True)
    units = registry(scale, shared_names=shape == "towns")
    units.write_csv(out / "units.csv")
    reporting = units.filter(pl.col("是否日報") == "是")
    codes = reporting["單位編碼"].to_numpy().astype(str)
    names = reporting["單位名稱"].to_numpy().astype(str)
    shutil.rmtree(out / "returnees", ignore_errors=True)
    returnee_section, registered = returnee_registers(out, units, seed) if returnees else (None, None)
    rng = np.random.default_rng(seed)
    totals = dict.fromkeys(["missing_unit_days", "late", "resubmitted", "daily_rows"], 0)
    (out / "daily.csv").unlink(missing_ok=True)
    # the towns shape keeps the year's last day apart: a day's drop (20 town files) into the year
    towns = TownFiles(out, units, START + dt.timedelta(days=DAYS - 1)) if shape == "towns" else None
    with open(out / "daily.csv", "wb") if towns is None else contextlib.nullcontext() as f:
        for i in range(DAYS):
            day = START + dt.timedelta(days=i)
            frame, stats = _day(rng, day, codes, names, registered)
            if towns is None:
                frame.write_csv(f, include_header=i == 0)
            else:
                towns.write(day, frame)
            for key, value in stats.items():
                totals[key] += value
    if towns is not None:
        towns.close()
    manifest = {
        "scale": scale, "shape": shape, "seed": seed, "start": START.isoformat(),
        "end": (START + dt.timedelta(days=DAYS - 1)).isoformat(), "days": DAYS,
        "units": len(codes), "towns": TOWNS, "registry_rows": units.height,
        "expected_unit_days": len(codes) * DAYS, **totals,
        "daily_bytes": towns.size() if towns else (out / "daily.csv").stat().st_size,
        "files": {"registry": "units.csv", "daily": "daily" if towns else "daily.csv",
                  **({"drop": "drop"} if towns else {})},
        **({"drop_rows": towns.drop_rows()} if towns else {}),
        "settings": TOWN_SETTINGS if towns else "",
        "sample_unit_code": str(codes[len(codes) // 2]),
    }
    if returnees:
        manifest["returnees"] = returnee_section
        manifest["files"]["returnees"] = "returnees"
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 15,000 communities (default)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-returnees", action="store_true", help="leave out the returnee registers")
    parser.add_argument("--shape", choices=SHAPES, default="one",
                        help="one: one UTF-8 daily.csv (default); towns: 240 town-month files as towns send them")
    parser.add_argument("--out", type=Path, default=None, help="default benchmarks/out/province-SCALE[-towns]")
    args = parser.parse_args()
    suffix = "-towns" if args.shape == "towns" else ""
    out = args.out or Path(__file__).parent / "out" / f"province-{args.scale:g}{suffix}"
    manifest = generate(out, args.scale, args.seed, not args.no_returnees, args.shape)
    print(json.dumps(manifest, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
