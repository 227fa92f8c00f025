//! Differences between two versions of a procedure (two snapshots), step by step,
//! and the automatic change summary written with a new version.

use crate::model::{Snapshot, SnapshotStep, format_duration};

/// What happened to one step between two versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepChange {
    /// Only in the new version (index into the new steps).
    Added {
        /// Position in the new version (0-based).
        new: usize,
    },
    /// Only in the old version.
    Removed {
        /// Position in the old version (0-based).
        old: usize,
    },
    /// In both.
    Kept {
        /// Position in the old version.
        old: usize,
        /// Position in the new version.
        new: usize,
        /// The text changed.
        reworded: bool,
        /// It changed place relative to the other kept steps.
        moved: bool,
        /// The estimated duration changed.
        duration_changed: bool,
        /// What it asks changed: kind, options or required.
        asks_changed: bool,
        /// When it is needed changed (its "only if").
        condition_changed: bool,
    },
}

/// The differences between two versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotDiff {
    /// The name changed.
    pub renamed: bool,
    /// The description changed.
    pub description_changed: bool,
    /// Labels only in the new version.
    pub labels_added: Vec<String>,
    /// Labels only in the old version.
    pub labels_removed: Vec<String>,
    /// Every step of both versions, in new order, removed steps where they were.
    pub steps: Vec<StepChange>,
}

impl SnapshotDiff {
    /// Whether the two versions have the same content.
    pub fn is_empty(&self) -> bool {
        !self.renamed
            && !self.description_changed
            && self.labels_added.is_empty()
            && self.labels_removed.is_empty()
            && self.steps.iter().all(|c| {
                matches!(
                    c,
                    StepChange::Kept {
                        reworded: false,
                        moved: false,
                        duration_changed: false,
                        asks_changed: false,
                        condition_changed: false,
                        ..
                    }
                )
            })
    }
}

/// Pair the steps of two versions: by step id where both have ids, then by equal
/// text, then (for steps without ids) by position.
fn pair(old: &[SnapshotStep], new: &[SnapshotStep]) -> Vec<Option<usize>> {
    let mut new_to_old: Vec<Option<usize>> = vec![None; new.len()];
    let mut old_used = vec![false; old.len()];
    for (j, n) in new.iter().enumerate() {
        if let Some(id) = n.id
            && let Some(i) = old.iter().position(|o| o.id == Some(id))
            && !old_used[i]
        {
            new_to_old[j] = Some(i);
            old_used[i] = true;
        }
    }
    for (j, n) in new.iter().enumerate() {
        if new_to_old[j].is_some() || n.id.is_some_and(|id| old.iter().any(|o| o.id == Some(id))) {
            continue;
        }
        if let Some(i) =
            (0..old.len()).find(|i| !old_used[*i] && old[*i].id.is_none() && old[*i].description == n.description)
        {
            new_to_old[j] = Some(i);
            old_used[i] = true;
        }
    }
    // Steps without ids that are left: the k-th left-over new step was the k-th left-over old one.
    let mut left_old = (0..old.len()).filter(|i| !old_used[*i] && old[*i].id.is_none()).collect::<Vec<_>>().into_iter();
    for (j, n) in new.iter().enumerate() {
        if new_to_old[j].is_none() && n.id.is_none() {
            let Some(i) = left_old.next() else { break };
            new_to_old[j] = Some(i);
            old_used[i] = true;
        }
    }
    new_to_old
}

/// Indexes (into `seq`) of a longest strictly increasing subsequence.
fn longest_increasing(seq: &[usize]) -> Vec<usize> {
    let n = seq.len();
    let mut best = vec![1usize; n];
    let mut prev = vec![usize::MAX; n];
    for i in 0..n {
        for j in 0..i {
            if seq[j] < seq[i] && best[j] + 1 > best[i] {
                best[i] = best[j] + 1;
                prev[i] = j;
            }
        }
    }
    let Some(mut at) = (0..n).max_by_key(|i| (best[*i], usize::MAX - *i)) else { return Vec::new() };
    let mut out = vec![at];
    while prev[at] != usize::MAX {
        at = prev[at];
        out.push(at);
    }
    out.reverse();
    out
}

/// Compare two versions.
pub fn diff(old: &Snapshot, new: &Snapshot) -> SnapshotDiff {
    let new_to_old = pair(&old.steps, &new.steps);
    let kept: Vec<(usize, usize)> = new_to_old.iter().enumerate().filter_map(|(j, o)| o.map(|i| (i, j))).collect();
    let olds: Vec<usize> = kept.iter().map(|(i, _)| *i).collect();
    let stay: Vec<usize> = longest_increasing(&olds).into_iter().map(|k| kept[k].1).collect();
    let mut steps = Vec::new();
    let mut old_done = vec![false; old.steps.len()];
    for (j, o) in new_to_old.iter().enumerate() {
        match o {
            Some(i) => {
                // Removed steps that stood before this one go here, to keep the old order readable.
                for (r, done) in old_done.iter_mut().enumerate().take(*i) {
                    if !*done && !new_to_old.contains(&Some(r)) {
                        steps.push(StepChange::Removed { old: r });
                        *done = true;
                    }
                }
                old_done[*i] = true;
                let (a, b) = (&old.steps[*i], &new.steps[j]);
                steps.push(StepChange::Kept {
                    old: *i,
                    new: j,
                    reworded: a.description != b.description,
                    moved: !stay.contains(&j),
                    duration_changed: a.estimated_duration != b.estimated_duration,
                    asks_changed: (&a.kind, &a.options, a.required) != (&b.kind, &b.options, b.required),
                    condition_changed: a.show_if != b.show_if,
                });
            }
            None => steps.push(StepChange::Added { new: j }),
        }
    }
    for (r, done) in old_done.iter().enumerate() {
        if !*done && !new_to_old.contains(&Some(r)) {
            steps.push(StepChange::Removed { old: r });
        }
    }
    let labels_added = new.labels.iter().filter(|l| !old.labels.contains(l)).cloned().collect();
    let labels_removed = old.labels.iter().filter(|l| !new.labels.contains(l)).cloned().collect();
    SnapshotDiff {
        renamed: old.name != new.name,
        description_changed: old.description != new.description,
        labels_added,
        labels_removed,
        steps,
    }
}

/// "step 4", "steps 4–5", "steps 2, 4–6" for 0-based positions.
fn step_list(mut positions: Vec<usize>) -> String {
    positions.sort_unstable();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < positions.len() {
        let start = positions[i];
        let mut end = start;
        while i + 1 < positions.len() && positions[i + 1] == end + 1 {
            i += 1;
            end = positions[i];
        }
        parts.push(if start == end { format!("{}", start + 1) } else { format!("{}–{}", start + 1, end + 1) });
        i += 1;
    }
    let word = if positions.len() == 1 { "step" } else { "steps" };
    format!("{word} {}", parts.join(", "))
}

/// The automatic change description, e.g.
/// "renamed; added steps 4–5; reworded step 2; removed 1 step".
pub fn summary(d: &SnapshotDiff, old: &Snapshot, new: &Snapshot) -> String {
    let mut parts = Vec::new();
    if d.renamed {
        parts.push("renamed".to_owned());
    }
    if d.description_changed {
        parts.push("changed the description".to_owned());
    }
    let pick = |f: &dyn Fn(&StepChange) -> Option<usize>| d.steps.iter().filter_map(f).collect::<Vec<usize>>();
    let added = pick(&|c| match c {
        StepChange::Added { new } => Some(*new),
        _ => None,
    });
    let reworded = pick(&|c| match c {
        StepChange::Kept { new, reworded: true, .. } => Some(*new),
        _ => None,
    });
    // Moves say which step went where ("moved step 10 to 8"): the new position alone
    // names a step the user did not touch (#19.11).
    let moved: Vec<(usize, usize)> = d
        .steps
        .iter()
        .filter_map(|c| match c {
            StepChange::Kept { old, new, moved: true, .. } => Some((*old, *new)),
            _ => None,
        })
        .collect();
    let retimed: Vec<usize> = pick(&|c| match c {
        StepChange::Kept { new, duration_changed: true, .. } => Some(*new),
        _ => None,
    });
    let asks = pick(&|c| match c {
        StepChange::Kept { new, asks_changed: true, .. } => Some(*new),
        _ => None,
    });
    let conditions = pick(&|c| match c {
        StepChange::Kept { new, condition_changed: true, .. } => Some(*new),
        _ => None,
    });
    let removed = d.steps.iter().filter(|c| matches!(c, StepChange::Removed { .. })).count();
    if !added.is_empty() {
        parts.push(format!("added {}", step_list(added)));
    }
    if !reworded.is_empty() {
        parts.push(format!("reworded {}", step_list(reworded)));
    }
    if !moved.is_empty() {
        let each: Vec<String> = moved.iter().map(|(o, n)| format!("{} to {}", o + 1, n + 1)).collect();
        let word = if moved.len() == 1 { "step" } else { "steps" };
        parts.push(format!("moved {word} {}", each.join(", ")));
    }
    if !retimed.is_empty() {
        if let [one] = retimed.as_slice() {
            let secs =
                |s: &SnapshotStep| s.estimated_duration.map_or("none".to_owned(), |v| format_duration(i64::from(v)));
            let before = d.steps.iter().find_map(|c| match c {
                StepChange::Kept { old: o, new: n, .. } if *n == *one => Some(*o),
                _ => None,
            });
            match before {
                Some(o) => parts.push(format!(
                    "changed the duration of step {} from {} to {}",
                    one + 1,
                    secs(&old.steps[o]),
                    secs(&new.steps[*one])
                )),
                None => parts.push(format!("changed the duration of step {}", one + 1)),
            }
        } else {
            parts.push(format!("changed the durations of {}", step_list(retimed)));
        }
    }
    if !asks.is_empty() {
        parts.push(format!("changed what {} asks", step_list(asks)));
    }
    if !conditions.is_empty() {
        parts.push(format!("changed when {} is needed", step_list(conditions)));
    }
    if removed > 0 {
        parts.push(format!("removed {removed} step{}", if removed == 1 { "" } else { "s" }));
    }
    for l in &d.labels_added {
        parts.push(format!("labelled {l}"));
    }
    for l in &d.labels_removed {
        parts.push(format!("unlabelled {l}"));
    }
    if parts.is_empty() { "no changes".to_owned() } else { parts.join("; ") }
}

/// One word of a word-level diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Word {
    /// In both texts.
    Same(String),
    /// Only in the old text.
    Old(String),
    /// Only in the new text.
    New(String),
}

/// Word-level diff of two texts (longest common subsequence of words).
pub fn word_diff(old: &str, new: &str) -> Vec<Word> {
    let a: Vec<&str> = old.split_whitespace().collect();
    let b: Vec<&str> = new.split_whitespace().collect();
    let (n, m) = (a.len(), b.len());
    // Texts of steps are short; an O(n·m) table is fine.
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Word::Same(a[i].to_owned()));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(Word::New(b[j].to_owned()));
            j += 1;
        } else {
            out.push(Word::Old(a[i].to_owned()));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(steps: &[(u32, &str, Option<u32>)]) -> Snapshot {
        Snapshot {
            id: 1,
            name: "P".into(),
            version: 1,
            steps: steps
                .iter()
                .enumerate()
                .map(|(i, (id, d, e))| SnapshotStep {
                    id: Some(*id),
                    order: i as u32 + 1,
                    description: (*d).into(),
                    estimated_duration: *e,
                    ..SnapshotStep::default()
                })
                .collect(),
            ..Snapshot::default()
        }
    }

    #[test]
    fn add_remove_reword_move_duration() {
        let a = snap(&[(1, "a", None), (2, "b", Some(60)), (3, "c", None), (4, "d", None)]);
        let mut b = snap(&[(3, "c", None), (1, "a", None), (2, "b b", Some(90)), (5, "e", None), (6, "f", None)]);
        b.name = "Q".into();
        let d = diff(&a, &b);
        assert!(d.renamed);
        assert_eq!(d.steps.iter().filter(|c| matches!(c, StepChange::Removed { old: 3 })).count(), 1);
        assert!(d.steps.contains(&StepChange::Added { new: 3 }));
        assert!(d.steps.contains(&StepChange::Kept {
            old: 2,
            new: 0,
            reworded: false,
            moved: true,
            duration_changed: false,
            asks_changed: false,
            condition_changed: false
        }));
        assert!(d.steps.contains(&StepChange::Kept {
            old: 1,
            new: 2,
            reworded: true,
            moved: false,
            duration_changed: true,
            asks_changed: false,
            condition_changed: false
        }));
        assert_eq!(
            summary(&d, &a, &b),
            "renamed; added steps 4–5; reworded step 3; moved step 3 to 1; changed the duration of step 3 from 1m to 1m30s; removed 1 step"
        );
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn words() {
        assert_eq!(
            word_diff("check the oil level", "check oil level twice"),
            vec![
                Word::Same("check".into()),
                Word::Old("the".into()),
                Word::Same("oil".into()),
                Word::Same("level".into()),
                Word::New("twice".into())
            ]
        );
    }

    #[test]
    fn steps_without_ids_pair_by_text_then_position() {
        let mut a = snap(&[(1, "x", None), (2, "y", None)]);
        let mut b = snap(&[(1, "y", None), (2, "x2", None)]);
        a.steps.iter_mut().for_each(|s| s.id = None);
        b.steps.iter_mut().for_each(|s| s.id = None);
        let d = diff(&a, &b);
        assert_eq!(summary(&d, &a, &b), "reworded step 2; moved step 1 to 2");
    }

    #[test]
    fn the_step_the_user_moved_is_the_one_reported() {
        let texts: Vec<String> = (1..=10).map(|i| format!("step {i}")).collect();
        let rows: Vec<(u32, &str, Option<u32>)> = (0..10).map(|i| (i as u32 + 1, texts[i].as_str(), None)).collect();
        let a = snap(&rows);
        let mut moved = rows.clone();
        let ten = moved.remove(9);
        moved.insert(7, ten);
        let b = snap(&moved);
        let d = diff(&a, &b);
        let flagged: Vec<(usize, usize)> = d
            .steps
            .iter()
            .filter_map(|c| match c {
                StepChange::Kept { old, new, moved: true, .. } => Some((*old, *new)),
                _ => None,
            })
            .collect();
        assert_eq!(flagged, vec![(9, 7)], "step 10 moved to position 8");
        assert_eq!(summary(&d, &a, &b), "moved step 10 to 8");
    }
}
