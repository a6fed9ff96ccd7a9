//! Waiting for engine events in tests.

use std::time::Duration;

use aviso_engine::EngineEvent;
use tokio::sync::mpsc::Receiver;
use tokio::time::{timeout, Instant};

/// Waits (at most `secs`) for an event matching `pred`, keeping every event received in
/// `seen`; panics naming `what` and listing what was seen when none comes.
pub async fn wait_for(
    events: &mut Receiver<EngineEvent>,
    seen: &mut Vec<EngineEvent>,
    secs: f64,
    what: &str,
    pred: impl Fn(&EngineEvent) -> bool,
) -> EngineEvent {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, events.recv()).await {
            Ok(Some(e)) => {
                seen.push(e.clone());
                if pred(&e) {
                    return e;
                }
            }
            Ok(None) => panic!("engine stopped while waiting for {what}"),
            Err(_) => panic!("no {what} within {secs} s; seen: {seen:#?}"),
        }
    }
}
