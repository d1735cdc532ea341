//! A body's rest while it is still arriving from PostgreSQL: the receiving end of a bounded queue of pieces.

use crate::DbError;
use bytes::Bytes;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Bodies up to this size are read whole before the response starts (their headers and end are then known
/// for certain); larger ones are streamed.
pub const STREAM_THRESHOLD: usize = 1024 * 1024;

/// Pieces waiting between the connection and the client. With `restgres_sql::BODY_CHUNK` pieces this
/// bounds a streamed response's memory to about half a megabyte plus what hyper and the socket hold.
pub(crate) const QUEUE_PIECES: usize = 4;

/// The rest of a body after its first piece. Dropping it tells the transaction's task to stop sending (the
/// connection discards what PostgreSQL still sends and then goes back to the pool).
pub struct BodyTail {
    rx: mpsc::Receiver<Result<Bytes, DbError>>,
    remaining: u64,
}

impl std::fmt::Debug for BodyTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyTail")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl BodyTail {
    pub(crate) fn new(remaining: u64) -> (mpsc::Sender<Result<Bytes, DbError>>, BodyTail) {
        let (tx, rx) = mpsc::channel(QUEUE_PIECES);
        (tx, BodyTail { rx, remaining })
    }

    /// Bytes still to come.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next piece; `None` at the end. An error means the body cannot be completed (the connection
    /// broke, or the transaction failed to end): the response must be cut short, never passed as whole.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, DbError>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(piece))) => {
                let len = piece.len() as u64;
                if len > self.remaining {
                    return Poll::Ready(Some(Err(DbError::Protocol(
                        "the body was longer than its announced size".into(),
                    ))));
                }
                self.remaining -= len;
                Poll::Ready(Some(Ok(piece)))
            }
            Poll::Ready(None) if self.remaining > 0 => Poll::Ready(Some(Err(DbError::Protocol(
                "the body ended before its announced size".into(),
            )))),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn next(tail: &mut BodyTail) -> Option<Result<Bytes, DbError>> {
        std::future::poll_fn(|cx| tail.poll_next(cx)).await
    }

    #[tokio::test]
    async fn a_body_ends_at_its_announced_size() {
        let (tx, mut tail) = BodyTail::new(6);
        tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
        tx.send(Ok(Bytes::from_static(b"def"))).await.unwrap();
        drop(tx);
        assert_eq!(&next(&mut tail).await.unwrap().unwrap()[..], b"abc");
        assert_eq!(tail.remaining(), 3);
        assert_eq!(&next(&mut tail).await.unwrap().unwrap()[..], b"def");
        assert!(next(&mut tail).await.is_none());
    }

    #[tokio::test]
    async fn short_and_long_bodies_are_errors() {
        let (tx, mut short) = BodyTail::new(6);
        tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
        drop(tx);
        assert!(next(&mut short).await.unwrap().is_ok());
        assert!(matches!(next(&mut short).await, Some(Err(DbError::Protocol(_)))));

        let (tx, mut long) = BodyTail::new(2);
        tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
        assert!(matches!(next(&mut long).await, Some(Err(DbError::Protocol(_)))));
    }
}
