-- check: allowance_overclaim
-- label: 值班補助多報
-- severity: error
-- meaning: an allowance claim asks for more day or night shifts, or more money, than the roster supports (超額申領)
-- subject: name
-- open evidence: month, claimed, supported, rate_per_shift, difference, file_id, row
-- evidence row: allowance_claims
-- The claim in force per person, unit and month against the roster in force at the rate in force
-- (allowance_claims_reconciled: [allowance] rate_per_shift, default 200 yuan a shift). date is
-- the month (YYYY-MM), subject_key the person as the claim writes them.
WITH c AS (
    SELECT r.*,
           CASE WHEN r.claimed_amount = CAST(r.claimed_amount AS INTEGER) THEN CAST(CAST(r.claimed_amount AS INTEGER) AS TEXT)
                ELSE printf('%.2f', r.claimed_amount) END AS claimed_text,
           CASE WHEN r.supported_amount = CAST(r.supported_amount AS INTEGER) THEN CAST(CAST(r.supported_amount AS INTEGER) AS TEXT)
                ELSE printf('%.2f', r.supported_amount) END AS supported_text,
           CASE WHEN r.rate_per_shift = CAST(r.rate_per_shift AS INTEGER) THEN CAST(CAST(r.rate_per_shift AS INTEGER) AS TEXT)
                ELSE printf('%.2f', r.rate_per_shift) END AS rate_text
    FROM allowance_claims_reconciled r
    WHERE r.claimed_day_shifts > r.supported_day_shifts
       OR r.claimed_night_shifts > r.supported_night_shifts
       OR r.claimed_amount > r.supported_amount
)
SELECT c.unit_code,
       c.month AS date,
       c.person AS subject_key,
       c.person || ' 申領 ' || c.month || ' 在' || COALESCE(u.display_name, c.unit_raw, '（未寫單位）') || '的白班 '
           || COALESCE(c.claimed_day_shifts, '?') || ' 個、夜班 ' || COALESCE(c.claimed_night_shifts, '?') || ' 個'
           || COALESCE('、' || c.claimed_text || ' 元', '') || '；值班表只支持白班 ' || c.supported_day_shifts
           || ' 個、夜班 ' || c.supported_night_shifts || ' 個，按每班 ' || c.rate_text || ' 元共 '
           || c.supported_text || ' 元（超額申領） / '
           || c.person || ' claims ' || COALESCE(c.claimed_day_shifts, '?') || ' day and '
           || COALESCE(c.claimed_night_shifts, '?') || ' night shifts'
           || COALESCE(', ' || c.claimed_text || ' yuan', '') || ' for ' || c.month || ' at '
           || COALESCE(u.display_name, c.unit_raw, 'any unit') || '; the roster supports ' || c.supported_day_shifts
           || ' day and ' || c.supported_night_shifts || ' night shifts, ' || c.supported_text || ' yuan at '
           || c.rate_text || ' a shift' AS message,
       json_object('person', c.person, 'month', c.month,
                   'claimed', json_object('day_shifts', c.claimed_day_shifts, 'night_shifts', c.claimed_night_shifts,
                                          'amount', c.claimed_amount),
                   'supported', json_object('day_shifts', c.supported_day_shifts,
                                            'night_shifts', c.supported_night_shifts, 'amount', c.supported_amount),
                   'rate_per_shift', c.rate_per_shift, 'difference', c.difference,
                   'file_id', c.file_id, 'sheet', c.sheet, 'row', c.row_number) AS evidence
FROM c
LEFT JOIN units_in_force u ON u.unit_code = c.unit_code
