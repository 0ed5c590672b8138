-- Form definitions and the reports filed with them.

-- A form version is immutable: editing a form adds a version, and each report keeps the
-- version it was filed with.
CREATE TABLE forms (
    id         INTEGER PRIMARY KEY,
    mission_id INTEGER NOT NULL REFERENCES missions(id),
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    kind       TEXT NOT NULL CHECK (kind IN ('checklist', 'incident')),
    title      TEXT NOT NULL,
    definition TEXT NOT NULL,                 -- canonical JSON of the definition
    created_at INTEGER NOT NULL,
    UNIQUE (mission_id, key, version)
) STRICT;

-- Reports are never updated in place except for their review status (later issues);
-- what the observer filed stays as filed. Corrections are events.
CREATE TABLE reports (
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
    channel       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'received',
    severity      INTEGER CHECK (severity BETWEEN 1 AND 4),   -- 1 low .. 4 critical
    problem_count INTEGER NOT NULL CHECK (problem_count >= 0),
    category      TEXT,                         -- incidents: an option key
    answers       TEXT NOT NULL,                -- JSON object by question key
    content_hash  BLOB NOT NULL,                -- SHA-256 of the previous report's hash and this content
    UNIQUE (mission_id, reference)
) STRICT;
CREATE INDEX reports_observer ON reports(observer_id, mission_id, received_at, seq);
CREATE INDEX reports_mission_seq ON reports(mission_id, seq);

-- Everything that happens to a report after it is filed, append-only.
CREATE TABLE report_events (
    id        INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(id),
    at        INTEGER NOT NULL,
    actor_id  INTEGER REFERENCES users(id),
    kind      TEXT NOT NULL,                    -- filed | correction | addition
    text      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX report_events_report ON report_events(report_id, id);
