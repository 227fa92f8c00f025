-- The tables of a data folder (CONTRACT.md "Data folder"), one per CSV file, with the
-- same columns; ids are the folder's ids. `folder_files` remembers what a pushed
-- folder's files looked like (present or missing, which new columns they had), so
-- that pulling it gives the same files back.
CREATE TABLE procedures (
    id bigint PRIMARY KEY CHECK (id > 0 AND id < 4294967296),
    name text,
    description text,
    created_at timestamp,
    updated_at timestamp,
    version bigint
);
CREATE TABLE steps (
    id bigint PRIMARY KEY CHECK (id > 0 AND id < 4294967296),
    procedure_id bigint NOT NULL,
    "order" bigint NOT NULL,
    description text,
    estimated_duration bigint,
    kind text,
    options text,
    required boolean,
    show_if text
);
CREATE TABLE runs (
    id bigint PRIMARY KEY CHECK (id > 0 AND id < 4294967296),
    procedure_id bigint NOT NULL,
    start_time timestamp NOT NULL,
    end_time timestamp,
    status text,
    notes text,
    procedure_version bigint,
    started_by text,
    title text,
    scheduled_for timestamp
);
CREATE TABLE run_steps (
    id bigint PRIMARY KEY CHECK (id > 0 AND id < 4294967296),
    run_id bigint NOT NULL,
    step_id bigint NOT NULL,
    completed boolean NOT NULL,
    completed_at timestamp,
    notes text,
    value text,
    completed_by text
);
CREATE INDEX run_steps_run ON run_steps (run_id);
CREATE TABLE labels (
    id bigint PRIMARY KEY CHECK (id > 0 AND id < 4294967296),
    name text,
    color text
);
CREATE TABLE procedure_labels (
    procedure_id bigint NOT NULL,
    label_id bigint NOT NULL,
    PRIMARY KEY (procedure_id, label_id)
);
CREATE TABLE versions (
    id bigint PRIMARY KEY CHECK (id > 0 AND id < 4294967296),
    procedure_id bigint NOT NULL,
    version bigint NOT NULL,
    created_at timestamp,
    change_description text,
    procedure_snapshot text
);
CREATE TABLE folder_files (
    file text PRIMARY KEY,
    present boolean NOT NULL,
    new_columns integer NOT NULL
);
