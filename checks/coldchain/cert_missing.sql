-- check: cert_missing
-- label: 四證不全
-- severity: error
-- meaning: a received batch lacks at least one of the four proofs (四證不全; which, in the message)
-- subject: open
-- open: message
-- open evidence: missing, merchant_id, trace_code, batch_no, product, inspection_cert_no, nat_report_no, disinfection_cert_no, file_id, row
-- evidence row: coldchain_batches
-- One finding per receipt. A proof is missing when its cell is blank or says there is none
-- (無, -, / ...): the trace code, the inspection and quarantine certificate number, the
-- nucleic-acid report number, the disinfection certificate number.
WITH receipts AS (
    SELECT b.*,
           rtrim(CASE WHEN b.trace_code IS NULL THEN '追溯碼 trace code, ' ELSE '' END
              || CASE WHEN b.inspection_cert_no IS NULL THEN '檢驗檢疫證明 inspection certificate, ' ELSE '' END
              || CASE WHEN b.nat_report_no IS NULL THEN '核酸檢測報告 nucleic-acid report, ' ELSE '' END
              || CASE WHEN b.disinfection_cert_no IS NULL THEN '消毒證明 disinfection certificate, ' ELSE '' END,
              ', ') AS missing
    FROM coldchain_batches b
)
SELECT NULL AS unit_code,
       r.received_date AS date,
       COALESCE(r.trace_code, r.batch_no) AS subject_key,
       COALESCE(r.merchant, r.merchant_id) || '（' || r.merchant_id || '）' || r.received_date || ' 進貨'
           || COALESCE(r.product, '一批貨') || COALESCE(' 批號 ' || r.batch_no, '')
           || COALESCE(' 追溯碼 ' || r.trace_code, '') || '，缺少 '
           || rtrim(CASE WHEN r.trace_code IS NULL THEN '追溯碼、' ELSE '' END
                 || CASE WHEN r.inspection_cert_no IS NULL THEN '檢驗檢疫證明、' ELSE '' END
                 || CASE WHEN r.nat_report_no IS NULL THEN '核酸檢測報告、' ELSE '' END
                 || CASE WHEN r.disinfection_cert_no IS NULL THEN '消毒證明、' ELSE '' END, '、')
           || '（四證不全） / '
           || COALESCE(r.merchant, r.merchant_id) || ' (' || r.merchant_id || ') received '
           || COALESCE(r.product, 'a batch') || COALESCE(' batch ' || r.batch_no, '')
           || COALESCE(' trace code ' || r.trace_code, '') || ' on ' || r.received_date
           || ' without: '
           || rtrim(CASE WHEN r.trace_code IS NULL THEN 'trace code, ' ELSE '' END
                 || CASE WHEN r.inspection_cert_no IS NULL THEN 'inspection certificate, ' ELSE '' END
                 || CASE WHEN r.nat_report_no IS NULL THEN 'nucleic-acid report, ' ELSE '' END
                 || CASE WHEN r.disinfection_cert_no IS NULL THEN 'disinfection certificate, ' ELSE '' END, ', ')
           AS message,
       json_object('missing', r.missing, 'merchant_id', r.merchant_id, 'trace_code', r.trace_code,
                   'batch_no', r.batch_no, 'product', r.product,
                   'inspection_cert_no', r.inspection_cert_no, 'nat_report_no', r.nat_report_no,
                   'disinfection_cert_no', r.disinfection_cert_no,
                   'file_id', r.file_id, 'sheet', r.sheet, 'row', r.row_number) AS evidence
FROM receipts r
WHERE r.missing <> ''
