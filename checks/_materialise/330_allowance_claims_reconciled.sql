-- Each claim in force beside what the roster supports (allowance_claims_reconciled). In force:
-- the latest row per person, unit and month (a re-sent claim replaces the earlier one). Supported:
-- the person's entitlement at the claim's unit, or at every unit when the claim names no unit or
-- one that does not resolve (the benefit of the doubt goes to the claimant).
DELETE FROM allowance_claims_reconciled;

INSERT INTO allowance_claims_reconciled (claim_id, person, person_key, unit_code, unit_raw, month,
                                         claimed_day_shifts, claimed_night_shifts, claimed_amount,
                                         supported_day_shifts, supported_night_shifts, rate_per_shift,
                                         supported_amount, difference, file_id, sheet, row_number)
WITH rate AS (
    SELECT CAST(COALESCE((SELECT value FROM workbench_settings WHERE key = 'allowance_rate_per_shift'), 200)
                AS REAL) AS rate
),
claims AS (
    SELECT c.*,
           ROW_NUMBER() OVER (PARTITION BY c.person_key,
                                           COALESCE(c.unit_code, '?' || COALESCE(c.unit_code_raw, '') || '|'
                                                    || COALESCE(c.unit_raw, '')),
                                           c.month
                              ORDER BY c.file_id DESC, c.row_number DESC) AS version_rank
    FROM allowance_claims_resolved c
),
supported AS (
    SELECT c.claim_id,
           COALESCE(sum(e.day_shifts), 0) AS day_shifts,
           COALESCE(sum(e.night_shifts), 0) AS night_shifts
    FROM claims c
    LEFT JOIN allowance_entitlement e
           ON e.person_key = c.person_key AND e.month = c.month
          AND (c.unit_code IS NULL OR e.unit_code = c.unit_code)
    WHERE c.version_rank = 1
    GROUP BY c.claim_id
)
SELECT c.claim_id, c.person, c.person_key, c.unit_code, c.unit_raw, c.month,
       c.day_shifts, c.night_shifts, c.amount,
       s.day_shifts, s.night_shifts, r.rate, (s.day_shifts + s.night_shifts) * r.rate,
       COALESCE(c.amount, (COALESCE(c.day_shifts, 0) + COALESCE(c.night_shifts, 0)) * r.rate)
           - (s.day_shifts + s.night_shifts) * r.rate,
       c.file_id, c.sheet, c.row_number
FROM claims c
JOIN supported s ON s.claim_id = c.claim_id
JOIN rate r ON 1 = 1
WHERE c.version_rank = 1;
