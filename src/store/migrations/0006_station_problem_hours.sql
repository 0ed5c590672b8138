-- Checklist problems seen at each polling station by every dimension the dashboard filters
-- on, so that its indicators follow every filter (a category, a severity, the verified
-- reports only, a time window) by reading these rows for the stations in view rather than
-- the reports. Every status is counted; the reader chooses. Kept by triggers like the
-- tallies of 0005; store::tallies recounts and checks it. Filled by tallies::rebuild when
-- this migration is applied.
CREATE TABLE station_problem_hours (
    mission_id INTEGER NOT NULL,
    station_id INTEGER NOT NULL REFERENCES regions(id),
    form_id    INTEGER NOT NULL,
    question   TEXT NOT NULL,
    hour       INTEGER NOT NULL,
    category   TEXT NOT NULL,
    severity   INTEGER NOT NULL,
    status     TEXT NOT NULL,
    reports    INTEGER NOT NULL,
    PRIMARY KEY (station_id, form_id, question, hour, category, severity, status)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER report_problems_hours AFTER INSERT ON report_problems BEGIN
    INSERT INTO station_problem_hours (mission_id, station_id, form_id, question, hour, category, severity, status, reports)
        SELECT r.mission_id, r.region_id, r.form_id, NEW.question, r.received_at / 3600,
               coalesce(r.category, ''), coalesce(r.severity, 0), r.status, 1
        FROM reports r
        WHERE r.seq = NEW.report_seq
          AND (SELECT depth FROM regions WHERE id = r.region_id)
              = (SELECT max(depth) FROM region_levels WHERE mission_id = r.mission_id)
        ON CONFLICT DO UPDATE SET reports = reports + 1;
END;

CREATE TRIGGER reports_problem_hours_status AFTER UPDATE OF status ON reports WHEN OLD.status <> NEW.status BEGIN
    INSERT INTO station_problem_hours (mission_id, station_id, form_id, question, hour, category, severity, status, reports)
        SELECT NEW.mission_id, NEW.region_id, NEW.form_id, p.question, NEW.received_at / 3600,
               coalesce(NEW.category, ''), coalesce(NEW.severity, 0), s.status, s.delta
        FROM report_problems p,
             (SELECT OLD.status AS status, -1 AS delta UNION ALL SELECT NEW.status, 1) s
        WHERE p.report_seq = NEW.seq
          AND (SELECT depth FROM regions WHERE id = NEW.region_id)
              = (SELECT max(depth) FROM region_levels WHERE mission_id = NEW.mission_id)
        ON CONFLICT DO UPDATE SET reports = reports + excluded.reports;
END;
