//! Full-text search over the store: title, body and payload values of every notification,
//! insensitive to case and accents, each word of the query a prefix (as you type).
//!
//! - **The index** is an FTS5 table (`notifications_fts`, [`SCHEMA`]) beside `notifications`,
//!   written in batches of [`INDEX_BATCH`] by the transactions that store notifications (a
//!   search matches the few not indexed yet directly), and dropped with them by a trigger.
//!   It is contentless (the text lives in `notifications` only) and `detail=column` (which
//!   columns hold a word, no positions): a query is a few prefix terms ANDed, which needs no
//!   positions; without them the index is cheaper to write than `detail=full`, and prefix
//!   queries read 2-4 times faster than with `detail=none` (measured here).
//! - **The tokenizer** is SQLite's `unicode61` with `remove_diacritics 2`: "perez" finds
//!   "Pérez", "devolucion" finds "Devolución", "espana" finds "España". The query is split
//!   and folded here by the same rules ([`tokens`], [`fold`]: a port of unicode61's), so user
//!   input never reaches FTS5 as syntax: each word becomes a quoted prefix term (`"perez"*`),
//!   and `"`, `*`, `AND`, `-`, `:` are separators or plain words.
//! - **Highlights** are computed here with the same tokenizer: the part of each word of the
//!   title and body that a query word is a prefix of, as byte ranges into the original text
//!   (always on char boundaries). The embedders turn them into [`Segment`]s, so no consumer
//!   does offset arithmetic and text is never markup.
//! - **Order**: newest first, as the list. In a notification inbox the recent match is the
//!   one sought ("the purchase of Pérez last Tuesday"), and ranking by relevance (bm25)
//!   would score every match before the first page could be shown, where newest first can
//!   stop early: see [`newest_matches`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::frame::time_micros;
use crate::model::Notification;

/// The index's columns and options (the same for the file's index and a stand-in).
macro_rules! fts_options {
    () => {
        "(title, body, payload, content = '', contentless_delete = 1, detail = column,
          tokenize = 'unicode61 remove_diacritics 2')"
    };
}

/// The values of a JSON column as `payload` holds them, in SQL: for the rows a migration
/// indexes (new rows are flattened by [`payload_text`]; the two agree but for the spelling
/// of some floats, e.g. `1e21` against `1.0e+21`).
macro_rules! payload_of {
    ($data:literal) => {
        concat!(
            "CASE WHEN json_valid(",
            $data,
            ") THEN (SELECT group_concat(value, ' ') FROM json_tree(",
            $data,
            ") WHERE type IN ('text', 'integer', 'real')) END"
        )
    };
}

/// The index, how far it goes, the trigger that drops a deleted notification from it, and
/// the fill for a database that has notifications but no index yet (a migration step: see
/// `store::MIGRATIONS`).
///
/// **Indexed in batches.** FTS5 writes a new segment of its index at each commit, which
/// costs ~60 µs whatever the commit holds: indexing each notification in the transaction
/// that stores it made one stored alone cost 60 µs more, and a burst stored in small
/// batches 17 µs (10 a transaction) to 4 µs (100) more each, against 2 µs in batches of
/// 1,000 (measured here). So notifications are stored without touching the index, and
/// `search_indexed.upto` says up to which rowid the index holds them; when a write leaves
/// [`INDEX_BATCH`] or more behind, they are indexed in that transaction ([`catch_up`]). A
/// search matches the few not indexed yet directly (fewer than `INDEX_BATCH`,
/// [`unindexed_matches`]), so its answer never lags.
///
/// Not by a trigger either: FTS5 under a trigger indexed 2-3 times slower (33,000 against
/// 92,000 rows/s in batches of 1,000), as each triggering statement makes it flush. Deleting
/// is rare (an account forgotten), so a trigger keeps every delete in step, and keeps `upto`
/// below the rowid the next notification will get (SQLite reuses the highest rowids once
/// they are deleted). `automerge = 16` (FTS5's default is 4) merges the index's segments
/// less often: 22% less CPU per notification indexed (2.8 against 3.6 µs over the 3.9 µs of
/// storing it, batches of 1,000), for queries 0-20% slower. A notification's title, body and
/// data never change once stored (only its read state does), so there is no update to
/// follow.
pub(super) const SCHEMA: &str = concat!(
    "CREATE VIRTUAL TABLE IF NOT EXISTS main.notifications_fts USING fts5 ",
    fts_options!(),
    ";
INSERT INTO main.notifications_fts (notifications_fts, rank) VALUES ('automerge', 16);
CREATE TABLE IF NOT EXISTS main.search_indexed (upto INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS notifications_fts_delete AFTER DELETE ON notifications BEGIN
    DELETE FROM notifications_fts
        WHERE rowid = old.rowid AND old.rowid <= (SELECT upto FROM search_indexed);
    UPDATE search_indexed
        SET upto = MIN(upto, (SELECT IFNULL(MAX(rowid), 0) FROM notifications));
END;
INSERT INTO main.notifications_fts (rowid, title, body, payload)
    SELECT rowid, title, body, ",
    payload_of!("data"),
    " FROM main.notifications;
INSERT INTO main.search_indexed (upto) SELECT IFNULL(MAX(rowid), 0) FROM main.notifications;
"
);

/// A stand-in index in memory, for a database opened read-only that has no index yet (made
/// by a release before search): filled from its notifications, so search works there too.
pub(super) const TEMP_INDEX: &str = concat!(
    "CREATE VIRTUAL TABLE temp.notifications_fts USING fts5 ",
    fts_options!(),
    ";
INSERT INTO temp.notifications_fts (rowid, title, body, payload)
    SELECT rowid, title, body, ",
    payload_of!("data"),
    " FROM main.notifications;
CREATE TEMP TABLE search_indexed AS
    SELECT IFNULL(MAX(rowid), 0) AS upto FROM main.notifications;
"
);

/// How many notifications may wait to be indexed: a write that leaves this many indexes
/// them. FTS5's cost per commit (~60 µs) then comes to ~0.06 µs a notification, with fewer
/// segments to merge during a burst, and a search matches at most 1,023 rows outside the
/// index directly (the store-scale bench's search rows include them).
pub(super) const INDEX_BATCH: usize = 1024;

/// Indexes the notifications stored after `search_indexed.upto` when there are `batch` or
/// more, in the caller's transaction.
pub(super) fn catch_up(tx: &Connection, batch: usize) -> rusqlite::Result<()> {
    catch_up_with(tx, batch, &[])
}

/// [`catch_up`], given the rows this transaction just stored (`(rowid, notification)`, in
/// rowid order): those are indexed from memory, not read back and their payload parsed
/// again (a third of what indexing cost in a burst).
pub(super) fn catch_up_with(
    tx: &Connection,
    batch: usize,
    fresh: &[(i64, &Notification)],
) -> rusqlite::Result<()> {
    let upto: i64 = tx
        .prepare_cached("SELECT upto FROM search_indexed")?
        .query_row([], |r| r.get(0))?;
    let newest: i64 = tx
        .prepare_cached("SELECT IFNULL(MAX(rowid), 0) FROM notifications")?
        .query_row([], |r| r.get(0))?;
    if newest - upto < batch as i64 {
        return Ok(());
    }
    // The fresh rows are the newest, one after the other (SQLite gives max + 1): the
    // ones before them are read back. Anything else (a rowid reused) reads everything.
    let in_memory = match (fresh.first(), fresh.last()) {
        (Some(&(first, _)), Some(&(last, _))) => {
            last == newest && first > upto && last - first + 1 == fresh.len() as i64
        }
        _ => false,
    };
    let read_below = if in_memory { fresh[0].0 } else { i64::MAX };
    let mut select = tx.prepare_cached(
        "SELECT rowid, title, body, data FROM notifications
         WHERE rowid > ?1 AND rowid < ?2 ORDER BY rowid",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO notifications_fts (rowid, title, body, payload) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut rows = select.query([upto, read_below])?;
    while let Some(row) = rows.next()? {
        let data: String = row.get(3)?;
        let payload = serde_json::from_str(&data)
            .map(|v| payload_text(&v))
            .unwrap_or_default();
        insert.execute(params![
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            payload
        ])?;
    }
    if in_memory {
        for (rowid, n) in fresh {
            insert.execute(params![rowid, n.title, n.body, payload_text(&n.data)])?;
        }
    }
    tx.prepare_cached("UPDATE search_indexed SET upto = ?1")?
        .execute([newest])?;
    Ok(())
}

/// The notifications stored but not indexed yet that match `terms` and the filters (fewer
/// than [`INDEX_BATCH`] rows to look at), as [`newest_matches`] gives them.
pub(super) fn unindexed_matches(
    conn: &Connection,
    terms: &[String],
    q: &SearchQuery,
    unread_sql: &str,
    now_us: i64,
) -> rusqlite::Result<Vec<(i64, i64, String)>> {
    let (before_us, before_id) = match &q.before {
        Some((t, id)) => (Some(time_micros(t)), Some(id.clone())),
        None => (None, None),
    };
    // `?1` is not used: the filters keep the numbers they have in the other queries.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT n.rowid, n.created_us, n.id, n.title, n.body, n.data
         FROM notifications AS n LEFT JOIN read_marks AS m ON m.account = n.account
         WHERE n.rowid > (SELECT upto FROM search_indexed) AND ?1 IS NULL
           AND (?2 IS NULL OR n.account = ?2)
           AND (?3 = 0 OR ({unread_sql}))
           AND (?4 IS NULL OR n.created_us < ?4 OR (n.created_us = ?4 AND n.id < ?5))
           AND (?7 IS NULL OR n.kind = ?7)"
    ))?;
    let mut rows = stmt.query(params![
        None::<i64>,
        q.account,
        q.unread_only,
        before_us,
        before_id,
        now_us,
        q.kind
    ])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let data: String = row.get(5)?;
        let data = serde_json::from_str(&data).unwrap_or(serde_json::Value::Null);
        let texts = [row.get(3)?, row.get(4)?, payload_text(&data)];
        if matches_texts(&texts, terms) {
            out.push((row.get(0)?, row.get(1)?, row.get(2)?));
        }
    }
    Ok(out)
}

/// At most this many words of a query are used (a pasted paragraph is not an error).
const MAX_TERMS: usize = 16;

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What the person typed. Words are matched as prefixes, all of them required; anything
    /// that is not a letter or digit separates words.
    pub text: String,
    pub account: Option<String>,
    /// Only notifications of this kind.
    pub kind: Option<String>,
    /// Only what the unread list shows (unread, not snoozed).
    pub unread_only: bool,
    /// Keyset pagination, as [`super::ListQuery::before`]: only hits strictly older than
    /// (created_at, id).
    pub before: Option<(String, String)>,
    pub limit: usize,
}

/// A notification that matches, with where: byte ranges of `notification.title` and
/// `notification.body`, in order, never overlapping, always on char boundaries. A hit may
/// have none (it matched in the payload only).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub notification: Notification,
    pub title: Vec<Range<usize>>,
    pub body: Vec<Range<usize>>,
}

/// A piece of a text, matched or not: what the CLI's JSON and the panel receive instead of
/// offsets. Rendered as text (the panel wraps matched pieces in `<mark>` elements).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    #[serde(rename = "match")]
    pub matched: bool,
}

/// `text` cut at `ranges` (as [`SearchHit`] gives them): alternating plain and matched
/// pieces, none empty, which joined give `text` back.
pub fn segments(text: &str, ranges: &[Range<usize>]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut push = |piece: &str, matched: bool| {
        if !piece.is_empty() {
            out.push(Segment {
                text: piece.to_string(),
                matched,
            });
        }
    };
    for r in ranges {
        let (start, end) = (r.start.clamp(at, text.len()), r.end.min(text.len()));
        let (Some(before), Some(hit)) = (text.get(at..start), text.get(start..end.max(start)))
        else {
            continue;
        };
        push(before, false);
        push(hit, true);
        at = end.max(start);
    }
    push(&text[at..], false);
    out
}

impl SearchHit {
    pub fn title_segments(&self) -> Vec<Segment> {
        segments(&self.notification.title, &self.title)
    }

    pub fn body_segments(&self) -> Vec<Segment> {
        segments(&self.notification.body, &self.body)
    }
}

/// The words of a query, folded, at most [`MAX_TERMS`], without repeats.
pub(super) fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in tokens(text) {
        if out.len() == MAX_TERMS {
            break;
        }
        if !out.contains(&token.folded) {
            out.push(token.folded);
        }
    }
    out
}

/// The FTS5 expression for `terms`: each a quoted prefix term, all required. Terms hold
/// letters and digits only, but quotes are doubled all the same.
pub(super) fn fts_expression(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where `terms` match in `text`: for each word that a term is a prefix of, the part of the
/// word that term covers (the longest when several do).
pub(super) fn highlight(text: &str, terms: &[String]) -> Vec<Range<usize>> {
    tokens(text)
        .into_iter()
        .filter_map(|token| {
            let covered = terms
                .iter()
                .filter(|t| token.folded.starts_with(t.as_str()))
                .map(String::len)
                .max()?;
            Some(token.range.start..token.original_end(covered))
        })
        .collect()
}

/// Whether a notification matches every term somewhere: for those not written to the
/// database yet (held in memory), which the index does not have.
pub(super) fn matches(n: &Notification, terms: &[String]) -> bool {
    matches_texts(
        &[n.title.clone(), n.body.clone(), payload_text(&n.data)],
        terms,
    )
}

/// Whether every term is a prefix of a word of `texts`.
fn matches_texts(texts: &[String], terms: &[String]) -> bool {
    let words: Vec<String> = texts
        .iter()
        .flat_map(|text| tokens(text).into_iter().map(|t| t.folded))
        .collect();
    terms
        .iter()
        .all(|t| words.iter().any(|w| w.starts_with(t.as_str())))
}

/// The payload's values (strings and numbers, not keys), space-separated: what the index
/// holds as `payload` (the triggers flatten the same way with `json_tree`).
fn payload_text(data: &serde_json::Value) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        use std::fmt::Write as _;
        let sep = |out: &mut String| {
            if !out.is_empty() {
                out.push(' ');
            }
        };
        match v {
            serde_json::Value::String(s) => {
                sep(out);
                out.push_str(s);
            }
            serde_json::Value::Number(n) => {
                sep(out);
                let _ = write!(out, "{n}");
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            serde_json::Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            serde_json::Value::Bool(_) | serde_json::Value::Null => {}
        }
    }
    let mut out = String::new();
    walk(data, &mut out);
    out
}

/// The rows to scan between two looks at whether the newest matches are all found, at
/// first (it doubles after each look).
const FIRST_LOOK: usize = 64;

/// The newest `q.limit` notifications that match `expression` and the filters, as
/// (rowid, created_us, id), newest first.
///
/// Sorting every match by time costs O(matches): ~100,000 rows for a one-letter prefix on a
/// big store (40-80 ms here). Instead the matches are read from FTS5 in rowid order, which
/// it gives without sorting. Rowids follow arrival, and arrival is mostly time order: live
/// events come oldest first, while a catch-up whose pages come newest first stores a
/// backlog in reverse. So the scan reads from the newest rowid down and, once that alone
/// has not settled it, also from the oldest rowid up; it keeps the best `limit` by time and
/// stops once no row it has not read can be newer than the worst of them. The bound is the
/// newest row of the whole table between the two scan positions (one walk down the time
/// index, past the rows already read). With rows stored in either order that holds after
/// about `limit` matches; with orders mixed it reads on, never returning a wrong page.
pub(super) fn newest_matches(
    conn: &Connection,
    expression: &str,
    q: &SearchQuery,
    unread_sql: &str,
    now_us: i64,
) -> rusqlite::Result<Vec<(i64, i64, String)>> {
    if q.limit == 0 {
        return Ok(Vec::new());
    }
    let (before_us, before_id) = match &q.before {
        Some((t, id)) => (Some(time_micros(t)), Some(id.clone())),
        None => (None, None),
    };
    let scan_sql = |direction: &str| {
        format!(
            "SELECT n.rowid, n.created_us, n.id
             FROM notifications_fts CROSS JOIN notifications AS n
               ON n.rowid = notifications_fts.rowid
             LEFT JOIN read_marks AS m ON m.account = n.account
             WHERE notifications_fts MATCH ?1
               AND (?2 IS NULL OR n.account = ?2)
               AND (?3 = 0 OR ({unread_sql}))
               AND (?4 IS NULL OR n.created_us < ?4 OR (n.created_us = ?4 AND n.id < ?5))
               AND (?7 IS NULL OR n.kind = ?7)
             ORDER BY notifications_fts.rowid {direction}"
        )
    };
    let args = params![
        expression,
        q.account,
        q.unread_only,
        before_us,
        before_id,
        now_us,
        q.kind
    ];
    let mut down_stmt = conn.prepare_cached(&scan_sql("DESC"))?;
    let mut up_stmt = conn.prepare_cached(&scan_sql("ASC"))?;
    // The newest notification stored between two rowids: what bounds the rows not read.
    let mut newest_between = conn.prepare_cached(
        "SELECT created_us, id FROM notifications INDEXED BY notifications_order
         WHERE rowid > ?1 AND rowid < ?2 ORDER BY created_us DESC, id DESC LIMIT 1",
    )?;
    let mut down = down_stmt.query(args)?;
    // Read only when reading down has not settled it at the first look (FTS5 does nothing
    // for a scan before its first row is asked for).
    let mut up = up_stmt.query(args)?;
    let mut two_ended = false;
    // Every match at or below `low` and at or above `high` has been read.
    let (mut low, mut high) = (i64::MIN, i64::MAX);
    // The best `limit` so far; the heap's top is the oldest of them.
    let mut best: BinaryHeap<Reverse<(i64, String, i64)>> = BinaryHeap::new();
    let mut scanned = 0usize;
    let mut next_look = q.limit.max(FIRST_LOOK);
    let mut upward = false;
    loop {
        let row = if upward { up.next()? } else { down.next()? };
        let Some(row) = row else {
            // One end reached the other: every match has been read.
            break;
        };
        let rowid: i64 = row.get(0)?;
        if (upward && rowid >= high) || (!upward && rowid <= low) {
            break;
        }
        if upward {
            low = rowid;
        } else {
            high = rowid;
        }
        let key = (row.get::<_, i64>(1)?, row.get::<_, String>(2)?, rowid);
        scanned += 1;
        if best.len() < q.limit {
            best.push(Reverse(key));
        } else if best.peek().is_some_and(|Reverse(worst)| key > *worst) {
            best.pop();
            best.push(Reverse(key));
        }
        if best.len() == q.limit && scanned >= next_look {
            next_look = scanned * 2;
            let bound: Option<(i64, String)> =
                match newest_between.query_row([low, high], |r| Ok((r.get(0)?, r.get(1)?))) {
                    Ok(bound) => Some(bound),
                    Err(rusqlite::Error::QueryReturnedNoRows) => None,
                    Err(e) => return Err(e),
                };
            let Some(Reverse((worst_us, worst_id, _))) = best.peek() else {
                break;
            };
            // What is left is also older than `before`.
            let left = match (bound, &before_us, &before_id) {
                (None, ..) => break,
                (Some((us, id)), Some(b_us), Some(b_id)) if (*b_us, b_id) < (us, &id) => {
                    (*b_us, b_id.clone())
                }
                (Some(bound), ..) => bound,
            };
            if (left.0, left.1.as_str()) <= (*worst_us, worst_id.as_str()) {
                break;
            }
            two_ended = true;
        }
        if two_ended {
            upward = !upward;
        }
    }
    let mut out: Vec<(i64, i64, String)> = best
        .into_iter()
        .map(|Reverse((us, id, rowid))| (rowid, us, id))
        .collect();
    out.sort_by(|a, b| (b.1, &b.2).cmp(&(a.1, &a.2)));
    Ok(out)
}

/// One word of a text: where it is, its folded form, and for each char of the original the
/// folded length up to its end (to map a matched prefix back onto the original).
struct Token {
    range: Range<usize>,
    folded: String,
    /// (end of the char in the original, folded bytes up to and including it)
    ends: Vec<(usize, usize)>,
}

impl Token {
    /// Where in the original the first `folded_len` folded bytes end, taking along the
    /// chars that fold to nothing right after (a combining accent stays with its letter).
    fn original_end(&self, folded_len: usize) -> usize {
        let mut end = self.range.start;
        for &(char_end, len) in &self.ends {
            if len > folded_len {
                break;
            }
            end = char_end;
        }
        end.max(self.range.start)
    }
}

/// The words of `text` as FTS5's `unicode61` tokenizer sees them: runs of letters and
/// digits (and the combining accents inside them), folded by [`fold`].
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current: Option<Token> = None;
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        if is_word_char(c, current.is_some()) {
            let token = current.get_or_insert_with(|| Token {
                range: at..at,
                folded: String::new(),
                ends: Vec::new(),
            });
            if let Some(f) = fold(c) {
                token.folded.push(f);
            }
            token.range.end = end;
            token.ends.push((end, token.folded.len()));
        } else if let Some(token) = current.take() {
            out.push(token);
        }
    }
    out.extend(current);
    out
}

/// Whether `c` is part of a word (`inside`: one has begun): letters and digits, and inside a
/// word SQLite's combining accents. Other combining marks (which Rust counts as alphabetic)
/// separate words in unicode61.
fn is_word_char(c: char, inside: bool) -> bool {
    match c as u32 {
        0x300..=0x36F => inside && is_diacritic(c),
        _ => c.is_alphanumeric(),
    }
}

/// A char as `unicode61 remove_diacritics 2` indexes it: lower case, without its accent
/// (`None`: a combining accent, which is dropped). The lower case is Rust's; the accents are
/// SQLite's own table (`fts5_remove_diacritic`), so both sides agree letter for letter.
fn fold(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c.to_ascii_lowercase());
    }
    let lower = case_fold(c);
    if (c as u32) >= 0x1_0000 {
        return Some(lower);
    }
    match remove_diacritic(lower as u32) {
        0 => None,
        base => Some(char::from_u32(base).unwrap_or(lower)),
    }
}

/// Unicode's simple case folding, which SQLite applies: Rust's lower case, except for the
/// letters whose folding is another letter than their lower case (`ς` folds to `σ`, `ſ` to
/// `s`, `µ` to `μ`…).
fn case_fold(c: char) -> char {
    match c {
        '\u{B5}' => '\u{3BC}',
        '\u{17F}' => 's',
        '\u{3C2}' => '\u{3C3}',
        '\u{3D0}' => '\u{3B2}',
        '\u{3D1}' => '\u{3B8}',
        '\u{3D5}' => '\u{3C6}',
        '\u{3D6}' => '\u{3C0}',
        '\u{3F0}' => '\u{3BA}',
        '\u{3F1}' => '\u{3C1}',
        '\u{3F5}' => '\u{3B5}',
        '\u{1E9B}' => '\u{1E61}',
        _ => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        }
    }
}

/// SQLite's `sqlite3Fts5UnicodeIsdiacritic`: the combining accents that may continue a word.
fn is_diacritic(c: char) -> bool {
    const MASK0: u32 = 0x0802_9FDF;
    const MASK1: u32 = 0x0003_61F8;
    match c as u32 {
        c @ 768..800 => MASK0 & (1 << (c - 768)) != 0,
        c @ 800..=817 => MASK1 & (1 << (c - 800)) != 0,
        _ => false,
    }
}

/// SQLite's `fts5_remove_diacritic(c, 1)`, table and all: `DIA[i] >> 3` is the first code
/// point of a run, `DIA[i] & 7` its length less one, `DIA_BASE[i]` the letter they all fold
/// to (`0`: dropped).
fn remove_diacritic(c: u32) -> u32 {
    #[rustfmt::skip]
    const DIA: [u16; 126] = [
        0, 1797, 1848, 1859, 1891, 1928, 1940, 1995, 2024, 2040,
        2060, 2110, 2168, 2206, 2264, 2286, 2344, 2383, 2472, 2488,
        2516, 2596, 2668, 2732, 2782, 2842, 2894, 2954, 2984, 3000,
        3028, 3336, 3456, 3696, 3712, 3728, 3744, 3766, 3832, 3896,
        3912, 3928, 3944, 3968, 4008, 4040, 4056, 4106, 4138, 4170,
        4202, 4234, 4266, 4296, 4312, 4344, 4408, 4424, 4442, 4472,
        4488, 4504, 6148, 6198, 6264, 6280, 6360, 6429, 6505, 6529,
        61448, 61468, 61512, 61534, 61592, 61610, 61642, 61672, 61688, 61704,
        61726, 61784, 61800, 61816, 61836, 61880, 61896, 61914, 61948, 61998,
        62062, 62122, 62154, 62184, 62200, 62218, 62252, 62302, 62364, 62410,
        62442, 62478, 62536, 62554, 62584, 62604, 62640, 62648, 62656, 62664,
        62730, 62766, 62830, 62890, 62924, 62974, 63032, 63050, 63082, 63118,
        63182, 63242, 63274, 63310, 63368, 63390,
    ];
    const DIA_BASE: &[u8; 126] = b"0aceinouyyacdeeghijklnorstuuwyzouaiouuagkoojgnaaeiorusthaeoooy\
        00000000abcddeeefghhiiklllmnoprrrsstuuvwwxyzhtwyaaaaeeeioooouuuy";
    let key = (c << 3) | 7;
    let i = DIA.partition_point(|&d| u32::from(d) <= key) - 1;
    let run = u32::from(DIA[i]);
    if c > (run >> 3) + (run & 7) {
        return c;
    }
    match DIA_BASE[i] {
        b'0' => 0,
        base => u32::from(base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|t| t.folded).collect()
    }

    #[test]
    fn words_fold_case_and_spanish_accents() {
        assert_eq!(
            folded("Devolución de PÉREZ, Ñandú; pingüino"),
            ["devolucion", "de", "perez", "nandu", "pinguino"]
        );
        // Decomposed accents (e + U+0301) stay inside the word and are dropped.
        assert_eq!(folded("Pe\u{301}rez"), ["perez"]);
        assert_eq!(folded("#1042 $350.00"), ["1042", "350", "00"]);
    }

    #[test]
    fn query_syntax_is_never_passed_through() {
        assert!(terms("\" * - : ( ) ^ + {}").is_empty());
        assert_eq!(terms("AND perez OR -x:y"), ["and", "perez", "or", "x", "y"]);
        assert_eq!(
            fts_expression(&terms("Pérez \"AND\"")),
            "\"perez\"* \"and\"*"
        );
        assert_eq!(terms("a a A á"), ["a"]);
        assert_eq!(terms(&"palabra ".repeat(40)).len(), 1);
        let many: String = (0..40).map(|i| format!("w{i} ")).collect();
        assert_eq!(terms(&many).len(), MAX_TERMS);
    }

    #[test]
    fn highlights_are_the_matched_prefixes_in_bytes_of_the_original() {
        let text = "Cliente Ana Pérez realizó compra; Ñandú";
        let ranges = highlight(text, &terms("pe real nan"));
        let parts: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(parts, ["Pé", "real", "Ñan"]);
        // "Pé" is 3 bytes: é is two.
        assert_eq!(ranges[0], 12..15);
        // A decomposed accent goes with its letter.
        let nfd = "Pe\u{301}rez";
        let r = highlight(nfd, &terms("pe"));
        assert_eq!(&nfd[r[0].clone()], "Pe\u{301}");
        // The longest term covering a word wins; words no term starts are not marked.
        let r = highlight("compra comprador", &terms("comp compra"));
        assert_eq!(r, [0..6, 7..13]);
        assert!(highlight("recompra", &terms("compra")).is_empty());
    }

    #[test]
    fn segments_join_back_to_the_text() {
        let text = "Cliente Ana Pérez";
        let s = segments(text, &highlight(text, &terms("perez cli")));
        let shown: Vec<(&str, bool)> = s.iter().map(|s| (s.text.as_str(), s.matched)).collect();
        assert_eq!(
            shown,
            [("Cli", true), ("ente Ana ", false), ("Pérez", true)]
        );
        assert_eq!(s.iter().map(|s| s.text.as_str()).collect::<String>(), text);
        assert_eq!(segments("", &[]), []);
        // Ranges that are not on char boundaries (not ours) are skipped, never a panic.
        assert_eq!(
            segments("é", &[Range { start: 1, end: 2 }]),
            [Segment {
                text: "é".into(),
                matched: false
            }]
        );
    }

    #[test]
    fn payload_values_are_flattened_without_keys() {
        let data = serde_json::json!({"cliente": {"nombre": "Pérez"}, "total": 350.5,
                                      "items": [1042, true, null], "clave_oculta": "x"});
        let text = payload_text(&data);
        assert!(text.contains("Pérez") && text.contains("350.5") && text.contains("1042"));
        assert!(!text.contains("cliente") && !text.contains("true"));
    }

    /// The tokenizer and fold here agree with SQLite's own, char by char: every code point
    /// of the Latin, Greek and Cyrillic blocks (and the combining accents) inside a word, as
    /// FTS5 indexes it (read back through `fts5vocab`) and as `tokens` folds it.
    #[test]
    fn the_port_agrees_with_sqlites_unicode61_tokenizer() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5 (x, tokenize = 'unicode61 remove_diacritics 2');
             CREATE VIRTUAL TABLE v USING fts5vocab (t, 'instance');",
        )
        .unwrap();
        // Where the two cannot agree: code points SQLite's tables predate (unassigned ones
        // and the bidi isolates of Unicode 6.3 count as letters there, as nothing in Rust),
        // and letters of Unicode 7 that SQLite's case table leaves upper case.
        let known = [
            0x378, 0x379, 0x380, 0x381, 0x382, 0x383, 0x38B, 0x38D, 0x3A2, 0x2065, 0x2066, 0x2067,
            0x2068, 0x2069, 0x37F, 0x528, 0x52A, 0x52C, 0x52E,
        ];
        let ranges = [
            0x80..0x250u32,
            0x300..0x370,
            0x370..0x530,
            0x1E00..0x1F00,
            0x2000..0x2070,
        ];
        let mut insert = conn
            .prepare("INSERT INTO t (rowid, x) VALUES (?1, ?2)")
            .unwrap();
        for cp in ranges.iter().cloned().flatten() {
            let c = char::from_u32(cp).unwrap();
            insert.execute(params![cp, format!("x{c}x {c}")]).unwrap();
        }
        let mut read = conn
            .prepare("SELECT term FROM v WHERE doc = ?1 ORDER BY offset")
            .unwrap();
        let mut differ = Vec::new();
        for cp in ranges.iter().cloned().flatten() {
            let c = char::from_u32(cp).unwrap();
            let sqlite: Vec<String> = read
                .query_map([cp], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let ours = folded(&format!("x{c}x {c}"));
            if sqlite != ours && !known.contains(&cp) {
                differ.push(format!("U+{cp:04X} {c}: sqlite {sqlite:?}, ours {ours:?}"));
            }
        }
        assert!(
            differ.is_empty(),
            "{} differ:\n{}",
            differ.len(),
            differ.join("\n")
        );
    }

    // --- The store's search, end to end ---

    use crate::store::{ListQuery, Store, StoreError, MIGRATIONS};

    fn note(account: &str, id: &str, t: &str, title: &str, body: &str) -> Notification {
        Notification {
            account: account.into(),
            id: id.into(),
            kind: "nueva_compra".into(),
            title: title.into(),
            body: body.into(),
            url: None,
            created_at: t.into(),
            read: false,
            data: serde_json::json!({}),
        }
    }

    fn find(s: &Store, text: &str) -> Vec<String> {
        search_ids(
            s,
            &SearchQuery {
                text: text.into(),
                limit: 100,
                ..Default::default()
            },
        )
    }

    fn search_ids(s: &Store, q: &SearchQuery) -> Vec<String> {
        s.search(q)
            .unwrap()
            .into_iter()
            .map(|h| format!("{}#{}", h.notification.account, h.notification.id))
            .collect()
    }

    /// A store that indexes each notification at once (`search_batch` 1: searched through
    /// FTS5), and one that leaves them to the next batch (searched as not indexed yet).
    fn stores() -> [Store; 2] {
        [1, INDEX_BATCH].map(|batch| {
            let mut s = Store::open_in_memory().unwrap();
            s.search_batch = batch;
            s
        })
    }

    fn shops() -> [Store; 2] {
        stores().map(shop_in)
    }

    fn shop_in(s: Store) -> Store {
        s.ingest(&[
            note(
                "a",
                "1",
                "2025-01-01T00:00:01Z",
                "Nueva compra",
                "Cliente Ana Pérez compró #1042",
            ),
            note(
                "a",
                "2",
                "2025-01-01T00:00:02Z",
                "Devolución solicitada",
                "Luis Perez pide devolver",
            ),
            note(
                "a",
                "3",
                "2025-01-01T00:00:03Z",
                "ESPAÑA",
                "Envío a Perú: ñandú",
            ),
            note(
                "a",
                "4",
                "2025-01-01T00:00:04Z",
                "Rock AND Roll",
                "title:x \"comillas\" NEAR(a b)",
            ),
        ])
        .unwrap();
        s
    }

    #[test]
    fn search_ignores_case_and_spanish_accents_and_takes_each_word_as_a_prefix() {
        for s in shops() {
            assert_eq!(find(&s, "perez"), ["a#2", "a#1"], "newest first");
            assert_eq!(find(&s, "PÉREZ"), ["a#2", "a#1"]);
            assert_eq!(find(&s, "pére"), ["a#2", "a#1"], "a prefix, as typed");
            assert_eq!(find(&s, "per"), ["a#3", "a#2", "a#1"], "Perú too");
            assert_eq!(find(&s, "devolucion"), ["a#2"]);
            assert_eq!(find(&s, "Devol"), ["a#2"]);
            assert_eq!(find(&s, "espana nandu peru"), ["a#3"]);
            assert_eq!(find(&s, "ana perez"), ["a#1"], "every word is required");
            assert!(
                find(&s, "olucion").is_empty(),
                "a prefix of a word, not a part"
            );
            assert!(find(&s, "perez zzz").is_empty());
            assert_eq!(find(&s, "1042"), ["a#1"]);
        }
    }

    #[test]
    fn query_syntax_is_searched_as_text_never_run() {
        for s in shops() {
            for q in [
                "\"", "*", "-", ":", "(", ")", "^", "+", "\"\"", "* * *", "", "   ",
            ] {
                assert!(find(&s, q).is_empty(), "{q:?}: no word, nothing found");
            }
            assert_eq!(find(&s, "AND"), ["a#4"], "a word here, not an operator");
            assert_eq!(find(&s, "rock AND"), ["a#4"]);
            assert_eq!(find(&s, "NEAR(a b)"), ["a#4"]);
            assert_eq!(find(&s, "title:x"), ["a#4"], "not a column filter");
            assert_eq!(find(&s, "-perez"), ["a#2", "a#1"], "not a NOT");
            assert_eq!(find(&s, "\"comillas"), ["a#4"]);
            assert_eq!(
                find(&s, "perez OR rock"),
                Vec::<String>::new(),
                "OR is a word too"
            );
            assert_eq!(find(&s, "ana*"), ["a#1"]);
        }
    }

    #[test]
    fn hits_carry_the_matched_parts_of_title_and_body_as_byte_ranges() {
        for s in shops() {
            let hits = s
                .search(&SearchQuery {
                    text: "ñan pe espa".into(),
                    limit: 10,
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(hits.len(), 1);
            let hit = &hits[0];
            // "ESPAÑA": "ESPA" is bytes 0..4; "Envío a Perú: ñandú": "Pe" at 9..11 (í is two
            // bytes), "ñan" at 16..20 (ñ is two bytes).
            assert_eq!(hit.title, [Range { start: 0, end: 4 }]);
            assert_eq!(hit.body, [9..11, 16..20]);
            let body = &hit.notification.body;
            assert_eq!(&body[hit.body[1].clone()], "ñan");
            assert_eq!(
                hit.body_segments()
                    .iter()
                    .map(|p| (p.text.as_str(), p.matched))
                    .collect::<Vec<_>>(),
                [
                    ("Envío a ", false),
                    ("Pe", true),
                    ("rú: ", false),
                    ("ñan", true),
                    ("dú", false)
                ]
            );
            assert_eq!(
                serde_json::to_value(hit.title_segments()).unwrap(),
                serde_json::json!([{"text": "ESPA", "match": true}, {"text": "ÑA", "match": false}])
            );
        }
    }

    #[test]
    fn payload_values_are_searched_but_not_their_keys() {
        for s in stores() {
            let mut n = note("a", "1", "2025-01-01T00:00:01Z", "Pago", "Confirmado");
            n.data = serde_json::json!({"cliente": {"nombre": "Zoila Quispe"}, "compra_id": 4242,
                                    "total": 350.5, "urgente": true});
            s.ingest(&[n]).unwrap();
            assert_eq!(find(&s, "quispe"), ["a#1"]);
            assert_eq!(find(&s, "4242"), ["a#1"]);
            assert_eq!(find(&s, "350"), ["a#1"]);
            assert!(find(&s, "cliente").is_empty(), "a key, not a value");
            assert!(find(&s, "true").is_empty());
            let hit = &s
                .search(&SearchQuery {
                    text: "zoila".into(),
                    limit: 1,
                    ..Default::default()
                })
                .unwrap()[0];
            assert!(
                hit.title.is_empty() && hit.body.is_empty(),
                "matched in the payload"
            );
        }
    }

    #[test]
    fn the_account_and_unread_filters_are_the_lists() {
        for s in stores() {
            let t = |i: u32| format!("2025-01-01T00:00:{i:02}Z");
            s.ingest(&[
                note("a", "1", &t(1), "Pérez", "uno"),
                note("b", "1", &t(2), "Pérez", "dos"),
                note("a", "2", &t(3), "Pérez", "tres"),
                note("b", "2", &t(4), "Pérez", "cuatro"),
                note("a", "3", &t(5), "Pérez", "cinco"),
            ])
            .unwrap();
            let q = |account: Option<&str>, unread_only: bool| SearchQuery {
                text: "perez".into(),
                account: account.map(str::to_string),
                unread_only,
                limit: 10,
                ..Default::default()
            };
            assert_eq!(search_ids(&s, &q(Some("a"), false)), ["a#3", "a#2", "a#1"]);
            assert_eq!(search_ids(&s, &q(Some("b"), false)), ["b#2", "b#1"]);
            s.mark_read("a", &["2".into()], false).unwrap();
            s.mark_all_read("b", false).unwrap();
            s.snooze("a", "3", "2099-01-01T00:00:00Z".parse().unwrap())
                .unwrap();
            assert_eq!(search_ids(&s, &q(None, true)), ["a#1"]);
            assert_eq!(search_ids(&s, &q(Some("b"), true)), Vec::<String>::new());
            let all = s.search(&q(None, false)).unwrap();
            let read: Vec<(String, bool)> = all
                .iter()
                .map(|h| {
                    (
                        h.notification.id.clone() + &h.notification.account,
                        h.notification.read,
                    )
                })
                .collect();
            assert_eq!(
                read,
                [
                    ("3a".to_string(), false),
                    ("2b".to_string(), true),
                    ("2a".to_string(), true),
                    ("1b".to_string(), true),
                    ("1a".to_string(), false)
                ],
                "the read state as the list shows it (the watermark included)"
            );
        }
    }

    /// A small generator, so the orders below are the same on every run.
    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        *state >> 33
    }

    /// Whatever order notifications were stored in (live: oldest first; a catch-up: pages
    /// newest first; a mix), each page of hits is the newest matches, as sorting them all
    /// would give: checked against the list, filtered by hand.
    #[test]
    fn hits_are_the_newest_matches_whatever_order_they_were_stored_in() {
        let mut seed = 7;
        let text = |i: u64| match i % 3 {
            0 => "compra de Pérez",
            1 => "pago de Rojas",
            _ => "compra de Rojas",
        };
        let at = |i: u64| {
            format!(
                "2025-01-01T{:02}:{:02}:{:02}Z",
                i / 3600,
                (i / 60) % 60,
                i % 60
            )
        };
        let orders: Vec<(&str, Vec<u64>)> = vec![
            ("oldest first", (0..400).collect()),
            ("newest first", (0..400).rev().collect()),
            (
                "a backlog newest first, then live",
                (0..300).rev().chain(300..400).collect(),
            ),
            ("shuffled", {
                let mut v: Vec<u64> = (0..400).collect();
                for i in (1..v.len()).rev() {
                    v.swap(i, (lcg(&mut seed) % (i as u64 + 1)) as usize);
                }
                v
            }),
        ];
        for ((name, order), batch) in orders
            .into_iter()
            .flat_map(|o| [1, 50, INDEX_BATCH].map(|b| (o.clone(), b)))
        {
            let mut s = Store::open_in_memory().unwrap();
            s.search_batch = batch;
            // Ties on time, told apart by id as the list does: every 10th shares a second.
            let items: Vec<Notification> = order
                .iter()
                .map(|&i| {
                    let mut n = note("a", &format!("{i:04}"), &at(i - i % 10 / 9), "t", text(i));
                    n.read = i % 4 == 0;
                    n
                })
                .collect();
            for chunk in items.chunks(37) {
                s.ingest(chunk).unwrap();
            }
            let everything = s
                .list(&ListQuery {
                    limit: 1_000,
                    ..Default::default()
                })
                .unwrap();
            for (words, want) in [("c", "compra"), ("rojas", "Rojas"), ("pe", "Pérez")] {
                for unread_only in [false, true] {
                    let expected: Vec<String> = everything
                        .iter()
                        .filter(|n| n.body.contains(want) && (!unread_only || !n.read))
                        .map(|n| format!("a#{}", n.id))
                        .collect();
                    for limit in [1, 7, 50] {
                        let mut got = Vec::new();
                        let mut before = None;
                        loop {
                            let page = s
                                .search(&SearchQuery {
                                    text: words.into(),
                                    unread_only,
                                    limit,
                                    before: before.clone(),
                                    ..Default::default()
                                })
                                .unwrap();
                            assert!(page.len() <= limit);
                            let Some(last) = page.last() else { break };
                            before = Some((
                                last.notification.created_at.clone(),
                                last.notification.id.clone(),
                            ));
                            got.extend(page.iter().map(|h| format!("a#{}", h.notification.id)));
                        }
                        assert_eq!(
                            got, expected,
                            "{name}, indexed by {batch}: {words:?}, unread only {unread_only}, \
                             pages of {limit}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_index_follows_a_forgotten_account() {
        for s in shops() {
            s.ingest(&[note(
                "b",
                "1",
                "2025-01-01T00:00:09Z",
                "Pérez",
                "otra tienda",
            )])
            .unwrap();
            assert_eq!(find(&s, "perez"), ["b#1", "a#2", "a#1"]);
            s.forget_account("a").unwrap();
            assert_eq!(find(&s, "perez"), ["b#1"]);
            let indexed: i64 = s
                .conn()
                .query_row(
                    "SELECT COUNT(*) FROM notifications_fts
                     WHERE notifications_fts MATCH 'perez OR espana OR rock'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let expected = if s.search_batch == 1 { 1 } else { 0 };
            assert_eq!(indexed, expected, "the forgotten rows left the index");
            // Stored again later, they are found again, once.
            s.ingest(&[note(
                "a",
                "1",
                "2025-01-01T00:00:01Z",
                "Compra",
                "Ana Pérez",
            )])
            .unwrap();
            assert_eq!(find(&s, "perez"), ["b#1", "a#1"]);
            // The newest rows forgotten: SQLite gives their rowids again to the next ones,
            // which are indexed (or searched) all the same.
            s.forget_account("b").unwrap();
            s.forget_account("a").unwrap();
            s.ingest(&[note("c", "1", "2025-01-01T00:00:05Z", "Pérez", "tercera")])
                .unwrap();
            assert_eq!(find(&s, "perez"), ["c#1"]);
            assert_eq!(find(&s, "tercera"), ["c#1"]);
        }
    }

    #[test]
    fn held_notifications_are_found_and_indexed_once_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("aviso.db")).unwrap();
        s.search_batch = 1;
        s.ingest(&[note("a", "1", "2025-01-01T00:00:01Z", "Pérez", "uno")])
            .unwrap();
        // Cap the file at its size: the next write that needs a page fails (disk full).
        let pages: i64 = s
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        s.conn()
            .pragma_update(None, "max_page_count", pages)
            .unwrap();
        let big = "relleno ".repeat(3_000);
        let held = s
            .ingest(&[note(
                "a",
                "2",
                "2025-01-01T00:00:02Z",
                "Devolución Pérez",
                &big,
            )])
            .unwrap();
        assert_eq!(
            held.unsaved.as_ref().map(StoreError::code),
            Some(crate::ErrorCode::DiskFull)
        );
        let hits = s
            .search(&SearchQuery {
                text: "devol".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(hits.len(), 1, "found while held in memory");
        assert_eq!(hits[0].title, [Range { start: 0, end: 5 }], "\"Devol\"");
        assert_eq!(find(&s, "perez"), ["a#2", "a#1"]);
        s.conn()
            .pragma_update(None, "max_page_count", 1_073_741_823i64)
            .unwrap();
        assert_eq!(s.retry_held().unwrap(), 1);
        assert_eq!(
            find(&s, "perez"),
            ["a#2", "a#1"],
            "written and indexed, once"
        );
        let indexed: i64 = s
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM notifications_fts WHERE notifications_fts MATCH 'relleno'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed, 1, "in the index once written");
        drop(s);
        let s = Store::open(&dir.path().join("aviso.db")).unwrap();
        assert_eq!(find(&s, "devolucion relleno"), ["a#2"]);
    }

    /// The file as the release before search writes it: every table, snoozes included
    /// (user_version 1), no index.
    fn file_before_search(path: &std::path::Path) {
        let old = Connection::open(path).unwrap();
        old.execute_batch(crate::store::SCHEMA).unwrap();
        old.execute_batch(MIGRATIONS[0]).unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        old.execute(
            "INSERT INTO notifications VALUES ('tienda', '7', 'devolucion_solicitada',
             'Devolución solicitada', 'Ana Pérez pide devolver', NULL,
             '2025-01-01T00:00:00Z', 1735689600000000, 0, '{\"compra_id\": 1042}')",
            [],
        )
        .unwrap();
        assert!(old
            .prepare("SELECT rowid FROM notifications_fts LIMIT 0")
            .is_err());
    }

    #[test]
    fn a_database_from_before_search_gets_its_index_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        file_before_search(&path);
        let s = Store::open(&path).unwrap();
        let version: i64 = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        assert_eq!(find(&s, "devolucion"), ["tienda#7"]);
        assert_eq!(find(&s, "perez 1042"), ["tienda#7"], "payload values too");
        s.ingest(&[note(
            "tienda",
            "8",
            "2025-01-01T00:00:01Z",
            "Pérez",
            "nueva",
        )])
        .unwrap();
        drop(s);
        // Opened again: nothing indexed twice.
        let s = Store::open(&path).unwrap();
        assert_eq!(find(&s, "perez"), ["tienda#8", "tienda#7"]);
    }

    #[test]
    fn a_database_from_before_search_opened_read_only_is_searched_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        file_before_search(&path);
        let conn = crate::store::open_read_only(&path).unwrap();
        let found = newest_matches(
            &conn,
            &fts_expression(&terms("perez")),
            &SearchQuery {
                limit: 5,
                ..Default::default()
            },
            crate::store::UNREAD_LISTED,
            0,
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].2, "7");
        drop(conn);
        // Nothing was written to the file.
        let file = Connection::open(&path).unwrap();
        assert!(file
            .prepare("SELECT rowid FROM main.notifications_fts LIMIT 0")
            .is_err());
    }

    #[test]
    fn a_corrupt_database_comes_back_with_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aviso.db");
        // Corrupt when opened.
        std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
        let s = Store::open(&path).unwrap();
        s.ingest(&[note("a", "1", "2025-01-01T00:00:01Z", "Pérez", "uno")])
            .unwrap();
        assert_eq!(find(&s, "perez"), ["a#1"]);
        let asides = || -> Vec<std::path::PathBuf> {
            std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.to_string_lossy().contains(".corrupt-"))
                .collect()
        };
        assert_eq!(asides().len(), 1);
        for p in asides() {
            std::fs::remove_file(p).unwrap();
        }
        // Found corrupt by a write while open (what `write` does then: SQLite cannot be
        // made to find it so here, its pages being cached).
        s.rebuild(&mut s.conn(), "a test").unwrap();
        assert_eq!(asides().len(), 1, "moved aside again");
        assert!(find(&s, "perez").is_empty(), "a new database");
        s.ingest(&[note(
            "a",
            "2",
            "2025-01-01T00:00:02Z",
            "Devolución",
            "Pérez",
        )])
        .unwrap();
        assert_eq!(find(&s, "perez"), ["a#2"]);
        assert_eq!(find(&s, "devol"), ["a#2"]);
    }
}
