//! Profiles with test-sized timers: one builder for every test that needs reconnects,
//! fallbacks and dead peers in seconds instead of minutes.

use std::fmt::Write;

use aviso_engine::Profile;

/// A preset with test-sized timers. The defaults: a ping every 0.5 s, dead after 2 s of
/// silence; a poll every 0.5 s, a WebSocket probe every 1 s, a safety poll every 2 s;
/// backoff from 100 ms (at least 20) to 400 ms, stable after 1 s, polling after 4
/// failures; connect timeout 3 s.
#[derive(Debug, Clone)]
pub struct FastProfile {
    preset: String,
    ping_every: Option<f64>,
    dead_after: f64,
    poll_every: f64,
    probe_every: f64,
    safety_every: f64,
    backoff_ms: (u64, u64, u64),
    stable_secs: f64,
    fallback_after: u32,
    connect_timeout: f64,
    rest_timeout: Option<f64>,
    refresh_margin: Option<u64>,
    extra: String,
}

/// How often the demo sends its SSE keep-alive comments to [`FastProfile::sse`] clients: well
/// under their 2 s timeout (`DemoConfig::ping_interval`).
pub const SSE_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_millis(300);

impl FastProfile {
    /// `preset` with the default test timers.
    pub fn new(preset: &str) -> FastProfile {
        FastProfile {
            preset: preset.to_string(),
            ping_every: Some(0.5),
            dead_after: 2.0,
            poll_every: 0.5,
            probe_every: 1.0,
            safety_every: 2.0,
            backoff_ms: (20, 100, 400),
            stable_secs: 1.0,
            fallback_after: 4,
            connect_timeout: 3.0,
            rest_timeout: None,
            refresh_margin: None,
            extra: String::new(),
        }
    }

    /// The SmartSales preset (WebSocket), the demo's own.
    pub fn smartsales() -> FastProfile {
        FastProfile::new("smartsales")
    }

    /// `smartsales-sse`: the stream carries no pings of ours, so a demo serving it needs a
    /// keep-alive well under the 2 s timeout: [`SSE_KEEP_ALIVE`].
    pub fn sse() -> FastProfile {
        FastProfile {
            ping_every: None,
            ..FastProfile::new("smartsales-sse")
        }
    }

    /// Seconds of silence after which the peer is dead.
    pub fn dead_after(mut self, secs: f64) -> Self {
        self.dead_after = secs;
        self
    }

    /// Seconds between our pings.
    pub fn ping_every(mut self, secs: f64) -> Self {
        self.ping_every = Some(secs);
        self
    }

    /// Failed connects before polling.
    pub fn fallback_after(mut self, n: u32) -> Self {
        self.fallback_after = n;
        self
    }

    pub fn connect_timeout(mut self, secs: f64) -> Self {
        self.connect_timeout = secs;
        self
    }

    /// The longest backoff delay.
    pub fn max_backoff_ms(mut self, ms: u64) -> Self {
        self.backoff_ms.2 = ms;
        self
    }

    pub fn rest_timeout(mut self, secs: f64) -> Self {
        self.rest_timeout = Some(secs);
        self
    }

    /// Tokens refreshed this many seconds before they expire.
    pub fn refresh_margin(mut self, secs: u64) -> Self {
        self.refresh_margin = Some(secs);
        self
    }

    /// More TOML, appended as written (tables the builder does not write).
    pub fn extra(mut self, toml: &str) -> Self {
        self.extra.push_str(toml);
        self
    }

    /// The profile file's text.
    pub fn text(&self) -> String {
        let mut t = format!("extends = \"{}\"\n", self.preset);
        if let Some(margin) = self.refresh_margin {
            let _ = write!(t, "[auth]\nrefresh_margin_secs = {margin}\n");
        }
        t.push_str("[heartbeat]\n");
        if let Some(every) = self.ping_every {
            let _ = writeln!(t, "interval_secs = {every:?}");
        }
        let _ = write!(
            t,
            "timeout_secs = {:?}\n[polling]\ninterval_secs = {:?}\nprobe_interval_secs = {:?}\n\
             safety_interval_secs = {:?}\n",
            self.dead_after, self.poll_every, self.probe_every, self.safety_every
        );
        if let Some(secs) = self.rest_timeout {
            let _ = write!(t, "[rest]\ntimeout_secs = {secs:?}\n");
        }
        let (min, initial, max) = self.backoff_ms;
        let _ = write!(
            t,
            "[reconnect]\nmin_ms = {min}\ninitial_ms = {initial}\nmax_ms = {max}\n\
             stable_secs = {:?}\nfallback_after = {}\nconnect_timeout_secs = {:?}\n",
            self.stable_secs, self.fallback_after, self.connect_timeout
        );
        t.push_str(&self.extra);
        t
    }

    /// The profile, parsed (named `fast`).
    pub fn profile(&self) -> Profile {
        Profile::parse("fast", &self.text()).expect("a fast profile parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timers_reach_the_profile() {
        let p = FastProfile::smartsales()
            .dead_after(0.8)
            .ping_every(0.2)
            .fallback_after(1000)
            .max_backoff_ms(500)
            .extra("[websocket]\nmax_frame_bytes = 4096\n")
            .profile();
        assert_eq!(p.extends.as_deref(), Some("smartsales"));
        assert_eq!(
            (p.heartbeat.interval_secs, p.heartbeat.timeout_secs),
            (0.2, 0.8)
        );
        assert_eq!((p.reconnect.min_ms, p.reconnect.initial_ms), (20, 100));
        assert_eq!(
            (p.reconnect.max_ms, p.reconnect.fallback_after),
            (500, 1000)
        );
        assert_eq!(p.websocket.max_frame_bytes, 4096);
        // SSE: no interval of ours, the preset's stays.
        let sse = FastProfile::sse().profile();
        let preset = Profile::load("smartsales-sse").unwrap();
        assert_eq!(sse.heartbeat.interval_secs, preset.heartbeat.interval_secs);
        assert_eq!(sse.heartbeat.timeout_secs, 2.0);
    }
}
