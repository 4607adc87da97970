"""What every kind shares once the header is known: telling data rows from titles, totals,
footers and blank lines; parsing the mapped columns; and splitting a chunk of rows into
loaded, rejected and not-data frames, each row keeping its sheet and row number."""
from __future__ import annotations

import json

import polars as pl

from .headers import Header
from .kinds import PARSERS, IngestOptions, Kind, SheetContext

TOTAL = r"^(合[计計]|[总總][计計]|小[计計]|累[计計])"
EXAMPLE = r"^(示例|示範|示范|样例|樣例)[:：]"          # the example row of a form from `fangyi template`
FOOTER = (r"^(填表人|填报人|填報人|审核人|審核人|制表人|製表人|负责人|負責人|单位负责人|單位負責人|"
          r"报送人|報送人|联系人|聯系人|聯繫人|联系电话|聯系電話|聯繫電話|填表日期|填报日期|填報日期|"
          r"备注|備註|说明|說明|注|註|审核|審核|领导签字|領導簽字)\s*[:：]")


def letter(col: int) -> str:
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def column_label(header: Header, col: int) -> str:
    text = " ".join((header.texts[col] if col < len(header.texts) else "").split())
    return f"{text} ({letter(col)})" if text else f"column {letter(col)}"


def _names(header: Header, width: int) -> list[str]:
    """Unique, readable names for the columns: header text, else the column letter."""
    seen: set[str] = set()
    out = []
    for col in range(width):
        name = " ".join((header.texts[col] if col < len(header.texts) else "").split()) or letter(col)
        if name in seen:
            name = f"{name} ({letter(col)})"
        seen.add(name)
        out.append(name)
    return out


def raw_json(header: Header, width: int) -> pl.Expr:
    names = _names(header, width)
    return pl.struct([pl.col(f"c{i}").alias(names[i]) for i in range(width)]).struct.json_encode()


PREVIEW_CHARS = 200      # what is kept of a cell over the cap: its first characters and its length


def shorten(text: str | None, cap: int) -> str | None:
    """A cell as it is kept: as it is, or, over `cap` characters, its first PREVIEW_CHARS
    characters and its length: '疫疫疫…(52,428,800 characters)'."""
    if text is None or len(text) <= cap:
        return text
    return f"{text[:PREVIEW_CHARS]}…({len(text):,} characters)"


def cap_rows(rows: list[list[str | None]], cap: int) -> list[list[str | None]]:
    """Rows (a sheet's head) with every cell over `cap` characters shortened (see shorten):
    what a title, a header or the sheet's context keeps of such a cell."""
    return [row if all(v is None or len(v) <= cap for v in row) else [shorten(v, cap) for v in row]
            for row in rows]


def too_long_reason(label: str, length: int, cap: int) -> str:
    return (f"{label}: 單元格有 {length:,} 個字符，超過上限 {cap:,}（[limits] max_cell_chars） / "
            f"the cell holds {length:,} characters, more than the {cap:,} allowed ([limits] max_cell_chars)")


def oversize(frame: pl.DataFrame, header: Header, cap: int) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Split off the rows holding a cell of more than `cap` characters, which no form's cell
    reaches: (the other rows, the long rows as rejections: `_row`, `_column` (the leftmost long
    cell), `_raw` (the row, each long cell shortened), `_reason`), or (frame, None) when no row
    is. Judged before anything else reads the cells (role, parsers, extra columns), so a huge
    cell is never parsed, copied into JSON or stored; what is kept of it is its start and its
    length, and it is not copied here either (filtering a frame copies the texts it keeps, so
    the long rows are taken from the cells cut to `cap` characters, not from the frame)."""
    cols = [c for c in frame.columns if c.startswith("c")]
    if not cols or not frame.height:
        return frame, None
    # a cell has no more characters than bytes: the byte lengths (no pass over the text) say
    # whether any cell can be over the cap
    longest = frame.select(pl.max_horizontal([pl.col(c).str.len_bytes().max() for c in cols])).item()
    if longest is None or longest <= cap:
        return frame, None
    lengths = frame.select("_row", *(pl.col(c).str.len_chars().alias(f"_n{i}") for i, c in enumerate(cols)))
    over = lengths.select(pl.any_horizontal([(pl.col(f"_n{i}") > cap).fill_null(False)
                                             for i in range(len(cols))])).to_series()
    if not over.any():
        return frame, None
    cut = frame.select(*(pl.col(c).str.slice(0, cap) for c in cols))
    long_rows = pl.concat([lengths, cut], how="horizontal").filter(over)
    del cut
    names = _names(header, len(cols))
    out: dict[str, list] = {"_row": [], "_column": [], "_raw": [], "_reason": []}
    for values in long_rows.iter_rows(named=True):
        raw, first = {}, None
        for i, c in enumerate(cols):
            n, text = values[f"_n{i}"], values[c]
            if n is not None and n > cap:
                text = f"{text[:PREVIEW_CHARS]}…({n:,} characters)"
                if first is None:
                    first = (i, n)
            raw[names[i]] = text
        label = column_label(header, first[0])
        out["_row"].append(values["_row"])
        out["_column"].append(label)
        out["_raw"].append(json.dumps(raw, ensure_ascii=False, separators=(",", ":")))
        out["_reason"].append(too_long_reason(label, first[1], cap))
    rejected = pl.DataFrame(out, schema={"_row": pl.Int64, "_column": pl.String, "_raw": pl.String,
                                         "_reason": pl.String})
    return frame.filter(~over), rejected


def row_roles(frame: pl.DataFrame, header: Header, width: int, label_field: str) -> pl.Expr:
    """'blank', 'total', 'footer', 'example', 'header' or null (data) for each row of `frame`.

    A row's role depends on its first non-blank cell and its label cell only, and a sheet
    repeats a few of them (dates, unit names) over many rows: each distinct cell is judged once
    (NFKC, regular expressions), and the rows look their cell up in the few that hit."""
    cells = [pl.col(f"c{i}") for i in range(width)]
    first = pl.coalesce(cells)
    label_col = header.column_of(label_field)
    header_text = header.texts[label_col] if label_col is not None else None

    def hits(column: pl.Expr, tests: dict[str, pl.Expr]) -> dict[str, list[str]]:
        """For each test (on the distinct values "v" of `column`): the values it holds for."""
        values = frame.select(column.unique().drop_nulls().alias("v"))
        if not values.height:
            return {name: [] for name in tests}
        flags = values.select("v", **{name: test.fill_null(False) for name, test in tests.items()})
        return {name: flags.filter(pl.col(name))["v"].to_list() for name in tests}

    norm_first = pl.col("v").str.normalize("NFKC").str.strip_chars()
    first_tests = {"total": norm_first.str.replace_all(r"\s", "").str.contains(TOTAL),
                   "footer": norm_first.str.contains(FOOTER), "example": norm_first.str.contains(EXAMPLE)}
    if label_col is None:         # the label is the first cell
        first_tests["total"] = first_tests["total"] | norm_first.str.contains(TOTAL)
        by_first, by_label, label = hits(first, first_tests), {}, None
    else:
        label = pl.col(f"c{label_col}")
        squeezed = pl.col("v").str.replace_all(r"\s", "")
        label_tests = {"total": squeezed.str.contains(TOTAL), "example": squeezed.str.contains(EXAMPLE)}
        if header_text:
            label_tests["header"] = pl.col("v").str.strip_chars() == header_text.strip()
        by_first, by_label = hits(first, first_tests), hits(label, label_tests)

    def condition(name: str) -> pl.Expr | None:
        parts = []
        if by_first.get(name):
            parts.append(first.is_in(by_first[name]))
        if by_label.get(name):
            parts.append(label.is_in(by_label[name]))
        return pl.any_horizontal(parts) if parts else None

    role = pl.when(pl.all_horizontal([c.is_null() for c in cells])).then(pl.lit("blank"))
    for name in ("total", "footer", "example", "header"):
        test = condition(name)
        if test is not None:
            role = role.when(test).then(pl.lit(name))
    return role.otherwise(None)


def split(frame: pl.DataFrame, header: Header, kind: Kind, ctx: SheetContext,
          ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(parsed data rows, rows that are not data with their `_role`).

    The parsed frame has one column per field of the kind (null when the sheet lacks it),
    `_row`, the source cells c0.., `_extra` (unknown columns as JSON), `_reason` (null when
    the row is good) and `_column` (the cell to blame).
    """
    width = len([c for c in frame.columns if c.startswith("c")])
    frame = frame.with_columns(_role=row_roles(frame, header, width, kind.label_field))
    not_data = frame.filter(pl.col("_role").is_not_null())
    not_data = not_data.select("_row", "_role", _raw=raw_json(header, width))
    data = frame.filter(pl.col("_role").is_null())

    reasons = []
    columns: list[pl.Series | pl.Expr] = []
    by_parser: dict[str, list] = {}
    for f in kind.fields:
        col = header.column_of(f.name)
        if col is None or col >= width:
            columns.append(pl.lit(None, pl.String).alias(f.name))
        else:
            by_parser.setdefault(f.parser, []).append((f, col))
    for parser, fields in by_parser.items():
        sources = list(dict.fromkeys(f"c{col}" for _, col in fields))
        if parser == "count" and _plain_counts(data, sources):
            # every cell blank or plain digits (what a form's software writes): each is its integer,
            # as the parser reads it, without parsing the distinct cells
            columns += [data[f"c{col}"].cast(pl.Int64, strict=False).alias(f.name) for f, col in fields]
            continue
        if parser == "text" and _plain_text(data, sources):
            # every cell blank or already as written (no space around it, not empty): each is itself
            columns += [data[f"c{col}"].alias(f.name) for f, col in fields]
            continue
        # hand-typed columns repeat a few values: each distinct value is parsed once, for all the
        # columns of one parser together (a day's file of nine counts is one parse, not nine)
        distinct = pl.concat([data.select(pl.col(src).alias("t")) for src in sources]).unique()
        parsed = Parsed(PARSERS[parser][0](distinct, ctx))
        for f, col in fields:
            src = f"c{col}"
            value, bad = parsed.per_row(data[src])
            columns.append(value.alias(f.name))
            if bad is not None:
                columns += [bad.alias(f"_bad_{f.name}"), data[src].alias(f"_src_{f.name}")]
                reasons.append((f.name, column_label(header, col), f.what, f.what_zh))
    out = data.select("_row", *[f"c{i}" for i in range(width)]).with_columns(columns)
    reason = pl.lit(None, pl.String)
    column = pl.lit(None, pl.String)
    for name, label, what, what_zh in reversed(reasons):   # the leftmost bad cell is named
        bad = pl.col(f"_bad_{name}")
        src = pl.col(f"_src_{name}")
        # the cell once (a cell may be huge): '若干' 無法讀作個數 / cannot read it as a count
        reason = pl.when(bad).then(pl.format(f"{label}: '{{}}' 無法讀作{what_zh} / cannot read it as {what}",
                                             src)).otherwise(reason)
        column = pl.when(bad).then(pl.lit(label)).otherwise(column)
    out = out.with_columns(_reason=reason, _column=column).select(pl.exclude("^_bad_.*$", "^_src_.*$"))
    extra = extra_json(data, header, width)
    out = out.with_columns(_extra=data.select(extra).to_series() if extra is not None else pl.lit(None, pl.String))
    return out, not_data


def _every_cell(data: pl.DataFrame, sources: list[str], plain) -> bool:
    """Whether every cell of these columns is null or `plain` (an expression of the cell), in
    one pass over the columns."""
    if not data.height:
        return True
    tests = [(pl.col(c).is_null() | plain(pl.col(c))).fill_null(False).all().alias(c) for c in sources]
    return all(data.select(tests).row(0))


def _plain_counts(data: pl.DataFrame, sources: list[str]) -> bool:
    """Whether every cell of these columns is blank or an integer written in plain digits (no
    sign, no leading zero, at most 18 digits): read as a count, each is its cast."""
    return _every_cell(data, sources, lambda c: (c.str.len_bytes() <= 18)
                       & (c.cast(pl.Int64, strict=False).cast(pl.String) == c) & ~c.str.starts_with("-"))


def _plain_text(data: pl.DataFrame, sources: list[str]) -> bool:
    """Whether every cell of these columns is null, or text that parse.text keeps as it is (not
    empty, no whitespace around it)."""
    return _every_cell(data, sources, lambda c: (c.str.strip_chars() == c) & (c != ""))


class Parsed:
    """The parsed distinct cells ("t", "v", "bad") of one or more columns, and whether they are
    all read as they are: no cell bad, and every distinct value parses to itself (text, ISO
    dates) or to its plain cast (counts, numbers written as digits)."""

    def __init__(self, parsed: pl.DataFrame):
        self.parsed = parsed
        self.plain: str | None = None         # "same" | "cast" | None
        if not parsed["bad"].any():
            t, v = parsed["t"], parsed["v"]
            if v.dtype == pl.String and t.eq_missing(v).all():
                self.plain = "same"
            elif v.dtype.is_numeric() and t.cast(v.dtype, strict=False).eq_missing(v).all():
                self.plain = "cast"

    def per_row(self, cells: pl.Series) -> tuple[pl.Series, pl.Series | None]:
        """Each row's value and bad flag; with no lookup when the cells are read as they are
        (bad is then None)."""
        if self.plain == "same":
            return cells, None
        if self.plain == "cast":
            return cells.cast(self.parsed["v"].dtype, strict=False), None
        looked_up = cells.to_frame("t").join(self.parsed, on="t", how="left", nulls_equal=True,
                                             maintain_order="left")
        return looked_up["v"], looked_up["bad"]



def extra_json(data: pl.DataFrame, header: Header, width: int) -> pl.Expr | None:
    """Columns the workbench does not know, kept as a JSON object so nothing is lost: those
    with a header text, and unnamed ones that hold anything."""
    names = _names(header, width)
    cols = [pl.col(f"c{i}").alias(names[i]) for i in range(width) if i not in header.fields and (
        (i < len(header.texts) and header.texts[i].strip()) or data[f"c{i}"].null_count() < data.height)]
    if not cols:
        return None
    return pl.struct(cols).struct.json_encode()


def _rules(f, options: IngestOptions, dtype: pl.DataType) -> list[tuple[pl.Expr, pl.Expr]]:
    """(implausible?, why) for one field's parsed value, per its Plausible rule. A column the
    sheet lacks is all null text, and is skipped."""
    rule = f.plausible
    v = pl.col(f.name)
    out = []
    maximum = options.maximum(f)
    if maximum is not None and dtype.is_numeric():
        setting = f"[plausible.max] {f.name}"
        out.append((v > maximum, pl.format(f"{{}} 超過合理上限 {maximum:,}（{setting}） / "
                                           f"{{}} is above the plausible maximum {maximum:,} ({setting})",
                                           v.cast(pl.String), v.cast(pl.String))))
    if rule is None or f.parser not in ("date", "datetime", "month") or dtype != pl.String:
        return out
    width = 7 if f.parser == "month" else 10
    day = v.str.slice(0, width)

    def iso(d) -> str:
        return d.isoformat()[:width]
    if rule.window:
        earliest, latest = iso(options.earliest), iso(options.latest)
        out.append((day < earliest, pl.format(
            f"{{}} 早於最早的合理日期 {earliest}（[plausible] earliest） / "
            f"{{}} is before {earliest}, the earliest plausible date ([plausible] earliest)", day, day)))
        out.append((day > latest, pl.format(
            f"{{}} 晚於最晚的合理日期 {latest}（今天 + [plausible] latest_days_ahead = {options.latest_days_ahead}） / "
            f"{{}} is after {latest}, the latest plausible date (today + [plausible] latest_days_ahead = "
            f"{options.latest_days_ahead})", day, day)))
    if rule.period and (options.period_start or options.period_end):
        start = iso(options.period_start) if options.period_start else "…"
        end = iso(options.period_end) if options.period_end else "…"
        outside = pl.lit(False)
        if options.period_start:
            outside = outside | (day < start)
        if options.period_end:
            outside = outside | (day > end)
        out.append((outside, pl.format(f"{{}} 不在報告期 {start} 至 {end} 內（[period]） / "
                                       f"{{}} is outside the reporting period {start} to {end} ([period])", day, day)))
    return out


def implausible(out: pl.DataFrame, header: Header, kind: Kind, ctx: SheetContext) -> pl.DataFrame:
    """Reject the rows, not rejected yet, that hold an implausible value (kinds.Plausible): a
    date outside the plausible window or the reporting period, a count above its maximum. The
    reason names the cell and the rule; the leftmost implausible cell is named. Applied after
    the kind's finish, so a date taken from the title or sheet name is judged too."""
    options = ctx.options or IngestOptions()
    reason = pl.lit(None, pl.String)
    column = pl.lit(None, pl.String)
    judged = False
    fields = []
    for f in reversed(kind.fields):
        if f.name not in out.columns:
            continue
        col = header.column_of(f.name)
        label = column_label(header, col) if col is not None else f"{f.name}（取自標題或工作表名 from the title or sheet name）"
        fields.append((label, _rules(f, options, out.schema[f.name])))
    # a rule no row breaks is left out (most columns break none): all rules asked in one pass
    tests = [bad.fill_null(False).any() for _, rules in fields for bad, _ in rules]
    broken = iter(out.select(*(t.alias(str(i)) for i, t in enumerate(tests))).row(0) if tests else ())
    for label, rules in fields:
        rules = [rule for rule in rules if next(broken)]
        for bad, why in reversed(rules):
            judged = True
            reason = pl.when(bad.fill_null(False)).then(pl.concat_str([pl.lit(f"{label}: "), why])).otherwise(reason)
            column = pl.when(bad.fill_null(False)).then(pl.lit(label)).otherwise(column)
    if not judged:
        return out
    checked = out.with_columns(_why=reason, _why_column=column)
    fresh = pl.col("_reason").is_null() & pl.col("_why").is_not_null()
    return checked.with_columns(
        _reason=pl.when(fresh).then(pl.col("_why")).otherwise(pl.col("_reason")),
        _column=pl.when(fresh).then(pl.col("_why_column")).otherwise(pl.col("_column")),
    ).drop("_why", "_why_column")
