-- The register of gatherings in force (gatherings_current): one row per event. Rows that write
-- the same event (a register re-sent with the events it had) are one event: the same unit (its
-- code, else its name as written), date, type and organiser (else event number, else the row is
-- its own event); the row of the latest file, then the lowest row number, is in force.
-- What the settings make of the type ([gatherings], written by the run as JSON lists):
-- needs_approval when the event is not a family gathering and its type is not among
-- approval_exempt_types (default 婚, 喪); banquet when its type is among banquet_types (default
-- 婚, 喪, 壽). Attendees: the actual number, else the expected one.
DELETE FROM gatherings_current;

INSERT INTO gatherings_current (gathering_id, unit_code, unit_group, unit_raw, event_no, event_type, event_type_raw,
                                family, event_date, organiser, organiser_key, expected, actual, attendees, counted_by,
                                reported_on, approved_on, approved_by, needs_approval, banquet, versions,
                                file_id, sheet, row_number)
WITH exempt AS (
    SELECT value AS event_type
    FROM json_each(COALESCE((SELECT value FROM workbench_settings WHERE key = 'gatherings_approval_exempt_types'),
                            '["婚", "喪"]'))
),
banquet AS (
    SELECT value AS event_type
    FROM json_each(COALESCE((SELECT value FROM workbench_settings WHERE key = 'gatherings_banquet_types'),
                            '["婚", "喪", "壽"]'))
),
rows AS (
    SELECT g.*, r.unit_code,
           COALESCE(r.unit_code, '?' || COALESCE(g.unit_key, g.unit_code_raw, '')) AS unit_group
    FROM gathering_events g
    LEFT JOIN unit_resolutions r ON r.name_id = g.name_id
),
ranked AS (
    SELECT rows.*,
           ROW_NUMBER() OVER (PARTITION BY unit_group, event_date, event_type,
                                           COALESCE(organiser_key, 'no.' || event_no, 'row.' || gathering_id)
                              ORDER BY file_id DESC, row_number) AS version_rank,
           count(*) OVER (PARTITION BY unit_group, event_date, event_type,
                                       COALESCE(organiser_key, 'no.' || event_no, 'row.' || gathering_id)) AS versions
    FROM rows
)
SELECT k.gathering_id, k.unit_code, k.unit_group, k.unit_raw, k.event_no, k.event_type, k.event_type_raw,
       k.family, k.event_date, k.organiser, k.organiser_key, k.expected, k.actual,
       COALESCE(k.actual, k.expected),
       CASE WHEN k.actual IS NOT NULL THEN 'actual' WHEN k.expected IS NOT NULL THEN 'expected' END,
       k.reported_on, k.approved_on, k.approved_by,
       CASE WHEN k.family = 1 OR k.event_type IN (SELECT event_type FROM exempt) THEN 0 ELSE 1 END,
       CASE WHEN k.event_type IN (SELECT event_type FROM banquet) THEN 1 ELSE 0 END,
       k.versions, k.file_id, k.sheet, k.row_number
FROM ranked k
WHERE k.version_rank = 1;
