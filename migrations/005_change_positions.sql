-- Teams, stage 2 (issue #31): a change feed a client can trust.
-- Every writing transaction advances one position in log_head, the first time one of
-- its rows changes, and keeps that row locked until it commits: the next writer waits
-- there, so positions are given in commit order and without gaps (a transaction that
-- rolls back gives its position back). A sequence would not do: its numbers commit out
-- of order, so "changes after the last one seen" would skip a row that committed late.
-- Each row of `changes` carries its transaction's position; a client that has seen up
-- to position P reads "changes after P" on every NOTIFY (the payload is only a wake-up),
-- on connect and reconnect, and on a slow timer.
CREATE TABLE log_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position bigint NOT NULL CHECK (position >= 0)
);
INSERT INTO log_head (position) VALUES (0);
-- What changed before this migration was read by whoever opened the database: position 0.
ALTER TABLE changes ADD COLUMN position bigint NOT NULL DEFAULT 0;
ALTER TABLE changes ALTER COLUMN position DROP DEFAULT;
CREATE INDEX changes_position ON changes (position);
CREATE OR REPLACE FUNCTION procedures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    k text;
    pos bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'procedure_labels' THEN
        k := r.procedure_id || ':' || r.label_id;
    ELSE
        k := r.id::text;
    END IF;
    -- The transaction's position, taken at its first change (a setting local to it).
    pos := nullif(current_setting('procedures.position', true), '')::bigint;
    IF pos IS NULL THEN
        UPDATE log_head SET position = position + 1 RETURNING position INTO pos;
        PERFORM set_config('procedures.position', pos::text, true);
        PERFORM pg_notify('procedures', pos::text);
    END IF;
    INSERT INTO changes (table_name, row_key, op, position) VALUES (TG_TABLE_NAME, k, TG_OP, pos);
    RETURN NULL;
END $$;
GRANT SELECT, UPDATE ON log_head TO PUBLIC;
