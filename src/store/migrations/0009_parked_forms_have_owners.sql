-- A report form posted after its session ended is kept only when it proves which
-- observer fieldreport gave it to (its ticket: web/form_ticket.rs), and only that observer
-- can see or resume it. Forms parked before this carried no such proof, so they are not
-- kept: anyone could have planted them.
DROP TABLE parked_submissions;
CREATE TABLE parked_submissions (
    observer_id   INTEGER NOT NULL REFERENCES users(id),
    submission_id TEXT NOT NULL,
    mission_id    INTEGER NOT NULL REFERENCES missions(id),
    body          BLOB NOT NULL,
    parked_at     INTEGER NOT NULL,
    PRIMARY KEY (observer_id, submission_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX parked_by_age ON parked_submissions(parked_at);

-- Signs the tickets of report forms.
INSERT INTO server_keys (name, key) VALUES ('report_form', randomblob(32));
