-- Times are whole seconds, as in the folder (CONTRACT: `YYYY-MM-DD HH:MM:SS`): a time
-- written by hand with a fraction is rounded to the second when stored, so reading needs
-- no conversion per row (`date_trunc` on every time cost a second of the server's time
-- for y1's 5,000,000 run steps).
DO $$
DECLARE c record;
BEGIN
    FOR c IN
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND table_name IN ('procedures', 'steps', 'runs', 'run_steps', 'labels', 'procedure_labels', 'versions', 'schedules')
          AND data_type = 'timestamp without time zone'
          AND coalesce(datetime_precision, 6) <> 0
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE timestamp(0)', c.table_name, c.column_name);
    END LOOP;
END $$;
