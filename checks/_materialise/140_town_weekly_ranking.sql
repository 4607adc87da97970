-- 一周一排名: towns ranked each ISO week by reporting rate, then on-time rate.
DELETE FROM town_weekly_ranking;
INSERT INTO town_weekly_ranking (iso_week, town_code, town_name, expected, actual, on_time, reporting_rate,
                                 on_time_rate, rank)
SELECT period, org_code, org_name, expected, actual, on_time, reporting_rate, on_time_rate,
       RANK() OVER (PARTITION BY period ORDER BY reporting_rate DESC, on_time_rate DESC)
FROM reporting_rates
WHERE level = 'town' AND period_type = 'week';
