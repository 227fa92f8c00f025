//! Typed row ids. Ids are positive integers; a new id is `max + 1` of its table.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<u32> for $name {
            fn from(v: u32) -> Self {
                Self(v)
            }
        }

        impl From<$name> for u64 {
            fn from(v: $name) -> u64 {
                u64::from(v.0)
            }
        }
    };
}

id_type!(
    /// Id of a row of `procedures.csv`.
    ProcedureId
);
id_type!(
    /// Id of a row of `steps.csv`.
    StepId
);
id_type!(
    /// Id of a row of `runs.csv`.
    RunId
);
id_type!(
    /// Id of a row of `run_steps.csv`.
    RunStepId
);
id_type!(
    /// Id of a row of `labels.csv`.
    LabelId
);
id_type!(
    /// Id of a row of `versions.csv`.
    VersionId
);
id_type!(
    /// Id of a row of `schedules.csv`.
    ScheduleId
);
