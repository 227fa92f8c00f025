-- Schedules (issue #15), a revision per row for optimistic concurrency, and the change
-- log every client catches up from (on NOTIFY and on reconnect).
CREATE TABLE schedules (
    id bigint PRIMARY KEY CHECK (id > 0 AND id < 4294967296),
    procedure_id bigint NOT NULL,
    rule text,
    starts_at timestamp NOT NULL,
    due_within bigint CHECK (due_within >= 0),
    anchor text,
    active boolean NOT NULL DEFAULT true
);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['procedures', 'steps', 'runs', 'run_steps', 'labels', 'procedure_labels', 'versions', 'schedules']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN revision bigint NOT NULL DEFAULT 1', t);
    END LOOP;
END $$;
CREATE TABLE changes (
    revision bigserial PRIMARY KEY,
    table_name text NOT NULL,
    row_key text NOT NULL,
    op text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL DEFAULT current_user
);
CREATE FUNCTION procedures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    k text;
    rev bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'procedure_labels' THEN
        k := r.procedure_id || ':' || r.label_id;
    ELSE
        k := r.id::text;
    END IF;
    INSERT INTO changes (table_name, row_key, op) VALUES (TG_TABLE_NAME, k, TG_OP) RETURNING revision INTO rev;
    PERFORM pg_notify('procedures', rev::text);
    RETURN NULL;
END $$;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['procedures', 'steps', 'runs', 'run_steps', 'labels', 'procedure_labels', 'versions', 'schedules']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION procedures_changed()', t || '_changed', t);
    END LOOP;
END $$;
