-- check: disinfection_missed
-- label: 漏消毒：應消毒而無記錄
-- severity: warning
-- meaning: a place expected to be disinfected on a day (or in a time slot of it) has no disinfection record
-- open: message
-- open evidence: place, frequency, judged_by, slot_start, slot_end, slots, source
-- subject: open
-- evidence row: disinfection_places when source = sheet
-- Expected: each place listed for kind disinfection (settings [[disinfection.places]] or a places
-- sheet) on every day of the reporting period inside its opened_on .. closed_on, in the slots of
-- its frequency: the shared expected-record calendar (expected_subjects, expected_record_status,
-- built for every kind the registry marks as expected). One finding per place-day with no record
-- at all (judged by the day); on a day with records, one per slot with none, when every record
-- of that day has a time (a record without a time could be in any slot: only the day is judged).
SELECT s.unit_code,
       e.day AS date,
       s.place AS subject_key,
       CASE WHEN e.day_records = 0 THEN
           COALESCE(u.display_name, s.unit_code) || ' ' || s.place || ' ' || e.day || ' 沒有消毒記錄（'
           || CASE s.frequency WHEN 'daily' THEN '每日一次，按日判斷'
                               WHEN 'twice_daily' THEN '每日兩次，全天沒有記錄'
                               ELSE '每2小時一次，全天 ' || n.slots || ' 個時段都沒有記錄' END
           || CASE WHEN s.frequency <> 'daily' AND e.subject_timed = 0 THEN '；記錄只有日期沒有時間，只按日判斷' ELSE '' END
           || '） / no disinfection recorded at ' || s.place || ' (' || COALESCE(u.display_name, s.unit_code) || ') on ' || e.day
           || ' (' || CASE s.frequency WHEN 'daily' THEN 'daily; judged by the day'
                                       WHEN 'twice_daily' THEN 'twice daily; nothing all day'
                                       ELSE 'every 2 hours; none of the ' || n.slots || ' slots of the day' END
           || CASE WHEN s.frequency <> 'daily' AND e.subject_timed = 0 THEN '; the log gives dates only, so only the day is judged'
                   ELSE '' END || ')'
       ELSE
           COALESCE(u.display_name, s.unit_code) || ' ' || s.place || ' ' || e.day || ' ' || e.slot_start || '-' || e.slot_end
           || ' 時段沒有消毒記錄（' || CASE s.frequency WHEN 'twice_daily' THEN '每日兩次，上午一次、下午一次' ELSE '每2小時一次' END
           || '，當天其他時段有記錄，按時間判斷） / no disinfection recorded at ' || s.place || ' ('
           || COALESCE(u.display_name, s.unit_code) || ') on ' || e.day || ' between ' || e.slot_start || ' and ' || e.slot_end
           || ' (' || CASE s.frequency WHEN 'twice_daily' THEN 'twice daily: once before and once after noon'
                            ELSE 'every 2 hours' END || '; judged by the times of the day''s other records)'
       END AS message,
       json_object('place', s.place, 'frequency', s.frequency,
                   'judged_by', CASE WHEN e.day_records = 0 THEN 'day' ELSE 'slot' END,
                   'slot_start', CASE WHEN e.day_records > 0 THEN e.slot_start END,
                   'slot_end', CASE WHEN e.day_records > 0 THEN e.slot_end END,
                   'slots', n.slots, 'source', s.source,
                   'file_id', s.file_id, 'sheet', s.sheet, 'row', s.row_number) AS evidence
FROM expected_record_status e
JOIN expected_subjects s ON s.kind = e.kind AND s.subject_key = e.subject_key
JOIN (SELECT frequency, count(DISTINCT slot) AS slots FROM expected_record_status WHERE kind = 'disinfection'
      GROUP BY frequency) n ON n.frequency = e.frequency
LEFT JOIN units_in_force u ON u.unit_code = s.unit_code
WHERE e.kind = 'disinfection'
  AND ((e.day_records = 0 AND e.slot = 0)
       OR (e.day_records > 0 AND e.day_untimed = 0 AND e.records = 0 AND s.frequency <> 'daily'))
