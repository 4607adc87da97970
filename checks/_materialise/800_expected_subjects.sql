-- The shared expected-record calendar, step 1: the subjects of every kind the registry marks as
-- expected (Kind.expected, ingest/kinds/__init__.py; the loop below runs once per such kind, so
-- a new expected kind needs no SQL of its own). A subject is expected to have records on every
-- day of the reporting period inside its opened_on .. closed_on (810_expected_record_status):
--   per unit:  every unit marked to report daily (units_in_force), at the kind's frequency;
--   per place: every place listed for the kind, by the settings ([[<kind>.places]], written to
--              workbench_settings as '<kind>.places') and by the rows of its places sheet (the
--              reference kind Kind.expected.places names, its unit resolved); a place listed in
--              both is the settings' one, one listed twice in sheets the latest row. A place is
--              one subject per unit and matching form without suffix (place_key_short): 桃源小區
--              and 桃源 are one place.
-- The daily reports keep their own view and table over the same calendar_days
-- (expected_report_status in db/schema.sql, report_exceptions in 120_report_exceptions.sql).
-- (table expected_subjects: created with the kinds' tables, ingest/kinds/__init__.py EXPECTED_DDL)
DELETE FROM expected_subjects;
{% for k in expected_kinds %}
{% if k.per == "unit" %}
INSERT INTO expected_subjects (kind, subject_key, unit_code, frequency, opened_on, closed_on, source)
SELECT '{{ k.name }}', unit_code, unit_code, '{{ k.frequency }}', opened_on, closed_on, 'units'
FROM units_in_force
WHERE reports_daily = 1;
{% else %}
INSERT INTO expected_subjects (kind, subject_key, unit_code, place, place_key, place_key_short, frequency,
                               opened_on, closed_on, source, file_id, sheet, row_number)
WITH listed AS (
    SELECT json_extract(j.value, '$.unit_code') AS unit_code, json_extract(j.value, '$.place') AS place,
           COALESCE(json_extract(j.value, '$.frequency'), '{{ k.frequency }}') AS frequency,
           json_extract(j.value, '$.opened_on') AS opened_on, json_extract(j.value, '$.closed_on') AS closed_on,
           0 AS from_sheet, NULL AS file_id, NULL AS sheet, NULL AS row_number
    FROM workbench_settings w
    JOIN json_each(w.value) j
    WHERE w.key = '{{ k.name }}.places'
    UNION ALL
    SELECT r.unit_code, p.place, p.frequency, p.opened_on, p.closed_on, 1, p.file_id, p.sheet, p.row_number
    FROM {{ k.places }} p
    JOIN unit_resolutions r ON r.name_id = p.name_id
    WHERE r.unit_code IS NOT NULL
),
keyed AS (
    SELECT l.*, place_key_short(l.place) AS short_key,
           ROW_NUMBER() OVER (PARTITION BY l.unit_code, place_key_short(l.place)
                              ORDER BY l.from_sheet, l.file_id DESC, l.row_number DESC) AS version_rank
    FROM listed l
    WHERE l.unit_code IS NOT NULL AND place_key_short(l.place) IS NOT NULL
)
SELECT '{{ k.name }}', unit_code || ':' || short_key, unit_code, place, place_key(place), short_key, frequency,
       opened_on, closed_on, CASE from_sheet WHEN 0 THEN 'settings' ELSE 'sheet' END, file_id, sheet, row_number
FROM keyed
WHERE version_rank = 1;
{% endif %}
{% endfor %}
