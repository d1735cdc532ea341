//! A response larger than 100 MB streamed through a fresh restgres process: how much memory it takes (peak
//! RSS) and how fast it arrives, for one client and for several at once.

use crate::SuiteError;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Every book with a page of text (about 1 KB per row): over 100 MB of JSON.
pub const PATH: &str = "/book_pages";

/// What one phase measured.
pub struct LargeResult {
    pub clients: usize,
    /// Bytes each client received (all the same when the run is sound).
    pub bytes: u64,
    pub seconds: f64,
    /// restgres's resident set: before the phase, and its high-water mark after it (kB).
    pub rss_before_kb: u64,
    pub peak_rss_kb: u64,
    pub failure: Option<String>,
}

/// Downloads `PATH` with `clients` concurrent connections, each reading the body to its end.
pub fn run(port: u16, pid: u32, clients: usize) -> Result<LargeResult, SuiteError> {
    let rss_before_kb = crate::proc::rss_kb(pid)?;
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| std::thread::spawn(move || download(port)))
        .collect();
    let mut sizes = Vec::new();
    let mut failure = None;
    for h in handles {
        match h.join() {
            Ok(Ok(n)) => sizes.push(n),
            Ok(Err(e)) => failure = Some(e),
            Err(_) => failure = Some("a download thread panicked".into()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes = sizes.first().copied().unwrap_or(0);
    if failure.is_none() && sizes.iter().any(|&n| n != bytes) {
        failure = Some(format!("the clients received different sizes: {sizes:?}"));
    }
    if failure.is_none() && bytes < 100_000_000 {
        failure = Some(format!(
            "the body has {bytes} bytes, less than the 100 MB to measure"
        ));
    }
    Ok(LargeResult {
        clients,
        bytes,
        seconds,
        rss_before_kb,
        peak_rss_kb: crate::proc::peak_rss_kb(pid)?,
        failure,
    })
}

/// One GET over HTTP/1.1; the body's size once all of it (as many bytes as Content-Length says) arrived.
fn download(port: u16) -> Result<u64, String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut head = Vec::new();
    let mut body = 0u64;
    let mut length = None;
    loop {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        if length.is_some() {
            body += n as u64;
            continue;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&head[..end]).into_owned();
            if !text.starts_with("HTTP/1.1 200") {
                return Err(format!(
                    "unexpected answer: {}",
                    text.lines().next().unwrap_or("")
                ));
            }
            length = text.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<u64>().ok())
                    .flatten()
            });
            if length.is_none() {
                return Err("the answer has no Content-Length".into());
            }
            body = (head.len() - end - 4) as u64;
            head.clear();
        }
    }
    match length {
        Some(l) if l == body => Ok(body),
        Some(l) => Err(format!("the body ended after {body} of {l} bytes")),
        None => Err("the connection closed before the response head".into()),
    }
}
