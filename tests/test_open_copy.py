"""The open copy is built from an allowlist: a column reaches an anonymous visitor only as its
privacy class says, and raw text that may hold anything never does.

The leak test ingests, beside the demo district, files written the way people really fill them
in, with names, phones, identity numbers and addresses in places nobody declared: the file
names, the sheet names, the title rows, the footers, columns the workbench does not know, a cell
that cannot be read, a unit cell holding a person's name and a sheet nobody recognises. Then it
visits everything an anonymous visitor can reach (every page and every page after it, every
export, the .db download, the Data Docs, the dashboards), and what SQL typed by hand reads in the
open copy (the inspector's: anonymous visitors are refused it), and finds none of them."""
from __future__ import annotations

import asyncio
import csv
import json
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote, urlencode

import openpyxl
import pytest
from conftest import inspector_cookies, site, visible_text, workbench

from fangyi.ingest import kinds
from fangyi.ingest.load import ingest

# What the files below plant: none of it may reach an anonymous visitor, in any written form.
PLANTED = ["司徒建華", "歐陽麗娟", "李德勝", "令狐沖", "張無忌", "王小明", "慕容秋雨", "上官飛燕", "東方紅梅",
           "皇甫嵩林", "民主路88號", "青秀區竹溪大道27號",
           "450103198507153216", "45010319900101002X", "4.50103E+17",
           "139 8765 4321", "13987654321", "139 1234 5678", "13912345678", "0771-5551234", "5551234",
           "13655556666", "18677778888", "13811112222",
           # a register of gatherings and an attendee list (kinds gatherings, gathering_attendees)
           "諸葛明月", "13566667777", "朝陽路16號", "端木華清", "450103197703030033", "15977778888", "公孫小蝶",
           # returnee registers and tests
           "諸葛孔明", "夏侯惇然", "公孫勝利", "獨孤求敗", "司馬懿德", "440199198801015678",
           "13577778888", "135 7999 8888",
           "夏侯惇", "公孫勝", "聞人清風"]


def _csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_hostile_files(folder: Path, units: list[tuple[str, str]]) -> list[Path]:
    """Files as people send them, names where nobody declared them. units: (code, name) of
    four communities of the registry."""
    (u1, n1), (u2, n2), (u3, n3), (u4, n4) = units
    files = []
    # a day's report with the filler's name in the file name, the title and the footer; columns
    # the workbench does not know (聯絡員, 社區書記, 備註, 證件號碼, 家庭住址); a unit written as a
    # person's household; a date cell holding a name (rejected)
    files.append(_csv(folder / "daily" / "東華街道日報_司徒建華報.csv", [
        ["東華街道疫情防控日報（2021年2月8日）填表人：司徒建華 電話 139 8765 4321"],
        ["日期", "社區", "新增確診", "密切接觸者", "居家隔離", "是否零報告", "填報人", "帶班領導", "報送時間",
         "聯絡員", "社區書記", "備註", "證件號碼", "家庭住址"],
        ["2021-02-08", n1, "0", "0", "1", "否", "司徒建華", "歐陽麗娟", "2021-02-08 18:00",
         "慕容秋雨 139 1234 5678", "上官飛燕", "居家隔離者東方紅梅，電話 13655556666", "450103198507153216",
         "民主路88號"],
        ["2021-02-08", n2, "0", "0", "0", "是", "司徒建華", "歐陽麗娟", "2021-02-08 18:05",
         "慕容秋雨", "上官飛燕", "", "4.50103E+17", "青秀區竹溪大道27號"],
        ["2021-02-08", "令狐沖家", "0", "0", "0", "是", "令狐沖", "令狐沖", "2021-02-08 18:10", "", "", "", "", ""],
        ["王小明", n3, "0", "0", "0", "是", "王小明", "", "2021-02-08 18:20", "", "", "", "", ""],
        ["填表人：司徒建華　審核人：歐陽麗娟　聯系電話：0771-5551234"],
    ], encoding="gb18030"))
    # a roster workbook whose sheet names and title carry the compiler's name, with a column of
    # family phones nobody declared
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = f"{n4}（李德勝編）"
    sheet.append([f"{n4}疫情防控值班表（編製：李德勝 18677778888）"])
    sheet.append(["日期", "星期", "帶班領導", "白班", "夜班", "聯系電話", "家屬電話"])
    for day in (8, 9):
        sheet.append([f"2021-02-0{day}", "", "皇甫嵩林", "張無忌、王小明", "李德勝", "139 1234 5678", "13811112222"])
    sheet.append(["審核：李德勝"])
    other = book.create_sheet("上官飛燕的草稿")
    other.append(["上官飛燕", "13811112222", "民主路88號"])         # a sheet nobody recognises
    path = folder / "duty" / "值班表_李德勝.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    files.append(path)
    # a sale to a person, with an identity number in a remark
    files.append(_csv(folder / "coldchain" / "銷售臺賬_張無忌經手.csv", [
        ["銷售日期", "經營者", "統一社會信用代碼", "追溯碼", "品名", "數量", "單位", "購買方", "聯系電話", "備註"],
        ["2021-02-08", "清河恆通冷鏈貿易商行", "91440199MA5CHT0011", "QL2101120001", "冷凍牛腩", "2", "kg",
         "東方紅梅", "13655556666", "身份證45010319900101002X"],
    ]))
    # a register of gatherings: the organiser, the phone, the place, an approval naming who signed
    # it and a remark naming a guest;
    # a wedding of 60 (a finding whose message names the organiser) and an unapproved event
    files.append(_csv(folder / "gatherings" / "活動報備登記表_諸葛明月.csv", [
        ["活動報備登記表（2021年2月）"],
        ["活動編號", "社區", "活動類型", "舉辦日期", "舉辦地點", "組織人", "聯繫電話", "預計人數", "實際人數",
         "報備日期", "審批日期", "審批單位", "備註"],
        ["H-01", n1, "婚禮", "2021-02-08", "朝陽路16號", "諸葛明月", "13566667777", "60", "60", "2021-02-01", "",
         "同意，審批人聞人清風", "主賓公孫小蝶"],
        ["H-02", n2, "諸葛明月家開業", "2021-02-09", "朝陽路16號", "諸葛明月", "13566667777", "20", "", "2021-02-01",
         "", "", ""],
    ], encoding="gb18030"))
    # its attendee list, by event number, with identity numbers and phones
    files.append(_csv(folder / "gatherings" / "H-01參加人員名單_端木華清.csv", [
        ["諸葛明月婚禮參加人員名單"],
        ["活動編號", "姓名", "身份證號", "聯繫電話"],
        ["H-01", "端木華清", "450103197703030033", "15977778888"],
        ["H-01", "公孫小蝶", "", "15977778888"],
    ]))
    # a returnee register (names, identity numbers, phones, the grid worker, a remark naming a
    # relative) and its tests (a positive one whose disposal names a contact, one matching nobody)
    files.append(_csv(folder / "returnees" / f"{n1}返鄉人員健康管理臺賬.csv", [
        [f"{n1}返鄉人員健康管理臺賬（2021年2月）"],
        ["社區(村)", "姓名", "身份證號", "聯繫電話", "從何地返鄉", "風險等級", "報備時間", "返鄉時間", "登記時間",
         "核酸陰性證明日期", "管理方式", "離開日期", "網格員", "第7天核酸", "備註"],
        [n1, "諸葛孔明", "440199198801015678", "13566667777", "深圳市福田區", "中", "2021-02-08 08:00",
         "2021-02-08 10:00", "2021-02-08 11:00", "", "居家隔離", "", "夏侯惇然", "", "同住親屬司馬懿德"],
    ]))
    files.append(_csv(folder / "returnees" / f"{n1}返鄉人員核酸檢測.csv", [
        ["社區(村)", "姓名", "身份證號", "聯繫電話", "採樣日期", "結果", "處置情況"],
        [n1, "諸葛孔明", "440199198801015678", "", "2021-02-08", "陽性", "已轉運，聯繫人公孫勝利 13577778888"],
        [n1, "獨孤求敗", "", "135 7999 8888", "2021-02-08", "陰性", ""],
    ]))
    # a disinfection log naming its operator and supervisor (with a phone) in their columns, the
    # file name and the footer
    files.append(_csv(folder / "disinfection" / "消毒記錄_夏侯惇.csv", [
        ["社區", "消毒場所", "日期", "時間", "消毒劑", "消毒人員", "監督人"],
        [n1, "1號樓電梯", "2021-02-08", "8:00", "84消毒液", "夏侯惇", "公孫勝 13566667777"],
        [n1, "1號樓電梯", "2021-02-08", "10時", "84消毒液", "夏侯惇", "公孫勝"],
        ["填表人：夏侯惇　審核人：公孫勝"],
    ]))
    # a file nobody can read as any kind: every row of it is a non-data row
    files.append(_csv(folder / "misc" / "張無忌的表.csv", [["姓名", "電話"], ["張無忌", "13987654321"]]))
    return files


@pytest.fixture(scope="module")
def hostile_db(demo_data, tmp_path_factory) -> Path:
    """The demo district with the hostile files, ingested and checked with Great Expectations
    (Data Docs beside it, as the site serves them)."""
    from fangyi.checks.run import run_checks
    from fangyi.settings import Settings

    out, manifest = demo_data
    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    shutil.copytree(out, data)
    communities = [(u["unit_code"], u["name"]) for u in manifest["units"] if u["reports_daily"]
                   and u["parent_code"] == "440199001000"][:4]
    write_hostile_files(data / "hostile", communities)
    path = root / "workbench.db"
    reports = ingest(path, [data])
    assert all(r.status == "loaded" for r in reports if "misc" not in str(r.path)), [r.error for r in reports]
    run_checks(path, Settings(), gx=True, docs_dir=root / "gx" / "data_docs")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    held = "\n".join(str(v) for t in ("non_data_rows", "rejected_rows", "daily_reports", "duty_shifts",
                                       "source_files", "source_sheets", "coldchain_sales",
                                       "gathering_events", "gathering_attendees", "returnees", "returnee_tests",
                                       "disinfection_records")
                     for row in conn.execute(f"SELECT * FROM {t}") for v in row if v is not None)
    conn.close()
    # the full database does hold them all (else the test would prove nothing)
    missing = [w for w in PLANTED if w not in held and w.replace(" ", "") not in held.replace(" ", "")]
    assert missing == [], missing
    return path


def _forms(word: str) -> set[str]:
    return {word, word.replace(" ", ""), word.replace("-", "")}


def test_every_table_and_column_is_declared(tmp_path):
    """Private unless declared open: a table or column declared nowhere would be withheld. So that
    nothing is withheld by accident either, every one of the workbench's is declared, and the
    built-in kinds declare every column themselves."""
    from fangyi.site.open_copy import declarations

    conn = workbench(tmp_path / "w.db")
    declared = declarations()
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%'")]
    undeclared = [f"{t}.{c[1]}" for t in tables for c in conn.execute(f'PRAGMA table_info("{t}")')
                  if c[1] not in declared.get(t, {})]
    assert undeclared == []
    bad = [f"{t}.{c}: {d.privacy}" for t, cols in declared.items() for c, d in cols.items()
           if d.privacy not in kinds.PRIVACY and d.privacy not in ("group_key", "check_message", "check_subject",
                                                                  "check_evidence")]
    assert bad == []
    implicit = [f"{k.name}.{f.name}" for k in kinds.all_kinds().values() for f in k.fields
                if f.privacy == kinds.PRIVATE]
    assert implicit == []


def test_no_anonymous_route_reaches_what_the_files_planted(hostile_db):
    full, public = hostile_db.stem, hostile_db.stem + "_open"

    async def go():
        ds = site(hostile_db)
        await ds.invoke_startup()
        inspector = inspector_cookies(ds)
        objects = {}
        open_conn = sqlite3.connect(ds.databases[public].path)
        for (name,) in open_conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                         "AND name NOT LIKE 'sqlite_%'"):
            objects[name] = [r[1] for r in open_conn.execute(f'PRAGMA table_info("{name}")')]
        open_conn.close()
        urls = ["/", "/-/metadata.json", "/-/databases.json", f"/{public}", f"/{public}.json", f"/{public}.db",
                "/-/dashboards", "/-/dashboards/reporting"]
        sql_urls = []      # SQL typed by hand on the open copy: refused to anonymous, read as the inspector
        docs = hostile_db.parent / "gx" / "data_docs"
        urls += [f"/data-docs/{quote(p.relative_to(docs).as_posix())}" for p in docs.rglob("*.html")]
        for name, columns in objects.items():
            t = quote(name)
            urls += [f"/{public}/{t}", f"/{public}/{t}.json?_size=max&_shape=objects", f"/{public}/{t}.csv?_stream=1",
                     f"/{public}/{t}.xlsx", f"/{public}/{t}.csvbom"]
            sql_urls.append(f"/{public}.json?_shape=objects&sql=" + quote(f'select * from "{name}"'))
            for column in columns:
                urls.append(f"/{public}/{t}.json?_facet={quote(column)}&_size=0")
        for name, query in (ds.metadata("queries", database=public) or {}).items():
            for fmt in ("", ".json", ".csvbom"):
                args = {p: {"date": "2021-02-08", "start_date": "2021-02-01", "end_date": "2021-02-08",
                            "iso_week": "2021-W06", "month": "2021-02", "trace_code": "QL2101120001"}.get(p, "")
                        for p in query.get("params", [])}
                urls.append(f"/{public}/{name}{fmt}" + ("?" + urlencode(args) if args else ""))
        for slug, dash in (ds.plugin_config("datasette-dashboards") or {}).items():
            for chart in dash.get("charts", {}).values():
                sql = chart["query"].replace("[[", "").replace("]]", "")
                urls.append(f"/{chart['db']}.json?" + urlencode({"sql": sql, "date_start": "2021-01-11",
                                                                "date_end": "2021-02-08", "town": ""}))
        leaks, served = [], 0
        assert {(await ds.client.get(url)).status_code for url in sql_urls} == {403}
        for url, cookies in [(u, {}) for u in urls] + [(u, inspector) for u in sql_urls]:
            next_url = url
            for _ in range(50):              # every page after the first, too
                resp = await ds.client.get(next_url, follow_redirects=True, cookies=cookies)
                text = visible_text(next_url, resp.status_code, resp.content)
                served += resp.status_code == 200
                leaks += [f"{next_url}: {w}" for word in PLANTED for w in _forms(word) if w in text]
                nxt = None
                if resp.status_code == 200 and "_shape=objects" in next_url and not next_url.startswith(f"/{public}.json"):
                    nxt = resp.json().get("next_url")
                if not nxt:
                    break
                next_url = nxt.split("://", 1)[-1].split("/", 1)[-1]
                next_url = "/" + next_url
        assert served > 500
        assert leaks == []
        # the full database: the inspector only, and it does hold them
        resp = await ds.client.get(f"/{full}/non_data_rows.csv?_stream=1", cookies=inspector)
        assert "司徒建華" in resp.text and "上官飛燕" in resp.text
        assert (await ds.client.get(f"/{full}/non_data_rows.csv?_stream=1")).status_code == 403

    asyncio.run(go())


def test_what_the_open_copy_keeps(hostile_db):
    """Counts, roles and positions: a person is the same pseudonym wherever named, a phone is
    masked, a sheet is its position and a file its number, a registry name is never replaced,
    and a finding whose message quotes what was written is shown by its label, unit and day."""
    ds = site(hostile_db)
    asyncio.run(ds.invoke_startup())
    conn = sqlite3.connect(ds.databases[hostile_db.stem + "_open"].path)
    full = sqlite3.connect(hostile_db)
    # pseudonyms: the roster's people, the same in the roster table and its per-day summary
    rows = conn.execute("SELECT DISTINCT person FROM duty_shifts WHERE person IS NOT NULL").fetchall()
    assert rows and all(p.startswith("人員") for (p,) in rows)
    shift = conn.execute("SELECT unit_raw, date, person, phone FROM duty_shifts s WHERE sheet LIKE '工作表%' "
                         "AND shift = 'leader' AND date = '2021-02-08'").fetchone()
    day = conn.execute("SELECT leaders, phone FROM roster_unit_days WHERE date = '2021-02-08' AND leaders = ?",
                       (shift[2],)).fetchall()
    registry = {n for (n,) in full.execute("SELECT name FROM units_in_force")}
    assert shift[0] in registry and shift[3] == "139****5678" and day == [(shift[2], "139****5678")]
    # roles on the daily reports, every unknown column, raw row and header withheld
    assert conn.execute("SELECT DISTINCT reporter, duty_leader FROM daily_reports WHERE report_date = '2021-02-08' "
                        "AND reporter IS NOT NULL").fetchall() == [("填報人", "帶班領導")]
    for table, column in (("daily_reports", "extra"), ("non_data_rows", "raw"), ("rejected_rows", "raw"),
                          ("rejected_rows", "reason"), ("source_sheets", "context"), ("coldchain_sales", "extra")):
        assert conn.execute(f"SELECT count(NULLIF({column}, '')) FROM {table}").fetchone() == (0,), (table, column)
        assert full.execute(f"SELECT count({column}) FROM {table}").fetchone()[0] > 0, (table, column)
    # a unit as written: the registry's name of the unit it resolved to, else nothing
    for table in ("daily_reports", "unit_names", "duty_shifts"):
        shown = {u for (u,) in conn.execute(f"SELECT DISTINCT unit_raw FROM {table}")}
        assert shown - {None} and shown - {None} <= registry, table
    assert conn.execute("SELECT d.unit_raw FROM daily_reports d WHERE d.report_date = '2021-02-08' AND d.name_id IN "
                        "(SELECT name_id FROM unit_resolutions WHERE status = 'unknown')").fetchall() == [(None,)]
    # files and sheets by their position
    paths = [p for (p,) in conn.execute("SELECT path FROM source_files ORDER BY file_id")]
    assert paths == [f"文件{i}{Path(p).suffix}" for i, (p,) in enumerate(
        full.execute("SELECT path FROM source_files ORDER BY file_id"), start=1)]
    sheets = {s for (s,) in conn.execute("SELECT DISTINCT sheet FROM non_data_rows")}
    assert sheets and all(s == "" or s.startswith("工作表") for s in sheets)
    # the registry's names stay as they are, also where a person has the same name
    assert conn.execute("SELECT name FROM units ORDER BY unit_row_id").fetchall() == \
        full.execute("SELECT name FROM units ORDER BY unit_row_id").fetchall()
    # findings: a message that quotes the files becomes the label, the unit and the day
    [(message, subject, evidence)] = conn.execute(
        "SELECT message, subject_key, evidence FROM findings WHERE check_id = 'unknown_unit' "
        "AND date = '2021-02-08'").fetchall()
    assert message == "名錄中沒有的單位 2021-02-08" and subject is None
    assert set(json.loads(evidence)) == {"file_id", "row"}
    missed = conn.execute("SELECT message, evidence FROM findings WHERE check_id = 'missing_report' LIMIT 1").fetchone()
    assert missed[0] == full.execute("SELECT message FROM findings WHERE check_id = 'missing_report' LIMIT 1").fetchone()[0]
    assert set(json.loads(missed[1])) == {"town_code"}
    conn.close()
    full.close()


def test_every_lookup_of_the_open_copy_searches_its_map(demo_db):
    """Each table's copy finds what a name, unit, sheet or file becomes by searching the map on
    both its keys (a unit by name_id: its own map, by its integer key), never by scanning a class per row (compared with an INTEGER column such as
    name_id, SQLite gave m.value numeric affinity and scanned: a province's daily reports took
    36 minutes). Read from SQLite's own query plan of every table's copy."""
    from fangyi.site import open_copy as oc

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS src", (Path(demo_db).resolve().as_uri() + "?mode=ro",))
    declared = oc.declarations()
    plan = [(name, oc._columns(conn, "src", name), declared[name])
            for type_, name, _, _ in oc._schema(conn, "src") if type_ == "table" and name in declared]
    oc._fill_maps(conn, plan)
    searched, scans = 0, []
    for name, columns, decl in plan:
        if any(d.privacy.startswith("check_") for d in decl.values()):
            conn.execute("DROP TABLE IF EXISTS temp.fy_checks")
            select = oc._findings_select(conn, name, columns, decl)
        else:
            select = f"SELECT {', '.join(oc.expression(c, decl.get(c), columns) for c in columns)} FROM src.{oc._q(name)} t"
        for row in conn.execute("EXPLAIN QUERY PLAN " + select):
            detail = row[-1]
            if " m " in f" {detail} " or detail.startswith("SEARCH m") or detail.startswith("SCAN m"):
                if "class=? AND value=?" in detail or "INTEGER PRIMARY KEY (rowid=?)" in detail:
                    searched += 1
                else:
                    scans.append((name, detail))
    conn.close()
    assert scans == [] and searched >= 5, (scans, searched)
