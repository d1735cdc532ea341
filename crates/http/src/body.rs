//! Response bodies: whole, or a first piece followed by the rest as it streams from the database.

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use restgres_db::{BodyTail, DbError};
use std::pin::Pin;
use std::task::{Context, Poll};

/// hyper's body for every API response. Its size is always known, so responses carry `Content-Length`; a
/// streamed body that cannot be completed ends in an error, which makes hyper cut the connection rather
/// than pass a short body as whole.
#[derive(Debug, Default)]
pub struct Body {
    head: Bytes,
    tail: Option<BodyTail>,
}

impl Body {
    pub fn new(head: Bytes, tail: Option<BodyTail>) -> Body {
        Body { head, tail }
    }

    pub fn empty() -> Body {
        Body::default()
    }

    /// The body's whole size in bytes.
    pub fn len(&self) -> u64 {
        self.head.len() as u64 + self.tail.as_ref().map_or(0, BodyTail::remaining)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Bytes> for Body {
    fn from(head: Bytes) -> Body {
        Body { head, tail: None }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = DbError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, DbError>>> {
        if !self.head.is_empty() {
            return Poll::Ready(Some(Ok(Frame::data(std::mem::take(&mut self.head)))));
        }
        let Some(tail) = self.tail.as_mut() else {
            return Poll::Ready(None);
        };
        match tail.poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(piece))) => Poll::Ready(Some(Ok(Frame::data(piece)))),
            Poll::Ready(Some(Err(e))) => {
                tracing::warn!("a streamed response was cut short: {e}");
                self.tail = None;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                self.tail = None;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_empty() && self.tail.as_ref().is_none_or(|t| t.remaining() == 0)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn whole_bodies_have_their_size() {
        let body = Body::from(Bytes::from_static(b"[1,2]"));
        assert_eq!(hyper::body::Body::size_hint(&body).exact(), Some(5));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"[1,2]");
        assert!(hyper::body::Body::is_end_stream(&Body::empty()));
    }
}
