"""The checks as Great Expectations 1.x suites on the SQLite database, run by one Checkpoint
that writes Data Docs. Imported only by `fangyi check` (GX takes seconds to import).

Suites:
- one per check folder (`reporting`, ...): one UnexpectedRowsExpectation per check over the
  findings the run materialised (findings_history of that run_id): GX validates and documents
  the run's results rather than computing every check a second time;
- `values_<kind>`: column rules on each kind's table, from the kind registry (counts and numbers
  non-negative, ISO dates, 0/1 flags);
- `registry`: rules on units_current (codes present and unique, known levels).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import CHECKS, DEFAULT_DOCS, suites
from fangyi.ingest import kinds as registry
from fangyi.ingest.units import LEVELS

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$"


@dataclass
class Outcome:
    success: bool                       # every expectation of every suite met
    check_counts: dict[str, int]        # check_id -> unexpected rows GX found
    value_rules: dict[str, bool]        # "suite: expectation (column)" -> success
    docs_index: Path


def _value_expectations(kind) -> list:
    """Column rules for a kind's table, read from its fields' parsers."""
    E = gx.expectations
    out = []
    for f in kind.fields:
        if f.name not in kind.columns:
            continue
        if f.parser in ("count", "number"):
            out.append(E.ExpectColumnValuesToBeBetween(column=f.name, min_value=0))
        elif f.parser == "date":
            out.append(E.ExpectColumnValuesToMatchRegex(column=f.name, regex=ISO_DATE))
        elif f.parser == "datetime":
            out.append(E.ExpectColumnValuesToMatchRegex(column=f.name, regex=ISO_DATETIME))
        elif f.parser == "flag":
            out.append(E.ExpectColumnValuesToBeInSet(column=f.name, value_set=[0, 1]))
    return out


def _registry_expectations() -> list:
    E = gx.expectations
    return [
        E.ExpectColumnValuesToNotBeNull(column="unit_code"),
        E.ExpectColumnValuesToBeUnique(column="unit_code"),
        E.ExpectColumnValuesToBeInSet(column="level", value_set=list(LEVELS)),
    ]


def run_suites(db_path: Path | str, run_id: int, docs_dir: Path | None = None) -> Outcome:
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
    for suite_name, checks in suites(CHECKS).items():
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
        name="fangyi", validation_definitions=definitions,
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["fangyi"])],
        result_format={"result_format": "SUMMARY"}))
    result = checkpoint.run()

    check_counts: dict[str, int] = {}
    value_rules: dict[str, bool] = {}
    for run in result.run_results.values():
        suite_name = run.suite_name
        for r in run.results:
            config = r.expectation_config
            check_id = (config.meta or {}).get("check_id")
            if check_id:
                check_counts[check_id] = int(r.result.get("observed_value", 0))
            else:
                value_rules[f"{suite_name}: {config.type} ({config.kwargs.get('column')})"] = bool(r.success)
    return Outcome(bool(result.success), check_counts, value_rules, docs_dir / "index.html")
