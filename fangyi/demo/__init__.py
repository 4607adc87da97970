"""Demo district generator.

Writes the input files of an invented district (清河區, four towns, 27 communities and
villages) for the period 2021-01-11 .. 2021-02-07, in the messy forms the towns really
send, with known defects injected, plus ``manifest.json`` describing exactly what is in
the files: every file's row accounting, every injected defect with its file, sheet and
row, the resubmission, and every row that names its unit by a variant or an alias.

Everything is driven by ``random.Random(seed)``, and the XLSX files are written with
fixed document properties and fixed zip timestamps, so two runs with the same seed give
byte-identical files.

Layout written under ``out_dir``::

    units/單位名錄.xlsx                                       registry (kind units)
    daily/東華街道/東華街道疫情防控日報_2021年1月11日-1月17日.xlsx   town 1: sheet per day
    daily/龍興街道/龙兴街道日报_2021年第2周.csv                  town 2: GB18030, weekly
    daily/龍興街道/龙兴街道日报_更正_2021年1月D日.csv            town 2: correction
    daily/南湖街道/南湖街道疫情防控日报汇总_2021年1月11日-2月7日.csv  town 3: UTF-8 BOM
    daily/雲峰鎮/雲峰鎮各村疫情防控日報_2021年1月11日-1月17日.xlsx    town 4: sheet per village
    coldchain/批發市場/...進貨臺賬 / 銷售臺賬 (XLSX and GB18030 CSV)    cold-chain ledgers: wholesale
    coldchain/農貿市場/...進貨臺賬 (sheet per stall) / 銷售臺賬 (CSV)     cold-chain ledgers: retail
    duty/東華街道/東華街道各社區疫情防控值班表_2021年1月11日-2月7日.xlsx    town 1: roster grid, sheet per community
    duty/東華街道/東華街道疫情防控值班補助申領表_2021年1月.xlsx         town 1: claims, 2021年1月
    duty/龍興街道/龙兴街道值班安排表_2021年1月11日-2月7日.csv            town 2: long-form roster, GB18030
    duty/龍興街道/龙兴街道值班补助申领汇总_2021-01.csv                town 2: claims, 2021-01, GB18030

(duty/ sorts after daily/, so the daily files keep the file ids they had before rosters came.)
    manifest.json

Modules: ``district`` (period, towns, units, names, defect plan), ``registry`` (kind
units), ``daily`` (kind daily: the reports) and ``daily_forms`` (the four towns' files),
``roster`` (kind roster: towns 1 and 2, agreeing with the reports' leaders on duty),
``claims`` (kind claims: January's allowance claims from those rosters), ``coldchain`` (kinds
coldchain_in / coldchain_out: two markets' ledgers, described in the manifest under
``coldchain``), ``files`` (deterministic XLSX / CSV saving), ``manifest``. A new record kind is
a new module with a writer returning ``OutFile`` objects, which its kind declares as its
``demo`` ("fangyi.demo.<module>:<function>", or the function itself for a kind a plug-in
brings); ``generate`` calls every such writer.

Usage: ``python -m fangyi.demo OUT_DIR [--seed N] [--clean]``.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import random

from .claims import build_claims, claims_entry, claims_manifest, write_claims_town1, write_claims_town2
from .coldchain import write_coldchain
from .daily import build_reports
from .daily_forms import write_town1, write_town2, write_town3, write_town4
from .district import (COMMUNITIES, DAYS, DISTRICT_CODE, DISTRICT_NAME, PERIOD_END, PERIOD_START, TOWNS, Plan,
                       build_units, plan_defects)
from .files import save
from .manifest import add_kind_manifests, build_manifest
from .registry import write_registry
from .roster import build_rosters, roster_manifest, write_roster_town1, write_roster_town2

__all__ = ["generate", "main", "PERIOD_START", "PERIOD_END", "DAYS", "DISTRICT_CODE", "DISTRICT_NAME",
           "TOWNS", "COMMUNITIES"]


def generate(out_dir: pathlib.Path, seed: int = 20210111, clean: bool = False) -> dict:
    """Write the demo district's input files and manifest.json under out_dir.

    clean=True writes the same district with no injected defect (no missing, late,
    contradictory, blank, unknown-unit or unreadable rows, no resubmission, no roster gap,
    double booking, off-roster leader or over-claim, no cold-chain ledger defect): a drop on
    which the checks must find nothing."""
    out_dir = pathlib.Path(out_dir)
    units, staff = build_units(random.Random(seed))
    plan = Plan() if clean else plan_defects(random.Random(seed + 1), units)
    reports = build_reports(random.Random(seed + 2), units, plan)
    files = [write_registry(units)]
    files += write_town1(reports, staff[1])
    files += write_town2(reports, random.Random(seed + 3))
    files += write_town3(reports, random.Random(seed + 4))
    files += write_town4(reports, units, random.Random(seed + 5))
    rosters = build_rosters(random.Random(seed + 6), units, staff, reports, plan, clean)
    files += [write_roster_town1(rosters, units, staff[1]), write_roster_town2(rosters, units)]
    claims = build_claims(random.Random(seed + 7), rosters, clean)
    files += [write_claims_town1(claims, staff[1]), write_claims_town2(claims, staff[2][1])]
    ledgers, coldchain = write_coldchain(random.Random(seed + 6), clean=clean)
    files += ledgers
    files += kind_demos(seed, units, clean)
    for out in files:
        save(out, out_dir)
    manifest = build_manifest(seed, units, plan, reports, files)
    roster_defects, manifest["roster"] = roster_manifest(rosters, reports, plan)
    manifest["defects"].update(roster_defects, allowance_overclaim=claims_manifest(claims))
    manifest["claims"] = claims_entry(claims)
    manifest["coldchain"] = coldchain
    add_kind_manifests(manifest, units, clean)
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def kind_demos(seed: int, units: list, clean: bool = False) -> list:
    """The files of every registered kind that brings its own demo writer (`Kind.demo`: a function
    of (random.Random, the district's units) returning OutFiles, or "module:function" naming one),
    each with a random generator of its own so that adding a kind changes no other file."""
    import importlib
    import inspect

    from fangyi.ingest import kinds as registry

    files = []
    for kind in registry.all_kinds().values():
        if kind.demo is None:
            continue
        write = kind.demo
        if isinstance(write, str):
            module, _, function = write.partition(":")
            write = getattr(importlib.import_module(module), function)
        takes_clean = "clean" in inspect.signature(write).parameters      # a plug-in's writer may not
        files += write(random.Random(f"{seed}:{kind.name}"), units, **({"clean": clean} if takes_clean else {}))
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the 清河區 demo input files and manifest.json.")
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--seed", type=int, default=20210111)
    parser.add_argument("--clean", action="store_true", help="no injected defects")
    args = parser.parse_args(argv)
    manifest = generate(args.out_dir, args.seed, clean=args.clean)
    for f in manifest["files"]:
        print(f"{f['path']}: {f['rows_read']} rows ({f['data_rows']} data, "
              f"{f['not_data_rows']} not data, {f['rejected_rows']} rejected)")
    print({k: len(v) for k, v in manifest["defects"].items()})
