"""Fuzzing the ingest: seeded malformed variants of the demo district's files, each ingested by
`fangyi ingest` in a process of its own, and ten kill -9 trials during an ingest.

    python tests/fuzz.py [--cases N] [--seed S] [--kill-trials K] [--jobs J]

(`make fuzz` runs it with FUZZ_CASES, default 2000.) A case is one file: a demo file (CSV or
XLSX) put through one or two mutations (truncation, byte flips, another encoding, line
damage, impossible dates and counts, SQL and HTML in names, formulas, sheets sharing a name,
cells over the cap), or a hostile file from tests/hostile_files.py (huge or sparse sheets,
sheets of one name, a 50 MB cell, 1,000 sheets). `make fuzz` always holds the REQUIRED cases
first. Each case is ingested, followed in the same run by a small good CSV, into a copy of a
database holding the demo registry, with a 60 s timeout, and must: print no traceback; exit 0
or 1; record every file it reports failed (status `failed`); load the file after it; add
nothing but its source_files row when the file failed; account for every row read
(rows_read = loaded + rejected + not data, and as many rejected_rows and non_data_rows); and
stay under 1 GB of memory (the ingest and its reader child, from wait4's rusage).

Each kill trial starts `fangyi ingest` of a generated CSV of 1,000,000 rows, kills it with
SIGKILL at a random moment, checks that no temporary file is left in its TMPDIR (an empty
folder of its own), runs the ingest again, and compares the database with a clean ingest's.
Every other trial loads into a new database (a first load, written with a rollback journal):
after the rerun it must be back in WAL mode with no journal left.
"""
from __future__ import annotations

import argparse
import codecs
import io
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).parent))
import hostile_files as hf  # noqa: E402
from conftest import table_counts  # noqa: E402
from fangyi.ingest.kinds import MAX_CELL_CHARS  # noqa: E402

TIMEOUT = 60
MEMORY_LIMIT_KB = 1024 * 1024          # 1 GB
FANGYI = [sys.executable, "-m", "fangyi.cli"]

NASTY_NAMES = ["'; DROP TABLE daily_reports; --", "<script>alert('疫')</script>", "Robert'); DELETE FROM units;--",
               "柳岸社區\" OR \"1\"=\"1", "<img src=x onerror=alert(1)>", "${jndi:ldap://x}", "%s%s%n",
               "\u202e區社岸柳", "柳岸社區\x00", "=HYPERLINK(\"x\",\"y\")", "../../etc/passwd", "東門社區" * 500]
NASTY_DATES = ["2021-02-30", "0000-01-01", "9999-12-31", "2201-01-20", "1900-01-00", "2021-13-01", "99999",
               "-1", "2021年1月32日", "1e309", "NaN", "2021-01-20T25:61", "１９月", ""]
NASTY_COUNTS = ["9223372036854775807", "9223372036854775808", "-3", "1e309", "NaN", "inf", "3.5", "１２",
                "1,2,3", "100001", "10000001", "0x10", "三", "99999999999999999999999", " ", "若干"]
FORMULAS = ["=SUM(C2:C9)", "=1/0", "=A1&A2", "=INDIRECT(\"A1\")", "=HYPERLINK(\"http://127.0.0.1\")", "=NOW()"]


# ---- mutations ------------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        try:
            if encoding == "utf-16" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                continue
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _cells(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.splitlines()]


def _join(rows: list[list[str]]) -> str:
    return "\n".join(",".join(r) for r in rows) + "\n"


def truncate(rng: random.Random, data: bytes, suffix: str) -> bytes:
    return data[: rng.randrange(0, max(1, len(data)))]


def flip_bytes(rng: random.Random, data: bytes, suffix: str) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 2, 5, 20, 100])):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def reencode(rng: random.Random, data: bytes, suffix: str) -> bytes:
    if suffix != ".csv":
        return flip_bytes(rng, data, suffix)
    text, _ = _decode(data)
    encoding = rng.choice(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "big5", "latin-1", "cp1252"])
    return text.encode(encoding, errors="replace")


def line_damage(rng: random.Random, data: bytes, suffix: str) -> bytes:
    """Lines dropped, doubled, cut short, lengthened, swapped; stray quotes, NULs, CR line ends."""
    if suffix != ".csv":
        return truncate(rng, data, suffix)
    text, encoding = _decode(data)
    lines = text.splitlines()
    for _ in range(rng.randint(1, 6)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        op = rng.randrange(8)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif op == 3:
            lines[i] += ",多餘" * rng.randint(1, 50)
        elif op == 4:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 5:
            k = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:k] + '"' + lines[i][k:]
        elif op == 6:
            lines[i] = lines[i].replace(",", "\x00,", 1)
        else:
            lines[i] = ",".join(reversed(lines[i].split(",")))
    end = rng.choice(["\n", "\r\n", "\r"])
    return end.join(lines).encode("utf-8" if encoding == "latin-1" else encoding, errors="replace") + end.encode()


def nasty_values(rng: random.Random, data: bytes, suffix: str) -> bytes:
    """Impossible dates and counts, SQL and HTML in names, in random cells of a CSV, or of every
    sheet of an XLSX (rewritten with openpyxl, formulas too)."""
    if suffix == ".csv":
        text, encoding = _decode(data)
        rows = _cells(text)
        for _ in range(rng.randint(1, 30)):
            if len(rows) < 2:
                break
            r = rows[rng.randrange(1, len(rows))]
            if r:
                r[rng.randrange(len(r))] = rng.choice(NASTY_NAMES + NASTY_DATES + NASTY_COUNTS)
        return _join(rows).encode("utf-8" if encoding == "latin-1" else encoding, errors="replace")
    import openpyxl
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data))
    except Exception:
        return flip_bytes(rng, data, suffix)
    for ws in wb.worksheets:
        if ws.max_row < 2 or ws.max_column < 1:
            continue
        for _ in range(rng.randint(1, 20)):
            cell = ws.cell(rng.randint(2, ws.max_row), rng.randint(1, ws.max_column))
            if type(cell).__name__ == "MergedCell":
                continue
            value = rng.choice(NASTY_NAMES + NASTY_DATES + NASTY_COUNTS + FORMULAS)
            cell.value = value.replace("\x00", "")          # XML cannot hold a NUL
        if rng.random() < 0.3:
            ws.title = rng.choice(["2201年1月20日", "<b>日報<b>", "'; DROP TABLE x;--", "Sheet 1"])[:31]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def duplicate_sheet_names(rng: random.Random, data: bytes, suffix: str) -> bytes:
    """An XLSX whose sheets share names (as files written by other tools than Excel may): a
    sheet after the first takes an earlier sheet's name in xl/workbook.xml. A CSV gets a long
    cell instead."""
    if suffix != ".xlsx":
        return long_cell(rng, data, suffix)
    import zipfile

    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        workbook = source.read("xl/workbook.xml")
    except Exception:
        return flip_bytes(rng, data, suffix)
    names = re.findall(rb'<sheet [^>]*?name="([^"]*)"', workbook)
    if len(names) < 2:          # one sheet: a copy of it under the same name
        return flip_bytes(rng, data, suffix)
    for _ in range(rng.randint(1, len(names) - 1)):
        later = rng.randrange(1, len(names))
        names[later] = names[rng.randrange(later)]
    k = iter(names)
    workbook = re.sub(rb'(<sheet [^>]*?name=")([^"]*)(")', lambda m: m.group(1) + next(k) + m.group(3), workbook)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, workbook if info.filename == "xl/workbook.xml" else source.read(info))
    return out.getvalue()


def long_cell(rng: random.Random, data: bytes, suffix: str) -> bytes:
    """A cell just over the cap ([limits] max_cell_chars) or far over it, in a random data row."""
    chars = rng.choice([MAX_CELL_CHARS + 1, MAX_CELL_CHARS + 1, 1_000_000])
    text = rng.choice(["長", "x", "疫情,"]) * chars
    if suffix == ".csv":
        body, encoding = _decode(data)
        rows = _cells(body)
        if len(rows) < 2:
            return flip_bytes(rng, data, suffix)
        r = rows[rng.randrange(1, len(rows))]
        r[rng.randrange(len(r))] = f'"{text[:chars]}"'
        return _join(rows).encode("utf-8" if encoding == "latin-1" else encoding, errors="replace")
    import openpyxl
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data))
    except Exception:
        return flip_bytes(rng, data, suffix)
    ws = rng.choice(wb.worksheets)
    cell = ws.cell(rng.randint(1, max(ws.max_row, 1)), rng.randint(1, max(ws.max_column, 1)))
    if type(cell).__name__ != "MergedCell":
        cell.value = text[:chars]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


MUTATIONS: dict[str, Callable[[random.Random, bytes, str], bytes]] = {
    "truncate": truncate, "flip_bytes": flip_bytes, "reencode": reencode, "line_damage": line_damage,
    "nasty_values": nasty_values, "duplicate_sheet_names": duplicate_sheet_names, "long_cell": long_cell,
}

# Whole hostile files (hostile_files.py), sized so a case stays within seconds.
HOSTILE: dict[str, tuple[str, Callable[[Path, random.Random], Path]]] = {
    "corner_cell": (".xlsx", lambda p, r: hf.corner_cell_xlsx(p)),
    "lying_dimension": (".xlsx", lambda p, r: hf.lying_dimension_xlsx(p)),
    "two_corners": (".xlsx", lambda p, r: hf.two_corners_xlsx(p)),
    "negative_date": (".xlsx", lambda p, r: hf.negative_date_xlsx(p, r.choice(["-1e19", "-1", "1e308", "-0.5"]))),
    "offset": (".xlsx", lambda p, r: hf.offset_xlsx(p)),
    "styled_empty_rows": (".xlsx", lambda p, r: hf.styled_empty_rows_xlsx(p, rows=r.choice([1000, 100_000]))),
    "empty_string_rows": (".xlsx", lambda p, r: hf.empty_string_rows_xlsx(p, rows=r.choice([1000, 100_000]))),
    "shared_string_bomb": (".xlsx", lambda p, r: hf.shared_string_bomb_xlsx(p, cells=r.choice([1000, 100_000]))),
    "bom_bad_byte": (".csv", lambda p, r: hf.bom_csv_with_bad_byte(p, lines=200, bad_line=r.randint(2, 199))),
    "giant_field": (".csv", lambda p, r: hf.giant_field_csv(p, size=r.choice([200_000, 2_000_000]))),
    "utf16_odd": (".csv", lambda p, r: hf.utf16_odd_csv(p)),
    "cr_only": (".csv", lambda p, r: hf.cr_only_csv(p, encoding=r.choice(["utf-8", "gb18030"]))),
    "mixed_line_ends": (".csv", lambda p, r: hf.mixed_line_ends_csv(p)),
    "unclosed_quote": (".csv", lambda p, r: hf.unclosed_quote_csv(p, rows=300, quote_row=r.randint(2, 300))),
    "trailing_commas": (".csv", lambda p, r: hf.trailing_comma_lines_csv(p, rows=r.choice([1000, 200_000]))),
    "duplicate_sheets": (".xlsx", lambda p, r: hf.duplicate_sheets_xlsx(p)),
    "duplicate_sheets_ods": (".ods", lambda p, r: hf.duplicate_sheets_ods(p)),
    "huge_cell": (".csv", lambda p, r: hf.huge_cell_csv(p, chars=r.choice([MAX_CELL_CHARS + 1, 1_000_000, 50 << 20]))),
    "huge_cell_xlsx": (".xlsx", lambda p, r: hf.huge_cell_xlsx(p, chars=r.choice([MAX_CELL_CHARS + 1, 1_000_000]))),
    "many_sheets": (".xlsx", lambda p, r: hf.many_sheets_xlsx(p, sheets=r.choice([30, 300, 1000]))),
}

# Cases every `make fuzz` run holds (its first cases, as built), whatever the seed: the files
# that broke a run (issue 18).
REQUIRED: dict[str, tuple[str, Callable[[Path, random.Random], Path]]] = {
    "duplicate_sheets": HOSTILE["duplicate_sheets"],
    "duplicate_sheets_ods": HOSTILE["duplicate_sheets_ods"],
    "cell_50_mb": (".csv", lambda p, r: hf.huge_cell_csv(p, chars=50 << 20)),
    "cell_50_mb_xlsx": (".xlsx", lambda p, r: hf.huge_cell_xlsx(p, chars=50 << 20)),
    "cell_just_over_the_cap": (".csv", lambda p, r: hf.huge_cell_csv(p, chars=MAX_CELL_CHARS + 1)),
    "cell_just_over_the_cap_xlsx": (".xlsx", lambda p, r: hf.huge_cell_xlsx(p, chars=MAX_CELL_CHARS + 1)),
    "sheets_1000": (".xlsx", lambda p, r: hf.many_sheets_xlsx(p, sheets=1000)),
}


@dataclass
class Case:
    number: int
    source: str          # the demo file or hostile builder it came from
    mutations: list[str]
    path: Path


def demo_inputs(demo_dir: Path) -> list[Path]:
    """The demo's data files other than the registry (which every case's database holds)."""
    return sorted(p for p in demo_dir.rglob("*") if p.suffix in (".csv", ".xlsx") and "units" not in p.parts)


def make_case(number: int, seed: int, demo_files: list[Path], workdir: Path, required: tuple[str, ...] = ()) -> Case:
    """Case `number`: the required case of that number, if any, else a seeded random one."""
    rng = random.Random(f"{seed}:{number}")
    folder = workdir / f"case{number:05d}"
    folder.mkdir(parents=True, exist_ok=True)
    if number < len(required):
        suffix, build = REQUIRED[required[number]]
        return Case(number, required[number], [], build(folder / f"日報{suffix}", rng))
    if rng.random() < 0.25:
        name = rng.choice(sorted(HOSTILE))
        suffix, build = HOSTILE[name]
        path = build(folder / f"日報{suffix}", rng)
        if rng.random() < 0.3:
            mutation = rng.choice(["truncate", "flip_bytes", "line_damage"])
            path.write_bytes(MUTATIONS[mutation](rng, path.read_bytes(), suffix))
            return Case(number, name, [mutation], path)
        return Case(number, name, [], path)
    source = rng.choice(demo_files)
    data = source.read_bytes()
    names = rng.sample(sorted(MUTATIONS), rng.choice([1, 1, 2]))
    for name in names:
        try:
            data = MUTATIONS[name](rng, data, source.suffix)
        except Exception:                     # a mutation the writer refuses: damage the bytes instead
            data = flip_bytes(rng, data, source.suffix)
    path = folder / source.name
    path.write_bytes(data)
    return Case(number, source.name, names, path)


# ---- running --------------------------------------------------------------------------------

def run_fangyi(args: list[str], timeout: float = TIMEOUT, env: dict | None = None,
               out_dir: Path | None = None) -> tuple[int | None, str, int]:
    """(exit code or None on a timeout, stdout + stderr, peak RSS in KB of the process and its
    children) of `fangyi ARGS`."""
    out_dir = out_dir or Path(tempfile.mkdtemp())
    with open(out_dir / "out.txt", "w+b") as out:
        proc = subprocess.Popen([*FANGYI, *args], stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        hung = threading.Event()

        def kill():
            hung.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    return (None if hung.is_set() else proc.returncode), text, usage.ru_maxrss


@dataclass
class Outcome:
    case: Case
    exit: int | None
    output: str
    maxrss_kb: int
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


FAILED_LINE = ": 讀入失敗 / FAILED: "      # how `fangyi ingest` reports a file that failed


def next_file(workdir: Path) -> Path:
    """A small good daily CSV ingested after every case's file in the same run: whatever the
    case's file did, it must load."""
    path = workdir / "next" / "下一個文件.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("日期,單位,新增確診,密切接觸者\n2021-01-20,柳岸社區,0,1\n2021-01-20,東門社區,0,2\n",
                        encoding="utf-8")
    return path


def run_case(case: Case, base_db: Path, after_next: dict[str, int], next_path: Path) -> Outcome:
    """Ingest the case's file, then `next_path`, in one run into a copy of `base_db`;
    `after_next`: the table counts of base_db after `next_path` alone."""
    db = case.path.parent / "w.db"
    shutil.copy(base_db, db)
    before = table_counts(db)
    started = time.monotonic()
    code, text, rss = run_fangyi(["ingest", "--db", str(db), str(case.path), str(next_path)], out_dir=case.path.parent)
    outcome = Outcome(case, code, text, rss, seconds=time.monotonic() - started)
    problems = outcome.problems
    if code is None:
        problems.append("hang")
        return outcome
    if "Traceback" in text:
        problems.append("traceback")
    if code not in (0, 1):
        problems.append(f"exit {code}")
    if rss > MEMORY_LIMIT_KB:
        problems.append(f"memory {rss // 1024} MB")
    after = table_counts(db)
    conn = sqlite3.connect(db)
    try:
        files = conn.execute("SELECT file_id, status, rows_read, rows_loaded, rows_rejected, rows_not_data, path FROM "
                             "source_files WHERE file_id > ?", (before["source_files"],)).fetchall()
        failed_lines = sum(FAILED_LINE in line for line in text.splitlines())
        failed_records = sum(f[1] == "failed" for f in files)
        if failed_lines > failed_records:
            problems.append(f"failed without a record: {failed_lines - failed_records} of {failed_lines} failed files")
        if [f[1] for f in files if f[-1] == str(next_path)] != ["loaded"]:
            problems.append("the next file of the run did not load")
        for file_id, status, read, loaded, rejected, not_data, path in files:
            if read != loaded + rejected + not_data:
                problems.append(f"rows unaccounted: {read} read != {loaded} + {rejected} + {not_data}")
            counted = (conn.execute("SELECT count(*) FROM rejected_rows WHERE file_id = ?", (file_id,)).fetchone()[0],
                       conn.execute("SELECT count(*) FROM non_data_rows WHERE file_id = ?", (file_id,)).fetchone()[0])
            if counted != (rejected, not_data):
                problems.append(f"rows unaccounted: rejected/not data {counted} recorded, {(rejected, not_data)} counted")
            if status == "failed":      # it added nothing: the tables hold what the next file alone adds
                changed = {t for t in after if t != "source_files" and after[t] != after_next.get(t)}
                if changed:
                    problems.append(f"database changed by a failed file: {sorted(changed)}")
        if code == 1 and not any(s == "failed" for _, s, *_ in files):
            problems.append("exit 1 without a failed file")
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
    finally:
        conn.close()
    return outcome


def base_database(demo_dir: Path, workdir: Path) -> Path:
    db = workdir / "base.db"
    if not db.exists():
        code, text, _ = run_fangyi(["ingest", "--db", str(db), str(demo_dir / "units")], out_dir=workdir)
        assert code == 0, text
    return db


def fuzz(demo_dir: Path, workdir: Path, cases: int, seed: int = 1, jobs: int = 2,
         progress: Callable[[str], None] | None = None, required: tuple[str, ...] = ()) -> dict:
    """Run `cases` cases, the first of them the `required` ones (names of REQUIRED); return the
    figures and the outcomes with problems."""
    base = base_database(demo_dir, workdir)
    files = demo_inputs(demo_dir)
    following = next_file(workdir)
    with_next = workdir / "next" / "w.db"
    shutil.copy(base, with_next)
    code, text, _ = run_fangyi(["ingest", "--db", str(with_next), str(following)], out_dir=with_next.parent)
    assert code == 0, text
    after_next = table_counts(with_next)
    started = time.monotonic()

    def one(n: int) -> Outcome:
        case = make_case(n, seed, files, workdir, required)
        outcome = run_case(case, base, after_next, following)
        if not outcome.problems:
            shutil.rmtree(case.path.parent, ignore_errors=True)
        return outcome

    figures = {"cases": 0, "loaded": 0, "failed": 0, "tracebacks": 0, "hangs": 0, "bad exits": 0,
               "databases changed": 0, "rows unaccounted": 0, "failed without a record": 0,
               "next file not loaded": 0, "over 1 GB": 0, "peak memory MB": 0}
    required_outcomes: list[Outcome] = []
    bad: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for outcome in pool.map(one, range(cases)):
            figures["cases"] += 1
            figures["failed" if outcome.exit == 1 else "loaded"] += outcome.exit in (0, 1)
            figures["peak memory MB"] = max(figures["peak memory MB"], outcome.maxrss_kb // 1024)
            p = " ".join(outcome.problems)
            figures["tracebacks"] += "traceback" in p
            figures["hangs"] += "hang" in p
            figures["bad exits"] += any(re.fullmatch(r"exit -?\d+", problem) for problem in outcome.problems)
            figures["databases changed"] += "database changed" in p
            figures["rows unaccounted"] += "rows unaccounted" in p
            figures["failed without a record"] += "failed without a record" in p
            figures["next file not loaded"] += "next file of the run did not load" in p
            figures["over 1 GB"] += "memory" in p
            if outcome.problems:
                bad.append(outcome)
            if outcome.case.number < len(required):
                required_outcomes.append(outcome)
            if progress and figures["cases"] % 50 == 0:
                progress(f"{figures['cases']} cases, {len(bad)} with problems, {time.monotonic() - started:.0f} s")
    figures["seconds"] = round(time.monotonic() - started)
    return {"figures": figures, "problems": bad, "required": required_outcomes}


# ---- kill -9 trials -------------------------------------------------------------------------

def big_csv(path: Path, rows: int = 300_000) -> Path:
    units = ["柳岸社區", "東門社區", "華林村", "那龍村", "新村"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("日期,單位,新增確診,密切接觸者,核酸檢測人數,是否零報告,報送時間\n")
        for i in range(rows):
            f.write(f"2021-01-{1 + i % 28:02d},{units[i % 5]}{i // 5000},{i % 3},{i % 7},{i % 500},否,"
                    f"2021-01-{1 + i % 28:02d} 18:{i % 60:02d}\n")
    return path


def kill_trials(demo_dir: Path, workdir: Path, trials: int = 10, seed: int = 1, rows: int = 1_000_000) -> dict:
    """kill -9 during an ingest, `trials` times (odd trials into a new database): no temporary
    file left, and the rerun ingest gives the database a clean ingest gives."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    base = base_database(demo_dir, workdir)
    data = big_csv(workdir / "大日報.csv", rows)
    clean = workdir / "clean.db"
    shutil.copy(base, clean)
    started = time.monotonic()
    code, text, _ = run_fangyi(["ingest", "--db", str(clean), str(data)], timeout=300, out_dir=workdir)
    duration = time.monotonic() - started
    assert code == 0, text
    expected = table_counts(clean)
    # Odd trials load into a new database: a first load, written with a rollback journal.
    new_clean = workdir / "clean-new.db"
    code, text, _ = run_fangyi(["ingest", "--db", str(new_clean), str(data)], timeout=300, out_dir=workdir)
    assert code == 0, text
    expected_new = table_counts(new_clean)
    results = {"trials": 0, "temporary files left": 0, "reruns differing": 0, "integrity failures": 0,
               "killed after commit": 0, "clean ingest s": round(duration, 1)}
    for trial in range(trials):
        db = workdir / f"kill{trial}.db"
        first_load = trial % 2 == 1
        if not first_load:
            shutil.copy(base, db)
        tmp = workdir / f"tmp{trial}"
        tmp.mkdir()
        env = {**os.environ, "TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)}
        proc = subprocess.Popen([*FANGYI, "ingest", "--db", str(db), str(data)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        time.sleep(rng.uniform(min(1.5, duration / 2), duration * 0.9))   # imports take the first ~1.5 s
        finished = proc.poll() is not None
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        results["killed after commit"] += finished
        results["trials"] += 1
        left = list(tmp.rglob("*"))
        results["temporary files left"] += bool(left)
        code, text, _ = run_fangyi(["ingest", "--db", str(db), str(data)], timeout=300, env=env, out_dir=tmp)
        (tmp / "out.txt").unlink(missing_ok=True)
        conn = sqlite3.connect(db)
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ok &= conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"      # back in WAL after a first load
        conn.close()
        ok &= not Path(f"{db}-journal").exists()
        results["integrity failures"] += not ok
        results["reruns differing"] += code != 0 or table_counts(db) != (expected_new if first_load else expected)
        results["temporary files left"] += bool(list(tmp.rglob("*"))) and not left
        db.unlink()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=int(os.environ.get("FUZZ_CASES", 2000)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--kill-trials", type=int, default=10)
    parser.add_argument("--workdir", type=Path, default=None, help="Keep the cases here (default: a temp folder).")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fangyi-fuzz-"))
    workdir.mkdir(parents=True, exist_ok=True)
    from fangyi import demo
    demo_dir = workdir / "demo"
    if not demo_dir.exists():
        demo.generate(demo_dir)
    print(f"fuzz: {args.cases} cases, seed {args.seed}, in {workdir}", flush=True)
    result = fuzz(demo_dir, workdir, args.cases, args.seed, args.jobs, progress=lambda s: print("  " + s, flush=True),
                  required=tuple(REQUIRED))
    for outcome in result["required"]:
        summary = next((line.strip() for line in outcome.output.splitlines() if outcome.case.path.name in line), "")
        print(f"  required case {outcome.case.source}: exit {outcome.exit}, {outcome.seconds:.1f} s, "
              f"{outcome.maxrss_kb // 1024} MB{'; ' + '; '.join(outcome.problems) if outcome.problems else ''}"
              f" — {summary[:160]}", flush=True)
    for outcome in result["problems"][:20]:
        c = outcome.case
        print(f"  case {c.number} ({c.source}, {'+'.join(c.mutations) or 'as built'}): {'; '.join(outcome.problems)}"
              f" — kept in {c.path.parent}")
    print(json.dumps(result["figures"], ensure_ascii=False))
    failed = bool(result["problems"])
    if args.kill_trials:
        kills = kill_trials(demo_dir, workdir / "kill", args.kill_trials, args.seed)
        print("kill -9 trials: " + json.dumps(kills, ensure_ascii=False))
        failed |= bool(kills["temporary files left"] or kills["reruns differing"] or kills["integrity failures"])
    if not args.workdir and not failed:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
