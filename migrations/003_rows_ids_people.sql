-- Teams, stage 1 (issue #29): the app writes rows, not folders.
-- * A row's revision counts its changes: 1 when inserted, one more on every update.
--   An update or delete names the revision it saw and changes nothing when the row
--   moved on meanwhile (someone else changed it).
-- * Ids come from one sequence per table, reserved in blocks (reserve_ids), so two
--   clients never make the same id and never wait for each other per row.
-- * people names a database role (the name on ticks and runs); without a row, the
--   role's own name is used.
CREATE FUNCTION procedures_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.revision := OLD.revision + 1;
    ELSE
        NEW.revision := 1;
    END IF;
    RETURN NEW;
END $$;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['procedures', 'steps', 'runs', 'run_steps', 'labels', 'procedure_labels', 'versions', 'schedules']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION procedures_revision()', t || '_revision', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['procedures', 'steps', 'runs', 'run_steps', 'labels', 'versions', 'schedules']
    LOOP
        EXECUTE format('CREATE SEQUENCE %I MINVALUE 1 MAXVALUE 4294967295', t || '_ids');
    END LOOP;
END $$;
-- The first of n ids of table tbl no one else will get: past the sequence and past
-- every row already there (rows written without the sequence, by a push or by hand).
CREATE FUNCTION reserve_ids(tbl text, n bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    top bigint;
    first bigint;
BEGIN
    IF tbl NOT IN ('procedures', 'steps', 'runs', 'run_steps', 'labels', 'versions', 'schedules') THEN
        RAISE EXCEPTION 'reserve_ids: % has no ids', tbl;
    END IF;
    IF n < 1 OR n > 10000000 THEN
        RAISE EXCEPTION 'reserve_ids: cannot reserve % ids', n;
    END IF;
    -- One reservation at a time per table (released when this transaction ends).
    PERFORM pg_advisory_xact_lock(hashtext('procedures reserve_ids ' || tbl));
    EXECUTE format('SELECT coalesce(max(id), 0) FROM %I', tbl) INTO top;
    first := greatest(nextval((tbl || '_ids')::regclass), top + 1);
    IF first + n - 1 > 4294967295 THEN
        RAISE EXCEPTION 'no ids left in %: the largest is 4294967295', tbl;
    END IF;
    PERFORM setval((tbl || '_ids')::regclass, first + n - 1);
    RETURN first;
END $$;
CREATE TABLE people (
    role text PRIMARY KEY,
    name text NOT NULL CHECK (name <> '')
);
-- The database is the boundary: whoever may connect to it may work in it (runs, ticks,
-- edits); only its owner names people and changes the schema.
DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO PUBLIC', current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', current_schema());
    REVOKE INSERT, UPDATE, DELETE ON people FROM PUBLIC;
END $$;
