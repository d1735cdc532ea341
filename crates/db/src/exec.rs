//! Runs one request's transaction: BEGIN, settings, pre-request, statements and COMMIT/ROLLBACK, pipelined.

use crate::params::{RawText, TextParam};
use crate::pool::PgConn;
use crate::stream::{BodyTail, STREAM_THRESHOLD};
use crate::{DbError, Pool};
use futures_util::future::join_all;
use futures_util::StreamExt;
use postgres_types::{ToSql, Type};
use restgres_sql::Statement;
use tokio::sync::oneshot;
use tokio_postgres::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    /// Reads `default_transaction_isolation` values (`read committed`, `repeatable read`, `serializable`).
    pub fn from_setting(value: &str) -> Option<Isolation> {
        match value.trim().to_lowercase().as_str() {
            "read committed" | "read uncommitted" => Some(Isolation::ReadCommitted),
            "repeatable read" => Some(Isolation::RepeatableRead),
            "serializable" => Some(Isolation::Serializable),
            _ => None,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "READ COMMITTED",
            Isolation::RepeatableRead => "REPEATABLE READ",
            Isolation::Serializable => "SERIALIZABLE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxEnd {
    Commit,
    Rollback,
}

/// Everything one request runs; all of it travels in one round trip (plus one to prepare new statements).
#[derive(Debug, Clone)]
pub struct TxRequest {
    pub read_only: bool,
    pub isolation: Option<Isolation>,
    /// `select set_config(...)`: role, search_path, request.* and friends.
    pub settings: Statement,
    pub pre_request: Option<Statement>,
    /// `EXPLAIN (FORMAT JSON)` for `count=planned|estimated`.
    pub count_plan: Option<Statement>,
    /// The statement returning the standard result columns (see `restgres_sql::READ_COLUMNS`).
    pub main: Statement,
    pub end: TxEnd,
    /// The main statement is an `EXPLAIN` (`application/vnd.pgrst.plan`): its rows are the body.
    pub explain: bool,
    /// Checks on the main statement's result that decide, before the transaction ends, whether it must
    /// roll back (costs a second round trip, so only writes that need it set this).
    pub verify: Option<Verify>,
    /// The main statement returns its body in pieces (`restgres_sql::chunked_statement`): a large body is
    /// streamed to the client while PostgreSQL sends it. Only for transactions whose end cannot change the
    /// response (read-only ones): the response starts before COMMIT's reply. Not with `verify` or `explain`.
    pub chunked: bool,
}

impl TxRequest {
    /// The `BEGIN` this transaction starts with.
    pub fn begin_sql(&self) -> String {
        format!(
            "BEGIN ISOLATION LEVEL {} {}",
            self.isolation.unwrap_or(Isolation::ReadCommitted).sql(),
            if self.read_only { "READ ONLY" } else { "READ WRITE" }
        )
    }

    /// The statements between `BEGIN` and the end, in the order they run.
    pub fn statements(&self) -> Vec<&Statement> {
        let mut out = vec![&self.settings];
        out.extend(self.pre_request.iter());
        out.extend(self.count_plan.iter());
        out.push(&self.main);
        out
    }
}

/// Conditions a write's result must meet to be committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verify {
    /// `Prefer: max-affected=N` with `handling=strict`.
    pub max_affected: Option<i64>,
    /// `Accept: application/vnd.pgrst.object+json`: exactly one row.
    pub singular: bool,
    /// PUT: the body's row matched the URL's primary key (exactly one row written).
    pub put: bool,
}

/// Why a verified transaction was rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    MaxAffected { affected: i64 },
    Singular { rows: i64 },
    PutMismatch,
}

/// What the main statement returned.
#[derive(Debug, Default)]
pub struct DbOutcome {
    pub total: Option<i64>,
    pub page_total: i64,
    /// The body exactly as PostgreSQL built it; with `tail`, its first piece.
    pub body: Vec<u8>,
    /// A streamed body's rest, still arriving (bodies over `STREAM_THRESHOLD` of a chunked statement).
    pub tail: Option<BodyTail>,
    pub response_headers: Option<String>,
    pub response_status: Option<String>,
    /// The planner's row estimate when a count plan was run.
    pub plan_rows: Option<i64>,
    /// Writes: `key=eq.value` pairs of the inserted row's primary key, for `Location`.
    pub location: Option<Vec<String>>,
    /// Writes: how many rows were inserted (upserts tell inserted from updated rows).
    pub inserted: Option<i64>,
    /// Set when `verify` rolled the transaction back.
    pub violation: Option<Violation>,
}

impl DbOutcome {
    /// The rows of an `EXPLAIN` main statement (one JSON row, or one text line per row) as the body.
    fn explained(rows: &[Row]) -> Result<DbOutcome, DbError> {
        let mut body = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let line: RawText = row
                .try_get(0)
                .map_err(|e| DbError::Protocol(format!("unexpected EXPLAIN column: {e}")))?;
            if i > 0 {
                body.push(b'\n');
            }
            body.extend_from_slice(&line.0);
        }
        Ok(DbOutcome {
            page_total: rows.len() as i64,
            body,
            ..DbOutcome::default()
        })
    }
}

impl Pool {
    /// Runs the transaction on a pooled connection. It runs in its own task, so a client that goes away
    /// mid-request cannot leave a half-finished transaction on a connection that returns to the pool. A
    /// streamed body keeps the task (and the connection) until its last piece is sent or the client leaves.
    pub async fn run(&self, req: TxRequest) -> Result<DbOutcome, DbError> {
        let mut conn = self.get().await?;
        let prepared = self.prepared;
        let pool = self.clone();
        let (reply, outcome) = oneshot::channel();
        tokio::spawn(async move {
            let broke = if req.chunked {
                run_streamed(&mut conn, prepared, &req, reply).await
            } else {
                let outcome = run_on(&mut conn, prepared, &req).await;
                let broke = match &outcome {
                    Err(DbError::Connection(reason)) => Some(reason.clone()),
                    _ => None,
                };
                let _ = reply.send(outcome);
                broke
            };
            if let Some(reason) = broke {
                // A connection broke under a request: tell those watching for a lost database.
                pool.connection_broke(&reason);
            }
        });
        outcome
            .await
            .map_err(|_| DbError::Protocol("the request's transaction task ended without a result".into()))?
    }
}

async fn run_on(conn: &mut PgConn, prepared: bool, req: &TxRequest) -> Result<DbOutcome, DbError> {
    let statements = req.statements();
    let cached: Vec<Option<tokio_postgres::Statement>> = statements
        .iter()
        .map(|s| if prepared { conn.cached(&s.sql) } else { None })
        .collect();

    let begin = req.begin_sql();
    let end = req.end;
    let client = &conn.client;
    let steps = statements
        .iter()
        .zip(cached)
        .map(|(s, handle)| step(client, prepared, s, handle));
    // Polling these together writes every message before the first reply is awaited: one round trip.
    // Statements are parsed after the settings ran, so names resolve with the request's role and
    // search_path (an authenticator without privileges of its own cannot parse them).
    // With checks to make, the end waits for the result (a second round trip).
    let end_now = if req.verify.is_some() { None } else { Some(end) };
    let (begun, results, ended) = tokio::join!(client.batch_execute(&begin), join_all(steps), async {
        match end_now {
            Some(e) => finish(client, e).await,
            None => Ok(()),
        }
    });
    if let Err(e) = begun {
        return Err(e.into());
    }
    let mut rows = Vec::with_capacity(results.len());
    let mut fresh = Vec::new();
    let mut failed = None;
    for (s, (prepared, result)) in statements.iter().zip(results) {
        match (prepared, result) {
            (Some(Err(e)), _) | (_, Err(e)) => {
                failed = Some(e);
                break;
            }
            (Some(Ok(p)), Ok(r)) => {
                fresh.push((s.sql.as_str(), p));
                rows.push(r);
            }
            (None, Ok(r)) => rows.push(r),
        }
    }
    if let Some(e) = failed {
        if end_now.is_none() {
            // The transaction is aborted; end it before the connection goes back to the pool.
            client.batch_execute("ROLLBACK").await?;
        }
        return Err(e.into());
    }
    ended?;
    for (sql, statement) in fresh {
        conn.remember(sql, statement);
    }

    let main_rows = rows.pop().unwrap_or_default();
    let plan_rows = match req.count_plan {
        Some(_) => rows.pop().and_then(|r| plan_rows(&r)),
        None => None,
    };
    let mut outcome = if req.explain {
        DbOutcome::explained(&main_rows)?
    } else {
        decode_main(&main_rows)?
    };
    outcome.plan_rows = plan_rows;
    if let Some(v) = req.verify {
        outcome.violation = match v.max_affected {
            Some(max) if outcome.page_total > max => Some(Violation::MaxAffected {
                affected: outcome.page_total,
            }),
            _ if v.put && outcome.page_total != 1 => Some(Violation::PutMismatch),
            _ if v.singular && outcome.page_total != 1 => Some(Violation::Singular {
                rows: outcome.page_total,
            }),
            _ => None,
        };
        if outcome.violation.is_some() {
            conn.client.batch_execute("ROLLBACK").await?;
        } else {
            finish(&conn.client, end).await?;
        }
    }
    Ok(outcome)
}

/// Ends the transaction. A rollback first checks deferred constraints (as PostgREST does, so `tx=rollback`
/// reports what a commit would); ROLLBACK is its own message, so it runs even when that check fails.
async fn finish(client: &tokio_postgres::Client, end: TxEnd) -> Result<(), tokio_postgres::Error> {
    match end {
        TxEnd::Commit => client.batch_execute("COMMIT").await,
        TxEnd::Rollback => {
            let (checked, rolled_back) = tokio::join!(
                client.batch_execute("SET CONSTRAINTS ALL IMMEDIATE"),
                client.batch_execute("ROLLBACK")
            );
            checked.and(rolled_back)
        }
    }
}

/// Runs a transaction whose main statement is chunked: everything is sent at once as in [`run_on`], but
/// COMMIT's reply is awaited only after the body's last piece, since the pieces come before it. The outcome
/// goes to `reply` as soon as the first piece is in; a body over [`STREAM_THRESHOLD`] then follows through
/// its [`BodyTail`]. Returns the reason when the connection broke.
async fn run_streamed(
    conn: &mut PgConn,
    prepared: bool,
    req: &TxRequest,
    reply: oneshot::Sender<Result<DbOutcome, DbError>>,
) -> Option<String> {
    let handles: Vec<Option<tokio_postgres::Statement>> = req
        .statements()
        .iter()
        .map(|s| if prepared { conn.cached(&s.sql) } else { None })
        .collect();
    let (broken, fresh) = stream_on(&conn.client, prepared, req, handles, reply).await;
    for (sql, statement) in fresh {
        conn.remember(&sql, statement);
    }
    broken
}

/// [`run_streamed`] on the connection's client; also returns the statements it prepared.
async fn stream_on(
    client: &tokio_postgres::Client,
    prepared: bool,
    req: &TxRequest,
    mut handles: Vec<Option<tokio_postgres::Statement>>,
    reply: oneshot::Sender<Result<DbOutcome, DbError>>,
) -> (Option<String>, Vec<(String, tokio_postgres::Statement)>) {
    let broke = |e: &DbError| match e {
        DbError::Connection(reason) => Some(reason.clone()),
        _ => None,
    };
    if req.verify.is_some() || req.explain {
        let _ = reply.send(Err(DbError::Protocol(
            "a chunked main statement cannot be verified or explained".into(),
        )));
        return (None, Vec::new());
    }
    let statements = req.statements();
    let Some((main, before)) = statements.split_last() else {
        let _ = reply.send(Err(DbError::Protocol(
            "a transaction without a main statement".into(),
        )));
        return (None, Vec::new());
    };
    let main_handle = handles.pop().flatten();
    let begin = req.begin_sql();
    let steps = before
        .iter()
        .zip(handles)
        .map(|(s, handle)| step(client, prepared, s, handle));
    let mut commit = std::pin::pin!(finish(client, req.end));
    let mut commit_early = None;
    // The first poll of each branch writes its messages, in this order: BEGIN, the statements, the main one,
    // COMMIT. COMMIT is only sent here; its reply comes after the body's pieces.
    let (begun, results, (main_prepared, main_result), ()) = tokio::join!(
        client.batch_execute(&begin),
        join_all(steps),
        first_piece(client, prepared, main, main_handle),
        std::future::poll_fn(|cx| {
            if let std::task::Poll::Ready(r) = std::future::Future::poll(commit.as_mut(), cx) {
                commit_early = Some(r);
            }
            std::task::Poll::Ready(())
        })
    );
    let mut fresh = Vec::new();
    let mut failure: Option<DbError> = begun.err().map(DbError::from);
    let mut rows = Vec::with_capacity(results.len());
    for (s, (prepared, result)) in before.iter().zip(results) {
        match (prepared, result) {
            (Some(Err(e)), _) | (_, Err(e)) => {
                failure = failure.or(Some(e.into()));
                break;
            }
            (Some(Ok(p)), Ok(r)) => {
                fresh.push((s.sql.clone(), p));
                rows.push(r);
            }
            (None, Ok(r)) => rows.push(r),
        }
    }
    let main_prepared = match main_prepared {
        Some(Err(e)) => {
            failure = failure.or(Some(e.into()));
            None
        }
        other => other,
    };
    // An earlier statement's error comes first; the main statement's rows (if any) are dropped with it.
    let started = match (failure, main_result) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(e.into()),
        (None, Ok((stream, Some(row)))) => decode_piece(&row).map(|p| (stream, p.head(), p.size)),
        (None, Ok((_, None))) => Err(DbError::Protocol("the chunked statement returned no row".into())),
    };
    let (mut stream, mut outcome, size) = match started {
        Ok(found) => found,
        Err(e) => {
            let _ = end_after(commit, commit_early).await;
            let broken = broke(&e);
            let _ = reply.send(Err(e));
            return (broken, Vec::new());
        }
    };
    if let Some(Ok(statement)) = main_prepared {
        fresh.push((main.sql.clone(), statement));
    }
    outcome.plan_rows = match req.count_plan {
        Some(_) => rows.pop().and_then(|r| plan_rows(&r)),
        None => None,
    };

    if size <= STREAM_THRESHOLD {
        // Small enough to hold: read it whole, then the end, exactly as an unchunked transaction.
        let mut failed = None;
        while let Some(row) = stream.next().await {
            match row
                .map_err(DbError::from)
                .and_then(|r| decode_piece(&r).map(|p| outcome.body.extend_from_slice(p.bytes)))
            {
                Ok(()) => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(stream);
        let ended = end_after(commit, commit_early).await.map_err(DbError::from);
        let result = match (failed, ended) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(outcome),
        };
        let broken = result.as_ref().err().and_then(broke);
        if broken.is_some() {
            fresh.clear();
        }
        let _ = reply.send(result);
        return (broken, fresh);
    }

    // Large: answer now with the first piece and pass the rest on as it comes.
    let (pieces, tail) = BodyTail::new((size - outcome.body.len()) as u64);
    outcome.tail = Some(tail);
    if reply.send(Ok(outcome)).is_err() {
        // The request is gone; dropping the stream lets the connection discard the rest.
        drop(stream);
        let _ = end_after(commit, commit_early).await;
        return (None, fresh);
    }
    let mut broken = None;
    while let Some(row) = stream.next().await {
        let piece = row
            .map_err(DbError::from)
            .and_then(|r| decode_piece(&r).map(|p| bytes::Bytes::copy_from_slice(p.bytes)));
        let failed = piece.is_err();
        if let Err(e) = &piece {
            broken = broke(e);
        }
        if pieces.send(piece).await.is_err() || failed {
            // The client went away (or the body cannot be completed): stop here.
            break;
        }
    }
    drop(stream);
    if let Err(e) = end_after(commit, commit_early).await {
        let e = DbError::from(e);
        broken = broken.or_else(|| broke(&e));
        // The body is cut short rather than passed as complete when the transaction did not end well.
        let _ = pieces.send(Err(e)).await;
    }
    (broken, fresh)
}

/// The transaction's end, whose messages were already sent: its reply, once the main statement's rows
/// before it are read or dropped.
async fn end_after<F>(
    commit: std::pin::Pin<&mut F>,
    early: Option<Result<(), tokio_postgres::Error>>,
) -> Result<(), tokio_postgres::Error>
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>>,
{
    match early {
        Some(r) => r,
        None => commit.await,
    }
}

/// The main statement of a chunked transaction as a stream, with its first row read.
async fn first_piece(
    client: &tokio_postgres::Client,
    prepared: bool,
    s: &Statement,
    handle: Option<tokio_postgres::Statement>,
) -> (Prepared, Result<(Rows, Option<Row>), tokio_postgres::Error>) {
    let params: Vec<TextParam<'_>> = s.params.iter().map(|p| TextParam(p.as_deref())).collect();
    let first = |stream: tokio_postgres::RowStream| async move {
        let mut stream = Box::pin(stream);
        let row = stream.next().await.transpose()?;
        Ok::<_, tokio_postgres::Error>((stream, row))
    };
    match handle {
        Some(h) => {
            let refs = params.iter().map(|p| p as &(dyn ToSql + Sync));
            let result = match client.query_raw(&h, refs).await {
                Ok(stream) => first(stream).await,
                Err(e) => Err(e),
            };
            (None, result)
        }
        None => {
            let typed = params.iter().map(|p| (p as &(dyn ToSql + Sync), Type::UNKNOWN));
            let prepare = async {
                if prepared {
                    Some(client.prepare(&s.sql).await)
                } else {
                    None
                }
            };
            let run = async {
                match client.query_typed_raw(&s.sql, typed).await {
                    Ok(stream) => first(stream).await,
                    Err(e) => Err(e),
                }
            };
            tokio::join!(prepare, run)
        }
    }
}

/// One row of a chunked statement.
struct Piece<'a> {
    total: Option<i64>,
    page_total: i64,
    bytes: &'a [u8],
    response_headers: Option<String>,
    response_status: Option<String>,
    /// The whole body's size.
    size: usize,
}

impl Piece<'_> {
    /// The outcome the first row describes, with its piece as the body so far (room for the whole body
    /// when it will be held whole).
    fn head(&self) -> DbOutcome {
        let room = if self.size <= STREAM_THRESHOLD {
            self.size
        } else {
            self.bytes.len()
        };
        let mut body = Vec::with_capacity(room);
        body.extend_from_slice(self.bytes);
        DbOutcome {
            total: self.total,
            page_total: self.page_total,
            body,
            response_headers: self.response_headers.clone(),
            response_status: self.response_status.clone(),
            ..DbOutcome::default()
        }
    }
}

fn decode_piece(row: &Row) -> Result<Piece<'_>, DbError> {
    let get_err = |e: tokio_postgres::Error| DbError::Protocol(format!("unexpected chunked column: {e}"));
    let size: i32 = row.try_get(5).map_err(get_err)?;
    Ok(Piece {
        total: row.try_get(0).map_err(get_err)?,
        page_total: row.try_get(1).map_err(get_err)?,
        bytes: row
            .try_get::<_, Option<&[u8]>>(2)
            .map_err(get_err)?
            .unwrap_or_default(),
        response_headers: row.try_get(3).map_err(get_err)?,
        response_status: row.try_get(4).map_err(get_err)?,
        size: usize::try_from(size).unwrap_or(0),
    })
}

type Prepared = Option<Result<tokio_postgres::Statement, tokio_postgres::Error>>;

/// A main statement's rows as they arrive.
type Rows = std::pin::Pin<Box<tokio_postgres::RowStream>>;

/// Runs one statement: through its prepared handle when the connection has one; otherwise unnamed, and in
/// prepared mode also prepared (in the same pipeline) for the next request.
async fn step(
    client: &tokio_postgres::Client,
    prepared: bool,
    s: &Statement,
    handle: Option<tokio_postgres::Statement>,
) -> (Prepared, Result<Vec<Row>, tokio_postgres::Error>) {
    let params: Vec<TextParam<'_>> = s.params.iter().map(|p| TextParam(p.as_deref())).collect();
    match handle {
        Some(h) => {
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            (None, client.query(&h, &refs).await)
        }
        None => {
            let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
                .iter()
                .map(|p| (p as &(dyn ToSql + Sync), Type::UNKNOWN))
                .collect();
            let prepare = async {
                if prepared {
                    Some(client.prepare(&s.sql).await)
                } else {
                    None
                }
            };
            tokio::join!(prepare, client.query_typed(&s.sql, &typed))
        }
    }
}

fn decode_main(rows: &[Row]) -> Result<DbOutcome, DbError> {
    let row = match rows {
        [row] => row,
        _ => {
            return Err(DbError::Protocol(format!(
                "main statement returned {} rows, expected 1",
                rows.len()
            )))
        }
    };
    let get_err = |e: tokio_postgres::Error| DbError::Protocol(format!("unexpected result column: {e}"));
    let total: Option<i64> = row.try_get(0).map_err(get_err)?;
    let page_total: i64 = row.try_get(1).map_err(get_err)?;
    let body: Option<RawText> = row.try_get(2).map_err(get_err)?;
    let response_headers: Option<String> = row.try_get(3).map_err(get_err)?;
    let response_status: Option<String> = row.try_get(4).map_err(get_err)?;
    // Writes add the Location pairs and the inserted count.
    let (location, inserted) = if row.len() >= 7 {
        (row.try_get(5).map_err(get_err)?, row.try_get(6).map_err(get_err)?)
    } else {
        (None, None)
    };
    Ok(DbOutcome {
        total,
        page_total,
        body: body.map(|b| b.0).unwrap_or_default(),
        response_headers,
        response_status,
        plan_rows: None,
        location,
        inserted,
        violation: None,
        tail: None,
    })
}

/// `[{"Plan": {"Plan Rows": N}}]` from `EXPLAIN (FORMAT JSON)`.
fn plan_rows(rows: &[Row]) -> Option<i64> {
    let raw: RawText = rows.first()?.try_get(0).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw.0).ok()?;
    let n = v.get(0)?.get("Plan")?.get("Plan Rows")?;
    n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))
}
