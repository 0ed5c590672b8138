-- Review of reports by the core team, and the findings built on them.

-- The team an observer belongs to (e.g. "LTO team 12, Coast"), shown to reviewers.
ALTER TABLE memberships ADD COLUMN team TEXT;

-- A report marked as a duplicate points at the report that carries the event.
ALTER TABLE reports ADD COLUMN duplicate_of TEXT REFERENCES reports(id);

-- Review actions are events too: what the status was and became, and the note.
ALTER TABLE report_events ADD COLUMN from_status TEXT;
ALTER TABLE report_events ADD COLUMN to_status TEXT;
-- An amendment carries the id of the form it was sent from, so a double tap adds it once.
ALTER TABLE report_events ADD COLUMN submission_id TEXT;
CREATE UNIQUE INDEX report_events_submission ON report_events(submission_id) WHERE submission_id IS NOT NULL;

-- The review queue filters by status, severity and place, newest first (by arrival, seq).
CREATE INDEX reports_status ON reports(mission_id, status, seq);
-- The queue's "most severe first" order: no severity sorts as 0.
CREATE INDEX reports_severity ON reports(mission_id, coalesce(severity, 0), seq);
CREATE INDEX reports_region ON reports(mission_id, region_path, seq);
-- "Needs attention": open critical and high reports, a small part of all, read directly.
-- The WHERE matches store::review::urgent's word for word, so SQLite can use it.
CREATE INDEX reports_urgent ON reports(mission_id, severity, seq)
    WHERE status IN ('received', 'escalated') AND severity >= 3;
CREATE INDEX reports_form ON reports(form_id, seq);

-- Free text over what observers wrote (answers and amendments), rowid = reports.seq.
CREATE VIRTUAL TABLE report_text USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
-- Reports filed before this migration are indexed by the same rule as later ones (see
-- store::reports::searchable_text): the reference, every text answer, every amendment.
INSERT INTO report_text (rowid, text)
    SELECT seq,
           reference
           || coalesce(' ' || (SELECT group_concat(value, ' ') FROM json_tree(reports.answers) WHERE type = 'text'), '')
           || coalesce(' ' || (SELECT group_concat(text, ' ') FROM report_events e
                               WHERE e.report_id = reports.id AND e.kind IN ('correction', 'addition')), '')
    FROM reports;

CREATE TABLE findings (
    id           INTEGER PRIMARY KEY,
    mission_id   INTEGER NOT NULL REFERENCES missions(id),
    title        TEXT NOT NULL,
    statement    TEXT NOT NULL,
    assessment   TEXT NOT NULL CHECK (assessment IN ('positive', 'mixed', 'negative', 'serious_concern')),
    topic        TEXT NOT NULL,
    stage        TEXT NOT NULL DEFAULT 'draft' CHECK (stage IN ('draft', 'ready', 'published')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER,
    -- The text as last published: what the statement shows. Editing a published finding
    -- changes the text above; the statement changes only when it is published again.
    published_title      TEXT,
    published_statement  TEXT,
    published_assessment TEXT,
    published_topic      TEXT
) STRICT;
CREATE INDEX findings_mission ON findings(mission_id, stage, topic);

-- The regions a finding concerns; none means the whole country.
CREATE TABLE finding_regions (
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    region_id  INTEGER NOT NULL REFERENCES regions(id),
    PRIMARY KEY (finding_id, region_id)
) STRICT;

-- The reports a finding rests on, each with an optional note.
CREATE TABLE finding_evidence (
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    report_id  TEXT NOT NULL REFERENCES reports(id),
    note       TEXT NOT NULL DEFAULT '',
    added_at   INTEGER NOT NULL,
    added_by   INTEGER REFERENCES users(id),
    PRIMARY KEY (finding_id, report_id)
) STRICT;
CREATE INDEX finding_evidence_report ON finding_evidence(report_id);

-- Every version of a finding's text and stage, append-only: what was published stays
-- on record however the finding is edited later.
CREATE TABLE finding_history (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    at         INTEGER NOT NULL,
    actor_id   INTEGER REFERENCES users(id),
    event      TEXT NOT NULL,          -- created | edited | stage | evidence added | evidence removed
    stage      TEXT NOT NULL,
    title      TEXT NOT NULL,
    statement  TEXT NOT NULL,
    assessment TEXT NOT NULL,
    topic      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX finding_history_finding ON finding_history(finding_id, id);

-- A report form posted after its session ended, kept (a day or two) so that the observer
-- signs in again and gets every answer back instead of typing them again.
CREATE TABLE parked_submissions (
    submission_id TEXT PRIMARY KEY,
    mission_slug  TEXT NOT NULL,
    body          BLOB NOT NULL,
    parked_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
