-- Missions, geography, people, sessions and the sign-in throttle.
-- Times are unix seconds (UTC); a mission's own time zone is applied when shown.

CREATE TABLE missions (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    country       TEXT NOT NULL,
    election_date TEXT NOT NULL,             -- YYYY-MM-DD
    time_zone     TEXT NOT NULL,             -- IANA name, e.g. Africa/Nairobi
    created_at    INTEGER NOT NULL
) STRICT;

-- The names of the levels of a mission's geography, top level at depth 1.
CREATE TABLE region_levels (
    mission_id INTEGER NOT NULL REFERENCES missions(id),
    depth      INTEGER NOT NULL CHECK (depth >= 1),
    name       TEXT NOT NULL,
    PRIMARY KEY (mission_id, depth),
    UNIQUE (mission_id, name)
) STRICT;

-- The geography as a tree. `path` is the materialized path of codes from the top,
-- e.g. '/030/158/0792/', so that a subtree is one range scan on (mission_id, path).
CREATE TABLE regions (
    id                INTEGER PRIMARY KEY,
    mission_id        INTEGER NOT NULL REFERENCES missions(id),
    parent_id         INTEGER REFERENCES regions(id),
    depth             INTEGER NOT NULL,
    code              TEXT NOT NULL,
    name              TEXT NOT NULL,
    path              TEXT NOT NULL,
    registered_voters INTEGER CHECK (registered_voters >= 0),
    latitude          REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude         REAL CHECK (longitude BETWEEN -180 AND 180),
    UNIQUE (mission_id, depth, code),
    UNIQUE (mission_id, path),
    FOREIGN KEY (mission_id, depth) REFERENCES region_levels(mission_id, depth),
    CHECK ((parent_id IS NULL) = (depth = 1))
) STRICT;
CREATE INDEX regions_parent ON regions(parent_id);
CREATE INDEX regions_name ON regions(mission_id, name COLLATE NOCASE);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,    -- lower-case
    display_name        TEXT NOT NULL,
    phone               TEXT,
    password_hash       TEXT NOT NULL,           -- argon2id PHC string
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL,
    last_sign_in_at     INTEGER,
    disabled_at         INTEGER
) STRICT;

CREATE TABLE memberships (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    mission_id INTEGER NOT NULL REFERENCES missions(id),
    role       TEXT NOT NULL CHECK (role IN ('observer', 'coordinator', 'lead', 'admin')),
    PRIMARY KEY (user_id, mission_id)
) STRICT;
CREATE INDEX memberships_mission ON memberships(mission_id, role);

-- An observer's area of responsibility: regions at any level.
CREATE TABLE assignments (
    user_id     INTEGER NOT NULL,
    mission_id  INTEGER NOT NULL,
    region_id   INTEGER NOT NULL REFERENCES regions(id),
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, region_id),
    FOREIGN KEY (user_id, mission_id) REFERENCES memberships(user_id, mission_id)
) STRICT;

-- Server-side sessions. Only the SHA-256 of the cookie's token is stored.
CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed sign-ins, by subject: 'user:<username>' or 'addr:<ip>'. Usernames that do not
-- exist are recorded the same way, so the throttle reveals nothing about accounts.
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    subject   TEXT NOT NULL,
    failed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_subject ON login_failures(subject, failed_at);

-- What admins did to accounts and the mission, newest last. Never updated.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    mission_id INTEGER REFERENCES missions(id),
    actor      TEXT NOT NULL,                  -- username, or 'command line'
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_mission ON audit_log(mission_id, id);
