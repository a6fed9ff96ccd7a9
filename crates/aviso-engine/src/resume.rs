//! The operating system's resume signal: on Linux, logind's `PrepareForSleep(false)` on the
//! system bus, sent as the machine wakes up; on Windows, the power broadcast
//! `PBT_APMRESUMEAUTOMATIC` (through `PowerRegisterSuspendResumeNotification`, which needs
//! no window). Every link then reconnects and catches up at once, without waiting for the
//! clock check (see `clock::slept`), which stays as the fallback everywhere (macOS has no
//! signal here yet).
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
    #[cfg(target_os = "windows")]
    power::follow(wake, cancel).await;
    #[cfg(not(any(target_os = "linux", target_os = "windows")))]
    {
        let _ = (wake, cancel);
    }
}

/// Windows: a callback registered with the power manager (Microsoft, "Registering for
/// power events": `DEVICE_NOTIFY_CALLBACK` delivers the same events as `WM_POWERBROADCAST`
/// to a process without a window). Written to Microsoft's documentation; Wine cannot
/// suspend, so no test drives it (the clock check is tested on every platform).
#[cfg(target_os = "windows")]
#[expect(
    unsafe_code,
    reason = "the power manager's registration is a C API; its one pointer is ours and outlives it"
)]
mod power {
    use std::ffi::c_void;

    use tokio::sync::watch;
    use tokio_util::sync::CancellationToken;
    use windows_sys::Win32::System::Power::{
        PowerRegisterSuspendResumeNotification, PowerUnregisterSuspendResumeNotification,
        DEVICE_NOTIFY_SUBSCRIBE_PARAMETERS,
    };
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        DEVICE_NOTIFY_CALLBACK, PBT_APMRESUMEAUTOMATIC,
    };

    /// Sent on every resume, with or without the user at the machine
    /// (`PBT_APMRESUMESUSPEND` follows only with user input: counting both would wake twice).
    unsafe extern "system" fn on_power(
        context: *const c_void,
        kind: u32,
        _setting: *const c_void,
    ) -> u32 {
        if kind == PBT_APMRESUMEAUTOMATIC {
            // SAFETY: `context` is the boxed sender registered in `follow`, which frees it
            // only after the registration is gone.
            let wake = unsafe { &*(context as *const watch::Sender<u64>) };
            tracing::info!("the machine woke up: reconnecting and catching up");
            wake.send_modify(|n| *n += 1);
        }
        0
    }

    pub async fn follow(wake: watch::Sender<u64>, cancel: CancellationToken) {
        let Some(_registration) = Registration::new(wake) else {
            return;
        };
        tracing::debug!("following Windows' resume notifications");
        cancel.cancelled().await;
    }

    /// The registration and the sender it points at, both released on drop. Kept as
    /// addresses so the future that holds it stays `Send`.
    struct Registration {
        handle: usize,
        context: usize,
    }

    impl Registration {
        fn new(wake: watch::Sender<u64>) -> Option<Registration> {
            let context = Box::into_raw(Box::new(wake));
            let mut params = DEVICE_NOTIFY_SUBSCRIBE_PARAMETERS {
                Callback: Some(on_power),
                Context: context.cast(),
            };
            let mut handle: *mut c_void = std::ptr::null_mut();
            // SAFETY: `params` is read during the call only; `handle` receives the
            // registration.
            let error = unsafe {
                PowerRegisterSuspendResumeNotification(
                    DEVICE_NOTIFY_CALLBACK,
                    (&mut params as *mut DEVICE_NOTIFY_SUBSCRIBE_PARAMETERS).cast(),
                    &mut handle,
                )
            };
            if error != 0 {
                tracing::debug!(
                    error,
                    "no resume signal from Windows; sleeps are found by the clock check"
                );
                // SAFETY: never registered, so nothing else holds the pointer.
                drop(unsafe { Box::from_raw(context) });
                return None;
            }
            Some(Registration {
                handle: handle as usize,
                context: context as usize,
            })
        }
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            // SAFETY: `handle` is the registration made in `new`; once it is gone no callback
            // can run, so the sender it pointed at can be freed.
            unsafe {
                PowerUnregisterSuspendResumeNotification(self.handle as _);
                drop(Box::from_raw(self.context as *mut watch::Sender<u64>));
            }
        }
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
