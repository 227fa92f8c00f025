//! The JSON snapshot of a procedure kept in `versions.csv`.

use serde::{Deserialize, Serialize};

mod scan;

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
        asks(&self.kind, &self.options)
    }
}

/// A snapshot step's kind (a tick when unknown) and options (invalid ones read as none).
fn asks(kind: &str, options: &str) -> (super::StepKind, super::Options) {
    let kind = super::StepKind::parse(kind).unwrap_or_default();
    (kind, super::Options::parse(kind, options).unwrap_or_default())
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

/// What a snapshot's steps ask, read without keeping the rest: the same JSON is accepted
/// and refused as by [`Snapshot::parse`] (every field of the same type: texts are read and
/// dropped, not kept), but only step ids, kinds and options are kept. `stats` and the
/// value summaries judge values by their run's version: at y1 that is 25,000 snapshots,
/// 34 MB of JSON, whose texts were each copied into a `Snapshot` to be dropped.
#[derive(Deserialize)]
pub struct SnapshotAsks<'a> {
    #[serde(rename = "id")]
    _id: u32,
    #[serde(rename = "name")]
    _name: Text,
    #[serde(default, rename = "description")]
    _description: Text,
    #[serde(rename = "version")]
    _version: u32,
    #[serde(default, rename = "labels")]
    _labels: Vec<Text>,
    #[serde(default, borrow)]
    steps: Vec<StepAsks<'a>>,
}

#[derive(Deserialize)]
struct StepAsks<'a> {
    #[serde(default)]
    id: Option<u32>,
    #[serde(rename = "order")]
    _order: u32,
    #[serde(rename = "description")]
    _description: Text,
    #[serde(default, deserialize_with = "de_opt_secs", rename = "estimated_duration")]
    _estimated_duration: Option<u32>,
    #[serde(default, borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    options: std::borrow::Cow<'a, str>,
    #[serde(default, rename = "required")]
    _required: Option<bool>,
    #[serde(default, rename = "show_if")]
    _show_if: Text,
}

/// A JSON string, checked and dropped.
#[derive(Default)]
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        d.deserialize_str(V)
    }
}

impl<'a> SnapshotAsks<'a> {
    /// Read the JSON text of a snapshot (see the type).
    pub fn parse(json: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Each step with an id, and what it asks (as [`SnapshotStep::asks`] reads it).
    pub fn asks(&self) -> impl Iterator<Item = (u32, (super::StepKind, super::Options))> + '_ {
        self.steps.iter().filter_map(|st| Some((st.id?, asks(&st.kind, &st.options))))
    }
}

/// One step a version asks a value at: its id, kind and options.
pub type Ask = (u32, super::StepKind, super::Options);

/// What a version's steps ask, read from its snapshot once and kept with the row: the
/// load's check reads every snapshot anyway (to report one that does not parse), and
/// `stats` and the value analytics need them again (25,000 snapshots, 34 MB of JSON at
/// y1: ~90 ms of parsing each time). Only steps that record a value are kept (a few per
/// version). Empty until first asked; only [`Default`] makes one, so a row's cache can
/// only ever hold what its own snapshot says (a version's snapshot is never changed in
/// place: a new snapshot is a new row).
#[derive(Clone, Default)]
pub struct AsksOnce(std::sync::OnceLock<Result<std::sync::Arc<[Ask]>, Box<str>>>);

impl AsksOnce {
    /// The steps of `json` (the row's snapshot) that record a value, by id, as
    /// [`SnapshotAsks`] reads them (the last of a repeated id counts); or why the JSON
    /// is refused.
    pub fn of(&self, json: &str) -> Result<&std::sync::Arc<[Ask]>, &str> {
        let read = self.0.get_or_init(|| {
            // JSON as the app writes it in one quick scan; anything else through serde.
            let mut asks: Vec<Ask> = match scan::steps(json) {
                Some(steps) => steps
                    .into_iter()
                    .filter_map(|(id, kind, options)| {
                        let (kind, options) = asks(kind, options);
                        Some((id?, kind, options))
                    })
                    .collect(),
                None => {
                    let snap = SnapshotAsks::parse(json).map_err(|e| e.to_string().into_boxed_str())?;
                    snap.asks().map(|(id, (kind, options))| (id, kind, options)).collect()
                }
            };
            // By id, the last of a repeated id first (a stable sort of the reversed list),
            // then only that one.
            asks.reverse();
            asks.sort_by_key(|a| a.0);
            asks.dedup_by_key(|a| a.0);
            asks.retain(|a| a.1.has_value());
            Ok(asks.into())
        });
        read.as_ref().map_err(|e| &**e)
    }
}

/// A cache: rows compare by their snapshot text, not by whether it was read yet.
impl PartialEq for AsksOnce {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for AsksOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "AsksOnce(read)" } else { "AsksOnce(unread)" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asks_both_ways(json: &str) -> Option<Vec<(u32, (crate::model::StepKind, crate::model::Options))>> {
        let full = Snapshot::parse(json).map(|s| s.steps.iter().filter_map(|st| Some((st.id?, st.asks()))).collect());
        let light = SnapshotAsks::parse(json).map(|s| s.asks().collect::<Vec<_>>());
        let said = |e: serde_json::Error| e.to_string();
        // What a version row keeps: the steps that record a value, by id, the last of
        // a repeated id.
        let kept = light.as_ref().map_err(|e| e.to_string()).map(|asks| {
            let by_id: std::collections::BTreeMap<u32, _> = asks.iter().cloned().collect();
            by_id.into_iter().filter(|(_, (k, _))| k.has_value()).map(|(id, (k, o))| (id, k, o)).collect::<Vec<_>>()
        });
        let cache = AsksOnce::default();
        assert_eq!(cache.of(json).map(|a| a.to_vec()).map_err(str::to_owned), kept, "{json}");
        assert!(
            std::ptr::eq(
                cache.of(json).map_or(std::ptr::null(), |a| a.as_ptr()),
                cache.of(json).map_or(std::ptr::null(), |a| a.as_ptr())
            ),
            "read once"
        );
        assert_eq!(light.map_err(said), full.map_err(said), "{json}");
        SnapshotAsks::parse(json).ok().map(|s| s.asks().collect())
    }

    #[test]
    fn asks_are_read_as_the_whole_snapshot_reads_them() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut read = 0;
        for dir in ["pandas-written", "kitchen", "scheduled"] {
            let Ok(text) = std::fs::read_to_string(folder.join(dir).join("versions.csv")) else { continue };
            let mut rows = csv::Reader::from_reader(text.as_bytes());
            for row in rows.records() {
                let row = row.expect("a row of versions.csv");
                asks_both_ways(row.get(5).expect("procedure_snapshot"));
                read += 1;
            }
        }
        assert!(read > 3, "fixtures' snapshots read: {read}");
        let step = |rest: &str| {
            format!(r#"{{"id":1,"name":"N","version":2,"steps":[{{"id":7,"order":1,"description":"d"{rest}}}]}}"#)
        };
        let asks = asks_both_ways(&step(r#","kind":"number","options":"°C 0..5","estimated_duration":120.0"#));
        assert_eq!(asks.map(|a| a.len()), Some(1));
        asks_both_ways(&step(r#","kind":"choice","options":"Pass | Fail!","show_if":"","required":true"#));
        asks_both_ways(&step(r#","kind":"num\u0062er","options":"0..\"5\"","unknown":[1,{"a":null}]"#));
        // Repeated and falling ids: the last of an id counts, kept by id.
        let steps = r#"{"id":1,"name":"N","version":2,"steps":[
            {"id":9,"order":1,"description":"a","kind":"number","options":"kg"},
            {"id":3,"order":2,"description":"b","kind":"CHOICE","options":"Yes | No!"},
            {"id":9,"order":3,"description":"c","kind":"text"},
            {"id":5,"order":4,"description":"d"},
            {"id":3,"order":5,"description":"e"}]}"#;
        let cache = AsksOnce::default();
        let kept = cache.of(steps).map(|a| a.iter().map(|(id, k, _)| (*id, *k)).collect::<Vec<_>>());
        assert_eq!(kept, Ok(vec![(9, crate::model::StepKind::Text)]));
        asks_both_ways(steps);
        // Refused alike: a text where a number goes, a number where a text goes, no order.
        assert_eq!(asks_both_ways(&step(r#","kind":5"#)), None);
        assert_eq!(asks_both_ways(r#"{"id":1,"name":7,"version":2}"#), None);
        assert_eq!(asks_both_ways(r#"{"id":1,"name":"N","version":2,"steps":[{"id":1,"description":"d"}]}"#), None);
        assert_eq!(asks_both_ways(r#"{"id":1,"name":"N","version":2,"labels":["a",3]}"#), None);
        assert_eq!(asks_both_ways("not json"), None);
        // Accepted alike: defaults, nulls where options are allowed.
        let asks = asks_both_ways(
            r#"{"id":1,"name":"N","version":2,"steps":[{"order":1,"description":"no id","estimated_duration":null}]}"#,
        );
        assert_eq!(asks, Some(Vec::new()));
    }
}
