-- Narrower copies of the report tallies for the views read most (the dashboard with no
-- category, severity or form chosen): the table of regions reads reports by form, severity
-- and status, without the incident categories that multiply its rows; the chart reads
-- reports by hour and status only. The dashboard reads these when the filters allow and
-- the full tallies otherwise. Kept by triggers like those of 0005; store::tallies
-- recounts and checks them; filled by tallies::rebuild when this migration is applied.
CREATE TABLE tally_severities (
    mission_id      INTEGER NOT NULL,
    region_id       INTEGER NOT NULL,
    form_id         INTEGER NOT NULL,
    severity        INTEGER NOT NULL,
    status          TEXT NOT NULL,
    reports         INTEGER NOT NULL,
    problem_reports INTEGER NOT NULL,
    PRIMARY KEY (mission_id, region_id, form_id, severity, status)
) STRICT, WITHOUT ROWID;

CREATE TABLE tally_hour_statuses (
    mission_id INTEGER NOT NULL,
    region_id  INTEGER NOT NULL,
    hour       INTEGER NOT NULL,
    status     TEXT NOT NULL,
    reports    INTEGER NOT NULL,
    PRIMARY KEY (mission_id, region_id, hour, status)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER reports_narrow_tallies_filed AFTER INSERT ON reports BEGIN
    INSERT INTO tally_severities (mission_id, region_id, form_id, severity, status, reports, problem_reports)
        SELECT NEW.mission_id, place, NEW.form_id, coalesce(NEW.severity, 0), NEW.status, 1, NEW.problem_count > 0
        FROM (SELECT ancestor_id AS place FROM region_ancestors WHERE region_id = NEW.region_id UNION ALL SELECT 0)
        WHERE true
        ON CONFLICT DO UPDATE SET reports = reports + 1, problem_reports = problem_reports + excluded.problem_reports;
    INSERT INTO tally_hour_statuses (mission_id, region_id, hour, status, reports)
        SELECT NEW.mission_id, place, NEW.received_at / 3600, NEW.status, 1
        FROM (SELECT ancestor_id AS place FROM region_ancestors WHERE region_id = NEW.region_id UNION ALL SELECT 0)
        WHERE true
        ON CONFLICT DO UPDATE SET reports = reports + 1;
END;

CREATE TRIGGER reports_narrow_tallies_status AFTER UPDATE OF status ON reports WHEN OLD.status <> NEW.status BEGIN
    INSERT INTO tally_severities (mission_id, region_id, form_id, severity, status, reports, problem_reports)
        SELECT NEW.mission_id, place, NEW.form_id, coalesce(NEW.severity, 0), status, delta, delta * (NEW.problem_count > 0)
        FROM (SELECT ancestor_id AS place FROM region_ancestors WHERE region_id = NEW.region_id UNION ALL SELECT 0),
             (SELECT OLD.status AS status, -1 AS delta UNION ALL SELECT NEW.status, 1)
        WHERE true
        ON CONFLICT DO UPDATE SET reports = reports + excluded.reports, problem_reports = problem_reports + excluded.problem_reports;
    INSERT INTO tally_hour_statuses (mission_id, region_id, hour, status, reports)
        SELECT NEW.mission_id, place, NEW.received_at / 3600, status, delta
        FROM (SELECT ancestor_id AS place FROM region_ancestors WHERE region_id = NEW.region_id UNION ALL SELECT 0),
             (SELECT OLD.status AS status, -1 AS delta UNION ALL SELECT NEW.status, 1)
        WHERE true
        ON CONFLICT DO UPDATE SET reports = reports + excluded.reports;
END;
