{#-
Date arithmetic and formatting for SQLite: the only place where the workbench's SQL (db/schema.sql,
checks/_materialise/*.sql, checks/<suite>/*.sql) calls an engine's date functions. That SQL calls
these macros by name, as dbt's adapter.dispatch does, e.g. {{ add_days("s.sale_date", 3) }}, and
fangyi.db.dialect.render() substitutes their text once when the SQL is loaded (nothing per row).

Another engine (duckdb.sql, spark.sql beside this file) defines the same names with the same
contract; dialect.MACROS lists them, and render() refuses an engine file that lacks one.

The contract. Arguments are SQL expressions, passed as text (a column, a literal, a subquery in
parentheses); an argument may be evaluated more than once, so pass a column or a cheap expression.
Dates are ISO 8601 text, 'YYYY-MM-DD'; date-times 'YYYY-MM-DDTHH:MM:SS'; a NULL argument gives NULL.

  add_days(date, days)          the date `days` (an integer; negative goes back) days after `date`:
                                add_days("'2021-01-31'", 1) = '2021-02-01'.
  days_between(start, end)      the whole days from `start` to `end` (end - start, an integer;
                                negative when end is earlier): days_between("'2020-02-28'", "'2020-03-01'") = 2.
  iso_weekday(date)             the ISO day of the week, an integer, 1 = Monday .. 7 = Sunday.
  iso_week(date)                the ISO 8601 week of `date` as text 'YYYY-Www' (the year of the week's
                                Thursday; weeks start on Monday): '2021-01-03' -> '2020-W53',
                                '2021-01-04' -> '2021-W01'.
  timestamp_at(date, days, time)  the date-time 'YYYY-MM-DDTHH:MM:SS' at `time` ('HH:MM' text) on the day
                                `days` (an integer, 0 or more) after `date`: a report's deadline,
                                timestamp_at("'2021-01-31'", 1, "'09:00'") = '2021-02-01T09:00:00'.
  add_hours(timestamp, hours)   the date-time 'YYYY-MM-DDTHH:MM:SS' `hours` (an integer; negative goes back)
                                after the date-time `timestamp`:
                                add_hours("'2021-01-31T20:00:00'", 12) = '2021-02-01T08:00:00'.
-#}

{#- a whole number of days given as a number is written as a constant modifier: '+1 days' -#}
{% macro add_days(date, days) -%}
{%- if days is integer -%}
date({{ date }}, '{{ "%+d" | format(days) }} days')
{%- else -%}
date({{ date }}, ({{ days }}) || ' days')
{%- endif -%}
{%- endmacro %}

{% macro days_between(start, end) -%}
CAST(julianday({{ end }}) - julianday({{ start }}) AS INTEGER)
{%- endmacro %}

{% macro iso_weekday(date) -%}
((CAST(strftime('%w', {{ date }}) AS INTEGER) + 6) % 7 + 1)
{%- endmacro %}

{% macro iso_week(date) -%}
{%- set thursday = add_days(date, "4 - " ~ iso_weekday(date)) -%}
(strftime('%Y', {{ thursday }}) || '-W' || printf('%02d', (CAST(strftime('%j', {{ thursday }}) AS INTEGER) - 1) / 7 + 1))
{%- endmacro %}

{% macro timestamp_at(date, days, time) -%}
strftime('%Y-%m-%dT%H:%M:%S', {{ date }}, '+' || ({{ days }}) || ' days',
         '+' || (CAST(substr({{ time }}, 1, 2) AS INTEGER) * 60 + CAST(substr({{ time }}, 4, 2) AS INTEGER)) || ' minutes')
{%- endmacro %}

{% macro add_hours(timestamp, hours) -%}
strftime('%Y-%m-%dT%H:%M:%S', {{ timestamp }}, ({{ hours }}) || ' hours')
{%- endmacro %}
