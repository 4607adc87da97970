"""Kind `roster`: duty rosters (值班表), in either of the two forms units send.

- The grid: one row per date with 帶班領導, 白班, 夜班 and 聯系電話 cells, often one sheet per unit
  (the unit then comes from the sheet name or the title row) or a unit column. A cell may name
  several people, separated by 、 , / ; or line breaks. Hours written in a shift's header, as in
  白班(08:00-20:00) or 夜班(20:00-次日08:00), override the defaults.
- The long form: one row per person and shift: 單位, 日期, 班次 (白班, 夜班 or 帶班), 姓名, 職務, 電話.

Each source row yields one `duty_shifts` row per person and shift: a grid row with a leader, two
day staff and one night staff yields four. A shift cell left blank yields one row with no person:
the roster's own statement that nobody is on that shift, kept so that a finding can point at it.
Times: day 08:00-20:00 and night 20:00-08:00 the next morning unless the header (or, in the
long form, the 班次 cell) says otherwise; the leader's duty covers the whole duty day, from the
day shift's start to the night shift's end.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl

from . import Column, EXTRA, FREE_TEXT, Field, Kind, NAME, NAMES, OPEN, PHONE, Plausible, SheetContext, Table, UNIT_NAME, register
from fangyi.keys import name_key, norm, strip_brackets

DAY, NIGHT, LEADER = "day", "night", "leader"
DEFAULT_HOURS = {DAY: (8 * 60, 20 * 60, False), NIGHT: (20 * 60, 8 * 60, True)}   # (start, end, ends next day)
GRID = {"leader": LEADER, "day_staff": DAY, "night_staff": NIGHT}                # grid column -> shift
ONE_NAME = r"[^、,/;，／；\r\n]+"    # one name between separators (cells are as written: full-width ones too)

SHIFT_WORDS = {norm(word): shift for words, shift in (
    (("白班", "白天", "日班", "白"), DAY),
    (("夜班", "晚班", "夜間", "夜"), NIGHT),
    (("帶班", "帶班領導", "值班領導", "帶班人員", "領導"), LEADER),
) for word in words}

_HOURS = re.compile(r"(\d{1,2})(?:\s*[:時时点點]\s*(\d{1,2})?)?\s*分?\s*[-~至到—–]+\s*(次日|翌日|第二天|次晨)?"
                    r"\s*(\d{1,2})(?:\s*[:時时点點]\s*(\d{1,2})?)?")


def hours(text: str | None) -> tuple[int, int, bool] | None:
    """(start, end in minutes after midnight, whether it ends the next day) written in a header
    or a 班次 cell: '白班\\n(8:00-20:00)' -> (480, 1200, False); '夜班(20:00-次日8:00)' ->
    (1200, 480, True). None when the text gives no hours."""
    if not text:
        return None
    m = _HOURS.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    h1, m1, next_day, h2, m2 = m.groups()
    start, end = int(h1) * 60 + int(m1 or 0), int(h2) * 60 + int(m2 or 0)
    if not (0 <= start < 24 * 60 and 0 <= end <= 24 * 60 and int(m1 or 0) < 60 and int(m2 or 0) < 60):
        return None
    return start, end, bool(next_day) or end <= start


def shift_of(text: str | None) -> tuple[str, tuple[int, int, bool] | None] | None:
    """A 班次 cell: ('day' | 'night' | 'leader', its hours if written), or None if not a shift."""
    key = strip_brackets(norm(text))
    key = re.sub(r"[\d:~\-—–至到次日翌]+$", "", key)           # 夜班20:00-次日8:00 without brackets
    shift = SHIFT_WORDS.get(key)
    return (shift, hours(text)) if shift else None


# A unit's name in a sheet name or a title: the words before 疫情, 值班, a year, a bracket...
_UNIT_STOP = re.compile(r"(?:疫情|防控|值班|排班|帶班|带班|二十四小時|二十四小时|24小時|24小时|春節|春节|\d{4}\s*年|"
                        r"紅白喜事|红白喜事|婚喪|婚丧|報備|报备|登記|登记|返鄉|返乡|消毒|活動|活动|聚集|健康管理|臺賬|台账|"
                        r"\d{1,2}\s*月|\d+日|[()\[\]【】]|[-_ .])")
_UNIT_END = re.compile(r"(社區|社区|居委會|居委会|村委會|村委会|村|小區|小区|網格|网格|嘎查|項目部|项目部)$")
_UNIT_HEAD = re.compile(r"^(.{2,}?(?:社區|社区|居委會|居委会|村委會|村委会))|^(.{2,}?村)(?!委)")
_TOWN_PREFIX = re.compile(r"^.+?(街道|鎮|镇|鄉|乡)(?=.)")
_GENERIC_SHEET = re.compile(r"^(sheet\d*|工作表\d*|值班表|排班表|\d+月?|第?\d+周)$", re.I)


def _unit_name_in(text: str | None) -> str | None:
    """The unit a sheet name, title or file name names: the first of its pieces between words
    such as 疫情, 值班, a date or a bracket that ends like a unit's name (社區, 村, ...), without a
    leading town (東華街道柳岸社區 -> 柳岸社區); else its first piece."""
    if not text:
        return None
    pieces = [p.strip() for p in _UNIT_STOP.split(unicodedata.normalize("NFKC", str(text)))]
    pieces = [p for p in pieces if p]
    for piece in pieces:
        end = _UNIT_END.search(piece)
        if end:
            rest = _TOWN_PREFIX.sub("", piece)
            rest_end = _UNIT_END.search(rest)
            return rest if rest != piece and rest_end and len(rest) > len(rest_end.group(1)) else piece
    for piece in pieces:            # 柳岸社區公共場所: the community its piece begins with
        head = _UNIT_HEAD.match(piece)
        if head:
            return _unit_name_in(head.group(1) or head.group(2))
    return pieces[0] if pieces else None


def unit_from_context(ctx: SheetContext) -> str | None:
    """The unit a per-unit sheet is about, from its sheet name or its title row (or the file
    name): the first that reads as a community or village name, else a sheet name that is not
    a generic one (Sheet1, 1月, ...), else the title's. Resolved to the registry at check time."""
    sheet, title, stem = _unit_name_in(ctx.sheet), _unit_name_in(ctx.title), _unit_name_in(Path(ctx.path).stem)
    for name in (sheet, title, stem):
        if name and _UNIT_END.search(name):
            return name
    if sheet and not _GENERIC_SHEET.match(sheet):
        return sheet
    return title


FIELDS = (
    Field("date", ("日期", "值班日期", "排班日期"), "date", "值班日期", "Duty date", "2021-01-20",
          Plausible(window=True), privacy=OPEN),
    Field("weekday", ("星期", "星期幾", "周次"), "text", "星期（以日期為準，不另存）",
          "Weekday (the date decides; not stored)", "星期三", privacy=OPEN),
    Field("unit", ("單位", "值班單位", "單位名稱", "社區(村)", "村(社區)", "社區", "社區名稱", "村名"), "text",
          "值班單位；每個單位一張工作表時可不設此列，取自工作表名或標題",
          "Unit on duty; a sheet per unit may leave it out (the sheet name or title names the unit)",
          "柳岸社區", privacy=FREE_TEXT),
    Field("unit_code", ("單位編碼", "編碼", "區劃代碼"), "code", "單位編碼（可選）", "Unit code (optional)",
          "440199001001", privacy=FREE_TEXT),
    Field("leader", ("帶班領導", "值班領導", "帶班人員", "帶班"), "text",
          "表格式：帶班領導，負責全天；多人以、，/ 或換行分隔",
          "Grid form: leader on duty for the whole day; several separated by 、 , / or line breaks", "李明", privacy=NAMES),
    Field("day_staff", ("白班", "白班人員", "白班值班人員", "日班"), "text",
          "表格式：白班值班人員；表頭可寫時段，如 白班(08:00-20:00)，默認 08:00-20:00",
          "Grid form: day-shift staff; the header may give the hours, e.g. 白班(08:00-20:00), "
          "default 08:00-20:00", "王芳、張偉", privacy=NAMES),
    Field("night_staff", ("夜班", "夜班人員", "夜班值班人員", "晚班"), "text",
          "表格式：夜班值班人員；默認 20:00 至次日 08:00",
          "Grid form: night-shift staff; default 20:00 to 08:00 the next morning", "趙強", privacy=NAMES),
    Field("phone", ("聯系電話", "聯繫電話", "電話", "值班電話", "手機", "手機號碼", "聯系方式"), "text",
          "聯系電話（表格式中為該行值班電話）", "Phone (in the grid form, the row's duty phone)", "13800000000", privacy=PHONE),
    Field("shift", ("班次", "班別", "值班班次"), "text",
          "長表：班次，白班、夜班或帶班（可附時段，如 夜班(20:00-次日8:00)）",
          "Long form: shift, 白班 (day), 夜班 (night) or 帶班 (leader), optionally with hours", "白班", privacy=OPEN),
    Field("person", ("姓名", "值班人員", "值班人"), "text", "長表：值班人員姓名", "Long form: person on duty", "王芳", privacy=NAME),
    Field("post", ("職務", "職位", "崗位"), "text", "職務", "Post or position", "社區主任", privacy=OPEN),
)
FIELD_NAMES = [f.name for f in FIELDS]
TABLE = Table(
    "duty_shifts", key="shift_id", names_unit=True,
    zh="值班表的每一人每一班一行：一個表格行可拆成多條；班次格空白時一行 person 為空，表示該班無人",
    en="One row per person and shift a roster names (a grid row may yield several); a blank shift cell "
       "yields one row with no person: the roster says nobody is on that shift",
    columns=(
        Column("unit_raw", zh="值班單位（原文照錄：單位列，否則工作表名或標題）",
               en="The unit as written (a column, else the sheet name or title)", privacy=UNIT_NAME),
        Column("unit_code_raw", zh="單位編碼（原文照錄，表中有編碼列時）",
               en="The unit code as written, if the sheet has a code column", privacy=FREE_TEXT),
        Column("date", "TEXT NOT NULL", "值班日期（夜班從這天開始）", "Duty date (a night shift starts on it)"),
        Column("shift", "TEXT NOT NULL", "班次：day 白班 / night 夜班 / leader 帶班領導",
               "Shift: day / night / leader (the leader on duty for the whole day)", OPEN),
        Column("person", zh="值班人員（原文照錄）；空：該班無人", en="Person on duty as written; blank: nobody on this shift"),
        Column("person_key", zh="規範化後的姓名（去空格、繁轉簡、去括號備註）",
               en="Normalised name (no spaces, simplified, no bracketed remark)", privacy=NAME),
        Column("post"),
        Column("phone", zh="該行的電話（表格式中一行的聯系電話適用於該行所有人）",
               en="The phone on the row (a grid row's phone applies to everyone on it)"),
        Column("starts_at", "TEXT NOT NULL", "開始時間（ISO 8601 日期時間）", "Start (ISO 8601 date and time)", OPEN),
        Column("ends_at", "TEXT NOT NULL", "結束時間（ISO 8601 日期時間）；夜班到次日早上",
               "End (ISO 8601 date and time); a night shift ends the next morning", OPEN),
        EXTRA,
    ),
    indexes=(("duty_shifts_date", "date"), ("duty_shifts_person", "person_key")),
)
COLUMNS = TABLE.data_columns


def has_unit_column(frame: pl.DataFrame, ctx: SheetContext) -> bool:
    """Whether the sheet names each row's unit in a column (unit or unit code); a sheet without
    one is a unit's own form, its unit in its sheet name, title or file name (unit_from_context)."""
    present = set(ctx.headers) if ctx.headers else {
        c for c in frame.columns if not c.startswith("_") and frame[c].null_count() < frame.height}
    return bool({"unit", "unit_code"} & present)


def _present(frame: pl.DataFrame, ctx: SheetContext) -> set[str]:
    """The fields the sheet has a column for."""
    if ctx.headers:
        return set(ctx.headers)
    return {f for f in FIELD_NAMES if f in frame.columns and frame[f].null_count() < frame.height}


def _label(ctx: SheetContext, field: str, default: str) -> str:
    return " ".join((ctx.headers.get(field) or default).split())


def finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    present = _present(parsed, ctx)
    unit_column = bool({"unit", "unit_code"} & present)
    sheet_unit = None if unit_column else unit_from_context(ctx)
    grid = [f for f in GRID if f in present]
    words = {t: shift_of(t) for t in parsed["shift"].drop_nulls().unique().to_list()}
    out = parsed.with_columns(
        unit_raw=pl.col("unit") if unit_column else pl.lit(sheet_unit, pl.String),
        unit_code_raw=pl.col("unit_code"),
        shift_kind=pl.col("shift").replace_strict({t: s[0] if s else None for t, s in words.items()},
                                                  default=None, return_dtype=pl.String),
        extra=pl.col("_extra"),
    )
    for i, name in enumerate(("_h_start", "_h_end", "_h_next")):
        values = {t: (s[1][i] if s and s[1] else None) for t, s in words.items()}
        out = out.with_columns(pl.col("shift").replace_strict(values, default=None, return_dtype=pl.Int64).alias(name))
    shift_label, person_label = _label(ctx, "shift", "班次"), _label(ctx, "person", "姓名")
    if unit_column:
        no_unit = "沒有單位：單位格是空的 / no unit: the unit cell is blank"
    else:
        no_unit = ("沒有單位：工作表沒有單位列，工作表名和標題也沒有寫單位（請用單位名稱命名工作表，或加一個「單位」列） / "
                   "no unit: the sheet has no unit column, and neither its name nor its title names a unit "
                   "(name the sheet after the unit, or add a 單位 column)")
    reason = pl.coalesce(
        pl.col("_reason"),
        pl.when(pl.col("date").is_null()).then(pl.lit(
            f"沒有日期：{_label(ctx, 'date', '日期')}格是空的 / no date: the {_label(ctx, 'date', '日期')} cell is blank")),
        pl.when(pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null()).then(pl.lit(no_unit)),
        pl.when(pl.col("shift").is_not_null() & pl.col("shift_kind").is_null()).then(pl.format(
            f"{shift_label}: '{{}}' 不是班次，請寫 白班、夜班 或 帶班 / is not a shift: write 白班, 夜班 or 帶班",
            pl.col("shift"))),
        pl.when(pl.col("person").is_not_null() & pl.col("shift").is_null()).then(pl.format(
            f"{person_label} '{{}}' 沒有{shift_label}：請寫明是 白班、夜班 還是 帶班 / "
            f"has no {shift_label}: say whether it is 白班, 夜班 or 帶班", pl.col("person"))),
        pl.when(pl.col("shift").is_null() & pl.lit(not grid)).then(pl.lit(
            "沒有班次：這一行沒有寫班次，工作表也沒有白班、夜班或帶班領導列 / "
            "no shift: the row names no 班次, and the sheet has no 白班, 夜班 or 帶班領導 column")),
    )
    column = (pl.when(pl.col("_reason").is_not_null()).then(pl.col("_column"))
              .when(pl.col("date").is_null()).then(pl.lit(_label(ctx, "date", "日期")))
              .when(pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null() & pl.lit(unit_column))
              .then(pl.lit(_label(ctx, "unit", "單位")))
              .when(pl.col("shift").is_not_null() & pl.col("shift_kind").is_null()).then(pl.lit(shift_label))
              .when(pl.col("person").is_not_null() & pl.col("shift").is_null()).then(pl.lit(shift_label)))
    return out.with_columns(_reason=reason, _column=column)


def _names(col: str) -> pl.Expr:
    """The people a cell names, as a list (null for a blank cell)."""
    names = (pl.col(col).str.extract_all(ONE_NAME).list.eval(pl.element().str.strip_chars())
             .list.eval(pl.element().filter(pl.element() != "")))
    return pl.when(names.list.len() > 0).then(names)


def write(good: pl.DataFrame, ctx: SheetContext) -> dict[str, pl.DataFrame]:
    present = _present(good, ctx)
    day = hours(ctx.headers.get("day_staff")) or DEFAULT_HOURS[DAY]
    night = hours(ctx.headers.get("night_staff")) or DEFAULT_HOURS[NIGHT]
    leader = hours(ctx.headers.get("leader")) or (day[0], night[1], night[2] or night[1] <= day[0])
    sheet_hours = {DAY: day, NIGHT: night, LEADER: leader}
    base = ["unit_raw", "unit_code_raw", "date", "post", "phone", "extra", "_row"]
    frames = []
    for field, shift in GRID.items():
        if field in present:
            start, end, next_day = sheet_hours[shift]
            frames.append(good.select(*base, shift=pl.lit(shift), names=_names(field), _s=pl.lit(start, pl.Int64),
                                      _e=pl.lit(end, pl.Int64), _n=pl.lit(int(next_day), pl.Int64)))
    if "shift" in present:
        rows = good.filter(pl.col("shift_kind").is_not_null())
        default = [{s: h[i] for s, h in sheet_hours.items()} for i in range(3)]
        frames.append(rows.select(
            *base, shift=pl.col("shift_kind"), names=_names("person"),
            _s=pl.coalesce("_h_start", pl.col("shift_kind").replace_strict(default[0], return_dtype=pl.Int64)),
            _e=pl.coalesce("_h_end", pl.col("shift_kind").replace_strict(default[1], return_dtype=pl.Int64)),
            _n=pl.coalesce("_h_next", pl.col("shift_kind").replace_strict(
                {s: int(v) for s, v in default[2].items()}, return_dtype=pl.Int64))))
    if not frames:
        return {"duty_shifts": pl.DataFrame(schema={**{c: pl.String for c in COLUMNS}, "_row": pl.Int64})}
    order = {LEADER: 0, DAY: 1, NIGHT: 2}
    slots = (pl.concat(frames).explode("names", empty_as_null=True).rename({"names": "person"})
             .with_columns(_order=pl.col("shift").replace_strict(order, return_dtype=pl.Int64))
             .sort("_row", "_order", maintain_order=True))
    keys = {n: name_key(n) for n in slots["person"].drop_nulls().unique().to_list()}
    day0 = pl.col("date").str.to_date("%Y-%m-%d").cast(pl.Datetime)
    iso = "%Y-%m-%dT%H:%M:%S"
    slots = slots.with_columns(
        person_key=pl.col("person").replace_strict(keys, default=None, return_dtype=pl.String),
        starts_at=(day0 + pl.duration(minutes=pl.col("_s"))).dt.to_string(iso),
        ends_at=(day0 + pl.duration(days=pl.col("_n"), minutes=pl.col("_e"))).dt.to_string(iso),
    )
    return {"duty_shifts": slots.select(*COLUMNS, "_row")}


def _recognise(fields: set[str]) -> bool:
    return "date" in fields and bool({"day_staff", "night_staff"} & fields or {"shift", "person"} <= fields)


KIND = register(Kind(
    name="roster",
    title="值班表 duty roster",
    fields=FIELDS,
    recognise=_recognise,
    label_field="date",
    tables=(TABLE,),
    dated_by="date",
    suite="roster",
    finish=finish,
    write=write,
    notes="兩種寫法任選其一。表格式：每天一行，填帶班領導、白班、夜班和聯系電話，一格可寫多人（以、，/ 或換行分隔），"
          "白班、夜班表頭可寫時段，如 白班(08:00-20:00)、夜班(20:00-次日08:00)；每個單位一張工作表時，工作表名寫單位名稱。"
          "長表：每人每班一行，填單位、日期、班次（白班、夜班或帶班）、姓名、職務和電話。空白的班次格表示該班無人值守。",
))
