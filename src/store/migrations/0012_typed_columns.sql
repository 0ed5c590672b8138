-- Every column that holds one of a fixed set of names says which in a CHECK, so that no
-- write path (a bug, a repair by hand) can store a status, an event or an action the code
-- does not know. SQLite adds constraints only by rebuilding a table: each is copied whole,
-- row ids and all, into a new table of the same name and columns. store::migrations runs
-- this with foreign keys off and checks them all before it commits.

CREATE TABLE reports_typed (
    seq           INTEGER PRIMARY KEY,          -- order of arrival
    id            TEXT NOT NULL UNIQUE,         -- the submission UUID, made with the form page
    mission_id    INTEGER NOT NULL REFERENCES missions(id),
    reference     TEXT NOT NULL,                -- short, for people: KE-7Q4M9X
    form_id       INTEGER NOT NULL REFERENCES forms(id),
    observer_id   INTEGER NOT NULL REFERENCES users(id),
    region_id     INTEGER NOT NULL REFERENCES regions(id),
    region_path   TEXT NOT NULL,                -- copied at filing: subtree queries need no join
    observed_at   INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    channel       TEXT NOT NULL CHECK (channel IN ('web', 'generated')),
    status        TEXT NOT NULL DEFAULT 'received'
                  CHECK (status IN ('received', 'verified', 'escalated', 'dismissed', 'duplicate')),
    severity      INTEGER CHECK (severity BETWEEN 1 AND 4),   -- 1 low .. 4 critical
    problem_count INTEGER NOT NULL CHECK (problem_count >= 0),
    category      TEXT,                         -- incidents: an option key
    answers       TEXT NOT NULL,                -- JSON object by question key
    content_hash  BLOB NOT NULL,                -- SHA-256 of the previous report's hash and this content
    duplicate_of  TEXT REFERENCES reports(id),  -- for a duplicate: the report that carries the event
    UNIQUE (mission_id, reference)
) STRICT;
INSERT INTO reports_typed (seq, id, mission_id, reference, form_id, observer_id, region_id,
                           region_path, observed_at, received_at, channel, status, severity,
                           problem_count, category, answers, content_hash, duplicate_of)
    SELECT seq, id, mission_id, reference, form_id, observer_id, region_id,
           region_path, observed_at, received_at, channel, status, severity,
           problem_count, category, answers, content_hash, duplicate_of
    FROM reports;
DROP TABLE reports;
ALTER TABLE reports_typed RENAME TO reports;
CREATE INDEX reports_observer ON reports(observer_id, mission_id, received_at, seq);
CREATE INDEX reports_mission_seq ON reports(mission_id, seq);
CREATE INDEX reports_status ON reports(mission_id, status, seq);
CREATE INDEX reports_severity ON reports(mission_id, coalesce(severity, 0), seq);
CREATE INDEX reports_region ON reports(mission_id, region_path, seq);
CREATE INDEX reports_urgent ON reports(mission_id, severity, seq)
    WHERE status IN ('received', 'escalated') AND severity >= 3;
CREATE INDEX reports_form ON reports(form_id, seq);
CREATE INDEX reports_facts ON reports(seq, mission_id, region_id, form_id, category, severity,
                                      status, received_at, observer_id, problem_count);

CREATE TABLE report_events_typed (
    id            INTEGER PRIMARY KEY,
    report_id     TEXT NOT NULL REFERENCES reports(id),
    at            INTEGER NOT NULL,
    actor_id      INTEGER REFERENCES users(id),
    kind          TEXT NOT NULL CHECK (kind IN ('filed', 'correction', 'addition', 'verify',
                      'dismiss', 'escalate', 'duplicate', 'reopen', 'comment')),
    text          TEXT NOT NULL DEFAULT '',
    from_status   TEXT CHECK (from_status IN ('received', 'verified', 'escalated', 'dismissed', 'duplicate')),
    to_status     TEXT CHECK (to_status IN ('received', 'verified', 'escalated', 'dismissed', 'duplicate')),
    submission_id TEXT,                         -- an amendment's own id: sent twice, added once
    duplicate_of  TEXT                          -- a duplicate mark: the reference it names
) STRICT;
INSERT INTO report_events_typed (id, report_id, at, actor_id, kind, text, from_status, to_status,
                                 submission_id, duplicate_of)
    SELECT id, report_id, at, actor_id, kind, text, from_status, to_status, submission_id, duplicate_of
    FROM report_events;
DROP TABLE report_events;
ALTER TABLE report_events_typed RENAME TO report_events;
CREATE INDEX report_events_report ON report_events(report_id, id);
CREATE UNIQUE INDEX report_events_submission ON report_events(submission_id) WHERE submission_id IS NOT NULL;

CREATE TABLE finding_history_typed (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    at         INTEGER NOT NULL,
    actor_id   INTEGER REFERENCES users(id),
    event      TEXT NOT NULL CHECK (event IN ('created', 'edited', 'stage', 'evidence_added', 'evidence_removed')),
    stage      TEXT NOT NULL CHECK (stage IN ('draft', 'ready', 'published')),
    title      TEXT NOT NULL,
    statement  TEXT NOT NULL,
    assessment TEXT NOT NULL CHECK (assessment IN ('positive', 'mixed', 'negative', 'serious_concern')),
    topic      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''     -- evidence events: the references
) STRICT;
INSERT INTO finding_history_typed SELECT * FROM finding_history;
DROP TABLE finding_history;
ALTER TABLE finding_history_typed RENAME TO finding_history;
CREATE INDEX finding_history_finding ON finding_history(finding_id, id);

CREATE TABLE audit_log_typed (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    mission_id INTEGER REFERENCES missions(id),
    actor      TEXT NOT NULL,                  -- username, or 'command line'
    action     TEXT NOT NULL CHECK (action IN ('user_added', 'user_disabled', 'user_enabled',
                   'password_reset', 'team_set', 'assignment_added', 'assignment_removed',
                   'form_imported', 'noted')),
    detail     TEXT NOT NULL CHECK (json_valid(detail) AND json_extract(detail, '$.event') = action)
) STRICT;
INSERT INTO audit_log_typed SELECT * FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_typed RENAME TO audit_log;
CREATE INDEX audit_log_mission ON audit_log(mission_id, id);
