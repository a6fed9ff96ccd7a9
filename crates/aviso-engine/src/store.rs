//! The local store: notifications, read state, the catch-up cursor per account, and the
//! outbox of mark-read operations not yet confirmed by the server. SQLite, one file.
//!
//! The connection sits behind a `std::sync::Mutex`, not a Tokio one, for the reason
//! mini-redis gives for its `Db`: every critical section is a short synchronous SQLite call
//! that never crosses an `.await`, so an async mutex would only add overhead. Batches
//! (a catch-up page) run in one transaction, which is what makes bursts cheap.
//! Several processes may share the file (the desktop app and `aviso-cli unread`): WAL mode
//! lets readers run beside the writer, and a busy timeout absorbs short write contention.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

use crate::frame::time_micros;
use crate::model::Notification;

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
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (account) WHERE read = 0;
CREATE TABLE IF NOT EXISTS cursors (
    account TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    etag TEXT
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    op TEXT NOT NULL,
    target TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
";

#[derive(Debug, thiserror::Error)]
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
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::DiskFull(_) => "disk_full",
            StoreError::ReadOnly(_) => "read_only",
            StoreError::Corrupt(_) => "corrupt_database",
            StoreError::Other(_) => "storage",
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
    pub unread_only: bool,
    /// Keyset pagination: only items strictly older than (created_at, id).
    pub before: Option<(String, String)>,
    pub limit: usize,
}

pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        Store::init(conn)
    }

    pub fn open_in_memory() -> Result<Store> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store> {
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back),
        // so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a batch; returns the new ones and those the server reports read that were
    /// unread here. Existing notifications are never duplicated.
    pub fn ingest(&self, items: &[Notification]) -> Result<Ingest> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut out = Ingest::default();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO notifications
                 (account, id, kind, title, body, url, created_at, created_us, read, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut read_elsewhere = tx.prepare_cached(
                "UPDATE notifications SET read = 1 WHERE account = ?1 AND id = ?2 AND read = 0",
            )?;
            for n in items {
                let inserted = insert.execute(params![
                    n.account,
                    n.id,
                    n.kind,
                    n.title,
                    n.body,
                    n.url,
                    n.created_at,
                    time_micros(&n.created_at),
                    n.read,
                    n.data.to_string(),
                ])?;
                if inserted == 1 {
                    out.new.push(n.clone());
                } else if n.read && read_elsewhere.execute(params![n.account, n.id])? == 1 {
                    out.read_elsewhere.push(n.id.clone());
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Marks notifications read locally; with `queue`, records the operation in the outbox
    /// (in the same transaction) so it reaches the server even after a restart. Returns the
    /// ids that changed.
    pub fn mark_read(&self, account: &str, ids: &[String], queue: bool) -> Result<Vec<String>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut changed = Vec::new();
        {
            let mut update = tx.prepare_cached(
                "UPDATE notifications SET read = 1 WHERE account = ?1 AND id = ?2 AND read = 0",
            )?;
            let mut enqueue = tx.prepare_cached(
                "INSERT INTO outbox (account, op, target) VALUES (?1, 'read', ?2)",
            )?;
            for id in ids {
                if update.execute(params![account, id])? == 1 {
                    changed.push(id.clone());
                }
                if queue {
                    enqueue.execute(params![account, id])?;
                }
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Marks every notification of `account` read; see [`Store::mark_read`].
    pub fn mark_all_read(&self, account: &str, queue: bool) -> Result<Vec<String>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed: Vec<String> = {
            let mut stmt = tx.prepare(
                "UPDATE notifications SET read = 1 WHERE account = ?1 AND read = 0 RETURNING id",
            )?;
            let rows = stmt.query_map([account], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if queue {
            tx.execute(
                "INSERT INTO outbox (account, op, target) VALUES (?1, 'read_all', '')",
                [account],
            )?;
        }
        tx.commit()?;
        Ok(changed)
    }

    pub fn unread_count(&self, account: Option<&str>) -> Result<u64> {
        let conn = self.conn();
        let n: i64 = match account {
            Some(a) => conn.query_row(
                "SELECT COUNT(*) FROM notifications WHERE account = ?1 AND read = 0",
                [a],
                |r| r.get(0),
            )?,
            None => conn.query_row(
                "SELECT COUNT(*) FROM notifications WHERE read = 0",
                [],
                |r| r.get(0),
            )?,
        };
        Ok(n as u64)
    }

    pub fn total_count(&self, account: Option<&str>) -> Result<u64> {
        let conn = self.conn();
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM notifications WHERE ?1 IS NULL OR account = ?1",
            [account],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Newest first.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<Notification>> {
        let conn = self.conn();
        let (before_us, before_id) = match &q.before {
            Some((t, id)) => (Some(time_micros(t)), Some(id.clone())),
            None => (None, None),
        };
        let mut stmt = conn.prepare_cached(
            "SELECT account, id, kind, title, body, url, created_at, read, data FROM notifications
             WHERE (?1 IS NULL OR account = ?1) AND (?2 = 0 OR read = 0)
               AND (?3 IS NULL OR created_us < ?3 OR (created_us = ?3 AND id < ?4))
             ORDER BY created_us DESC, id DESC LIMIT ?5",
        )?;
        let rows = stmt.query_map(
            params![
                q.account,
                q.unread_only,
                before_us,
                before_id,
                q.limit as i64
            ],
            row_to_notification,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn get(&self, account: &str, id: &str) -> Result<Option<Notification>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT account, id, kind, title, body, url, created_at, read, data
                 FROM notifications WHERE account = ?1 AND id = ?2",
                [account, id],
                row_to_notification,
            )
            .optional()?)
    }

    /// The catch-up cursor and the last list ETag of an account.
    pub fn cursor(&self, account: &str) -> Result<Option<(String, Option<String>)>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT cursor, etag FROM cursors WHERE account = ?1",
                [account],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn set_cursor(&self, account: &str, cursor: &str, etag: Option<&str>) -> Result<()> {
        self.conn().execute(
            "INSERT INTO cursors (account, cursor, etag) VALUES (?1, ?2, ?3)
             ON CONFLICT (account) DO UPDATE SET cursor = ?2, etag = ?3",
            params![account, cursor, etag],
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

    /// Forgets an account's notifications, cursor and outbox (logout).
    pub fn forget_account(&self, account: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for table in ["notifications", "cursors", "outbox"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE account = ?1"),
                [account],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
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
        assert_eq!(s.mark_all_read("a", true).unwrap(), vec!["2".to_string()]);
        assert_eq!(s.outbox("a").unwrap()[0].kind, OutboxKind::ReadAll);
        assert_eq!(s.unread_count(None).unwrap(), 0);
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
        s.ingest(&items).unwrap();
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
    fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
        let err = Store::open(&path).err().expect("garbage must not open");
        assert_eq!(err.code(), "corrupt_database", "{err}");
    }
}
