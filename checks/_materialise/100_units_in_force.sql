-- Every unit in force with its town and district (read through the view unit_hierarchy): its
-- nearest ancestors, or itself, at those levels, by walking parent_code up to 8 levels. Its
-- display_name is what findings and the bulletin call it: the name, and where another unit in
-- force has the same name, its town (else its parent) in brackets: 新村（清水鎮）.
DELETE FROM units_in_force;
INSERT INTO units_in_force (unit_code, name, level, parent_code, reports_daily, opened_on, closed_on,
                            town_code, town_name, district_code, display_name)
WITH RECURSIVE up(unit_code, ancestor_code, depth) AS (
    SELECT unit_code, unit_code, 0 FROM units_current
    UNION ALL
    SELECT up.unit_code, p.parent_code, up.depth + 1
    FROM up JOIN units_current p ON p.unit_code = up.ancestor_code
    WHERE p.parent_code IS NOT NULL AND up.depth < 8
),
towns AS (
    SELECT up.unit_code,
           max(CASE WHEN a.level = 'town' THEN a.unit_code END) AS town_code,
           max(CASE WHEN a.level = 'district' THEN a.unit_code END) AS district_code
    FROM up
    JOIN units_current a ON a.unit_code = up.ancestor_code
    GROUP BY up.unit_code
),
shared_names AS (SELECT name FROM units_current GROUP BY name HAVING count(*) > 1)
SELECT u.unit_code, u.name, u.level, u.parent_code, u.reports_daily, u.opened_on, u.closed_on,
       t.town_code, tn.name, t.district_code,
       CASE WHEN d.name IS NOT NULL AND COALESCE(NULLIF(t.town_code, u.unit_code), u.parent_code) IS NOT NULL
            THEN u.name || '（' || COALESCE(CASE WHEN t.town_code <> u.unit_code THEN tn.name END, p.name,
                                            u.parent_code) || '）'
            ELSE u.name END
FROM units_current u
LEFT JOIN towns t ON t.unit_code = u.unit_code
LEFT JOIN units_current tn ON tn.unit_code = t.town_code
LEFT JOIN units_current p ON p.unit_code = u.parent_code
LEFT JOIN shared_names d ON d.name = u.name;
