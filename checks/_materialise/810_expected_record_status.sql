-- The shared expected-record calendar, step 2: every expected subject (800_expected_subjects)
-- on every day of the reporting period (calendar_days, the daily reports' calendar; when it is
-- empty, no daily report and no [period], the span of the kind's own records) inside its
-- opened_on .. closed_on, once per slot of its frequency, with the kind's records matched to it
-- (by the unit the record names, and per place by place_key_short):
--   daily        one slot, the whole day (00:00-24:00);
--   twice_daily  two slots: before noon (00:00-12:00) and from noon on (12:00-24:00);
--   every_2h     each two hours of the kind's opening hours ('<kind>.opening_hours' in
--                workbench_settings, default 08:00-20:00): 08:00-10:00, 10:00-12:00, ...; the last
--                slot ends at closing. A record at 10:05 is in the 10:00 slot (start <= time < end).
-- day_records counts the subject's records of the day, timed or not; day_untimed those without a
-- time: on such a day the slots cannot be judged, only the day. Generated per expected kind by
-- the loop below from the registry (kinds.expected_kinds): a new expected kind needs no SQL here.
-- (table expected_record_status: created with the kinds' tables, ingest/kinds/__init__.py EXPECTED_DDL)
DELETE FROM expected_record_status;
{% for k in expected_kinds %}
DROP TABLE IF EXISTS temp.expected_records;
CREATE TEMP TABLE expected_records AS
SELECT {% if k.per == "unit" %}r.unit_code{% else %}r.unit_code || ':' || d.place_key_short{% endif %} AS subject_key,
       d.{{ k.date }} AS day, {% if k.time %}d.{{ k.time }}{% else %}NULL{% endif %} AS at, d.rowid AS record_id
FROM {{ k.table }} d
JOIN unit_resolutions r ON r.name_id = d.name_id
WHERE r.unit_code IS NOT NULL AND d.{{ k.date }} IS NOT NULL;
CREATE INDEX temp.expected_records_key ON expected_records(subject_key, day, at);

INSERT INTO expected_record_status (kind, subject_key, unit_code, day, slot, slot_start, slot_end, frequency,
                                    records, record_id, day_records, day_untimed, subject_timed)
WITH RECURSIVE
hours AS (
    SELECT CAST(substr(h, 1, 2) AS INTEGER) * 60 + CAST(substr(h, 4, 2) AS INTEGER) AS opens,
           CAST(substr(h, 7, 2) AS INTEGER) * 60 + CAST(substr(h, 10, 2) AS INTEGER) AS closes
    FROM (SELECT COALESCE((SELECT value FROM workbench_settings WHERE key = '{{ k.name }}.opening_hours'),
                          '08:00-20:00') AS h)
),
two_hours(slot, starts) AS (
    SELECT 0, opens FROM hours WHERE opens < closes
    UNION ALL
    SELECT slot + 1, starts + 120 FROM two_hours WHERE starts + 120 < (SELECT closes FROM hours)
),
slots(frequency, slot, slot_start, slot_end) AS (
    SELECT 'daily', 0, '00:00', '24:00'
    UNION ALL SELECT 'twice_daily', 0, '00:00', '12:00'
    UNION ALL SELECT 'twice_daily', 1, '12:00', '24:00'
    UNION ALL
    SELECT 'every_2h', slot, printf('%02d:%02d', starts / 60, starts % 60),
           printf('%02d:%02d', min(starts + 120, (SELECT closes FROM hours)) / 60,
                  min(starts + 120, (SELECT closes FROM hours)) % 60)
    FROM two_hours
),
own_days(day) AS (
    SELECT min(day) FROM expected_records WHERE NOT EXISTS (SELECT 1 FROM calendar_days)
    UNION ALL
    SELECT {{ add_days("day", 1) }} FROM own_days WHERE day < (SELECT max(day) FROM expected_records)
),
days AS (
    SELECT day FROM calendar_days
    UNION ALL
    SELECT day FROM own_days WHERE day IS NOT NULL
),
day_counts AS (
    SELECT subject_key, day, count(*) AS n, sum(at IS NULL) AS untimed, min(record_id) AS first_id
    FROM expected_records
    GROUP BY subject_key, day
),
timed AS (
    SELECT DISTINCT subject_key FROM expected_records WHERE at IS NOT NULL
)
SELECT '{{ k.name }}', s.subject_key, s.unit_code, d.day, sl.slot, sl.slot_start, sl.slot_end, s.frequency,
       CASE WHEN s.frequency = 'daily' THEN COALESCE(c.n, 0)
            ELSE (SELECT count(*) FROM expected_records r WHERE r.subject_key = s.subject_key AND r.day = d.day
                                                          AND r.at >= sl.slot_start AND r.at < sl.slot_end) END,
       CASE WHEN s.frequency = 'daily' THEN c.first_id
            ELSE (SELECT min(r.record_id) FROM expected_records r WHERE r.subject_key = s.subject_key AND r.day = d.day
                                                                  AND r.at >= sl.slot_start AND r.at < sl.slot_end) END,
       COALESCE(c.n, 0), COALESCE(c.untimed, 0), t.subject_key IS NOT NULL
FROM expected_subjects s
JOIN days d ON d.day >= COALESCE(s.opened_on, d.day) AND d.day <= COALESCE(s.closed_on, d.day)
JOIN slots sl ON sl.frequency = s.frequency
LEFT JOIN day_counts c ON c.subject_key = s.subject_key AND c.day = d.day
LEFT JOIN timed t ON t.subject_key = s.subject_key
WHERE s.kind = '{{ k.name }}';
DROP TABLE temp.expected_records;
{% endfor %}
