-- Whom to call about each missed report (missed_contacts): every expected unit-day with no report
-- in force (expected_report_status, 120) gets a contact and says where it comes from, the first
-- source that names someone:
--   值班表               the unit's rostered leaders that day and the roster's phone (roster_unit_days, 310);
--   最近一次日報的帶班領導  the 帶班領導 of the unit's latest report in force before that day (in the
--   (or …的填報人)        reporting period), or its 填報人 when it names no leader; the phone is that
--                        person's on a roster of the unit's town (the unit's own or another unit's,
--                        the latest shift up to that day; the registry of units has no phone);
--   街鎮值班領導           the rostered leaders of the unit's town (a roster of the town-level unit) that day;
--   無                   nobody.
-- Numbered after the roster steps (300-340), which it reads. The missed unit-days are few
-- (report_exceptions). A unit's expected days are one unbroken run of the calendar, so the
-- latest expected day before a missed day that has a report is the day before the first day of
-- its run of missed days (the islands of silent_streak), when that day is still expected.
DELETE FROM missed_contacts;

DROP TABLE IF EXISTS temp.missed_latest;
CREATE TEMP TABLE missed_latest AS
WITH missed AS (
    SELECT m.report_date, m.unit_code,
           k.day_number - ROW_NUMBER() OVER (PARTITION BY m.unit_code ORDER BY m.report_date) AS streak
    FROM report_exceptions m
    JOIN calendar_days k ON k.day = m.report_date
    WHERE m.reported = 0
),
streaks AS (
    SELECT unit_code, streak, {{ add_days("min(report_date)", -1) }} AS day_before
    FROM missed
    GROUP BY unit_code, streak
)
SELECT x.report_date, x.unit_code, u.town_code, c.report_id
FROM missed x
JOIN streaks s ON s.unit_code = x.unit_code AND s.streak = x.streak
LEFT JOIN units_in_force u ON u.unit_code = x.unit_code
LEFT JOIN current_reports c ON c.report_date = s.day_before AND c.unit_group = x.unit_code
                           AND s.day_before >= COALESCE(u.opened_on, s.day_before)
                           AND s.day_before IN (SELECT day FROM calendar_days);

DROP TABLE IF EXISTS temp.missed_report_people;
CREATE TEMP TABLE missed_report_people AS
SELECT x.report_date, x.unit_code, x.town_code, r.report_id, r.report_date AS source_date,
       r.duty_leader, r.reporter,
       COALESCE(name_key(r.duty_leader), name_key(r.reporter)) AS contact_key
FROM missed_latest x
JOIN daily_reports r ON r.report_id = x.report_id
WHERE name_key(r.duty_leader) IS NOT NULL OR name_key(r.reporter) IS NOT NULL;

DROP TABLE IF EXISTS temp.missed_report_phones;
CREATE TEMP TABLE missed_report_phones AS       -- that person's phone on a roster of the town
SELECT report_date, unit_code, phone FROM (
    SELECT p.report_date, p.unit_code, s.phone,
           ROW_NUMBER() OVER (PARTITION BY p.report_date, p.unit_code
                              ORDER BY s.date > p.report_date, s.unit_code <> p.unit_code,
                                       CASE WHEN s.date <= p.report_date THEN s.date END DESC, s.date,
                                       s.shift_id) AS n
    FROM missed_report_people p
    JOIN duty_shifts_current s ON s.person_key = p.contact_key AND s.phone IS NOT NULL
    JOIN units_in_force su ON su.unit_code = s.unit_code
    WHERE s.unit_code = p.unit_code OR su.town_code = p.town_code)
WHERE n = 1;

INSERT INTO missed_contacts (report_date, unit_code, contact, phone, reporter, source, source_date, source_report_id)
SELECT x.report_date, x.unit_code,
       CASE WHEN own.leaders IS NOT NULL THEN own.leaders
            WHEN p.contact_key IS NOT NULL THEN COALESCE(CASE WHEN name_key(p.duty_leader) IS NOT NULL
                                                              THEN p.duty_leader END, p.reporter)
            WHEN town.leaders IS NOT NULL THEN town.leaders END,
       CASE WHEN own.leaders IS NOT NULL THEN own.phone
            WHEN p.contact_key IS NOT NULL THEN ph.phone
            WHEN town.leaders IS NOT NULL THEN town.phone END,
       CASE WHEN own.leaders IS NULL AND name_key(p.duty_leader) IS NOT NULL THEN p.reporter END,
       CASE WHEN own.leaders IS NOT NULL THEN '值班表'
            WHEN p.contact_key IS NOT NULL THEN
                 CASE WHEN name_key(p.duty_leader) IS NOT NULL THEN '最近一次日報的帶班領導' ELSE '最近一次日報的填報人' END
            WHEN town.leaders IS NOT NULL THEN '街鎮值班領導'
            ELSE '無' END,
       CASE WHEN own.leaders IS NOT NULL THEN x.report_date
            WHEN p.contact_key IS NOT NULL THEN p.source_date
            WHEN town.leaders IS NOT NULL THEN x.report_date END,
       CASE WHEN own.leaders IS NULL AND p.contact_key IS NOT NULL THEN p.report_id END
FROM missed_latest x
LEFT JOIN roster_unit_days own ON own.unit_code = x.unit_code AND own.date = x.report_date
LEFT JOIN missed_report_people p ON p.report_date = x.report_date AND p.unit_code = x.unit_code
LEFT JOIN missed_report_phones ph ON ph.report_date = x.report_date AND ph.unit_code = x.unit_code
LEFT JOIN roster_unit_days town ON town.unit_code = x.town_code AND town.date = x.report_date
                               AND x.town_code <> x.unit_code;

DROP TABLE temp.missed_latest;
DROP TABLE temp.missed_report_people;
DROP TABLE temp.missed_report_phones;
