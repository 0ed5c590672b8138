-- The mark `fieldreport demo` leaves in a database it made, written in the transaction
-- that creates the demo mission. The demo changes no database without it: run on a real
-- mission's file by mistake, it would otherwise add its accounts there and reset the
-- password of any `admin`. A database the demo did not make never has a row here.
CREATE TABLE demo_marker (
    mission_id INTEGER PRIMARY KEY REFERENCES missions(id),
    made_at    INTEGER NOT NULL
) STRICT;
