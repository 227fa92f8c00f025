//! The JSON snapshot of a procedure kept in `versions.csv`.

use serde::{Deserialize, Serialize};

/// A procedure as saved at one version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Procedure id.
    pub id: u32,
    /// Name at that version.
    pub name: String,
    /// Description at that version.
    #[serde(default)]
    pub description: String,
    /// Version number.
    pub version: u32,
    /// Label names.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Steps in order.
    #[serde(default)]
    pub steps: Vec<SnapshotStep>,
}

/// A step inside a [`Snapshot`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotStep {
    /// Step id (absent in snapshots written by the original design).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// 1-based position.
    pub order: u32,
    /// Text.
    pub description: String,
    /// Seconds, if known.
    #[serde(default, deserialize_with = "de_opt_secs")]
    pub estimated_duration: Option<u32>,
    /// `kind` as in steps.csv (only when set).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `options` (only when set).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub options: String,
    /// `required` (only when set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// `show_if` (only when set).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub show_if: String,
}

impl SnapshotStep {
    /// A step of steps.csv as a version stores it.
    pub fn of(s: &super::Step) -> Self {
        Self {
            id: Some(s.id.0),
            order: s.order,
            description: s.description.clone(),
            estimated_duration: s.estimated_duration_secs,
            kind: s.kind.as_str().to_owned(),
            options: s.options.clone(),
            required: s.required,
            show_if: s.show_if.clone(),
        }
    }

    /// The step's kind (a tick when unknown).
    pub fn step_kind(&self) -> super::StepKind {
        super::StepKind::parse(&self.kind).unwrap_or_default()
    }

    /// What the step asked: its kind and parsed options (invalid ones read as none).
    pub fn asks(&self) -> (super::StepKind, super::Options) {
        let kind = self.step_kind();
        (kind, super::Options::parse(kind, &self.options).unwrap_or_default())
    }
}

/// Accept `300`, `300.0` or `null`.
fn de_opt_secs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v: Option<f64> = Option::deserialize(d)?;
    Ok(v.filter(|f| f.is_finite() && *f >= 0.0).map(|f| f.round() as u32))
}

impl Snapshot {
    /// Parse the JSON text of a snapshot.
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The JSON text written to `versions.csv`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
