-- Secret keys the server signs things with, made once per database. Kept in the database
-- so that every process serving it (and every restart) agrees on them.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    key  BLOB NOT NULL CHECK (length(key) >= 32)
) STRICT;

-- Binds the sign-in form's token to its cookie: see web/csrf.rs.
INSERT INTO server_keys (name, key) VALUES ('sign_in_form', randomblob(32));
