-- The dashboard counts a mission's team (who is an observer, enabled, deployed where) from
-- a copy held in memory (store::roster), read again from these tables only when this
-- counter has moved. Every change to membership, role, enabled state, name or assignment
-- moves it in the same transaction, so a read transaction sees the counter that matches
-- the rows of its own snapshot. Signing in (users.last_sign_in_at) and password changes
-- leave it alone. A later migration that rebuilds users, memberships or assignments drops
-- these triggers with the old table and must create them again (a test in
-- store::migrations checks that every such change still moves the counter).
CREATE TABLE team_changes (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    changes INTEGER NOT NULL
) STRICT;

INSERT INTO team_changes (id, changes) VALUES (1, 0);

CREATE TRIGGER team_changes_membership_added AFTER INSERT ON memberships
BEGIN UPDATE team_changes SET changes = changes + 1; END;
CREATE TRIGGER team_changes_membership_removed AFTER DELETE ON memberships
BEGIN UPDATE team_changes SET changes = changes + 1; END;
CREATE TRIGGER team_changes_membership_changed AFTER UPDATE OF user_id, mission_id, role ON memberships
BEGIN UPDATE team_changes SET changes = changes + 1; END;

CREATE TRIGGER team_changes_assignment_added AFTER INSERT ON assignments
BEGIN UPDATE team_changes SET changes = changes + 1; END;
CREATE TRIGGER team_changes_assignment_removed AFTER DELETE ON assignments
BEGIN UPDATE team_changes SET changes = changes + 1; END;
CREATE TRIGGER team_changes_assignment_changed AFTER UPDATE OF user_id, mission_id, region_id ON assignments
BEGIN UPDATE team_changes SET changes = changes + 1; END;

CREATE TRIGGER team_changes_user_changed AFTER UPDATE OF id, display_name, disabled_at ON users
BEGIN UPDATE team_changes SET changes = changes + 1; END;
CREATE TRIGGER team_changes_user_removed AFTER DELETE ON users
BEGIN UPDATE team_changes SET changes = changes + 1; END;
