-- Daily reports in force that name a duty leader on a day their unit's roster covers, beside the
-- leaders rostered that day (report_duty_leaders). Names are compared by name_key(), the same
-- normalisation the ingest stores as duty_shifts.person_key (NFKC, no spaces, simplified, no
-- bracketed remark); the check run provides the function.
DELETE FROM report_duty_leaders;

INSERT INTO report_duty_leaders (report_id, unit_code, report_date, duty_leader, duty_leader_key, rostered_leaders,
                                 on_roster, file_id, sheet, row_number)
SELECT r.report_id, c.unit_code, c.report_date, r.duty_leader, name_key(r.duty_leader), d.leaders,
       EXISTS (SELECT 1 FROM duty_shifts_current s
               WHERE s.unit_code = c.unit_code AND s.date = c.report_date AND s.shift = 'leader'
                 AND s.person_key = name_key(r.duty_leader)),
       r.file_id, r.sheet, r.row_number
FROM current_reports c
JOIN roster_unit_days d ON d.unit_code = c.unit_code AND d.date = c.report_date
JOIN daily_reports r ON r.report_id = c.report_id
WHERE (c.report_date, c.unit_group) IN (SELECT date, unit_code FROM roster_unit_days)  -- rostered days only
  AND r.duty_leader IS NOT NULL AND name_key(r.duty_leader) IS NOT NULL;
