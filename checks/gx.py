"""The checks as Great Expectations 1.x suites on the SQLite database, run by one Checkpoint;
Data Docs are built once after it. Imported only by `fangyi check` (GX takes seconds to import).

Suites:
- one per check folder (`reporting`, ...): one UnexpectedRowsExpectation per check over the
  findings the run materialised (findings_history of that run_id): GX validates and documents
  the run's results rather than computing every check a second time;
- `values_<kind>`: column rules on each kind's table, from the kind registry (counts and numbers
  non-negative, ISO dates and date-times, 0/1 flags, the values of a closed set such as the
  levels). One expectation per rule, but all the rules of a table are judged in one SQL pass
  over it (`ExpectValueRuleToHold`, below): at
  province scale a pass per rule, or GX's own column expectations (a pass per rule and a
  Python regular expression per row), took most of the GX run;
- `registry`: rules on units_current (codes present and unique).
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Tuple

from . import DEFAULT_DOCS, all_checks, suites
from fangyi.ingest import kinds as registry

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

# GX imports altair, which imports jsonschema, which builds an Earley parser for IRIs when
# rfc3987_syntax is installed: a second of CPU at every `fangyi check`, for a string format
# nothing here validates. Hidden while GX is imported, jsonschema goes without that format.
_HIDE = "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules
if _HIDE:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
try:
    import great_expectations as gx  # noqa: E402
finally:
    if _HIDE and sys.modules.get("rfc3987_syntax", False) is None:
        del sys.modules["rfc3987_syntax"]
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

# ISO shapes as SQLite GLOB patterns (native, unlike REGEXP, which SQLite calls back into Python for)
ISO_DATE = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
ISO_DATETIME = ISO_DATE + "T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"


@dataclass
class Outcome:
    success: bool                       # every expectation of every suite met
    check_counts: dict[str, int]        # check_id -> unexpected rows GX found
    value_rules: dict[str, bool]        # "suite: rule (column)" -> success
    docs_index: Path
    seconds: dict[str, float] = field(default_factory=dict)   # setup, validate, data_docs


@dataclass(frozen=True)
class Rule:
    """One value rule on one column: `broken` is an SQL condition true for a row breaking it
    (NULL, a blank cell, breaks no rule)."""
    name: str                           # non_negative, iso_date, iso_datetime, flag, one_of
    column: str
    broken: str
    description: str

    @property
    def key(self) -> str:
        return f"{self.name} ({self.column})"


def value_rules(kind) -> list[Rule]:
    """Column rules for a kind's table, read from its fields' parsers."""
    out = []
    for f in kind.fields:
        if f.name not in kind.columns:
            continue
        c = f'"{f.name}"'
        if f.parser in ("count", "number"):
            out.append(Rule("non_negative", f.name, f"{c} < 0", f"{f.name}: {f.what}, never below 0"))
        elif f.parser == "date":
            out.append(Rule("iso_date", f.name, f"{c} NOT GLOB '{ISO_DATE}'", f"{f.name}: an ISO date YYYY-MM-DD"))
        elif f.parser == "datetime":
            out.append(Rule("iso_datetime", f.name, f"NOT ({c} GLOB '{ISO_DATETIME}' OR {c} GLOB '{ISO_DATE}')",
                            f"{f.name}: an ISO date YYYY-MM-DD or date-time YYYY-MM-DDTHH:MM:SS"))
        elif f.parser == "flag":
            out.append(Rule("flag", f.name, f"{c} NOT IN (0, 1)", f"{f.name}: a flag, 0 or 1"))
        if f.values:
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in f.values)
            out.append(Rule("one_of", f.name, f"{c} NOT IN ({listed})", f"{f.name}: one of {', '.join(f.values)}"))
    return out


def one_pass_query(rules: list[Rule]) -> str:
    """One scan of the batch counting, per rule, the rows breaking it; one row per rule
    (rule, broken), every rule present even when nothing breaks it."""
    counts = ",\n       ".join(f"count(*) FILTER (WHERE {r.broken}) AS r{i}" for i, r in enumerate(rules))
    rows = "\nUNION ALL ".join(f"SELECT '{r.key}' AS rule, r{i} AS broken FROM pass" for i, r in enumerate(rules))
    return f"WITH pass AS MATERIALIZED (\nSELECT {counts}\nFROM {{batch}})\n{rows}"


class ExpectValueRuleToHold(gx.expectations.UnexpectedRowsExpectation):
    """No row of the batch breaks `rule`. Its unexpected_rows_query is the table's one pass over
    every rule (one_pass_query), the same for every rule of a table: GX computes a metric once
    per suite for equal queries, so the table is scanned once, and each rule reads its own row
    (the rows breaking it are this expectation's unexpected rows)."""
    rule: str

    metric_dependencies: ClassVar[Tuple[str, ...]] = ("unexpected_rows_query.table",)

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine=None):
        mine = [r for r in metrics["unexpected_rows_query.table"] if r["rule"] == self.rule]
        if len(mine) != 1:                      # the pass did not judge this rule: not met
            return {"success": False, "result": {"observed_value": f"rule {self.rule!r} not evaluated"}}
        broken = int(mine[0]["broken"] or 0)
        return {"success": broken == 0, "result": {"observed_value": broken}}


def _value_expectations(kind) -> list:
    rules = value_rules(kind)
    if not rules:
        return []
    query = one_pass_query(rules)
    return [ExpectValueRuleToHold(unexpected_rows_query=query, rule=r.key, description=r.description,
                                  meta={"value_rule": r.key}) for r in rules]


def _registry_expectations() -> list:
    E = gx.expectations
    return [
        E.ExpectColumnValuesToNotBeNull(column="unit_code"),
        E.ExpectColumnValuesToBeUnique(column="unit_code"),
    ]


def run_suites(db_path: Path | str, run_id: int, docs_dir: Path | None = None) -> Outcome:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    docs_dir = Path(docs_dir or DEFAULT_DOCS).resolve()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site("fangyi", {
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
    })
    source = context.data_sources.add_sqlite(
        name="workbench", connection_string=f"sqlite:///{Path(db_path).resolve()}")

    assets: dict = {}

    def batch(table: str, suite_name: str):
        if table not in assets:
            assets[table] = source.add_table_asset(name=table, table_name=table)
        return assets[table].add_batch_definition_whole_table(suite_name)

    plan = []                                    # (suite name, table, expectations)
    for suite_name, checks in suites(all_checks()).items():
        plan.append((suite_name, "findings_history", [
            gx.expectations.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "SELECT unit_code, date, subject_key, message, evidence FROM {batch} "
                    f"WHERE run_id = {int(run_id)} AND check_id = '{check.id}'"),
                description=f"{check.id} ({check.severity}): {check.meaning}",
                meta={"check_id": check.id, "severity": check.severity},
            ) for check in checks]))
    for kind in registry.all_kinds().values():
        expectations = _value_expectations(kind)
        if expectations:
            plan.append((f"values_{kind.name}", kind.table, expectations))
    plan.append(("registry", "units_current", _registry_expectations()))
    definitions = []
    for name, table, expectations in plan:
        suite = context.suites.add(gx.ExpectationSuite(name=name))
        for expectation in expectations:
            suite.add_expectation(expectation)
        definitions.append(context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch(table, name), suite=suite)))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name="fangyi", validation_definitions=definitions, result_format={"result_format": "SUMMARY"}))
    seconds["setup"] = time.perf_counter() - started

    started = time.perf_counter()
    result = checkpoint.run()
    seconds["validate"] = time.perf_counter() - started

    # Data Docs once, for every suite and result (UpdateDataDocsAction rebuilds the site, index
    # included, once per validation result)
    started = time.perf_counter()
    context.build_data_docs(site_names=["fangyi"])
    seconds["data_docs"] = time.perf_counter() - started

    check_counts: dict[str, int] = {}
    value_rules_ok: dict[str, bool] = {}
    for run in result.run_results.values():
        suite_name = run.suite_name
        for r in run.results:
            config = r.expectation_config
            meta = config.meta or {}
            if meta.get("check_id"):
                check_counts[meta["check_id"]] = int(r.result.get("observed_value", 0))
            elif meta.get("value_rule"):
                value_rules_ok[f"{suite_name}: {meta['value_rule']}"] = bool(r.success)
            else:
                value_rules_ok[f"{suite_name}: {config.type} ({config.kwargs.get('column')})"] = bool(r.success)
    return Outcome(bool(result.success), check_counts, value_rules_ok, docs_dir / "index.html",
                   {k: round(v, 3) for k, v in seconds.items()})
