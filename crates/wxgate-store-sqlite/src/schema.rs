//! The tables, in one place: opening a store creates every table it lacks (`IF NOT EXISTS`), so one file serves
//! every capability. The modules that read and write the tables depend on the connection, and on the conditions of
//! the partial indexes kept here; the connection only on this list, so the dependencies point one way.
//!
//! The conditions are written with `=` and `OR`, never `IN (…)`: SQLite evaluates an `IN` list through a temporary
//! b-tree that every statement run builds anew — and a partial index's condition is evaluated by every statement
//! that writes the table — where the same test with `OR` costs a few comparisons.

/// The condition a job is unfinished on, in the words of the partial index `outbox_user_queue`: SQLite uses a
/// partial index only for a query that states its condition the same way, so the queries take it from here (and
/// name the index, so a query that could not use it fails instead of scanning the table).
macro_rules! open_states {
    () => {
        "(state = 'awaiting' OR state = 'ready' OR state = 'sleeping' OR state = 'woken')"
    };
}
pub(crate) use open_states;

/// The condition of the partial index `outbox_state_open`, for the queries that use it.
macro_rules! not_done {
    () => {
        "state <> 'done'"
    };
}
pub(crate) use not_done;

/// The condition of the partial index `outbox_claim_queue`: a job a worker may take (and, taken, still holds).
macro_rules! claimable {
    () => {
        "(state = 'ready' OR state = 'woken')"
    };
}
pub(crate) use claimable;

/// The outbox of late answers, with the indexes its queries use.
pub(crate) const OUTBOX: &str = concat!(
    "
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account     TEXT NOT NULL,
    openid      TEXT NOT NULL,
    dedup_key   TEXT NOT NULL UNIQUE,
    push        BLOB NOT NULL,
    answer      TEXT,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    accepted_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    from_appid  TEXT
);
-- The indexes leave out what a file keeps most of and never looks up by user or state: the jobs done. An ack
-- then only removes the job from them, and they stay as small as the work still open.
DROP INDEX IF EXISTS outbox_state;
DROP INDEX IF EXISTS outbox_user;
DROP INDEX IF EXISTS outbox_ready;
-- Their conditions were written with IN (see above): the same indexes under new names replace them.
DROP INDEX IF EXISTS outbox_user_open;
DROP INDEX IF EXISTS outbox_claimable;
-- A user's unfinished jobs, oldest first: the head of their queue is the first entry.
CREATE INDEX IF NOT EXISTS outbox_user_queue ON outbox (account, openid, id) WHERE ",
    open_states!(),
    ";
-- Every job not done, by state.
CREATE INDEX IF NOT EXISTS outbox_state_open ON outbox (state, id) WHERE ",
    not_done!(),
    ";
-- What a claim walks, oldest first: only jobs a worker may take, however many sent, dead or asleep the file keeps.
CREATE INDEX IF NOT EXISTS outbox_claim_queue ON outbox (id) WHERE ",
    claimable!(),
    ";
-- Files written before answers could sleep kept them ready with a far due time and this error.
UPDATE outbox SET state = 'sleeping', not_before = 0, last_error = NULL
 WHERE state = 'ready' AND last_error = 'waiting for the user''s next message (quota used)';
"
);

/// Conversation history, one row per user.
pub(crate) const CONVERSATIONS: &str = "
CREATE TABLE IF NOT EXISTS conversations (
    account TEXT NOT NULL,
    openid  TEXT NOT NULL,
    turns   TEXT NOT NULL,
    PRIMARY KEY (account, openid)
);
";

/// Shared access tokens (with the time one was invalidated) and the refresh lease.
pub(crate) const TOKENS: &str = "
CREATE TABLE IF NOT EXISTS access_token (
    key         TEXT PRIMARY KEY,
    token       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    obtained_at INTEGER NOT NULL,
    invalidated_at INTEGER
);
CREATE TABLE IF NOT EXISTS token_lease (
    key    TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  INTEGER NOT NULL
);
";

/// The media cache: one row per (account, content hash, media type).
pub(crate) const MEDIA: &str = "
CREATE TABLE IF NOT EXISTS media_cache (
    account      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    media_id     TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (account, content_hash, media_type)
);
";

/// Every table, in the order they are created.
pub(crate) const ALL: [&str; 4] = [OUTBOX, CONVERSATIONS, TOKENS, MEDIA];

/// Brings a file written by an earlier version up to the current tables: columns added since are added (the
/// `CREATE TABLE IF NOT EXISTS` above leaves an existing table as it is).
pub(crate) fn upgrade(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let has_from_appid: bool =
        conn.query_row("SELECT COUNT(*) > 0 FROM pragma_table_info('outbox') WHERE name = 'from_appid'", [], |r| {
            r.get(0)
        })?;
    if !has_from_appid {
        conn.execute_batch("ALTER TABLE outbox ADD COLUMN from_appid TEXT")?;
    }
    Ok(())
}
