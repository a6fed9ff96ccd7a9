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
