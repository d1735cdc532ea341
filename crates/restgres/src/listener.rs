//! The NOTIFY listener (`db-channel`, `db-channel-enabled`): `'reload schema'` and `'reload config'` notifications.

use crate::reload::Reloader;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};

/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(32);
/// Notifications arriving within this window after the first cause one reload.
const COALESCE: Duration = Duration::from_millis(100);

/// The listener's connection: with several hosts in `db-uri` (a primary and replicas), only a read-write
/// server will do, as in PostgREST: NOTIFY is only delivered where it was sent, on the primary.
pub fn listener_config(pool_config: &tokio_postgres::Config) -> tokio_postgres::Config {
    let mut config = pool_config.clone();
    // The listener only reads: a network that drops silently would go unnoticed for the kernel's default
    // two hours without TCP keepalives sent sooner.
    config.keepalives(true).keepalives_idle(Duration::from_secs(30));
    if config.get_hosts().len() > 1 {
        config.target_session_attrs(tokio_postgres::config::TargetSessionAttrs::ReadWrite);
    }
    config
}

/// Starts the listener and the reloader it wakes; both stop when `shutdown` turns true.
pub fn spawn(
    reloader: Arc<Reloader>,
    conn: tokio_postgres::Config,
    channel: String,
    shutdown: watch::Receiver<bool>,
) -> (JoinHandle<()>, watch::Receiver<bool>) {
    let (listening_tx, listening) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let config_wake = Arc::new(Notify::new());
    let schema_task = tokio::spawn(reload_on_wake(
        reloader.clone(),
        wake.clone(),
        false,
        shutdown.clone(),
    ));
    let config_task = tokio::spawn(reload_on_wake(
        reloader,
        config_wake.clone(),
        true,
        shutdown.clone(),
    ));
    let task = tokio::spawn(async move {
        listen(conn, channel, wake, config_wake, listening_tx, shutdown).await;
        schema_task.abort();
        config_task.abort();
    });
    (task, listening)
}

/// Reloads once per wake-up (the configuration too when `config`); wake-ups during a reload collapse into
/// one more reload afterwards.
async fn reload_on_wake(
    reloader: Arc<Reloader>,
    wake: Arc<Notify>,
    config: bool,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = shutdown.changed() => return,
        }
        // A burst of NOTIFYs (a migration run) becomes one reload.
        tokio::time::sleep(COALESCE).await;
        let done = if config {
            reloader.config_and_schema().await
        } else {
            reloader.schema().await
        };
        // On failure the previous configuration and cache keep serving.
        if let Err(e) = done {
            tracing::error!("Failed to reload: {e}");
        }
    }
}

/// Keeps a LISTEN connection open, reconnecting with capped exponential backoff; after a reconnection the
/// schema is reloaded, since notifications sent meanwhile were lost.
async fn listen(
    conn: tokio_postgres::Config,
    channel: String,
    wake: Arc<Notify>,
    config_wake: Arc<Notify>,
    listening: watch::Sender<bool>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_secs(1);
    let mut first = true;
    loop {
        if *shutdown.borrow() {
            return;
        }
        match conn.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let listen_sql = format!("LISTEN {}", quote_ident(&channel));
                let messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                tokio::pin!(messages);
                // The connection must be polled for LISTEN to complete.
                let subscribe = client.batch_execute(&listen_sql);
                tokio::pin!(subscribe);
                let subscribed: Result<(), String> = loop {
                    tokio::select! {
                        r = &mut subscribe => break r.map_err(|e| e.to_string()),
                        m = futures_util::StreamExt::next(&mut messages) => match m {
                            Some(Ok(_)) => continue,
                            Some(Err(e)) => break Err(e.to_string()),
                            None => break Err("connection closed".to_string()),
                        },
                    }
                };
                match subscribed {
                    Ok(()) => {
                        tracing::info!("Listening for notifications on the \"{channel}\" channel");
                        listening.send_replace(true);
                        backoff = Duration::from_secs(1);
                        if !first {
                            wake.notify_one();
                        }
                        first = false;
                        loop {
                            tokio::select! {
                                m = futures_util::StreamExt::next(&mut messages) => match m {
                                    Some(Ok(AsyncMessage::Notification(n))) => {
                                        if matches!(n.payload(), "" | "reload schema") {
                                            wake.notify_one();
                                        } else if n.payload() == "reload config" {
                                            config_wake.notify_one();
                                        } else {
                                            tracing::warn!("Ignoring notification {:?} on \"{channel}\"", n.payload());
                                        }
                                    }
                                    Some(Ok(_)) => {}
                                    Some(Err(e)) => {
                                        tracing::error!("The listener connection failed: {e}");
                                        break;
                                    }
                                    None => break,
                                },
                                _ = shutdown.changed() => return,
                            }
                        }
                    }
                    Err(e) => tracing::error!("Could not listen on \"{channel}\": {e}"),
                }
            }
            Err(e) => tracing::error!("The listener could not connect: {e}"),
        }
        listening.send_replace(false);
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::config::TargetSessionAttrs;

    #[test]
    fn several_hosts_make_the_listener_want_the_primary() {
        let one: tokio_postgres::Config = "host=db1 user=app".parse().unwrap();
        assert_eq!(
            listener_config(&one).get_target_session_attrs(),
            TargetSessionAttrs::Any
        );
        let many: tokio_postgres::Config = "host=db1,db2 user=app".parse().unwrap();
        assert_eq!(
            listener_config(&many).get_target_session_attrs(),
            TargetSessionAttrs::ReadWrite
        );
        // A silently dropped network is noticed within minutes, not hours.
        assert_eq!(
            listener_config(&one).get_keepalives_idle(),
            Duration::from_secs(30)
        );
    }
}
