//! The desktop's own do-not-disturb, where it can be read, so the policy holds toasts while
//! it is on (and gives the digest when it ends). On Linux: dunst's `paused` property and
//! KDE Plasma's `Inhibited` property of the notification service, on the session bus.
//! Elsewhere (and on desktops that do not publish it, such as GNOME) it reads as unknown.

/// A reader of the desktop's do-not-disturb.
pub struct DoNotDisturb {
    #[cfg(target_os = "linux")]
    conn: zbus::Connection,
}

impl DoNotDisturb {
    /// `None` when there is no session bus to ask.
    pub async fn connect() -> Option<DoNotDisturb> {
        #[cfg(target_os = "linux")]
        {
            zbus::Connection::session()
                .await
                .ok()
                .map(|conn| DoNotDisturb { conn })
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }

    /// Whether it is on; `None` when the notification service does not say.
    pub async fn get(&self) -> Option<bool> {
        #[cfg(target_os = "linux")]
        {
            // dunst (`dunstctl set-paused`), then KDE Plasma's "Do not disturb".
            for interface in ["org.dunstproject.cmd0", "org.freedesktop.Notifications"] {
                let property = match interface {
                    "org.dunstproject.cmd0" => "paused",
                    _ => "Inhibited",
                };
                if let Some(on) = self.property(interface, property).await {
                    return Some(on);
                }
            }
            None
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }

    /// One `Properties.Get` call: no proxy, so nothing is cached or subscribed to between
    /// the reads.
    #[cfg(target_os = "linux")]
    async fn property(&self, interface: &str, property: &str) -> Option<bool> {
        let reply = self
            .conn
            .call_method(
                Some("org.freedesktop.Notifications"),
                "/org/freedesktop/Notifications",
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &(interface, property),
            )
            .await
            .ok()?;
        let value: zbus::zvariant::OwnedValue = reply.body().deserialize().ok()?;
        bool::try_from(value).ok()
    }
}

/// How often the do-not-disturb is read: a D-Bus property, cheap; a toast held a second late
/// is no harm. The policy's feed reads the store's snoozes at the same pace (one wake-up for
/// both when idle).
pub const READ_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How early a read may come, to share a wake-up with the policy's (the feed reads the
/// store's snoozes with the same slack).
const READ_SLACK: std::time::Duration = std::time::Duration::from_millis(100);

/// The do-not-disturb read at a steady pace inside a loop that sleeps until its next
/// deadline (the app's policy task and `aviso-cli watch --toasts`): when the next read is
/// due, and the state when a read finds it changed.
pub struct Poll {
    reader: Option<DoNotDisturb>,
    on: bool,
    read_at: Option<std::time::Instant>,
}

impl Poll {
    pub async fn connect() -> Poll {
        Poll {
            reader: DoNotDisturb::connect().await,
            on: false,
            read_at: None,
        }
    }

    /// How long until the next read; `None` when there is nothing to read.
    pub fn due_in(&self) -> Option<std::time::Duration> {
        self.reader.as_ref()?;
        Some(self.read_at.map_or(std::time::Duration::ZERO, |t| {
            READ_EVERY.saturating_sub(t.elapsed())
        }))
    }

    /// Reads it if a read is due (or nearly); the new state when it changed. Unknown reads as
    /// off.
    pub async fn poll(&mut self) -> Option<bool> {
        let reader = self.reader.as_ref()?;
        if self
            .read_at
            .is_some_and(|t| t.elapsed() + READ_SLACK < READ_EVERY)
        {
            return None;
        }
        self.read_at = Some(std::time::Instant::now());
        let on = reader.get().await.unwrap_or(false);
        (on != self.on).then(|| {
            self.on = on;
            on
        })
    }
}
