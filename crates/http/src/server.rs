//! The HTTP listener: accepts connections, serves them with hyper, logs access, shuts down gracefully.

use crate::handler::handle;
use crate::AppState;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use restgres_config::LogLevel;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Resolves `server-host` (with PostgREST's special values) and `server-port` into a bound listener.
pub async fn bind(host: &str, port: u16) -> std::io::Result<TcpListener> {
    let ip = match host {
        "*" | "*4" | "!4" => "0.0.0.0",
        "*6" | "!6" => "::",
        other => other,
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((ip, port)).await?.collect();
    let mut last = None;
    for addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("cannot resolve {host}"),
        )
    }))
}

/// Serves until `shutdown` turns true, then stops accepting and drains in-flight requests.
pub async fn serve(listener: TcpListener, state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and similar: keep serving the connections we have.
                        tracing::error!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let state = state.clone();
                    async move {
                        let request_line = access_request_line(&req, peer);
                        let resp = handle(&state, req).await;
                        log_access(state.config.load().log_level, &request_line, &resp);
                        Ok::<_, Infallible>(resp)
                    }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection error: {e}");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within {DRAIN_TIMEOUT:?}");
    }
}

/// `ip - - [time] "METHOD uri HTTP/x"` plus the user agent, captured before the request is consumed.
struct RequestLine {
    peer: String,
    request: String,
    user_agent: String,
}

fn access_request_line<B>(req: &hyper::Request<B>, peer: SocketAddr) -> RequestLine {
    let ua = req
        .headers()
        .get(hyper::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    RequestLine {
        peer: peer.ip().to_string(),
        request: format!("{} {} {:?}", req.method(), req.uri(), req.version()),
        user_agent: ua.to_string(),
    }
}

/// PostgREST's rule: error logs 5xx, warn adds 4xx, info and debug log every request (Apache format, stdout).
fn log_access<B>(level: LogLevel, line: &RequestLine, resp: &hyper::Response<B>) {
    let status = resp.status().as_u16();
    let show = match level {
        LogLevel::Crit => false,
        LogLevel::Error => status >= 500,
        LogLevel::Warn => status >= 400,
        LogLevel::Info | LogLevel::Debug => true,
    };
    if show {
        let size = resp
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        println!(
            "{} - - [{}] \"{}\" {} {} \"\" \"{}\"",
            line.peer,
            clf_time(std::time::SystemTime::now()),
            line.request,
            status,
            size,
            line.user_agent
        );
    }
}

/// Common Log Format time in UTC: `26/Nov/2026:04:08:52 +0000`.
fn clf_time(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    format!(
        "{day:02}/{name}/{year}:{:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_times() {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_795_665_332);
        assert_eq!(clf_time(t), "26/Nov/2026:03:55:32 +0000");
        assert_eq!(clf_time(std::time::UNIX_EPOCH), "01/Jan/1970:00:00:00 +0000");
        let leap = std::time::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(clf_time(leap), "29/Feb/2000:00:00:00 +0000");
    }
}
