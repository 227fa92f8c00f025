-- Teams, stage 3 (issue #32), first step: each change set a client sends carries an id
-- it made, recorded here in the same transaction as its rows. A set sent again (after a
-- lost answer, a crash, a reconnect) whose id is here was applied already: the client's
-- writer then writes nothing, so a replay applies every change exactly once.
CREATE TABLE applied_ops (
    op_id text PRIMARY KEY CHECK (op_id <> ''),
    applied_at timestamp(0) NOT NULL DEFAULT localtimestamp,
    applied_by text NOT NULL DEFAULT current_user
);
GRANT SELECT, INSERT ON applied_ops TO PUBLIC;
