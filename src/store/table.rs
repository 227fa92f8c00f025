//! An id-sorted table of rows, shared cheaply with the writer thread.

use crate::model::Row;
use std::sync::Arc;

/// Row positions by id, made by [`Table::positions`].
pub struct Positions<'a, R> {
    table: &'a Table<R>,
    dense: Option<Vec<u32>>,
}

impl<R: Row + Clone> Positions<'_, R> {
    /// Position of the row with this id.
    pub fn get(&self, id: u64) -> Option<usize> {
        match &self.dense {
            Some(at) => {
                usize::try_from(id).ok().and_then(|i| at.get(i)).filter(|i| **i != u32::MAX).map(|i| *i as usize)
            }
            None => self.table.position(id),
        }
    }
}

/// Rows sorted by id, plus the names of unknown columns kept from the file.
///
/// Rows sit behind an `Arc` so that saving can hand a snapshot to the writer thread
/// in O(1); a mutation while the writer still holds it copies the rows once.
#[derive(Clone, Debug)]
pub struct Table<R> {
    rows: Arc<Vec<R>>,
    /// Headers of columns this app does not know, in file order.
    pub extra_columns: Arc<Vec<String>>,
    /// The first row position changed since the last save (rows after it may have
    /// moved too); `None` when unchanged. A save writes from here.
    dirty_from: Option<usize>,
    /// Rows were removed since the last save (the save then writes child tables first).
    removed: bool,
    /// Which of the table's new columns its file has (see `Schema::NEW`): set from the
    /// header read, grown when a row needs one; never shrinks.
    pub new_columns: u8,
    /// The ids of the rows changed or added since the last save (at most
    /// [`TOUCHED_MAX`]; `None` when more): which rows may need a new column, without
    /// scanning every row after the first change (a tick early in a big table).
    touched: Option<Vec<u64>>,
    /// Every row inserted, changed or removed since [`Table::take_row_changes`], by key,
    /// in the order it happened: what a database writes (rows, not files).
    changes: Vec<(u64, RowChange)>,
    /// Ids reserved for this client by a team database (`None`: a folder, max + 1).
    id_block: Option<IdBlock>,
}

/// What happened to one row (see [`Table::take_row_changes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowChange {
    /// A new row.
    Inserted,
    /// A row that was there before, changed.
    Updated,
    /// A row that was there before, removed.
    Deleted,
}

/// A run of ids a team database reserved for this client: `next..end` are still free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IdBlock {
    next: u64,
    end: u64,
}

/// How many changed rows a table remembers by id (see `Table::touched`).
const TOUCHED_MAX: usize = 256;

impl<R> Default for Table<R> {
    fn default() -> Self {
        Self {
            rows: Arc::default(),
            extra_columns: Arc::default(),
            dirty_from: None,
            removed: false,
            new_columns: 0,
            touched: Some(Vec::new()),
            changes: Vec::new(),
            id_block: None,
        }
    }
}

impl<R: Row + Clone> Table<R> {
    /// A table from rows already sorted by id without duplicates.
    pub fn from_sorted(rows: Vec<R>, extra_columns: Vec<String>) -> Self {
        debug_assert!(rows.windows(2).all(|w| w[0].key() < w[1].key()));
        Self {
            rows: Arc::new(rows),
            extra_columns: Arc::new(extra_columns),
            dirty_from: None,
            removed: false,
            new_columns: 0,
            // Rows made in memory: which new columns they need is not known yet (the
            // first save looks at all of them).
            touched: None,
            changes: Vec::new(),
            id_block: None,
        }
    }

    /// This table as read from a file with these new columns (which its rows need is
    /// then known: no more than the file has).
    #[must_use]
    pub fn with_new_columns(mut self, mask: u8) -> Self {
        self.new_columns = mask;
        self.touched = Some(Vec::new());
        self
    }

    fn touch(&mut self, at: usize) {
        self.dirty_from = Some(self.dirty_from.map_or(at, |d| d.min(at)));
    }

    /// Remember a changed or added row by id (see `touched`).
    fn touch_id(&mut self, id: u64) {
        if let Some(ids) = &mut self.touched {
            if ids.len() < TOUCHED_MAX {
                ids.push(id);
            } else {
                self.touched = None;
            }
        }
    }

    /// Where the rows changed since the last call (and forget it).
    pub fn take_dirty_from(&mut self) -> Option<usize> {
        self.dirty_from.take()
    }

    /// `f` folded (with `|`) over the rows changed or added since the last call, when they
    /// are few (`None`: look at every row from [`Table::take_dirty_from`] on); forgets them.
    pub fn take_touched(&mut self, f: impl Fn(&R) -> u8) -> Option<u8> {
        let ids = self.touched.replace(Vec::new())?;
        Some(ids.into_iter().filter_map(|id| self.position(id)).fold(0, |m, i| m | f(&self.rows[i])))
    }

    /// Count rows as removed (the next save writes children first).
    pub fn mark_removed(&mut self) {
        self.removed = true;
    }

    /// Whether rows were removed since the last call (and forget it).
    pub fn take_removed(&mut self) -> bool {
        std::mem::take(&mut self.removed)
    }

    /// Count every row as changed (the next save rewrites the whole file).
    pub fn touch_all(&mut self) {
        self.dirty_from = Some(0);
    }

    /// All rows, in id order.
    pub fn rows(&self) -> &[R] {
        &self.rows
    }

    /// A cheap shared handle to the rows (for the writer).
    pub fn shared(&self) -> Arc<Vec<R>> {
        Arc::clone(&self.rows)
    }

    /// A copy of the rows from `from` on (for a tail write).
    pub fn tail(&self, from: usize) -> Arc<Vec<R>> {
        Arc::new(self.rows.get(from..).map(<[R]>::to_vec).unwrap_or_default())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Position of the row with this id.
    pub fn position(&self, id: u64) -> Option<usize> {
        // Ids are mostly dense from 1 (max + 1 each): row `id - 1` is the usual answer,
        // one read instead of a binary search that misses the cache at every step.
        if let Some(i) = usize::try_from(id).ok().and_then(|i| i.checked_sub(1))
            && self.rows.get(i).is_some_and(|r| r.key() == id)
        {
            return Some(i);
        }
        self.rows.binary_search_by_key(&id, Row::key).ok()
    }

    /// Positions by id for many lookups in a row (a pass over another big table): a
    /// table indexed by id when the ids are dense, else [`Table::position`] each. A
    /// binary search per run of 5,000,000 missed the cache each time (2.4 s at 10y1).
    pub fn positions(&self) -> Positions<'_, R> {
        let top = self.rows.last().map_or(0, Row::key);
        let dense = usize::try_from(top).ok().filter(|t| *t <= 4 * self.rows.len() + 1024).map(|top| {
            let mut at = vec![u32::MAX; top + 1];
            for (i, r) in self.rows.iter().enumerate() {
                at[r.key() as usize] = i as u32;
            }
            at
        });
        Positions { table: self, dense }
    }

    /// The row with this id.
    pub fn get(&self, id: u64) -> Option<&R> {
        self.position(id).map(|i| &self.rows[i])
    }

    /// The row with this id, to change it.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut R> {
        let i = self.position(id)?;
        self.touch(i);
        self.touch_id(id);
        self.changes.push((id, RowChange::Updated));
        Some(&mut Arc::make_mut(&mut self.rows)[i])
    }

    /// The first of `count` ids for new rows, or `None` when they would pass the largest
    /// id there can be (`u32::MAX`): ids are never wrapped or reused. In a folder they
    /// are max + 1 on; in a team database they come from the block the server reserved
    /// for this client (`None` when it has fewer left: see [`Table::ids_left`]).
    pub fn new_ids(&self, count: usize) -> Option<u32> {
        if let Some(block) = self.id_block {
            let last = block.next + (count as u64).saturating_sub(1);
            return (last < block.end && last <= u64::from(u32::MAX)).then(|| u32::try_from(block.next).ok()).flatten();
        }
        let first = self.rows.last().map_or(1, |r| r.key() + 1);
        let last = first + (count as u64).saturating_sub(1);
        (last <= u64::from(u32::MAX)).then(|| u32::try_from(first).ok()).flatten()
    }

    /// Ids left in the block a team database reserved (`None`: ids are max + 1).
    pub fn ids_left(&self) -> Option<u64> {
        self.id_block.map(|b| b.end - b.next)
    }

    /// Take ids from `first..end` (reserved for this client by a team database) from now on.
    pub fn set_id_block(&mut self, first: u64, end: u64) {
        self.id_block = Some(IdBlock { next: first, end: end.max(first) });
    }

    /// The rows inserted, changed or removed since the last call, one entry per key in
    /// key order (a row added and removed again is not there; one removed and added
    /// again is `Updated`); forgets them.
    pub fn take_row_changes(&mut self) -> Vec<(u64, RowChange)> {
        let mut log = std::mem::take(&mut self.changes);
        // Stable: per key, the first and the last thing that happened stay in order.
        log.sort_by_key(|(k, _)| *k);
        let mut out: Vec<(u64, RowChange)> = Vec::new();
        let mut i = 0;
        while i < log.len() {
            let key = log[i].0;
            let first = log[i].1;
            let mut last = first;
            while i < log.len() && log[i].0 == key {
                last = log[i].1;
                i += 1;
            }
            let (before, after) = (first != RowChange::Inserted, last != RowChange::Deleted);
            match (before, after) {
                (false, true) => out.push((key, RowChange::Inserted)),
                (true, true) => out.push((key, RowChange::Updated)),
                (true, false) => out.push((key, RowChange::Deleted)),
                (false, false) => {}
            }
        }
        out
    }

    /// Add a row (its id must be new; a row with its id is replaced).
    pub fn insert(&mut self, row: R) {
        let (at, existed) = match self.rows.binary_search_by_key(&row.key(), Row::key) {
            Ok(i) => (i, true),
            Err(i) => (i, false),
        };
        self.touch(at);
        self.touch_id(row.key());
        self.changes.push((row.key(), if existed { RowChange::Updated } else { RowChange::Inserted }));
        if let Some(block) = &mut self.id_block
            && (block.next..block.end).contains(&row.key())
        {
            block.next = row.key() + 1;
        }
        let rows = Arc::make_mut(&mut self.rows);
        match rows.binary_search_by_key(&row.key(), Row::key) {
            Ok(i) => rows[i] = row,
            Err(i) => rows.insert(i, row),
        }
    }

    /// Rows as another client wrote them (a team database's change feed): each of `rows`
    /// replaces the row with its key or is added, each key of `gone` is removed. Not
    /// logged as this client's changes (they are not sent back). Returns, per key that
    /// changed here, the row before and after (a row equal to the one here is skipped).
    pub fn apply_remote(&mut self, rows: Vec<R>, gone: &[u64]) -> Vec<(Option<R>, Option<R>)>
    where
        R: PartialEq,
    {
        let mut out = Vec::new();
        for row in rows {
            let key = row.key();
            let now = self.rows.binary_search_by_key(&key, Row::key);
            if let Ok(i) = now
                && self.rows[i] == row
            {
                continue;
            }
            let table = Arc::make_mut(&mut self.rows);
            match now {
                Ok(i) => out.push((Some(std::mem::replace(&mut table[i], row.clone())), Some(row))),
                Err(i) => {
                    table.insert(i, row.clone());
                    out.push((None, Some(row)));
                }
            }
        }
        for key in gone {
            if let Ok(i) = self.rows.binary_search_by_key(key, Row::key) {
                out.push((Some(Arc::make_mut(&mut self.rows).remove(i)), None));
            }
        }
        out
    }

    /// Remove every row for which `remove` is true; returns how many.
    pub fn remove_where(&mut self, mut remove: impl FnMut(&R) -> bool) -> usize {
        let Some(first) = self.rows.iter().position(&mut remove) else {
            return 0;
        };
        self.touch(first);
        self.removed = true;
        let rows = Arc::make_mut(&mut self.rows);
        let before = rows.len();
        let mut gone = Vec::new();
        rows.retain(|r| {
            let drop = remove(r);
            if drop {
                gone.push((r.key(), RowChange::Deleted));
            }
            !drop
        });
        self.changes.append(&mut gone);
        before - rows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Table;
    use crate::model::{Label, LabelId};

    fn labels(ids: &[u32]) -> Table<Label> {
        let mut t = Table::default();
        for &id in ids {
            t.insert(Label {
                id: LabelId(id),
                name: format!("l{id}"),
                color: "#000000".into(),
                extra: Default::default(),
            });
        }
        t
    }

    #[test]
    fn row_changes_say_once_per_key_what_the_database_must_do() {
        use super::RowChange::*;
        let mut t = labels(&[1, 2, 3]);
        t.take_row_changes();
        t.get_mut(2).unwrap().name = "two".into();
        t.get_mut(2).unwrap().name = "zwei".into();
        t.insert(labels(&[4]).rows()[0].clone());
        t.insert(labels(&[5]).rows()[0].clone());
        t.remove_where(|l| l.id.0 == 5 || l.id.0 == 3);
        t.remove_where(|l| l.id.0 == 1);
        t.insert(labels(&[1]).rows()[0].clone());
        assert_eq!(t.take_row_changes(), vec![(1, Updated), (2, Updated), (3, Deleted), (4, Inserted)]);
        assert_eq!(t.take_row_changes(), vec![]);
    }

    #[test]
    fn ids_come_from_the_reserved_block_and_run_out_there() {
        let mut t = labels(&[1, 2, 3]);
        assert_eq!(t.new_ids(2), Some(4));
        assert_eq!(t.ids_left(), None);
        t.set_id_block(1000, 1003);
        assert_eq!(t.new_ids(1), Some(1000));
        assert_eq!(t.new_ids(3), Some(1000));
        assert_eq!(t.new_ids(4), None, "more than the block holds");
        t.insert(labels(&[1000]).rows()[0].clone());
        assert_eq!((t.new_ids(1), t.ids_left()), (Some(1001), Some(2)));
        t.insert(labels(&[1001]).rows()[0].clone());
        t.insert(labels(&[1002]).rows()[0].clone());
        assert_eq!((t.new_ids(1), t.ids_left()), (None, Some(0)));
    }

    #[test]
    fn positions_agree_with_position_dense_or_sparse() {
        for ids in [&[1, 2, 3, 5, 8, 13][..], &[2, 7, 4_000_000_000][..], &[][..]] {
            let t = labels(ids);
            let at = t.positions();
            for id in [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 14, 4_000_000_000, u64::MAX] {
                assert_eq!(at.get(id), t.position(id), "{ids:?} {id}");
            }
        }
    }
}
