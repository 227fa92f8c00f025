//! The words of generated folders: procedure templates with their steps, labels,
//! variants, notes, people and number ranges.

pub(super) struct Template {
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    pub(super) labels: &'static [&'static str],
    /// Step text and estimated seconds.
    pub(super) steps: &'static [(&'static str, u32)],
}

pub(super) const LABELS: &[(&str, &str)] = &[
    ("daily", "#3cb44b"),
    ("weekly", "#4363d8"),
    ("monthly", "#911eb4"),
    ("it", "#42d4f4"),
    ("finance", "#f58231"),
    ("kitchen", "#e6194b"),
    ("safety", "#ffe119"),
    ("hr", "#f032e6"),
    ("aviation", "#469990"),
];

pub(super) const TEMPLATES: &[Template] = &[
    Template {
        name: "Weekly server patching",
        description: "Patch the web and API fleet during the Tuesday maintenance window.",
        labels: &["weekly", "it"],
        steps: &[
            ("Announce the maintenance window in #ops", 120),
            ("Snapshot all VMs", 600),
            ("Drain node from the load balancer", 180),
            ("Apply OS updates (apt upgrade)", 900),
            ("Reboot and verify services come back", 600),
            ("Re-enable node in the load balancer", 120),
            ("Check error rates on the dashboard", 300),
            ("Close the change ticket", 120),
        ],
    },
    Template {
        name: "Month-end close",
        description: "Close the books for the month, in order, with sign-off.",
        labels: &["monthly", "finance"],
        steps: &[
            ("Reconcile bank accounts", 3600),
            ("Post accruals and prepayments", 2700),
            ("Review open purchase orders", 1800),
            ("Run depreciation", 900),
            ("Reconcile intercompany balances", 2400),
            ("Review P&L against budget, explain variances > 5%", 3600),
            ("Lock the period in the ledger", 300),
            ("Send the close pack to the CFO", 600),
        ],
    },
    Template {
        name: "Kitchen opening",
        description: "Before the first cover: safety, temperatures, mise en place.",
        labels: &["daily", "kitchen", "safety"],
        steps: &[
            ("Turn on hoods and check extraction", 60),
            ("Record fridge and freezer temperatures", 300),
            ("Check deliveries against the order, \"use by\" dates", 900),
            ("Sanitize prep surfaces", 600),
            ("Light grills and ovens", 300),
            ("Prep mise en place for the lunch menu", 3600),
            ("Taste sauces and stocks", 600),
            ("Brief the team on specials and allergens", 600),
        ],
    },
    Template {
        name: "Preflight check (C172)",
        description: "Walk-around and cockpit checks before every flight.",
        labels: &["aviation", "safety"],
        steps: &[
            ("Documents on board: AROW", 60),
            ("Master on, check fuel gauges, flaps down, master off", 120),
            ("Inspect left wing, aileron and flap", 180),
            ("Check fuel quantity visually and sump all drains", 300),
            ("Inspect engine: oil 6–8 qt, no leaks", 240),
            ("Propeller and spinner: no nicks, secure", 60),
            ("Inspect right wing, aileron and flap", 180),
            ("Empennage: control surfaces free and correct", 120),
            ("Pitot cover removed, static ports clear", 60),
        ],
    },
    Template {
        name: "New hire onboarding",
        description: "First day for a new team member.",
        labels: &["hr"],
        steps: &[
            ("Create accounts (email, chat, SSO)", 1200),
            ("Hand over laptop and badge", 600),
            ("Walk through the handbook and policies", 2700),
            ("Set up payroll and benefits", 1800),
            ("Introduce to the team and buddy", 1800),
            ("Schedule 30/60/90-day check-ins", 600),
        ],
    },
    Template {
        name: "Database backup restore test",
        description: "Prove the backups restore, every week.",
        labels: &["weekly", "it"],
        steps: &[
            ("Pick last night's backup", 120),
            ("Restore to the scratch instance", 2400),
            ("Run row-count checks against production", 900),
            ("Run the application smoke tests", 1200),
            ("Record restore time in the log", 120),
            ("Destroy the scratch instance", 300),
        ],
    },
    Template {
        name: "Kitchen closing",
        description: "End of service: clean down, store, secure.",
        labels: &["daily", "kitchen", "safety"],
        steps: &[
            ("Label, date and store all prepped food", 900),
            ("Record closing fridge temperatures", 300),
            ("Deep clean the grill and fryer", 1800),
            ("Mop floors and empty bins", 1200),
            ("Turn off gas and equipment", 180),
            ("Lock up and set the alarm", 120),
        ],
    },
    Template {
        name: "Payroll run",
        description: "Bi-weekly payroll, from timesheets to payment.",
        labels: &["finance", "hr"],
        steps: &[
            ("Collect and approve timesheets", 2700),
            ("Import hours into payroll", 900),
            ("Review overtime and exceptions", 1800),
            ("Preview and check totals against last run", 1200),
            ("Approve and submit payment file", 600),
            ("File payroll taxes", 900),
            ("Send payslips", 300),
        ],
    },
    Template {
        name: "Fire safety walk-through",
        description: "Monthly check of extinguishers, exits and alarms.",
        labels: &["monthly", "safety"],
        steps: &[
            ("Check extinguisher pressure gauges and tags", 900),
            ("Test the fire alarm panel", 600),
            ("Walk every exit route, doors unobstructed", 1200),
            ("Check emergency lighting", 600),
            ("Log results and raise defects", 600),
        ],
    },
    Template {
        name: "Release deployment",
        description: "Ship a tagged release to production.",
        labels: &["it"],
        steps: &[
            ("Freeze merges to main", 60),
            ("Tag the release and build artifacts", 900),
            ("Deploy to staging and run smoke tests", 1800),
            ("Get sign-off from QA", 1200),
            ("Deploy to production (canary 10%)", 900),
            ("Watch metrics for 15 minutes", 900),
            ("Roll out to 100%", 600),
            ("Post release notes", 300),
        ],
    },
    Template {
        name: "Quarterly access review",
        description: "Remove access nobody needs anymore.",
        labels: &["it", "safety"],
        steps: &[
            ("Export user lists from every system", 1800),
            ("Send lists to team leads for review", 600),
            ("Remove access marked for removal", 2400),
            ("Archive evidence for the auditors", 900),
        ],
    },
];

pub(super) const VARIANTS: &[&str] = &[
    "Berlin",
    "Lisbon",
    "Austin",
    "Osaka",
    "Nairobi",
    "Toronto",
    "Lyon",
    "Perth",
    "Oslo",
    "Denver",
    "Team A",
    "Team B",
    "night shift",
    "weekend",
];
pub(super) const EXTRA_STEPS: &[&str] = &[
    "Double-check the previous step with a colleague",
    "Take a photo for the log",
    "Update the status board",
    "Notify the on-call lead",
    "Sign the checklist",
];
pub(super) const STEP_NOTES: &[&str] = &[
    "took longer, waited for vendor",
    "ok",
    "replaced filter, logged",
    "needed a second attempt",
    "value 4.2, within range",
    "skipped check, see ticket",
];
pub(super) const RUN_NOTES: &[&str] =
    &["smooth", "new team member shadowing", "interrupted by a call, resumed", "ran late"];
pub(super) const CANCEL_NOTES: &[&str] =
    &["cancelled: blocked by outage", "cancelled: wrong day", "cancelled: missing part"];

/// The people who run procedures in generated folders.
pub(super) const PEOPLE: &[&str] = &[
    "Ana Chef",
    "Ben Ops",
    "Chloe Lee",
    "Dev Patel",
    "Eve Martin",
    "Farid Khan",
    "Grace Kim",
    "Hugo Silva",
    "Ines Dubois",
    "Jon Berg",
    "Kai Moreau",
    "Lena Novak",
];

/// Units and ranges of generated number steps.
pub(super) const NUMBER_OPTIONS: &[&str] = &["°C 0..5", "min ..30", "% ..1", "qt 6..8", "kg 20..25", "bar 2..3"];
