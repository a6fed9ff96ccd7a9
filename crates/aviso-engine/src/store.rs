//! The local store: notifications, read state, the catch-up cursor per account, and the
//! outbox of mark-read operations not yet confirmed by the server. SQLite, one file.
//!
//! The connection sits behind a `std::sync::Mutex`, not a Tokio one, for the reason
//! mini-redis gives for its `Db`: every critical section is a short synchronous SQLite call
//! that never crosses an `.await`, so an async mutex would only add overhead. Batches
//! (a catch-up page, the frames of a burst) run in one transaction, which is what makes
//! bursts cheap. Several processes may share the file (the desktop app and
//! `aviso-cli unread`): WAL mode lets readers run beside the writer, and a busy timeout
//! absorbs short write contention.
//!
//! - **Checkpoints off the hot path.** A commit in WAL mode with `synchronous = NORMAL`
//!   never waits for the disk; a checkpoint does (it syncs). SQLite runs checkpoints inside
//!   the commit that crosses the threshold, so a burst would stall on a sync now and then;
//!   here a background thread checkpoints instead, on a connection of its own.
//! - **Mark all read is a watermark.** "Everything stored up to now is read" is one row
//!   (`read_marks`), whatever the number of notifications; the rows themselves are folded
//!   later, in small steps ([`Store::settle_read_marks`]). Unread means
//!   `read = 0 AND rowid > the account's mark`; rowids only grow (the table is never
//!   vacuumed), so notifications stored after the click stay unread.
//! - **An unwritable disk loses nothing.** When a write fails (disk full, read-only data
//!   directory, I/O error), the batch is kept in memory, still de-duplicated, listed and
//!   counted, and written with the next write that succeeds ([`Store::retry_held`]).
//! - **Snoozed notifications** (`snoozes`: until when, per notification) leave the unread
//!   count and the unread list until their time, whether or not anything runs then; the
//!   row stays until the embedder's policy has announced the return ([`Store::unsnooze`]),
//!   so a return due while nothing ran is still toasted at the next start. They stay in the
//!   full list, and `unread_ids` (what is compared with the server) still holds them.
//!   Marking one read drops its snooze.
//! - **Migrations** are numbered by SQLite's `user_version`; an older file is upgraded in
//!   place when opened ([`migrate`]).
//! - **A corrupt file is moved aside** (`aviso.db.corrupt-<unix time>`) and a new one is
//!   created; the catch-up then refills it from the server, since the cursor went with it.
//! - **Search** ([`Store::search`]) is an FTS5 index kept in step by triggers; see
//!   [`search`] for the tokenizer, the highlights and the order.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction};

use crate::frame::time_micros;
use crate::model::Notification;

pub mod search;
pub use search::{segments, SearchHit, SearchQuery, Segment};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS notifications (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT,
    created_at TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    read INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS notifications_order ON notifications (created_us DESC, id DESC);
CREATE TABLE IF NOT EXISTS read_marks (
    account TEXT PRIMARY KEY,
    upto INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (
    account TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    etag TEXT
);
-- The last SSE event id per account and channel ('' without channels), sent back as
-- Last-Event-ID. Beside `cursors`, not in it: the cursor is the REST position and only REST
-- answers move it; this is the stream's position, moved by pushed events.
CREATE TABLE IF NOT EXISTS event_ids (
    account TEXT NOT NULL,
    channel TEXT NOT NULL,
    last_id TEXT NOT NULL,
    PRIMARY KEY (account, channel)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    op TEXT NOT NULL,
    target TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
";

/// Schema upgrades, in order: `MIGRATIONS[i]` takes a file from `user_version` i to i + 1.
/// Version 0 is the schema above as it was before snoozes (issue #13); version 1 has no
/// search index (issue #14: the step builds it from the notifications already stored).
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE IF NOT EXISTS snoozes (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    until_us INTEGER NOT NULL,
    PRIMARY KEY (account, id)
);
",
    search::SCHEMA,
    READS_SCHEMA,
    HEALTH_SCHEMA,
    PROBE_SCHEMA,
    KINDS_SCHEMA,
];

/// Version 6: the filter chips' counts without reading every row. The unread index (it was
/// by account alone) carries the kind, and `read` so that it covers its queries: unread per
/// store and kind, and the unread count, are index ranges, no row read. `kind_counts`
/// keeps how many notifications each store has of each kind (written with the rows).
const KINDS_SCHEMA: &str = "
DROP INDEX IF EXISTS notifications_unread;
CREATE INDEX IF NOT EXISTS notifications_unread_kind ON notifications (account, kind, read) WHERE read = 0;
CREATE TABLE IF NOT EXISTS kind_counts (
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (account, kind)
);
INSERT OR REPLACE INTO kind_counts (account, kind, total)
    SELECT account, kind, COUNT(*) FROM notifications GROUP BY account, kind;
";

/// Version 5: one row rewritten to learn whether the disk takes writes again after a
/// failure (a transaction that changes nothing writes nothing, so it proves nothing).
const PROBE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, at_us INTEGER NOT NULL);
";

/// Version 4: each running engine's connection health ([`crate::health`]), per account and
/// per process (`origin`), for `aviso-cli status`; a process removes its rows when it stops.
const HEALTH_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS health (
    account TEXT NOT NULL,
    origin INTEGER NOT NULL,
    at_us INTEGER NOT NULL,
    facts TEXT NOT NULL,
    PRIMARY KEY (account, origin)
);
";

/// Version 3: marks made here, for every Aviso on this machine (`read_journal`: each
/// running engine tells its embedder about marks another process made), and marks of
/// notifications not stored yet (`pending_reads`: they arrive read).
const READS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS read_journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    origin INTEGER NOT NULL,
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    all_read INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS pending_reads (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    PRIMARY KEY (account, id)
);
";

/// The journal keeps this many marks (a process that sleeps through more sees the last).
const JOURNAL_KEEP: i64 = 10_000;
/// A mark of a notification that never arrives is forgotten after this long.
const PENDING_KEEP_US: i64 = 7 * 24 * 3600 * 1_000_000;

/// Marks another process made: per account, the ids it marked read, or `all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarksElsewhere {
    pub account: String,
    pub ids: Vec<String>,
    pub all: bool,
}

/// Now, in the microseconds `snoozes.until_us` holds.
fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Unread, for a row aliased `n`: not read, and stored after its account's mark.
const UNREAD: &str =
    "n.read = 0 AND n.rowid > IFNULL((SELECT upto FROM read_marks r WHERE r.account = n.account), 0)";

/// In the unread list, for a row aliased `n` joined with its account's mark `m`, with the
/// time now as parameter `?6`: unread and not snoozed. (A join, not the UNREAD subquery:
/// the mark is then looked up once per row cheaply, which matters while a fresh mark still
/// covers many unread rows.)
const UNREAD_LISTED: &str = "n.read = 0 AND n.rowid > IFNULL(m.upto, 0)
    AND NOT EXISTS (SELECT 1 FROM snoozes s
                    WHERE s.account = n.account AND s.id = n.id AND s.until_us > ?6)";

/// The WAL size (pages) at which a commit checkpoints by itself: a backstop only, the
/// checkpoint thread keeps the WAL far smaller.
const WAL_BACKSTOP_PAGES: i64 = 16_384;
/// How often the checkpoint thread looks at the WAL, and the size that makes it act.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
const CHECKPOINT_AT_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the disk is full: {0}")]
    DiskFull(String),
    #[error("the data directory is read-only: {0}")]
    ReadOnly(String),
    #[error("the local database is corrupt: {0}")]
    Corrupt(String),
    #[error("local database error: {0}")]
    Other(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let text = e.to_string();
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull(text),
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                StoreError::ReadOnly(text)
            }
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt(text),
            _ => StoreError::Other(text),
        }
    }
}

impl StoreError {
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            StoreError::DiskFull(_) => crate::ErrorCode::DiskFull,
            StoreError::ReadOnly(_) => crate::ErrorCode::ReadOnly,
            StoreError::Corrupt(_) => crate::ErrorCode::CorruptDatabase,
            StoreError::Other(_) => crate::ErrorCode::Storage,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What storing a batch changed.
#[derive(Debug, Default, PartialEq)]
pub struct Ingest {
    /// Notifications not seen before, in input order.
    pub new: Vec<Notification>,
    /// Known notifications the server now reports as read (read elsewhere).
    pub read_elsewhere: Vec<String>,
    /// The batch could not be written and is held in memory (see [`Store::retry_held`]).
    pub unsaved: Option<StoreError>,
}

/// A mark-read the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxOp {
    pub seq: i64,
    pub account: String,
    pub kind: OutboxKind,
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxKind {
    Read(String),
    ReadAll,
}

/// Which notifications to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub account: Option<String>,
    /// Only notifications of this kind (`nueva_compra`).
    pub kind: Option<String>,
    pub unread_only: bool,
    /// Keyset pagination: only items strictly older than (created_at, id); grouped, only
    /// items after them in (account, newest first) order, `before_account` being the
    /// account of the last item seen.
    pub before: Option<(String, String)>,
    pub before_account: Option<String>,
    /// Ordered by account name (byte order), then newest first: the panel's "group by store".
    pub group_by_account: bool,
    pub limit: usize,
}

/// What could not be written yet, in arrival order.
#[derive(Default)]
struct Held {
    items: Vec<Notification>,
    keys: HashSet<(String, String)>,
    cursors: BTreeMap<String, (String, Option<String>)>,
}

impl Held {
    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.cursors.is_empty()
    }

    fn holds(&self, account: &str, id: &str) -> bool {
        self.keys.contains(&(account.to_string(), id.to_string()))
    }

    fn of<'a>(&'a self, account: Option<&'a str>) -> impl Iterator<Item = &'a Notification> {
        self.items
            .iter()
            .filter(move |n| account.is_none_or(|a| n.account == a))
    }
}

pub struct Store {
    conn: Mutex<Connection>,
    /// The file, for moving a corrupt one aside; `None` in memory.
    path: Option<PathBuf>,
    /// False while the connection is a read-only stand-in (see [`Store::open`]).
    writable: AtomicBool,
    held: Mutex<Held>,
    /// Nudges the checkpoint thread after a commit; dropping it stops the thread.
    checkpoints: Option<mpsc::Sender<()>>,
    /// Notifications left out of the search index before a write indexes them
    /// ([`search::INDEX_BATCH`]; tests set 1 to index each at once).
    search_batch: usize,
    /// Tells this store's marks in `read_journal` from other processes'.
    origin: i64,
    /// What is wrong with the disk now (and a database moved aside), for the panel's banners.
    problems: tokio::sync::watch::Sender<Vec<StorageProblem>>,
}

/// Something about the local database a person must know: the disk is full, the data
/// directory cannot be written (both clear themselves once a write works again), or the
/// database was damaged and moved aside (until dismissed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StorageProblem {
    /// `disk_full`, `read_only` or `moved_aside`.
    pub code: crate::ErrorCode,
    /// When it started (RFC 3339).
    pub since: String,
    /// `moved_aside`: where the damaged file is now.
    pub path: Option<String>,
}

/// Unread and stored notifications of one account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccountCount {
    pub account: String,
    pub unread: u64,
    pub total: u64,
}

/// Unread and stored notifications of one kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KindCount {
    pub kind: String,
    pub unread: u64,
    pub total: u64,
}

/// What the panel's filter chips count: every account, and the kinds of one account (or of
/// all), most frequent first.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Facets {
    pub accounts: Vec<AccountCount>,
    pub kinds: Vec<KindCount>,
}

/// A number no other open store has (the process id and the clock).
fn new_origin() -> i64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (i64::from(std::process::id()) << 32) | i64::from(nanos)
}

impl Store {
    /// Opens (or creates) the database; a file that is not a database, or whose schema
    /// cannot be read, is moved aside and replaced by a new one.
    ///
    /// A data directory that cannot be written (read-only file system) is not fatal: the
    /// store opens what is there read-only (or nothing), holds what arrives in memory, and
    /// reopens the file for writing as soon as that works.
    pub fn open(path: &Path) -> Result<Store> {
        let mut problems = Vec::new();
        let (conn, writable) = match open_file(path) {
            Ok(conn) => (conn, true),
            Err(StoreError::Corrupt(why)) => {
                let aside = move_aside(path)?;
                tracing::warn!(
                    "the local database was corrupt ({why}); moved to {} and starting a new one",
                    aside.display()
                );
                problems.push(problem(crate::ErrorCode::MovedAside, Some(&aside)));
                (open_file(path)?, true)
            }
            Err(StoreError::ReadOnly(why)) => {
                tracing::warn!(
                    "the data directory cannot be written ({why}); notifications are kept in memory until it can"
                );
                problems.push(problem(crate::ErrorCode::ReadOnly, None));
                (open_read_only(path)?, false)
            }
            Err(e) => return Err(e),
        };
        Ok(Store {
            problems: tokio::sync::watch::Sender::new(problems),
            conn: Mutex::new(conn),
            path: Some(path.to_path_buf()),
            writable: AtomicBool::new(writable),
            held: Mutex::default(),
            checkpoints: Some(spawn_checkpoints(path.to_path_buf())),
            search_batch: search::INDEX_BATCH,
            origin: new_origin(),
        })
    }

    /// What is wrong with the local database now (empty when nothing is).
    pub fn problems(&self) -> Vec<StorageProblem> {
        self.problems.borrow().clone()
    }

    /// Follows [`Store::problems`]: changes as writes fail and work again.
    pub fn watch_problems(&self) -> tokio::sync::watch::Receiver<Vec<StorageProblem>> {
        self.problems.subscribe()
    }

    /// Forgets the `moved_aside` notice (the person has read it). The others clear
    /// themselves; `false` when there was no such notice.
    pub fn dismiss_problem(&self, code: crate::ErrorCode) -> bool {
        code == crate::ErrorCode::MovedAside
            && self.problems.send_if_modified(|p| {
                let before = p.len();
                p.retain(|x| x.code != code);
                p.len() != before
            })
    }

    /// Records what a write did: a full or read-only disk is a problem until a write works.
    fn note_write<T>(&self, result: &Result<T>) {
        let failing = match result {
            Err(StoreError::DiskFull(_)) => Some(crate::ErrorCode::DiskFull),
            Err(StoreError::ReadOnly(_)) => Some(crate::ErrorCode::ReadOnly),
            Err(_) => return,
            Ok(_) => None,
        };
        self.problems.send_if_modified(|p| {
            let before = p.clone();
            p.retain(|x| x.code == crate::ErrorCode::MovedAside || Some(x.code) == failing);
            if let Some(code) = failing {
                if !p.iter().any(|x| x.code == code) {
                    p.push(problem(code, None));
                }
            }
            *p != before
        });
    }

    /// Whether the disk takes writes again after a failure: writes what is held, or one
    /// row of its own when nothing is, and clears the problem when that works. `Ok(n)`:
    /// how many held notifications were written.
    pub fn retry_writes(&self) -> Result<usize> {
        let failing = self
            .problems
            .borrow()
            .iter()
            .any(|p| p.code != crate::ErrorCode::MovedAside);
        let mut held = self.held();
        if held.is_empty() && !failing {
            return Ok(0);
        }
        let n = held.items.len();
        self.write(&mut held, |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO probe (id, at_us) VALUES (1, ?1)",
                [now_us()],
            )?;
            Ok(())
        })?;
        Ok(n)
    }

    /// Unread and stored counts per account, and per kind within `account` (all accounts
    /// when `None`), what held notifications included.
    pub fn facets(&self, account: Option<&str>) -> Result<Facets> {
        let held = self.held();
        let conn = self.conn();
        // (account, kind) → (stored, unread)
        let mut counts: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        let mut totals = conn.prepare_cached("SELECT account, kind, total FROM kind_counts")?;
        let rows = totals.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (a, kind, total) = row?;
            counts.entry((a, kind)).or_default().0 += total.max(0) as u64;
        }
        // Unread: per store, the index range of its unread rows above its mark-all…
        let mut unread = conn.prepare_cached(
            "SELECT kind, COUNT(*) FROM notifications INDEXED BY notifications_unread_kind
             WHERE account = ?1 AND read = 0
               AND rowid > IFNULL((SELECT upto FROM read_marks WHERE account = ?1), 0)
             GROUP BY kind",
        )?;
        let mut stores: Vec<String> = counts.keys().map(|(a, _)| a.clone()).collect();
        stores.dedup();
        for a in &stores {
            let rows =
                unread.query_map([a], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (kind, n) = row?;
                counts.entry((a.clone(), kind)).or_default().1 += n.max(0) as u64;
            }
        }
        // … less those snoozed now (few).
        let mut snoozed = conn.prepare_cached(
            // CROSS JOIN: snoozes outside (a handful), each looked up by key; the planner,
            // knowing nothing of either table's size, would scan every notification.
            "SELECT n.account, n.kind, COUNT(*) FROM snoozes AS s
             CROSS JOIN notifications AS n ON n.account = s.account AND n.id = s.id
             LEFT JOIN read_marks AS m ON m.account = n.account
             WHERE s.until_us > ?1 AND n.read = 0 AND n.rowid > IFNULL(m.upto, 0)
             GROUP BY n.account, n.kind",
        )?;
        let rows = snoozed.query_map([now_us()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (a, kind, n) = row?;
            let e = counts.entry((a, kind)).or_default();
            e.1 = e.1.saturating_sub(n.max(0) as u64);
        }
        let mut rows: Vec<(String, String, u64, u64)> = counts
            .into_iter()
            .map(|((a, kind), (total, unread))| (a, kind, total, unread))
            .collect();
        for n in held.of(None) {
            rows.push((n.account.clone(), n.kind.clone(), 1, u64::from(!n.read)));
        }
        let mut accounts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut kinds: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (a, kind, total, unread) in rows {
            let e = accounts.entry(a.clone()).or_default();
            e.0 += unread;
            e.1 += total;
            if account.is_none_or(|x| x == a) {
                let e = kinds.entry(kind).or_default();
                e.0 += unread;
                e.1 += total;
            }
        }
        let mut kinds: Vec<KindCount> = kinds
            .into_iter()
            .map(|(kind, (unread, total))| KindCount {
                kind,
                unread,
                total,
            })
            .collect();
        kinds.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.kind.cmp(&b.kind)));
        Ok(Facets {
            accounts: accounts
                .into_iter()
                .map(|(account, (unread, total))| AccountCount {
                    account,
                    unread,
                    total,
                })
                .collect(),
            kinds,
        })
    }

    /// Gives an account's history to a new name: its notifications, marks, cursors,
    /// queued mark-reads, snoozes and journal, in one transaction. Refused when `to`
    /// already has notifications.
    pub fn rename_account(&self, from: &str, to: &str) -> Result<()> {
        if from == to {
            return Ok(());
        }
        let mut held = self.held();
        let taken = held.of(Some(to)).next().is_some()
            || self.conn().query_row(
                "SELECT EXISTS (SELECT 1 FROM notifications WHERE account = ?1)",
                [to],
                |r| r.get::<_, bool>(0),
            )?;
        if taken {
            return Err(StoreError::Other(format!(
                "the store already holds notifications of `{to}`"
            )));
        }
        // Held notifications go to the new name with the rows (written first, in the same
        // transaction); a write that fails leaves them as they were.
        let rename = |held: &mut Held, from: &str, to: &str| {
            for n in held.items.iter_mut().filter(|n| n.account == from) {
                n.account = to.to_string();
            }
            held.keys = held
                .items
                .iter()
                .map(|n| (n.account.clone(), n.id.clone()))
                .collect();
            if let Some(c) = held.cursors.remove(from) {
                held.cursors.insert(to.to_string(), c);
            }
        };
        rename(&mut held, from, to);
        let written = self.write(&mut held, |tx| {
            for table in ACCOUNT_TABLES {
                // What a forgotten account of that name left (it has no notifications).
                tx.execute(&format!("DELETE FROM {table} WHERE account = ?1"), [to])?;
                tx.execute(
                    &format!("UPDATE {table} SET account = ?2 WHERE account = ?1"),
                    [from, to],
                )?;
            }
            Ok(())
        });
        if written.is_err() {
            rename(&mut held, to, from);
        }
        written
    }

    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        init(&conn)?;
        Ok(Store {
            problems: tokio::sync::watch::Sender::new(Vec::new()),
            conn: Mutex::new(conn),
            path: None,
            writable: AtomicBool::new(true),
            held: Mutex::default(),
            checkpoints: None,
            search_batch: search::INDEX_BATCH,
            origin: new_origin(),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back),
        // so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lock order: `held`, then `conn`.
    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in a write transaction, writing what is held first. A corrupt database is
    /// moved aside and the write tried once more on a new one.
    fn write<T>(&self, held: &mut Held, f: impl Fn(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let attempt = |conn: &mut Connection| -> Result<T> {
            // Immediate: the write lock is taken at BEGIN, waiting out another process's
            // write (busy_timeout). A deferred transaction whose first statement reads
            // would fail at once ("database is locked") if another process wrote since.
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            write_held(&tx, held, self.search_batch)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        let mut conn = self.conn();
        let out = self.attempt_write(&mut conn, attempt);
        self.note_write(&out);
        let out = out?;
        if let Some(nudge) = &self.checkpoints {
            let _ = nudge.send(());
        }
        if !held.is_empty() {
            tracing::info!(
                "the data directory is writable again: {} held notification(s) written",
                held.items.len()
            );
            *held = Held::default();
        }
        Ok(out)
    }

    fn attempt_write<T>(
        &self,
        conn: &mut Connection,
        attempt: impl Fn(&mut Connection) -> Result<T>,
    ) -> Result<T> {
        if !self.writable.load(Ordering::Relaxed) {
            let path = self
                .path
                .as_deref()
                .expect("only a file store is read-only");
            *conn = open_file(path)?;
            self.writable.store(true, Ordering::Relaxed);
            tracing::info!("the data directory can be written again");
        }
        match attempt(conn) {
            Err(StoreError::Corrupt(why)) if self.path.is_some() => {
                self.rebuild(conn, &why)?;
                attempt(conn)
            }
            other => other,
        }
    }

    fn rebuild(&self, conn: &mut Connection, why: &str) -> Result<()> {
        let Some(path) = &self.path else {
            return Err(StoreError::Corrupt(why.to_string()));
        };
        // Close the old file before moving it (and its WAL) aside.
        *conn = Connection::open_in_memory()?;
        let aside = move_aside(path)?;
        tracing::warn!(
            "the local database is corrupt ({why}); moved to {} and starting a new one",
            aside.display()
        );
        self.problems.send_modify(|p| {
            p.retain(|x| x.code != crate::ErrorCode::MovedAside);
            p.push(problem(crate::ErrorCode::MovedAside, Some(&aside)));
        });
        *conn = open_file(path)?;
        Ok(())
    }

    /// Stores a batch; returns the new ones and those the server reports read that were
    /// unread here. Existing notifications are never duplicated. When the batch cannot be
    /// written, its new notifications are held in memory (`unsaved` says why).
    pub fn ingest(&self, items: impl Into<Vec<Notification>>) -> Result<Ingest> {
        // Owned: the new ones are handed back as they came, not copied (a burst stores
        // thousands a second, and a copy of each payload was a good part of the cost).
        let items: Vec<Notification> = items.into();
        let mut held = self.held();
        let written = self.write(&mut held, |tx| {
            let mut fates = Vec::with_capacity(items.len());
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO notifications
                 (account, id, kind, title, body, url, created_at, created_us, read, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut read_elsewhere = tx.prepare_cached(&format!(
                "UPDATE notifications AS n SET read = 1 WHERE account = ?1 AND id = ?2 AND {UNREAD}"
            ))?;
            let pending: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM pending_reads)", [], |r| {
                    r.get(0)
                })?;
            let mut marked =
                tx.prepare_cached("DELETE FROM pending_reads WHERE account = ?1 AND id = ?2")?;
            let mut fresh = Vec::new();
            for n in &items {
                // Marked read here before it arrived: it arrives read.
                let arrives_read =
                    pending && !n.read && marked.execute(params![n.account, n.id])? == 1;
                fates.push(
                    if insert_row(&mut insert, n, n.read || arrives_read)? == 1 {
                        fresh.push((tx.last_insert_rowid(), n));
                        Fate::New { arrives_read }
                    } else if n.read && read_elsewhere.execute(params![n.account, n.id])? == 1 {
                        Fate::ReadElsewhere
                    } else {
                        Fate::Known
                    },
                );
            }
            if !fresh.is_empty() {
                count_kinds(tx, fresh.iter().map(|&(_, n)| n))?;
                search::catch_up_with(tx, self.search_batch, &fresh)?;
            }
            Ok(fates)
        });
        match written {
            Ok(fates) => {
                let mut out = Ingest::default();
                for (mut n, fate) in items.into_iter().zip(fates) {
                    match fate {
                        Fate::New { arrives_read } => {
                            n.read |= arrives_read;
                            out.new.push(n);
                        }
                        Fate::ReadElsewhere => out.read_elsewhere.push(n.id),
                        Fate::Known => {}
                    }
                }
                Ok(out)
            }
            Err(e) => {
                // Reading still works on a full or read-only disk: hold what is new.
                let conn = self.conn();
                let mut known = conn
                    .prepare_cached("SELECT 1 FROM notifications WHERE account = ?1 AND id = ?2")?;
                let mut out = Ingest::default();
                for n in &items {
                    if held.holds(&n.account, &n.id) || known.exists(params![n.account, n.id])? {
                        continue;
                    }
                    held.keys.insert((n.account.clone(), n.id.clone()));
                    held.items.push(n.clone());
                    out.new.push(n.clone());
                }
                tracing::warn!(
                    held = held.items.len(),
                    "cannot write the local database ({e}); keeping notifications in memory"
                );
                out.unsaved = Some(e);
                Ok(out)
            }
        }
    }

    /// Writes what is held in memory, if anything. `Ok(n)`: how many notifications were
    /// written (0 when nothing was held).
    pub fn retry_held(&self) -> Result<usize> {
        self.retry_writes()
    }

    /// How many notifications are held in memory, waiting for the disk.
    pub fn held_count(&self) -> usize {
        self.held().items.len()
    }

    /// Marks notifications read locally; with `queue`, records the operation in the outbox
    /// (in the same transaction) so it reaches the server even after a restart. Returns the
    /// ids that changed.
    pub fn mark_read(&self, account: &str, ids: &[String], queue: bool) -> Result<Vec<String>> {
        // Held notifications are written first, in the same transaction, so the update
        // covers them too; a disk that still cannot be written fails the whole mark.
        let mut held = self.held();
        self.write(&mut held, |tx| {
            let mut changed = Vec::new();
            let mut update = tx.prepare_cached(&format!(
                "UPDATE notifications AS n SET read = 1 WHERE account = ?1 AND id = ?2 AND {UNREAD}"
            ))?;
            let mut enqueue = tx.prepare_cached(
                "INSERT INTO outbox (account, op, target) VALUES (?1, 'read', ?2)",
            )?;
            // Read: nothing left to be reminded of.
            let mut unsnooze =
                tx.prepare_cached("DELETE FROM snoozes WHERE account = ?1 AND id = ?2")?;
            let mut journal = tx.prepare_cached(
                "INSERT INTO read_journal (origin, account, id) VALUES (?1, ?2, ?3)",
            )?;
            let mut known =
                tx.prepare_cached("SELECT 1 FROM notifications WHERE account = ?1 AND id = ?2")?;
            let mut pending = tx.prepare_cached(
                "INSERT OR REPLACE INTO pending_reads (account, id, at_us) VALUES (?1, ?2, ?3)",
            )?;
            for id in ids {
                if update.execute(params![account, id])? == 1 {
                    changed.push(id.clone());
                    journal.execute(params![self.origin, account, id])?;
                } else if !known.exists(params![account, id])? {
                    // Not here yet (a mark made from its id alone): it arrives read.
                    pending.execute(params![account, id, now_us()])?;
                }
                unsnooze.execute(params![account, id])?;
                if queue {
                    enqueue.execute(params![account, id])?;
                }
            }
            if !changed.is_empty() {
                trim_journal(tx)?;
            }
            Ok(changed)
        })
    }

    /// Marks every notification of `account` stored so far read, in constant time (a
    /// watermark); see [`Store::mark_read`] for `queue`. Returns how many were unread.
    pub fn mark_all_read(&self, account: &str, queue: bool) -> Result<u64> {
        let mut held = self.held();
        self.write(&mut held, |tx| {
            let unread: i64 = tx.query_row(
                &format!(
                    "SELECT COUNT(*) FROM notifications AS n WHERE n.account = ?1 AND {UNREAD}"
                ),
                [account],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO read_marks (account, upto)
                 SELECT ?1, IFNULL(MAX(rowid), 0) FROM notifications WHERE true
                 ON CONFLICT (account) DO UPDATE SET upto = MAX(upto, excluded.upto)",
                [account],
            )?;
            if queue {
                tx.execute(
                    "INSERT INTO outbox (account, op, target) VALUES (?1, 'read_all', '')",
                    [account],
                )?;
            }
            tx.execute("DELETE FROM snoozes WHERE account = ?1", [account])?;
            tx.execute(
                "INSERT INTO read_journal (origin, account, id, all_read) VALUES (?1, ?2, '', 1)",
                params![self.origin, account],
            )?;
            trim_journal(tx)?;
            Ok(unread as u64)
        })
    }

    /// SQLite's `data_version`: it changes when another process commits to the file.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The newest entry of the read journal (0: none).
    pub fn journal_seq(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT IFNULL(MAX(seq), 0) FROM read_journal", [], |r| {
                r.get(0)
            })?)
    }

    /// Marks other processes made after journal entry `seq`, per account in the order
    /// made; and the newest entry seen.
    pub fn marks_since(&self, seq: i64) -> Result<(i64, Vec<MarksElsewhere>)> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, origin, account, id, all_read FROM read_journal WHERE seq > ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([seq])?;
        let mut last = seq;
        let mut out: Vec<MarksElsewhere> = Vec::new();
        while let Some(row) = rows.next()? {
            last = row.get(0)?;
            if row.get::<_, i64>(1)? == self.origin {
                continue;
            }
            let account: String = row.get(2)?;
            let id: String = row.get(3)?;
            let all = row.get::<_, i64>(4)? != 0;
            let at = match out.iter().position(|m| m.account == account) {
                Some(i) => i,
                None => {
                    out.push(MarksElsewhere {
                        account,
                        ids: Vec::new(),
                        all: false,
                    });
                    out.len() - 1
                }
            };
            if all {
                out[at].all = true;
            } else {
                out[at].ids.push(id);
            }
        }
        Ok((last, out))
    }

    /// The ids of an account's unread notifications, oldest first.
    pub fn unread_ids(&self, account: &str) -> Result<Vec<String>> {
        let held = self.held();
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT n.id FROM notifications AS n WHERE n.account = ?1 AND {UNREAD} ORDER BY n.rowid"
        ))?;
        let rows = stmt.query_map([account], |r| r.get(0))?;
        let mut ids: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
        ids.extend(
            held.of(Some(account))
                .filter(|n| !n.read)
                .map(|n| n.id.clone()),
        );
        Ok(ids)
    }

    /// Folds up to `limit` rows under a mark-all-read watermark into their own read flag,
    /// so unread queries stay index-only. Returns how many rows it folded (0: done).
    pub fn settle_read_marks(&self, limit: usize) -> Result<usize> {
        let mut held = self.held();
        self.write(&mut held, |tx| {
            Ok(tx.execute(
                "UPDATE notifications SET read = 1 WHERE rowid IN (
                     SELECT n.rowid FROM read_marks r JOIN notifications n
                       ON n.account = r.account AND n.read = 0 AND n.rowid <= r.upto
                     LIMIT ?1)",
                [limit as i64],
            )?)
        })
    }

    pub fn unread_count(&self, account: Option<&str>) -> Result<u64> {
        let held = self.held();
        let conn = self.conn();
        let n: i64 = match account {
            // The unread rows above the mark-all, an index range read without a row (the
            // engine counts after each batch of a burst), less the few snoozed now.
            Some(a) => conn.query_row(
                "SELECT (SELECT COUNT(*) FROM notifications INDEXED BY notifications_unread_kind
                         WHERE account = ?1 AND read = 0
                           AND rowid > IFNULL((SELECT upto FROM read_marks WHERE account = ?1), 0))
                      - (SELECT COUNT(*) FROM snoozes AS s
                         CROSS JOIN notifications AS n ON n.account = s.account AND n.id = s.id
                         WHERE s.account = ?1 AND s.until_us > ?2 AND n.read = 0
                           AND n.rowid > IFNULL((SELECT upto FROM read_marks WHERE account = ?1), 0))",
                params![a, now_us()],
                |r| r.get(0),
            )?,
            // Every unread row, less those under a mark: two index range counts per
            // account, where checking each row against its mark costs a lookup per row.
            None => conn.query_row(
                "SELECT (SELECT COUNT(*) FROM notifications WHERE read = 0)
                      - (SELECT IFNULL(SUM((SELECT COUNT(*) FROM notifications AS n
                                            WHERE n.account = r.account AND n.read = 0
                                              AND n.rowid <= r.upto)), 0)
                         FROM read_marks AS r)
                      - (SELECT COUNT(*) FROM snoozes AS s CROSS JOIN notifications AS n
                           ON n.account = s.account AND n.id = s.id
                         WHERE s.until_us > ?1 AND n.read = 0 AND n.rowid > IFNULL(
                           (SELECT upto FROM read_marks r WHERE r.account = n.account), 0))",
                [now_us()],
                |r| r.get(0),
            )?,
        };
        Ok(n as u64 + held.of(account).filter(|n| !n.read).count() as u64)
    }

    pub fn total_count(&self, account: Option<&str>) -> Result<u64> {
        let held = self.held();
        let conn = self.conn();
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM notifications WHERE ?1 IS NULL OR account = ?1",
            [account],
            |r| r.get(0),
        )?;
        Ok(n as u64 + held.of(account).count() as u64)
    }

    /// Newest first (grouped: by account, then newest first).
    pub fn list(&self, q: &ListQuery) -> Result<Vec<Notification>> {
        let held = self.held();
        let conn = self.conn();
        let mut out = if q.group_by_account {
            list_grouped(&conn, q)?
        } else {
            list_page(&conn, q, q.account.as_deref(), q.before.as_ref(), q.limit)?
        };
        if held.items.is_empty() {
            return Ok(out);
        }
        let group = q.group_by_account;
        let order = |n: &Notification| {
            (
                std::cmp::Reverse(group.then(|| n.account.clone())),
                time_micros(&n.created_at),
                n.id.clone(),
            )
        };
        let before = q.before.as_ref().map(|(t, id)| {
            (
                std::cmp::Reverse(group.then(|| q.before_account.clone().unwrap_or_default())),
                time_micros(t),
                id.clone(),
            )
        });
        out.extend(
            held.of(q.account.as_deref())
                .filter(|n| !q.unread_only || !n.read)
                .filter(|n| q.kind.as_deref().is_none_or(|k| n.kind == k))
                .filter(|n| before.as_ref().is_none_or(|b| order(n) < *b))
                .cloned(),
        );
        out.sort_by_key(|n| std::cmp::Reverse(order(n)));
        out.truncate(q.limit);
        Ok(out)
    }

    /// The newest notifications that match `q.text` (every word as a prefix, in the title,
    /// the body or the payload's values; case and accents ignored), with where they match.
    /// A query with no word (empty, or only punctuation) finds nothing.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        let terms = search::terms(&q.text);
        if terms.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        let held = self.held();
        let conn = self.conn();
        let expression = search::fts_expression(&terms);
        let now = now_us();
        let mut found = search::newest_matches(&conn, &expression, q, UNREAD_LISTED, now)?;
        let unindexed = search::unindexed_matches(&conn, &terms, q, UNREAD_LISTED, now)?;
        if !unindexed.is_empty() {
            found.extend(unindexed);
            found.sort_by(|a, b| (b.1, &b.2).cmp(&(a.1, &a.2)));
            found.truncate(q.limit);
        }
        let mut get = conn.prepare_cached(
            "SELECT n.account, n.id, n.kind, n.title, n.body, n.url, n.created_at,
                    n.read OR n.rowid <= IFNULL(m.upto, 0), n.data
             FROM notifications AS n LEFT JOIN read_marks AS m ON m.account = n.account
             WHERE n.rowid = ?1",
        )?;
        let mut items = Vec::with_capacity(found.len());
        for (rowid, ..) in found {
            items.push(get.query_row([rowid], row_to_notification)?);
        }
        if !held.items.is_empty() {
            let order = |n: &Notification| (time_micros(&n.created_at), n.id.clone());
            let before = q
                .before
                .as_ref()
                .map(|(t, id)| (time_micros(t), id.clone()));
            items.extend(
                held.of(q.account.as_deref())
                    .filter(|n| !q.unread_only || !n.read)
                    .filter(|n| q.kind.as_deref().is_none_or(|k| n.kind == k))
                    .filter(|n| before.as_ref().is_none_or(|b| order(n) < *b))
                    .filter(|n| search::matches(n, &terms))
                    .cloned(),
            );
            items.sort_by_key(|n| std::cmp::Reverse(order(n)));
            items.truncate(q.limit);
        }
        Ok(items
            .into_iter()
            .map(|n| SearchHit {
                title: search::highlight(&n.title, &terms),
                body: search::highlight(&n.body, &terms),
                notification: n,
            })
            .collect())
    }

    pub fn get(&self, account: &str, id: &str) -> Result<Option<Notification>> {
        let held = self.held();
        if let Some(n) = held.of(Some(account)).find(|n| n.id == id) {
            return Ok(Some(n.clone()));
        }
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!(
                    "SELECT account, id, kind, title, body, url, created_at, NOT ({UNREAD}), data
                     FROM notifications AS n WHERE account = ?1 AND id = ?2"
                ),
                [account, id],
                row_to_notification,
            )
            .optional()?)
    }

    /// The catch-up cursor and the last list ETag of an account.
    pub fn cursor(&self, account: &str) -> Result<Option<(String, Option<String>)>> {
        let held = self.held();
        if let Some(c) = held.cursors.get(account) {
            return Ok(Some(c.clone()));
        }
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT cursor, etag FROM cursors WHERE account = ?1",
                [account],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Saves the cursor; when the disk cannot take it, it is held in memory with the
    /// notifications it covers and written with them.
    pub fn set_cursor(&self, account: &str, cursor: &str, etag: Option<&str>) -> Result<()> {
        let mut held = self.held();
        let written = self.write(&mut held, |tx| Ok(save_cursor(tx, account, cursor, etag)?));
        if written.is_err() {
            let value = (cursor.to_string(), etag.map(str::to_string));
            held.cursors.insert(account.to_string(), value);
        }
        Ok(())
    }

    /// The last SSE event id of an account's stream (`channel` '' without channels).
    pub fn event_id(&self, account: &str, channel: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT last_id FROM event_ids WHERE account = ?1 AND channel = ?2",
                [account, channel],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Saves the stream's position. Called after the events before it were stored, so a
    /// crash in between replays them (de-duplicated by id), never skips them.
    pub fn set_event_id(&self, account: &str, channel: &str, id: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO event_ids (account, channel, last_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (account, channel) DO UPDATE SET last_id = ?3",
            [account, channel, id],
        )?;
        Ok(())
    }

    pub fn outbox(&self, account: &str) -> Result<Vec<OutboxOp>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, account, op, target, attempts FROM outbox WHERE account = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([account], |r| {
            let op: String = r.get(2)?;
            let target: String = r.get(3)?;
            Ok(OutboxOp {
                seq: r.get(0)?,
                account: r.get(1)?,
                kind: if op == "read_all" {
                    OutboxKind::ReadAll
                } else {
                    OutboxKind::Read(target)
                },
                attempts: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn outbox_done(&self, seq: i64) -> Result<()> {
        self.conn()
            .execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
        Ok(())
    }

    /// The server confirmed that `id` is read (seed 001's `marked_read`): every queued
    /// mark-read of it is done. Returns how many there were.
    pub fn outbox_confirm_read(&self, account: &str, id: &str) -> Result<usize> {
        Ok(self.conn().execute(
            "DELETE FROM outbox WHERE account = ?1 AND op = 'read' AND target = ?2",
            [account, id],
        )?)
    }

    pub fn outbox_attempted(&self, seq: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?1",
            [seq],
        )?;
        Ok(())
    }

    /// Snoozes an unread notification until `until`: it leaves the unread count and list
    /// until [`Store::unsnooze`]. False when there is no such unread notification. A
    /// second snooze of the same one moves its time.
    pub fn snooze(&self, account: &str, id: &str, until: jiff::Timestamp) -> Result<bool> {
        let mut held = self.held();
        self.write(&mut held, |tx| {
            let unread = tx
                .query_row(
                    &format!(
                        "SELECT 1 FROM notifications AS n WHERE account = ?1 AND id = ?2 AND {UNREAD}"
                    ),
                    [account, id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if unread {
                tx.execute(
                    "INSERT INTO snoozes (account, id, until_us) VALUES (?1, ?2, ?3)
                     ON CONFLICT (account, id) DO UPDATE SET until_us = ?3",
                    params![account, id, until.as_microsecond()],
                )?;
            }
            Ok(unread)
        })
    }

    /// Ends a snooze (due, or cancelled): back in the unread count and list. False when
    /// it was not snoozed.
    pub fn unsnooze(&self, account: &str, id: &str) -> Result<bool> {
        let mut held = self.held();
        self.write(&mut held, |tx| {
            Ok(tx.execute(
                "DELETE FROM snoozes WHERE account = ?1 AND id = ?2",
                [account, id],
            )? == 1)
        })
    }

    /// Every snoozed notification with its time, soonest first.
    pub fn snoozes(&self) -> Result<Vec<(Notification, jiff::Timestamp)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT n.account, n.id, n.kind, n.title, n.body, n.url, n.created_at,
                    NOT ({UNREAD}), n.data, s.until_us
             FROM snoozes AS s CROSS JOIN notifications AS n ON n.account = s.account AND n.id = s.id
             ORDER BY s.until_us, n.rowid"
        ))?;
        let rows = stmt.query_map([], |r| {
            let until: i64 = r.get(9)?;
            Ok((row_to_notification(r)?, until))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (n, until) = row?;
            let until = jiff::Timestamp::from_microsecond(until)
                .map_err(|e| StoreError::Other(format!("bad snooze time: {e}")))?;
            out.push((n, until));
        }
        Ok(out)
    }

    /// Forgets an account's notifications, cursor, read mark and outbox (logout).
    /// Replaces this process's published health rows with `facts` (one per account).
    pub fn put_health(&self, facts: &[crate::health::Health]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM health WHERE origin = ?1", [self.origin])?;
        let at = now_us();
        for h in facts {
            let json = serde_json::to_string(h).unwrap_or_default();
            tx.execute(
                "INSERT INTO health (account, origin, at_us, facts) VALUES (?1, ?2, ?3, ?4)",
                params![h.account, self.origin, at, json],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes this process's health rows (it stops, or stops watching an account).
    pub fn clear_health(&self, account: Option<&str>) -> Result<()> {
        self.conn().execute(
            "DELETE FROM health WHERE origin = ?1 AND (?2 IS NULL OR account = ?2)",
            params![self.origin, account],
        )?;
        Ok(())
    }

    /// This process stops: its rows stay as what was last known, aged so that nobody
    /// reads them as a running Aviso's.
    pub fn retire_health(&self) -> Result<()> {
        self.conn().execute(
            "UPDATE health SET at_us = 0 WHERE origin = ?1",
            [self.origin],
        )?;
        Ok(())
    }

    /// The newest health row of each account any process published, with its age.
    pub fn healths(&self) -> Result<Vec<(crate::health::Health, Duration)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT facts, MAX(at_us) FROM health GROUP BY account ORDER BY account",
        )?;
        let now = now_us();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (json, at) = row?;
            if let Ok(h) = serde_json::from_str(&json) {
                out.push((
                    h,
                    Duration::from_micros(now.saturating_sub(at).max(0) as u64),
                ));
            }
        }
        Ok(out)
    }

    /// Mark-reads of `account` waiting for the server.
    pub fn queued_marks(&self, account: &str) -> Result<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM outbox WHERE account = ?1",
            [account],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// The database's size on disk with its write-ahead log, in bytes (0 in memory).
    pub fn file_bytes(&self) -> u64 {
        let Some(path) = &self.path else { return 0 };
        let size = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(PathBuf::from(name))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        size("") + size("-wal")
    }

    pub fn forget_account(&self, account: &str) -> Result<()> {
        let mut held = self.held();
        let keep: Vec<Notification> = held
            .of(None)
            .filter(|n| n.account != account)
            .cloned()
            .collect();
        held.keys.retain(|(a, _)| a != account);
        held.items = keep;
        held.cursors.remove(account);
        self.write(&mut held, |tx| {
            for table in ACCOUNT_TABLES {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE account = ?1"),
                    [account],
                )?;
            }
            Ok(())
        })
    }
}

fn open_file(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    init(&conn)?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_BACKSTOP_PAGES)?;
    Ok(conn)
}

/// The database as it is, for reading only; an empty stand-in when it cannot be read.
/// On a read-only file system SQLite cannot set up WAL's shared memory, so the file is
/// then opened as immutable (what a clean shutdown left in it).
fn open_read_only(path: &Path) -> Result<Connection> {
    let usable = |conn: &Connection| {
        conn.query_row("SELECT COUNT(*) FROM read_marks", [], |_| Ok(()))
            .is_ok()
    };
    // A file from before snoozes cannot be migrated read-only: an empty temporary table
    // stands in (temp tables live in memory, so this works on a read-only file).
    let usable = |conn: &Connection| {
        usable(conn)
            && (conn
                .query_row("SELECT COUNT(*) FROM main.snoozes", [], |_| Ok(()))
                .is_ok()
                || conn
                    .execute_batch(
                        "CREATE TEMP TABLE snoozes (account TEXT, id TEXT, until_us INTEGER)",
                    )
                    .is_ok())
    };
    // Nor can a file from before search: its index is built in memory from what it holds.
    let usable = |conn: &Connection| {
        usable(conn)
            && (conn
                .prepare("SELECT rowid FROM main.notifications_fts LIMIT 0")
                .is_ok()
                || conn.execute_batch(search::TEMP_INDEX).is_ok())
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if let Ok(conn) = Connection::open_with_flags(path, flags) {
        if usable(&conn) {
            return Ok(conn);
        }
    }
    if let Ok(mut uri) = url::Url::from_file_path(path) {
        uri.set_query(Some("immutable=1"));
        let flags = flags | OpenFlags::SQLITE_OPEN_URI;
        if let Ok(conn) = Connection::open_with_flags(uri.as_str(), flags) {
            if usable(&conn) {
                return Ok(conn);
            }
        }
    }
    let conn = Connection::open_in_memory()?;
    init(&conn)?;
    Ok(conn)
}

/// One account's page (or every account's, with `account` `None`), newest first, strictly
/// older than `before`. Read newest first along `notifications_order`, filtered: a page of
/// 50 reads about 50 rows (a store's own rows, or a kind's, are rarely far apart). Unread
/// pages are left to the planner (the partial unread index holds far fewer rows).
fn list_page(
    conn: &Connection,
    q: &ListQuery,
    account: Option<&str>,
    before: Option<&(String, String)>,
    limit: usize,
) -> Result<Vec<Notification>> {
    let (before_us, before_id) = match before {
        Some((t, id)) => (Some(time_micros(t)), Some(id.clone())),
        None => (None, None),
    };
    let index = if q.unread_only {
        ""
    } else {
        "INDEXED BY notifications_order"
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT n.account, n.id, n.kind, n.title, n.body, n.url, n.created_at,
                n.read OR n.rowid <= IFNULL(m.upto, 0), n.data
         FROM notifications AS n {index} LEFT JOIN read_marks AS m ON m.account = n.account
         WHERE (?1 IS NULL OR n.account = ?1)
           AND (?2 = 0 OR ({UNREAD_LISTED}))
           AND (?3 IS NULL OR n.created_us < ?3 OR (n.created_us = ?3 AND n.id < ?4))
           AND (?7 IS NULL OR n.kind = ?7)
         ORDER BY n.created_us DESC, n.id DESC LIMIT ?5"
    ))?;
    let rows = stmt.query_map(
        params![
            account,
            q.unread_only,
            before_us,
            before_id,
            limit as i64,
            now_us(),
            q.kind,
        ],
        row_to_notification,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A page grouped by account: the cursor's account from the cursor on, then each next
/// account (name order, found through the primary key) from its newest, until the page
/// is full.
fn list_grouped(conn: &Connection, q: &ListQuery) -> Result<Vec<Notification>> {
    let mut out = Vec::new();
    let mut next_account = conn.prepare_cached(
        "SELECT account FROM notifications WHERE account > ?1 ORDER BY account LIMIT 1",
    )?;
    let (mut account, mut before) = match (&q.before, &q.before_account) {
        (Some(b), Some(a)) => (Some(a.clone()), Some(b.clone())),
        _ => (None, None),
    };
    if account.is_none() {
        // The first account: the smallest name ("" sorts before every name but itself).
        account = match q.account.clone() {
            Some(a) => Some(a),
            None => conn
                .query_row(
                    "SELECT account FROM notifications ORDER BY account LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?,
        };
    }
    while let Some(a) = account {
        if q.account.as_deref().is_some_and(|only| only != a) {
            break;
        }
        let page = list_page(conn, q, Some(&a), before.as_ref(), q.limit - out.len())?;
        out.extend(page);
        if out.len() >= q.limit || q.account.is_some() {
            break;
        }
        before = None;
        account = next_account.query_row([&a], |r| r.get(0)).optional()?;
    }
    Ok(out)
}

/// Every table with an `account` column: what forgetting or renaming an account touches.
const ACCOUNT_TABLES: [&str; 10] = [
    "kind_counts",
    "notifications",
    "cursors",
    "read_marks",
    "outbox",
    "event_ids",
    "snoozes",
    "health",
    "read_journal",
    "pending_reads",
];

fn problem(code: crate::ErrorCode, path: Option<&Path>) -> StorageProblem {
    StorageProblem {
        code,
        since: jiff::Timestamp::now().to_string(),
        path: path.map(|p| p.display().to_string()),
    }
}

fn init(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(SCHEMA)?;
    migrate(conn)?;
    Ok(())
}

/// Keeps the read journal short, and forgets marks of notifications that never came.
fn trim_journal(tx: &Transaction<'_>) -> Result<()> {
    tx.execute(
        "DELETE FROM read_journal WHERE seq <= (SELECT MAX(seq) FROM read_journal) - ?1",
        [JOURNAL_KEEP],
    )?;
    tx.execute(
        "DELETE FROM pending_reads WHERE at_us < ?1",
        [now_us() - PENDING_KEEP_US],
    )?;
    Ok(())
}

/// Brings a database to the newest schema, one numbered step at a time, each in its own
/// transaction with its version bump (a crash leaves the file at a whole version).
fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        conn.execute_batch(&format!(
            "BEGIN; {step} PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))?;
    }
    Ok(())
}

/// Renames the database and its WAL and shared-memory files to `…corrupt-<unix time>`.
fn move_aside(path: &Path) -> Result<PathBuf> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let aside = with(&format!(".corrupt-{stamp}"));
    std::fs::rename(path, &aside)
        .map_err(|e| StoreError::Corrupt(format!("cannot move {} aside: {e}", path.display())))?;
    for extra in ["-wal", "-shm"] {
        let from = with(extra);
        if from.exists() {
            let mut to = aside.as_os_str().to_owned();
            to.push(extra);
            let _ = std::fs::rename(&from, PathBuf::from(to));
        }
    }
    Ok(aside)
}

/// Checkpoints the WAL from a thread of its own whenever it passes
/// [`CHECKPOINT_AT_BYTES`], so commits never wait for a sync. The thread sleeps until a
/// commit nudges it (an idle app never wakes it), then looks at most once per
/// [`CHECKPOINT_EVERY`]. Ends when the sender drops.
fn spawn_checkpoints(path: PathBuf) -> mpsc::Sender<()> {
    let (tx, rx) = mpsc::channel::<()>();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    let spawned = std::thread::Builder::new()
        .name("aviso-checkpoint".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                std::thread::sleep(CHECKPOINT_EVERY);
                // The nudges of the commits made meanwhile are this look's too.
                while rx.try_recv().is_ok() {}
                let big = std::fs::metadata(&wal).is_ok_and(|m| m.len() >= CHECKPOINT_AT_BYTES);
                if !big {
                    continue;
                }
                let done = Connection::open(&path).and_then(|c| {
                    c.busy_timeout(Duration::from_millis(200))?;
                    c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                });
                if let Err(e) = done {
                    tracing::debug!("background checkpoint skipped: {e}");
                }
            }
        });
    if let Err(e) = spawned {
        // Without the thread SQLite's own backstop checkpoints still bound the WAL.
        tracing::warn!("no checkpoint thread: {e}");
    }
    tx
}

/// Writes what is held, inside the caller's transaction.
fn write_held(tx: &Transaction<'_>, held: &Held, search_batch: usize) -> Result<()> {
    if held.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO notifications
         (account, id, kind, title, body, url, created_at, created_us, read, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    // Stored meanwhile by another process: only a read flag to bring along.
    let mut keep_read = tx.prepare_cached(
        "UPDATE notifications SET read = 1 WHERE account = ?1 AND id = ?2 AND read = 0",
    )?;
    let mut written = Vec::new();
    for n in &held.items {
        if insert_row(&mut insert, n, n.read)? == 1 {
            written.push(n);
        } else if n.read {
            keep_read.execute(params![n.account, n.id])?;
        }
    }
    count_kinds(tx, written)?;
    search::catch_up(tx, search_batch)?;
    for (account, (cursor, etag)) in &held.cursors {
        save_cursor(tx, account, cursor, etag.as_deref())?;
    }
    Ok(())
}

/// Adds notifications just inserted to `kind_counts`: one statement per store and kind of
/// the batch, not per row.
/// What storing did with one notification of a batch.
enum Fate {
    /// Stored; `arrives_read` when it was marked read here before it arrived.
    New {
        arrives_read: bool,
    },
    /// Known and unread here; the server says it is read.
    ReadElsewhere,
    Known,
}

fn count_kinds<'a>(
    tx: &Transaction<'_>,
    inserted: impl IntoIterator<Item = &'a Notification>,
) -> Result<()> {
    let mut counts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for n in inserted {
        *counts.entry((&n.account, &n.kind)).or_default() += 1;
    }
    let mut add = tx.prepare_cached(
        "INSERT INTO kind_counts (account, kind, total) VALUES (?1, ?2, ?3)
         ON CONFLICT (account, kind) DO UPDATE SET total = total + excluded.total",
    )?;
    for ((account, kind), n) in counts {
        add.execute(params![account, kind, n])?;
    }
    Ok(())
}

fn insert_row(
    stmt: &mut rusqlite::CachedStatement<'_>,
    n: &Notification,
    read: bool,
) -> Result<usize> {
    Ok(stmt.execute(params![
        n.account,
        n.id,
        n.kind,
        n.title,
        n.body,
        n.url,
        n.created_at,
        time_micros(&n.created_at),
        read,
        n.data.to_string(),
    ])?)
}

fn save_cursor(
    tx: &Connection,
    account: &str,
    cursor: &str,
    etag: Option<&str>,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO cursors (account, cursor, etag) VALUES (?1, ?2, ?3)
         ON CONFLICT (account) DO UPDATE SET cursor = ?2, etag = ?3",
        params![account, cursor, etag],
    )
}

fn row_to_notification(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    let data: String = r.get(8)?;
    Ok(Notification {
        account: r.get(0)?,
        id: r.get(1)?,
        kind: r.get(2)?,
        title: r.get(3)?,
        body: r.get(4)?,
        url: r.get(5)?,
        created_at: r.get(6)?,
        read: r.get(7)?,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: &str, t: &str, read: bool) -> Notification {
        Notification {
            account: "a".into(),
            id: id.into(),
            kind: "nueva_compra".into(),
            title: format!("t{id}"),
            body: "b".into(),
            url: None,
            created_at: t.into(),
            read,
            data: serde_json::json!({"k": id}),
        }
    }

    fn of(account: &str, kind: &str, id: &str, minute: u32, read: bool) -> Notification {
        Notification {
            account: account.into(),
            kind: kind.into(),
            ..n(id, &format!("2026-12-01T10:{minute:02}:00Z"), read)
        }
    }

    /// Four accounts' worth of mixed kinds, read and unread.
    fn stores_and_kinds() -> Store {
        let s = Store::open_in_memory().unwrap();
        s.ingest(&[
            of("norte", "nueva_compra", "n1", 1, false),
            of("centro", "nueva_compra", "c1", 2, false),
            of("centro", "devolucion", "c2", 3, true),
            of("norte", "devolucion", "n2", 4, false),
            of("centro", "nueva_compra", "c3", 5, false),
            of("norte", "nueva_compra", "n3", 6, true),
            of("centro", "stock_bajo", "c4", 7, false),
        ])
        .unwrap();
        s
    }

    fn ids(list: &[Notification]) -> Vec<&str> {
        list.iter().map(|n| n.id.as_str()).collect()
    }

    #[test]
    fn lists_filter_by_kind_and_group_by_account_page_by_page() {
        let s = stores_and_kinds();
        let page = |q: ListQuery| s.list(&q).unwrap();
        let compras = page(ListQuery {
            kind: Some("nueva_compra".into()),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(ids(&compras), ["n3", "c3", "c1", "n1"]);
        let unread_compras_centro = page(ListQuery {
            account: Some("centro".into()),
            kind: Some("nueva_compra".into()),
            unread_only: true,
            limit: 10,
            ..Default::default()
        });
        assert_eq!(ids(&unread_compras_centro), ["c3", "c1"]);
        // Grouped: accounts in name order, newest first within each, in pages of 3 whose
        // cursor crosses from one account to the next.
        let mut all = Vec::new();
        let mut before: Option<Notification> = None;
        loop {
            let got = page(ListQuery {
                group_by_account: true,
                before: before
                    .as_ref()
                    .map(|b| (b.created_at.clone(), b.id.clone())),
                before_account: before.as_ref().map(|b| b.account.clone()),
                limit: 3,
                ..Default::default()
            });
            if got.is_empty() {
                break;
            }
            before = got.last().cloned();
            all.extend(got);
        }
        assert_eq!(ids(&all), ["c4", "c3", "c2", "c1", "n3", "n2", "n1"]);
        let grouped_unread = page(ListQuery {
            group_by_account: true,
            unread_only: true,
            kind: Some("nueva_compra".into()),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(ids(&grouped_unread), ["c3", "c1", "n1"]);
    }

    #[test]
    fn facets_count_unread_and_stored_per_account_and_kind() {
        let s = stores_and_kinds();
        s.mark_read("centro", &["c1".into()], false).unwrap();
        let all = s.facets(None).unwrap();
        let accounts: Vec<(&str, u64, u64)> = all
            .accounts
            .iter()
            .map(|c| (c.account.as_str(), c.unread, c.total))
            .collect();
        assert_eq!(accounts, [("centro", 2, 4), ("norte", 2, 3)]);
        let kinds: Vec<(&str, u64, u64)> = all
            .kinds
            .iter()
            .map(|c| (c.kind.as_str(), c.unread, c.total))
            .collect();
        assert_eq!(
            kinds,
            [
                ("nueva_compra", 2, 4),
                ("devolucion", 1, 2),
                ("stock_bajo", 1, 1)
            ]
        );
        let norte = s.facets(Some("norte")).unwrap();
        let kinds: Vec<(&str, u64, u64)> = norte
            .kinds
            .iter()
            .map(|c| (c.kind.as_str(), c.unread, c.total))
            .collect();
        assert_eq!(kinds, [("nueva_compra", 1, 2), ("devolucion", 1, 1)]);
        assert_eq!(
            norte.accounts, all.accounts,
            "accounts are always all of them"
        );
        // A mark-all (folded later) and a snooze count as read, as in the unread list.
        s.mark_all_read("norte", false).unwrap();
        s.snooze(
            "centro",
            "c4",
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
        )
        .unwrap();
        let after = s.facets(None).unwrap();
        let unread: Vec<u64> = after.accounts.iter().map(|c| c.unread).collect();
        assert_eq!(unread, [1, 0]);
    }

    #[test]
    fn a_database_from_before_the_chips_is_counted_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        {
            let s = Store::open(&path).unwrap();
            s.ingest(&[
                of("norte", "nueva_compra", "n1", 1, false),
                of("centro", "devolucion", "c1", 2, true),
                of("centro", "devolucion", "c2", 3, false),
            ])
            .unwrap();
            // As version 5 left it: no counts, no kind in the unread index.
            s.conn()
                .execute_batch(
                    "DROP TABLE kind_counts; DROP INDEX notifications_unread_kind;
                     PRAGMA user_version = 5;",
                )
                .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let kinds: Vec<(String, u64, u64)> = s
            .facets(None)
            .unwrap()
            .kinds
            .into_iter()
            .map(|k| (k.kind, k.unread, k.total))
            .collect();
        assert_eq!(
            kinds,
            [("devolucion".into(), 1, 2), ("nueva_compra".into(), 1, 1)]
        );
        // And counted from then on as rows come and go.
        s.ingest(&[of("norte", "devolucion", "n2", 4, false)])
            .unwrap();
        s.forget_account("centro").unwrap();
        let totals: Vec<(String, u64)> = s
            .facets(None)
            .unwrap()
            .kinds
            .into_iter()
            .map(|k| (k.kind, k.total))
            .collect();
        assert_eq!(
            totals,
            [("devolucion".into(), 1), ("nueva_compra".into(), 1)]
        );
    }

    #[test]
    fn search_is_narrowed_by_kind() {
        let s = stores_and_kinds();
        let hits = s
            .search(&SearchQuery {
                text: "t".into(),
                kind: Some("devolucion".into()),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        let got: Vec<&str> = hits.iter().map(|h| h.notification.id.as_str()).collect();
        assert_eq!(got, ["n2", "c2"]);
    }

    #[test]
    fn ingest_deduplicates_and_reports_reads_from_elsewhere() {
        let s = Store::open_in_memory().unwrap();
        let first = s
            .ingest(&[
                n("1", "2025-01-01T00:00:00Z", false),
                n("2", "2025-01-01T00:00:01Z", false),
            ])
            .unwrap();
        assert_eq!(first.new.len(), 2);
        let again = s
            .ingest(&[
                n("1", "2025-01-01T00:00:00Z", true),
                n("2", "2025-01-01T00:00:01Z", false),
            ])
            .unwrap();
        assert!(again.new.is_empty());
        assert_eq!(again.read_elsewhere, vec!["1".to_string()]);
        assert_eq!(s.unread_count(Some("a")).unwrap(), 1);
        assert_eq!(s.get("a", "2").unwrap().unwrap().data["k"], "2");
    }

    #[test]
    fn mark_read_is_local_at_once_and_queued_until_confirmed() {
        let s = Store::open_in_memory().unwrap();
        s.ingest(&[
            n("1", "2025-01-01T00:00:00Z", false),
            n("2", "2025-01-01T00:00:01Z", false),
        ])
        .unwrap();
        assert_eq!(
            s.mark_read("a", &["1".into(), "9".into()], true).unwrap(),
            vec!["1".to_string()]
        );
        assert_eq!(s.unread_count(None).unwrap(), 1);
        let ops = s.outbox("a").unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].kind, OutboxKind::Read("1".into()));
        s.outbox_attempted(ops[0].seq).unwrap();
        assert_eq!(s.outbox("a").unwrap()[0].attempts, 1);
        s.outbox_done(ops[0].seq).unwrap();
        assert_eq!(s.outbox_confirm_read("a", "9").unwrap(), 1);
        assert_eq!(s.outbox_confirm_read("a", "9").unwrap(), 0);
        assert!(s.outbox("a").unwrap().is_empty());
        assert_eq!(s.mark_all_read("a", true).unwrap(), 1);
        assert_eq!(s.outbox("a").unwrap()[0].kind, OutboxKind::ReadAll);
        assert_eq!(s.unread_count(None).unwrap(), 0);
    }

    /// Two processes on one file: each learns the other's marks (and not its own) from
    /// the journal, after `data_version` says the other wrote.
    #[test]
    fn marks_made_by_another_process_are_seen_and_own_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        let app = Store::open(&path).unwrap();
        let cli = Store::open(&path).unwrap();
        app.ingest(&[
            n("1", "2025-01-01T00:00:00Z", false),
            n("2", "2025-01-01T00:00:01Z", false),
        ])
        .unwrap();
        let (seq, version) = (app.journal_seq().unwrap(), app.data_version().unwrap());
        app.mark_read("a", &["1".into()], false).unwrap();
        assert_eq!(
            app.data_version().unwrap(),
            version,
            "own writes do not count"
        );
        assert!(
            app.marks_since(seq).unwrap().1.is_empty(),
            "own marks are not news"
        );
        cli.mark_read("a", &["2".into()], true).unwrap();
        assert_ne!(app.data_version().unwrap(), version);
        let (last, marks) = app.marks_since(seq).unwrap();
        assert_eq!(
            marks,
            vec![MarksElsewhere {
                account: "a".into(),
                ids: vec!["2".into()],
                all: false
            }]
        );
        cli.mark_all_read("a", false).unwrap();
        let (_, marks) = app.marks_since(last).unwrap();
        assert!(marks[0].all && marks[0].ids.is_empty(), "{marks:?}");
    }

    /// A mark made from an id alone, before the notification is stored: it arrives read.
    #[test]
    fn a_notification_marked_before_it_arrives_arrives_read() {
        let s = Store::open_in_memory().unwrap();
        assert!(s.mark_read("a", &["7".into()], true).unwrap().is_empty());
        let got = s
            .ingest(&[
                n("7", "2025-01-01T00:00:00Z", false),
                n("8", "2025-01-01T00:00:01Z", false),
            ])
            .unwrap();
        assert!(got.new[0].read && !got.new[1].read);
        assert!(s.get("a", "7").unwrap().unwrap().read);
        assert_eq!(s.unread_count(Some("a")).unwrap(), 1);
    }

    #[test]
    fn list_is_newest_first_with_keyset_pages() {
        let s = Store::open_in_memory().unwrap();
        let items: Vec<_> = (0..10)
            .map(|i| {
                n(
                    &format!("{i}"),
                    &format!("2025-01-01T00:00:0{i}Z"),
                    i % 2 == 0,
                )
            })
            .collect();
        s.ingest(items.as_slice()).unwrap();
        let page1 = s
            .list(&ListQuery {
                limit: 4,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            page1.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["9", "8", "7", "6"]
        );
        let last = page1.last().unwrap();
        let page2 = s
            .list(&ListQuery {
                limit: 4,
                before: Some((last.created_at.clone(), last.id.clone())),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            page2.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["5", "4", "3", "2"]
        );
        let unread = s
            .list(&ListQuery {
                unread_only: true,
                limit: 100,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(unread.len(), 5);
    }

    #[test]
    fn event_ids_round_trip_per_channel_and_go_with_the_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        {
            let s = Store::open(&path).unwrap();
            s.set_event_id("a", "", "7").unwrap();
            s.set_event_id("a", "", "8").unwrap();
            s.set_event_id("a", "x", "1").unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.event_id("a", "").unwrap().as_deref(), Some("8"));
        assert_eq!(s.event_id("a", "x").unwrap().as_deref(), Some("1"));
        assert_eq!(s.event_id("b", "").unwrap(), None);
        s.forget_account("a").unwrap();
        assert_eq!(s.event_id("a", "").unwrap(), None);
    }

    #[test]
    fn cursor_round_trips_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        {
            let s = Store::open(&path).unwrap();
            s.set_cursor("a", "41", Some("\"e1\"")).unwrap();
            s.set_cursor("a", "42", None).unwrap();
            s.mark_read("a", &["5".into()], true).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.cursor("a").unwrap(), Some(("42".into(), None)));
        assert_eq!(s.outbox("a").unwrap().len(), 1);
        assert_eq!(s.cursor("b").unwrap(), None);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_moved_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
        let s = Store::open(&path).expect("a new database replaces the corrupt one");
        s.ingest(&[n("1", "2025-01-01T00:00:00Z", false)]).unwrap();
        assert_eq!(s.total_count(None).unwrap(), 1);
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with("aviso.db.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        let kept = std::fs::read(dir.path().join(&aside[0])).unwrap();
        assert_eq!(
            kept,
            vec![0x42u8; 8192],
            "the corrupt file is kept as it was"
        );
        // Said until the person dismisses it: writes working do not clear it.
        let problems = s.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, crate::ErrorCode::MovedAside);
        let where_ = problems[0].path.as_deref().unwrap();
        assert!(where_.ends_with(&aside[0]), "{where_}");
        s.ingest(&[n("2", "2025-01-01T00:00:01Z", false)]).unwrap();
        assert_eq!(s.problems().len(), 1);
        assert!(s.dismiss_problem(crate::ErrorCode::MovedAside));
        assert!(s.problems().is_empty());
    }

    #[test]
    fn mark_all_read_is_a_watermark_that_later_notifications_stay_above() {
        let s = Store::open_in_memory().unwrap();
        s.ingest(&[
            n("1", "2025-01-01T00:00:00Z", false),
            n("2", "2025-01-01T00:00:01Z", false),
            n("3", "2025-01-01T00:00:02Z", true),
        ])
        .unwrap();
        assert_eq!(s.mark_all_read("a", false).unwrap(), 2);
        assert_eq!(s.mark_all_read("a", false).unwrap(), 0, "nothing left");
        assert_eq!(s.unread_count(Some("a")).unwrap(), 0);
        assert_eq!(s.unread_count(None).unwrap(), 0);
        // Stored after the click, even if older: unread.
        s.ingest(&[n("0", "2024-12-31T00:00:00Z", false)]).unwrap();
        let late = Notification {
            account: "b".into(),
            ..n("9", "2025-01-02T00:00:00Z", false)
        };
        s.ingest(&[late]).unwrap();
        assert_eq!(s.unread_count(Some("a")).unwrap(), 1);
        assert_eq!(s.unread_count(None).unwrap(), 2);
        assert_eq!(s.unread_ids("a").unwrap(), vec!["0".to_string()]);
        let all = s
            .list(&ListQuery {
                account: Some("a".into()),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        let flags: Vec<_> = all.iter().map(|n| (n.id.as_str(), n.read)).collect();
        assert_eq!(flags, [("3", true), ("2", true), ("1", true), ("0", false)]);
        assert!(s.get("a", "1").unwrap().unwrap().read);
        // Under the mark, neither a mark-read nor the server's read flag changes anything.
        assert!(s.mark_read("a", &["1".into()], false).unwrap().is_empty());
        let again = s.ingest(&[n("2", "2025-01-01T00:00:01Z", true)]).unwrap();
        assert!(again.read_elsewhere.is_empty());
        // Folding the mark into the rows changes no answer.
        let mut folded = 0;
        loop {
            match s.settle_read_marks(1).unwrap() {
                0 => break,
                k => folded += k,
            }
        }
        assert_eq!(folded, 2);
        assert_eq!(s.unread_count(None).unwrap(), 2);
        assert_eq!(s.unread_ids("a").unwrap(), vec!["0".to_string()]);
        let unread = s
            .list(&ListQuery {
                unread_only: true,
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            unread.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["9", "0"]
        );
        s.forget_account("a").unwrap();
        assert_eq!(s.unread_count(None).unwrap(), 1);
    }

    #[test]
    fn snoozed_notifications_leave_the_unread_count_and_list_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        let until: jiff::Timestamp = "2099-12-08T13:00:00Z".parse().unwrap();
        {
            let s = Store::open(&path).unwrap();
            s.ingest(&[
                n("1", "2025-01-01T00:00:00Z", false),
                n("2", "2025-01-01T00:00:01Z", false),
                n("3", "2025-01-01T00:00:02Z", true),
            ])
            .unwrap();
            assert!(s.snooze("a", "1", until).unwrap());
            assert!(
                !s.snooze("a", "3", until).unwrap(),
                "read: nothing to snooze"
            );
            assert!(!s.snooze("a", "9", until).unwrap(), "no such notification");
            assert_eq!(s.unread_count(Some("a")).unwrap(), 1);
            assert_eq!(s.unread_count(None).unwrap(), 1);
        }
        // Across a restart.
        let s = Store::open(&path).unwrap();
        assert_eq!(s.unread_count(Some("a")).unwrap(), 1);
        let unread = |s: &Store| -> Vec<String> {
            s.list(&ListQuery {
                unread_only: true,
                limit: 10,
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect()
        };
        assert_eq!(unread(&s), ["2"]);
        // Still in the full list, and still unread for the server comparison.
        assert_eq!(s.total_count(None).unwrap(), 3);
        assert_eq!(s.unread_ids("a").unwrap(), ["1", "2"]);
        let snoozed = s.snoozes().unwrap();
        assert_eq!(snoozed.len(), 1);
        assert_eq!((snoozed[0].0.id.as_str(), snoozed[0].1), ("1", until));
        assert!(s.unsnooze("a", "1").unwrap());
        assert!(!s.unsnooze("a", "1").unwrap());
        assert_eq!(unread(&s), ["2", "1"]);
        assert_eq!(s.unread_count(None).unwrap(), 2);
        // Reading a snoozed notification ends its snooze; so does mark all read.
        s.snooze("a", "1", until).unwrap();
        s.mark_read("a", &["1".into()], false).unwrap();
        assert!(s.snoozes().unwrap().is_empty());
        s.snooze("a", "2", until).unwrap();
        s.mark_all_read("a", false).unwrap();
        assert!(s.snoozes().unwrap().is_empty());
        // Due while nothing ran: back in the count and list at its time, and still listed
        // as a snooze until the policy announces it.
        s.ingest(&[n("4", "2025-01-01T00:00:03Z", false)]).unwrap();
        s.snooze("a", "4", "2020-01-01T00:00:00Z".parse().unwrap())
            .unwrap();
        assert_eq!(s.unread_count(Some("a")).unwrap(), 1);
        assert_eq!(s.unread_count(None).unwrap(), 1);
        assert_eq!(unread(&s), ["4"]);
        assert_eq!(s.snoozes().unwrap().len(), 1);
    }

    #[test]
    fn a_database_from_before_snoozes_is_upgraded_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        {
            // The schema as the previous release wrote it: no snoozes, user_version 0.
            let old = Connection::open(&path).unwrap();
            old.execute_batch(SCHEMA).unwrap();
            old.execute(
                "INSERT INTO notifications VALUES ('a', '1', 'k', 't', 'b', NULL,
                 '2025-01-01T00:00:00Z', 0, 0, '{}')",
                [],
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let version: i64 = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        assert!(s
            .snooze("a", "1", "2099-01-01T00:00:00Z".parse().unwrap())
            .unwrap());
        assert_eq!(s.unread_count(Some("a")).unwrap(), 0);
        drop(s);
        // Opening again runs nothing twice.
        let s = Store::open(&path).unwrap();
        assert_eq!(s.snoozes().unwrap().len(), 1);
    }

    /// Caps the database at its current size: the next write that needs a page fails with
    /// SQLite's own "database or disk is full".
    fn fill_up(s: &Store) {
        let conn = s.conn();
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        conn.pragma_update(None, "max_page_count", pages).unwrap();
    }

    fn unlimit(s: &Store) {
        s.conn()
            .pragma_update(None, "max_page_count", 1_073_741_823i64)
            .unwrap();
    }

    #[test]
    fn a_full_database_holds_new_notifications_in_memory_until_it_can_write() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("aviso.db")).unwrap();
        s.ingest(&[n("1", "2025-01-01T00:00:00Z", false)]).unwrap();
        fill_up(&s);
        let mut told = s.watch_problems();
        assert!(s.problems().is_empty());
        let big = |id: &str, t: &str| Notification {
            body: "x".repeat(20_000),
            ..n(id, t, false)
        };
        let first = s
            .ingest(&[
                big("1", "2025-01-01T00:00:00Z"),
                big("2", "2025-01-01T00:00:01Z"),
            ])
            .unwrap();
        assert_eq!(first.new.len(), 1, "1 was stored before");
        assert_eq!(
            first.unsaved.as_ref().map(StoreError::code),
            Some(crate::ErrorCode::DiskFull)
        );
        // The banner's source: known at once, told to whoever follows it.
        assert!(told.has_changed().unwrap());
        let codes = |s: &Store| s.problems().into_iter().map(|p| p.code).collect::<Vec<_>>();
        assert_eq!(codes(&s), [crate::ErrorCode::DiskFull]);
        assert_eq!(told.borrow_and_update().len(), 1);
        let again = s
            .ingest(&[
                big("2", "2025-01-01T00:00:01Z"),
                big("3", "2025-01-01T00:00:02Z"),
            ])
            .unwrap();
        assert_eq!(
            again.new.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["3"]
        );
        s.set_cursor("a", "3", None).unwrap();
        assert_eq!(s.held_count(), 2);
        // Held notifications are counted, listed, found and can be marked read.
        assert_eq!(s.unread_count(Some("a")).unwrap(), 3);
        assert_eq!(s.total_count(None).unwrap(), 3);
        let page = s
            .list(&ListQuery {
                limit: 2,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            page.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["3", "2"]
        );
        assert!(s.get("a", "2").unwrap().is_some());
        assert_eq!(s.cursor("a").unwrap(), Some(("3".into(), None)));
        let refused = s.mark_read("a", &["3".into()], false).unwrap_err();
        assert_eq!(
            refused.code(),
            crate::ErrorCode::DiskFull,
            "a mark that cannot be saved says so"
        );
        assert!(s.retry_held().is_err(), "still full");
        assert_eq!(
            codes(&s),
            [crate::ErrorCode::DiskFull],
            "said once, still there"
        );
        assert!(
            !s.dismiss_problem(crate::ErrorCode::DiskFull),
            "it clears itself, never by a click"
        );
        unlimit(&s);
        assert_eq!(s.retry_held().unwrap(), 2);
        assert!(s.problems().is_empty(), "cleared by the write that worked");
        assert!(told.has_changed().unwrap());
        assert_eq!(
            s.mark_read("a", &["3".into()], false).unwrap(),
            vec!["3".to_string()]
        );
        assert_eq!(s.held_count(), 0);
        assert_eq!(s.total_count(None).unwrap(), 3);
        assert!(
            s.get("a", "3").unwrap().unwrap().read,
            "the read flag was kept"
        );
        assert_eq!(s.unread_count(None).unwrap(), 2);
        drop(s);
        let reopened = Store::open(&dir.path().join("aviso.db")).unwrap();
        assert_eq!(reopened.total_count(None).unwrap(), 3);
        assert_eq!(reopened.cursor("a").unwrap(), Some(("3".into(), None)));
    }
}
