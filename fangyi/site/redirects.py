"""Tables filtered by a unit or a day, as links people write and keep, sent to a page of ours
that answers the same question in milliseconds (a canned query, rendered lean by
fangyi.site.query_page) instead of Datasette's table page (tens of milliseconds of rendering per
request: at twenty visitors, a second's wait):

- a unit's daily reports (`daily_reports?unit_code=…`): the daily reports hold the unit as
  written (its code as written, its name, its town), not its code, so that filter found nothing,
  and on the reports in force (`daily_reports_current?unit_code=…`) it read every report of the
  year: the unit's report history (unit_report_history: every expected day, whether and when it
  was reported, each version of its report);
- the findings of a unit or of a day (`findings?unit_code=…`, `findings?date=…`):
  findings_of_unit and findings_on_day.

Only a request with that one filter and nothing else is sent on."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

# the views over the daily reports (db/schema.sql) that a unit's filter reads in full
REPORT_VIEWS = ("daily_reports_current", "daily_report_versions", "daily_reports_resolved")
FINDINGS = {"unit_code": "findings_of_unit", "date": "findings_on_day"}


def _sent_on() -> dict[tuple[str, str], str]:
    """(table, the one filter) -> the canned query given the same parameter. The daily reports'
    table is the kind registry's (the kind expected from every unit every day)."""
    from fangyi.ingest import kinds

    reports = [t.name for k in kinds.all_kinds().values() if k.expected_daily for t in k.tables]
    return {**{(t, "unit_code"): "unit_report_history" for t in (*reports, *REPORT_VIEWS)},
            **{("findings", param): query for param, query in FINDINGS.items()}}


class UnitRedirect:
    def __init__(self, app, datasette):
        self.app, self.datasette = app, datasette
        self.sent_on = _sent_on()
        self.queries: dict[str, set[str]] = {}

    def _queries(self, database: str) -> set[str]:
        """The canned queries metadata.yml gives the database (read once: Datasette copies its
        metadata on every call)."""
        if database not in self.queries:
            meta = (self.datasette.metadata("databases") or {}).get(database) or {}
            self.queries[database] = set(meta.get("queries") or {})
        return self.queries[database]

    async def __call__(self, scope, receive, send):
        location = await self._location(scope) if scope.get("type") == "http" else None
        if location is None:
            return await self.app(scope, receive, send)
        await send({"type": "http.response.start", "status": 302,
                    "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _location(self, scope) -> str | None:
        if scope.get("method") not in ("GET", "HEAD"):
            return None
        parts = scope.get("path", "").strip("/").split("/")
        if len(parts) != 2 or parts[0] not in self.datasette.databases:
            return None
        query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
        if len(query) != 1:
            return None
        (param, values), = query.items()
        target = self.sent_on.get((parts[1], param))
        if target is None or len(values) != 1 or not values[0].strip():
            return None
        if target not in self._queries(parts[0]):
            return None
        return self.datasette.urls.database(parts[0]) + f"/{target}?" + urlencode({param: values[0]})
