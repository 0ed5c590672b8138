-- Aggregates for the dashboard, kept up to date by triggers in the same transaction as
-- every write to reports: the dashboard reads these, never the reports, so its cost grows
-- with the regions on screen and not with the number of reports. No write path (filing,
-- review, a generator, a repair by hand) can forget them. store::tallies::rebuild
-- recomputes them all from the reports, and a test compares the two.
--
-- Region 0 stands for the whole mission. Absent category and severity are '' and 0 so
-- that they take part in the keys (NULLs would never conflict).

-- Every region with itself and each region above it: "the regions a report counts in".
CREATE TABLE region_ancestors (
    region_id   INTEGER NOT NULL REFERENCES regions(id),
    ancestor_id INTEGER NOT NULL REFERENCES regions(id),
    PRIMARY KEY (region_id, ancestor_id)
) STRICT, WITHOUT ROWID;

INSERT INTO region_ancestors (region_id, ancestor_id)
    SELECT d.id, a.id
    FROM regions a JOIN regions d
      ON d.mission_id = a.mission_id
     AND d.path >= a.path AND d.path < substr(a.path, 1, length(a.path) - 1) || '0';

-- Regions are added, never moved or removed (store::regions::import refuses a new parent).
CREATE TRIGGER regions_ancestors AFTER INSERT ON regions BEGIN
    INSERT INTO region_ancestors (region_id, ancestor_id)
        SELECT NEW.id, NEW.id
        UNION ALL
        SELECT NEW.id, ancestor_id FROM region_ancestors WHERE region_id = NEW.parent_id;
END;

-- Polling stations (regions at the deepest level) under each region. Recomputed by
-- store::tallies::count_stations after each import of regions.
CREATE TABLE region_stations (
    mission_id INTEGER NOT NULL REFERENCES missions(id),
    region_id  INTEGER NOT NULL,
    stations   INTEGER NOT NULL,
    PRIMARY KEY (mission_id, region_id)
) STRICT, WITHOUT ROWID;

-- Reports by every dimension the dashboard filters on except time.
CREATE TABLE tally_totals (
    mission_id      INTEGER NOT NULL,
    region_id       INTEGER NOT NULL,
    form_id         INTEGER NOT NULL,
    category        TEXT NOT NULL,
    severity        INTEGER NOT NULL,
    status          TEXT NOT NULL,
    reports         INTEGER NOT NULL,
    problem_reports INTEGER NOT NULL,           -- reports with at least one problem answer
    PRIMARY KEY (mission_id, region_id, form_id, category, severity, status)
) STRICT, WITHOUT ROWID;

-- The same by hour of arrival (unix time / 3600): the chart, and any view with a time window.
CREATE TABLE tally_hours (
    mission_id      INTEGER NOT NULL,
    region_id       INTEGER NOT NULL,
    hour            INTEGER NOT NULL,
    form_id         INTEGER NOT NULL,
    category        TEXT NOT NULL,
    severity        INTEGER NOT NULL,
    status          TEXT NOT NULL,
    reports         INTEGER NOT NULL,
    problem_reports INTEGER NOT NULL,
    PRIMARY KEY (mission_id, region_id, hour, form_id, category, severity, status)
) STRICT, WITHOUT ROWID;

-- Polling-station figures count stations, not reports: a station counts once however many
-- reports it has. They count the reports that stand (neither dismissed nor a duplicate).
-- Per station and form key ('' for any form): how many such reports, and by severity.
CREATE TABLE station_tallies (
    mission_id      INTEGER NOT NULL,
    station_id      INTEGER NOT NULL REFERENCES regions(id),
    form_key        TEXT NOT NULL,
    reports         INTEGER NOT NULL,
    problem_reports INTEGER NOT NULL,
    low             INTEGER NOT NULL,
    medium          INTEGER NOT NULL,
    high            INTEGER NOT NULL,
    critical        INTEGER NOT NULL,
    PRIMARY KEY (station_id, form_key)
) STRICT, WITHOUT ROWID;

-- Stations with at least one standing report of the form key ('' any), per region above them.
CREATE TABLE region_coverage (
    mission_id INTEGER NOT NULL,
    region_id  INTEGER NOT NULL,
    form_key   TEXT NOT NULL,
    stations   INTEGER NOT NULL,
    PRIMARY KEY (mission_id, region_id, form_key)
) STRICT, WITHOUT ROWID;

-- The questions a report's answers flag as a problem, derived at filing like its severity.
CREATE TABLE report_problems (
    report_seq INTEGER NOT NULL REFERENCES reports(seq),
    question   TEXT NOT NULL,
    PRIMARY KEY (report_seq, question)
) STRICT, WITHOUT ROWID;

-- Per station, form and question: standing reports that flag the problem.
CREATE TABLE station_problems (
    mission_id INTEGER NOT NULL,
    station_id INTEGER NOT NULL,
    form_key   TEXT NOT NULL,
    question   TEXT NOT NULL,
    reports    INTEGER NOT NULL,
    PRIMARY KEY (station_id, form_key, question)
) STRICT, WITHOUT ROWID;

-- Stations where the problem was seen, per region above them.
CREATE TABLE region_problems (
    mission_id INTEGER NOT NULL,
    region_id  INTEGER NOT NULL,
    form_key   TEXT NOT NULL,
    question   TEXT NOT NULL,
    stations   INTEGER NOT NULL,
    PRIMARY KEY (mission_id, region_id, form_key, question)
) STRICT, WITHOUT ROWID;

-- When each observer last filed, for "active in the last hour" and "silent for N hours".
CREATE TABLE observer_activity (
    mission_id  INTEGER NOT NULL,
    observer_id INTEGER NOT NULL REFERENCES users(id),
    reports     INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    PRIMARY KEY (mission_id, observer_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER reports_tally_filed AFTER INSERT ON reports BEGIN
    INSERT INTO tally_totals (mission_id, region_id, form_id, category, severity, status, reports, problem_reports)
        SELECT NEW.mission_id, place, NEW.form_id, coalesce(NEW.category, ''), coalesce(NEW.severity, 0),
               NEW.status, 1, NEW.problem_count > 0
        FROM (SELECT ancestor_id AS place FROM region_ancestors WHERE region_id = NEW.region_id UNION ALL SELECT 0)
        WHERE true
        ON CONFLICT DO UPDATE SET reports = reports + 1, problem_reports = problem_reports + excluded.problem_reports;
    INSERT INTO tally_hours (mission_id, region_id, hour, form_id, category, severity, status, reports, problem_reports)
        SELECT NEW.mission_id, place, NEW.received_at / 3600, NEW.form_id, coalesce(NEW.category, ''),
               coalesce(NEW.severity, 0), NEW.status, 1, NEW.problem_count > 0
        FROM (SELECT ancestor_id AS place FROM region_ancestors WHERE region_id = NEW.region_id UNION ALL SELECT 0)
        WHERE true
        ON CONFLICT DO UPDATE SET reports = reports + 1, problem_reports = problem_reports + excluded.problem_reports;
    INSERT INTO station_tallies (mission_id, station_id, form_key, reports, problem_reports, low, medium, high, critical)
        SELECT NEW.mission_id, NEW.region_id, form_key, 1, NEW.problem_count > 0,
               NEW.severity IS 1, NEW.severity IS 2, NEW.severity IS 3, NEW.severity IS 4
        FROM (SELECT key AS form_key FROM forms WHERE id = NEW.form_id UNION ALL SELECT '')
        WHERE NEW.status NOT IN ('dismissed', 'duplicate')
          AND (SELECT depth FROM regions WHERE id = NEW.region_id)
              = (SELECT max(depth) FROM region_levels WHERE mission_id = NEW.mission_id)
        ON CONFLICT DO UPDATE SET reports = reports + 1, problem_reports = problem_reports + excluded.problem_reports,
            low = low + excluded.low, medium = medium + excluded.medium,
            high = high + excluded.high, critical = critical + excluded.critical;
    INSERT INTO observer_activity (mission_id, observer_id, reports, last_at)
        VALUES (NEW.mission_id, NEW.observer_id, 1, NEW.received_at)
        ON CONFLICT DO UPDATE SET reports = reports + 1, last_at = max(last_at, excluded.last_at);
END;

-- A review moves a report from one status to another: out of the old status's counts, into
-- the new one's; and out of (or back into) the station figures when it stops (or starts
-- again) to stand.
CREATE TRIGGER reports_tally_status AFTER UPDATE OF status ON reports WHEN OLD.status <> NEW.status BEGIN
    INSERT INTO tally_totals (mission_id, region_id, form_id, category, severity, status, reports, problem_reports)
        SELECT NEW.mission_id, place, NEW.form_id, coalesce(NEW.category, ''), coalesce(NEW.severity, 0),
               status, delta, delta * (NEW.problem_count > 0)
        FROM (SELECT ancestor_id AS place FROM region_ancestors WHERE region_id = NEW.region_id UNION ALL SELECT 0),
             (SELECT OLD.status AS status, -1 AS delta UNION ALL SELECT NEW.status, 1)
        WHERE true
        ON CONFLICT DO UPDATE SET reports = reports + excluded.reports, problem_reports = problem_reports + excluded.problem_reports;
    INSERT INTO tally_hours (mission_id, region_id, hour, form_id, category, severity, status, reports, problem_reports)
        SELECT NEW.mission_id, place, NEW.received_at / 3600, NEW.form_id, coalesce(NEW.category, ''),
               coalesce(NEW.severity, 0), status, delta, delta * (NEW.problem_count > 0)
        FROM (SELECT ancestor_id AS place FROM region_ancestors WHERE region_id = NEW.region_id UNION ALL SELECT 0),
             (SELECT OLD.status AS status, -1 AS delta UNION ALL SELECT NEW.status, 1)
        WHERE true
        ON CONFLICT DO UPDATE SET reports = reports + excluded.reports, problem_reports = problem_reports + excluded.problem_reports;
    INSERT INTO station_tallies (mission_id, station_id, form_key, reports, problem_reports, low, medium, high, critical)
        SELECT NEW.mission_id, NEW.region_id, form_key, delta, delta * (NEW.problem_count > 0),
               delta * (NEW.severity IS 1), delta * (NEW.severity IS 2), delta * (NEW.severity IS 3), delta * (NEW.severity IS 4)
        FROM (SELECT key AS form_key FROM forms WHERE id = NEW.form_id UNION ALL SELECT ''),
             (SELECT CASE WHEN NEW.status IN ('dismissed', 'duplicate') THEN -1 ELSE 1 END AS delta)
        WHERE (OLD.status IN ('dismissed', 'duplicate')) <> (NEW.status IN ('dismissed', 'duplicate'))
          AND (SELECT depth FROM regions WHERE id = NEW.region_id)
              = (SELECT max(depth) FROM region_levels WHERE mission_id = NEW.mission_id)
        ON CONFLICT DO UPDATE SET reports = reports + excluded.reports, problem_reports = problem_reports + excluded.problem_reports,
            low = low + excluded.low, medium = medium + excluded.medium,
            high = high + excluded.high, critical = critical + excluded.critical;
    INSERT INTO station_problems (mission_id, station_id, form_key, question, reports)
        SELECT NEW.mission_id, NEW.region_id, f.key, p.question,
               CASE WHEN NEW.status IN ('dismissed', 'duplicate') THEN -1 ELSE 1 END
        FROM report_problems p JOIN forms f ON f.id = NEW.form_id
        WHERE p.report_seq = NEW.seq
          AND (OLD.status IN ('dismissed', 'duplicate')) <> (NEW.status IN ('dismissed', 'duplicate'))
          AND (SELECT depth FROM regions WHERE id = NEW.region_id)
              = (SELECT max(depth) FROM region_levels WHERE mission_id = NEW.mission_id)
        ON CONFLICT DO UPDATE SET reports = reports + excluded.reports;
END;

CREATE TRIGGER report_problems_tally AFTER INSERT ON report_problems BEGIN
    INSERT INTO station_problems (mission_id, station_id, form_key, question, reports)
        SELECT r.mission_id, r.region_id, f.key, NEW.question, 1
        FROM reports r JOIN forms f ON f.id = r.form_id
        WHERE r.seq = NEW.report_seq AND r.status NOT IN ('dismissed', 'duplicate')
          AND (SELECT depth FROM regions WHERE id = r.region_id)
              = (SELECT max(depth) FROM region_levels WHERE mission_id = r.mission_id)
        ON CONFLICT DO UPDATE SET reports = reports + 1;
END;

-- A station enters a region's coverage with its first standing report, and leaves it when
-- its last one is dismissed or marked a duplicate.
CREATE TRIGGER station_tallies_new AFTER INSERT ON station_tallies WHEN NEW.reports > 0 BEGIN
    INSERT INTO region_coverage (mission_id, region_id, form_key, stations)
        SELECT NEW.mission_id, place, NEW.form_key, 1
        FROM (SELECT ancestor_id AS place FROM region_ancestors
              WHERE region_id = NEW.station_id AND ancestor_id <> NEW.station_id UNION ALL SELECT 0)
        WHERE true
        ON CONFLICT DO UPDATE SET stations = stations + 1;
END;
CREATE TRIGGER station_tallies_changed AFTER UPDATE OF reports ON station_tallies
    WHEN (OLD.reports > 0) <> (NEW.reports > 0) BEGIN
    INSERT INTO region_coverage (mission_id, region_id, form_key, stations)
        SELECT NEW.mission_id, place, NEW.form_key, CASE WHEN NEW.reports > 0 THEN 1 ELSE -1 END
        FROM (SELECT ancestor_id AS place FROM region_ancestors
              WHERE region_id = NEW.station_id AND ancestor_id <> NEW.station_id UNION ALL SELECT 0)
        WHERE true
        ON CONFLICT DO UPDATE SET stations = stations + excluded.stations;
END;

CREATE TRIGGER station_problems_new AFTER INSERT ON station_problems WHEN NEW.reports > 0 BEGIN
    INSERT INTO region_problems (mission_id, region_id, form_key, question, stations)
        SELECT NEW.mission_id, place, NEW.form_key, NEW.question, 1
        FROM (SELECT ancestor_id AS place FROM region_ancestors
              WHERE region_id = NEW.station_id AND ancestor_id <> NEW.station_id UNION ALL SELECT 0)
        WHERE true
        ON CONFLICT DO UPDATE SET stations = stations + 1;
END;
CREATE TRIGGER station_problems_changed AFTER UPDATE OF reports ON station_problems
    WHEN (OLD.reports > 0) <> (NEW.reports > 0) BEGIN
    INSERT INTO region_problems (mission_id, region_id, form_key, question, stations)
        SELECT NEW.mission_id, place, NEW.form_key, NEW.question, CASE WHEN NEW.reports > 0 THEN 1 ELSE -1 END
        FROM (SELECT ancestor_id AS place FROM region_ancestors
              WHERE region_id = NEW.station_id AND ancestor_id <> NEW.station_id UNION ALL SELECT 0)
        WHERE true
        ON CONFLICT DO UPDATE SET stations = stations + excluded.stations;
END;
