//! The operating system's resume signal: on Linux, logind's `PrepareForSleep(false)` on the
//! system bus, sent as the machine wakes up. Every link then reconnects and catches up at
//! once, without waiting for the clock check (see `link::slept`), which stays as the
//! fallback where there is no logind.
//!
//! `AVISO_LOGIND_BUS=session` listens on the session bus instead (tests play logind
//! there: they own `org.freedesktop.login1` and emit the signal).

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Bumps `wake` each time the machine resumes, until `cancel`. Returns when there is no bus
/// to listen on (logged, not an error: the clock check still catches sleeps).
pub async fn follow(wake: watch::Sender<u64>, cancel: CancellationToken) {
    #[cfg(target_os = "linux")]
    tokio::select! {
        _ = cancel.cancelled() => {}
        outcome = logind::follow(&wake) => {
            if let Err(e) = outcome {
                tracing::debug!("no resume signal from logind ({e}); sleeps are found by the clock check");
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (wake, cancel);
    }
}

#[cfg(target_os = "linux")]
mod logind {
    use futures_util::StreamExt;
    use tokio::sync::watch;
    use zbus::message::Type;
    use zbus::{Connection, MatchRule, MessageStream};

    pub async fn follow(wake: &watch::Sender<u64>) -> zbus::Result<()> {
        let conn = match std::env::var("AVISO_LOGIND_BUS").as_deref() {
            Ok("session") => Connection::session().await?,
            _ => Connection::system().await?,
        };
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .sender("org.freedesktop.login1")?
            .path("/org/freedesktop/login1")?
            .interface("org.freedesktop.login1.Manager")?
            .member("PrepareForSleep")?
            .build();
        let mut signals = MessageStream::for_match_rule(rule, &conn, Some(8)).await?;
        tracing::debug!("following logind's PrepareForSleep");
        while let Some(message) = signals.next().await {
            let going_to_sleep: bool = match message.and_then(|m| m.body().deserialize()) {
                Ok(v) => v,
                Err(e) => {
                    tracing::debug!("ignoring a malformed PrepareForSleep: {e}");
                    continue;
                }
            };
            if going_to_sleep {
                tracing::info!("the machine is going to sleep");
            } else {
                tracing::info!("the machine woke up: reconnecting and catching up");
                wake.send_modify(|n| *n += 1);
            }
        }
        Ok(())
    }
}
