"""Engine-specific SQL, named (as dbt's adapter.dispatch names it): the workbench's SQL — the schema
(db/schema.sql), the materialisation steps and the checks — writes date arithmetic and formatting
as macro calls, `{{ add_days("d.date", 1) }}`, and render() replaces each call with the engine's
own SQL from db/macros/<engine>.sql. The macros' contract is at the top of db/macros/sqlite.sql;
MACROS lists their names, which every engine's file defines.

Rendering is text substitution, done once per SQL text (cached) when the SQL is loaded: the SQL
that runs is plain SQL of the engine, and costs nothing more per row than if it were written out.
The historical migrations (db/migrations/) are SQLite as they were, and are not rendered."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

DEFAULT_ENGINE = "sqlite"
# The macros every engine's file defines (see the contract in db/macros/sqlite.sql).
MACROS = ("add_days", "days_between", "iso_weekday", "iso_week", "timestamp_at", "add_hours")
MACRO_FOLDER = "macros"


class DialectError(Exception):
    pass


def engines() -> list[str]:
    """The engines with a macro file (db/macros/<engine>.sql)."""
    folder = resources.files(__package__).joinpath(MACRO_FOLDER)
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".sql"))


def macro_source(engine: str = DEFAULT_ENGINE) -> str:
    path = resources.files(__package__).joinpath(MACRO_FOLDER, f"{engine}.sql")
    if not path.is_file():
        raise DialectError(f"no SQL macros for engine {engine!r} (db/macros/{engine}.sql); "
                           f"engines: {', '.join(engines())}")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _environment(engine: str):
    """A Jinja environment whose globals are the engine's macros. Undefined names fail (a misspelt
    macro is an error, not an empty string); the text around the calls is kept as it is."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    module = env.from_string(macro_source(engine)).module
    missing = [name for name in MACROS if not callable(getattr(module, name, None))]
    if missing:
        raise DialectError(f"db/macros/{engine}.sql does not define {', '.join(missing)}")
    env.globals.update({name: getattr(module, name) for name in MACROS})
    return env


@lru_cache(maxsize=None)
def render(sql: str, engine: str = DEFAULT_ENGINE) -> str:
    """`sql` with every macro call replaced by the engine's SQL; text without a call comes back
    unchanged. Cached: a text is rendered once per process."""
    if "{" not in sql:                    # no macro call (most checks): nothing to parse
        macro_source(engine)              # but an unknown engine fails whatever the text
        return sql
    import jinja2

    env = _environment(engine)
    try:
        return env.from_string(sql).render()
    except jinja2.TemplateError as exc:
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise DialectError(f"cannot render SQL for {engine}{where}: {exc}") from exc


def render_with(sql: str, engine: str = DEFAULT_ENGINE, **context) -> str:
    """`sql` as a template: its macro calls written out as render() does, and its other Jinja
    ({% for k in expected_kinds %} ...) filled from `context` (the registry's expected kinds, for
    the shared expected-record calendar in checks/_materialise/8xx). Not cached: the context is
    the registry of the run."""
    if "{" not in sql:
        return render(sql, engine)
    import jinja2

    env = _environment(engine)
    try:
        return env.from_string(sql).render(**context)
    except jinja2.TemplateError as exc:
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise DialectError(f"cannot render SQL for {engine}{where}: {exc}") from exc
