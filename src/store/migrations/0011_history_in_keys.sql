-- The database holds what happened as names and values, never as interface English, so
-- that every page writes its history in its reader's language. Rows written before are
-- rewritten into the same shape; what cannot be read back into it is kept whole as text.

-- The audit log: `action` is the event's name, `detail` its values as a JSON object
-- tagged with the same name (store::audit reads it back into a typed event).
UPDATE audit_log SET action = 'user_added',
    detail = json_object('event', 'user_added',
        'username', substr(detail, 1, instr(detail, ' as ') - 1),
        'role', substr(detail, instr(detail, ' as ') + 4))
    WHERE action = 'user added' AND instr(detail, ' as ') > 0;

UPDATE audit_log SET action = replace(action, ' ', '_'),
    detail = json_object('event', replace(action, ' ', '_'), 'username', detail)
    WHERE action IN ('user disabled', 'user enabled', 'password reset');

UPDATE audit_log SET action = 'team_set',
    detail = json_object('event', 'team_set',
        'username', substr(detail, 1, instr(detail, ' to ') - 1),
        'team', nullif(substr(detail, instr(detail, ' to ') + 4), 'no team'))
    WHERE action = 'team set' AND instr(detail, ' to ') > 0;

-- "zwekesa to Kangemi (1428)": the code is what follows the last "(" (rtrim strips every
-- character that is not "(" from the end); the name is what comes before " (".
UPDATE audit_log SET action = replace(action, ' ', '_'),
    detail = (SELECT json_object('event', replace(audit_log.action, ' ', '_'),
                  'username', username,
                  'region', substr(place, 1, length(rtrim(place, replace(place, '(', ''))) - 2),
                  'code', rtrim(substr(place, length(rtrim(place, replace(place, '(', ''))) + 1), ')'))
              FROM (SELECT substr(detail, 1, instr(detail, sep) - 1) AS username,
                           substr(detail, instr(detail, sep) + length(sep)) AS place
                    FROM (SELECT CASE audit_log.action WHEN 'assignment added' THEN ' to ' ELSE ' from ' END AS sep)))
    WHERE action IN ('assignment added', 'assignment removed')
      AND instr(detail, CASE action WHEN 'assignment added' THEN ' to ' ELSE ' from ' END) > 0
      AND instr(detail, '(') > 0;

UPDATE audit_log SET action = 'form_imported',
    detail = json_object('event', 'form_imported',
        'key', substr(detail, 1, instr(detail, ' version ') - 1),
        'version', CAST(substr(detail, instr(detail, ' version ') + 9) AS INTEGER))
    WHERE action = 'form imported' AND instr(detail, ' version ') > 0;

-- Anything else (a shape this code never wrote) is kept as it was, as a note.
UPDATE audit_log SET
    detail = json_object('event', 'noted', 'action', action, 'detail', detail),
    action = 'noted'
    WHERE NOT json_valid(detail) OR json_extract(detail, '$.event') IS NOT action;

-- A finding's history: event names without spaces, and a stage move no longer copies the
-- stage's English label (the row's `stage` column says where it went).
UPDATE finding_history SET event = replace(event, ' ', '_') WHERE event LIKE '% %';
UPDATE finding_history SET detail = '' WHERE event = 'stage';

-- A duplicate mark's event: the reference of the report it repeats in a column of its
-- own; the text is the reviewer's note only ("Duplicate of KE-7Q4M9X: same queue").
ALTER TABLE report_events ADD COLUMN duplicate_of TEXT;
UPDATE report_events SET
    duplicate_of = substr(text, 14, CASE WHEN instr(text, ': ') > 0 THEN instr(text, ': ') - 14 ELSE length(text) END),
    text = CASE WHEN instr(text, ': ') > 0 THEN substr(text, instr(text, ': ') + 2) ELSE '' END
    WHERE kind = 'duplicate' AND text LIKE 'Duplicate of %';
