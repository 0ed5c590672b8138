-- The dashboard, the map and the review queue's counts scan the report facts held in
-- memory (store::facts), counted from the reports themselves: the tallies kept by
-- triggers (migrations 0005-0007) go, and with them the ~25 rows each filed report
-- wrote through them. report_problems stays: the queue filters on it, and the facts
-- load each report's problem questions from it.

DROP TRIGGER IF EXISTS regions_ancestors;
DROP TRIGGER IF EXISTS reports_tally_filed;
DROP TRIGGER IF EXISTS reports_tally_status;
DROP TRIGGER IF EXISTS report_problems_tally;
DROP TRIGGER IF EXISTS station_tallies_new;
DROP TRIGGER IF EXISTS station_tallies_changed;
DROP TRIGGER IF EXISTS station_problems_new;
DROP TRIGGER IF EXISTS station_problems_changed;
DROP TRIGGER IF EXISTS report_problems_hours;
DROP TRIGGER IF EXISTS reports_problem_hours_status;
DROP TRIGGER IF EXISTS reports_narrow_tallies_filed;
DROP TRIGGER IF EXISTS reports_narrow_tallies_status;

DROP TABLE IF EXISTS region_ancestors;
DROP TABLE IF EXISTS region_stations;
DROP TABLE IF EXISTS tally_totals;
DROP TABLE IF EXISTS tally_hours;
DROP TABLE IF EXISTS tally_severities;
DROP TABLE IF EXISTS tally_hour_statuses;
DROP TABLE IF EXISTS station_tallies;
DROP TABLE IF EXISTS region_coverage;
DROP TABLE IF EXISTS station_problems;
DROP TABLE IF EXISTS region_problems;
DROP TABLE IF EXISTS station_problem_hours;
DROP TABLE IF EXISTS observer_activity;

-- What the facts hold of each report, in order of arrival: loading a million reports
-- reads this index (about 50 MB) instead of the table and its answers (over 1 GB).
CREATE INDEX reports_facts ON reports(seq, mission_id, region_id, form_id, category, severity,
                                      status, received_at, observer_id, problem_count);
