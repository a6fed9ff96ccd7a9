//! `aviso-cli probe`: runs one account as `watch` does, but with a throwaway store, and prints
//! each frame its server sends beside what it became (the engine's frame tap), what looks
//! wrong in it, the connection's states, a summary, and with `--suggest` a profile that would
//! map those frames better (docs/profiles.md, "A backend we have never seen").

pub(crate) mod reading;
pub(crate) mod report;
pub(crate) mod suggest;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use aviso_engine::credentials::Credentials;
use aviso_engine::frame::{Became, Tapped};
use aviso_engine::profile::FrameAction;
use aviso_engine::secret::redact_url;
use aviso_engine::{ConnState, Engine, EngineEvent, ErrorCode, Profile};
use tokio::sync::mpsc;

use crate::commands::{self, one_line, say};
use crate::i18n::Text;
use crate::Target;
use reading::Taken;
use report::{Report, Warning};

/// A frame is shown on one line cut at this many characters: its type and first fields,
/// short enough that a screenful shows several frames with their outcomes.
const FRAME_CHARS: usize = 200;

/// Frame errors the tap reports beside their frame; the engine also emits each as an
/// `error` event, which would say it twice.
const FRAME_ERRORS: &[ErrorCode] = &[
    ErrorCode::BadFrame,
    ErrorCode::BadNotification,
    ErrorCode::FrameTooLarge,
];

pub struct Options {
    pub seconds: u64,
    pub json: bool,
    pub suggest: bool,
}

/// Why a frame was ignored, for its line.
pub enum Ignored {
    /// No rule names its type.
    NoRule(String),
    /// Its rule says `action = "ignore"`.
    ByRule(String),
    Unknown,
}

pub async fn run(target: Target, options: Options) -> Result<()> {
    let text = Text::from_env();
    let config = commands::load_config()?;
    // One account: a probe is about one server and one profile.
    let account = commands::resolve_accounts(&target, &config, false)?.remove(0);
    let spec = account.spec()?;
    // The store lives and dies with the probe, so probing never writes the user's
    // notifications, cursors or read state. Credentials are the user's, as for `watch`.
    let temp = std::env::temp_dir();
    let data = tempfile::Builder::new()
        .prefix("aviso-probe-")
        .tempdir_in(&temp)
        .with_context(|| text.cannot_create(&temp.display().to_string()))?;
    let engine_options = commands::engine_options(&config, data.path().to_path_buf());
    let (engine, mut events) = Engine::open(engine_options, Credentials::from_env())?;
    // Before the account starts, so that its first frame is seen.
    let mut frames = engine
        .tap_frames()
        .expect("a new engine has no frame listener yet");
    engine.add(spec.clone());
    // With --suggest, stdout carries the profile alone (`--suggest > mine.toml`).
    let sink: Box<dyn Write> = if options.suggest {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let mut out = std::io::BufWriter::new(sink);
    let mut probe = Probe {
        text,
        json: options.json,
        profile: spec.profile.clone(),
        report: Report::default(),
        sockets: HashMap::new(),
        waiting: Vec::new(),
    };
    if !options.json {
        let server = redact_url(&spec.server, &[spec.profile.auth.query_param.as_str()]);
        let header = text.probe_header(&spec.name, &server, &account.profile, options.seconds);
        say(&mut out, &header)?;
        out.flush()?;
    }
    // Made once: a signal future made anew per event would register a handler each time.
    let stop = commands::stop_signal();
    let deadline = tokio::time::sleep(Duration::from_secs(options.seconds));
    tokio::pin!(stop, deadline);
    // Ends at the deadline, on a signal, or on an error writing the report (a reader that
    // went away).
    let outcome: Result<()> = loop {
        let written = tokio::select! {
            // Events first: a frame whose connection's `live` line is still queued would
            // only wait for it (see `Probe::event`).
            biased;
            Some(event) = events.recv() => probe.event(&mut out, &event, &mut frames),
            Some(tapped) = frames.recv() => probe.frame(&mut out, tapped),
            _ = &mut deadline => break Ok(()),
            _ = &mut stop => break Ok(()),
        };
        if let Err(e) = written.and_then(|()| Ok(out.flush()?)) {
            break Err(e);
        }
    };
    engine.shutdown().await;
    outcome?;
    // Frames the links read before they stopped, then their last states; then any frame
    // still waiting for a line of its connection that never came.
    while let Ok(tapped) = frames.try_recv() {
        probe.frame(&mut out, tapped)?;
    }
    while let Ok(event) = events.try_recv() {
        probe.event(&mut out, &event, &mut frames)?;
    }
    for tapped in std::mem::take(&mut probe.waiting) {
        probe.say_frame(&mut out, &tapped)?;
    }
    probe.summary(&mut out)?;
    out.flush()?;
    drop(out);
    if options.suggest {
        let toml = suggest::suggest(&account.profile, &probe.report, &spec.name, text)?;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, "{toml}")?;
        stdout.flush()?;
    }
    // The store goes with its folder, after the engine that held it.
    drop(data);
    Ok(())
}

struct Probe {
    text: Text,
    json: bool,
    profile: Arc<Profile>,
    report: Report,
    /// Per socket (the account's, or each channel's): its last state, and how many times it
    /// went live (how many of its connections have had their `live` line).
    sockets: HashMap<Option<String>, (ConnState, u64)>,
    /// Frames of a connection whose `live` line has not been said yet, in order.
    waiting: Vec<Tapped>,
}

impl Probe {
    /// An engine event, in its place among the frames. The two arrive on separate
    /// channels, and this reader may lag behind both: frames tapped when an event arrives
    /// came before it, unless they came on a newer connection than the socket's last
    /// `live` line (a reconnect's greeting read before its `connecting` line is): those
    /// wait for their connection's `live` line (see [`Tapped::connection`]).
    fn event(
        &mut self,
        out: &mut impl Write,
        event: &EngineEvent,
        frames: &mut mpsc::UnboundedReceiver<Tapped>,
    ) -> Result<()> {
        while let Ok(tapped) = frames.try_recv() {
            self.frame(out, tapped)?;
        }
        match event {
            EngineEvent::State {
                channel,
                state,
                transport,
                detail,
                next_retry_at,
                ..
            } => {
                let socket = self
                    .sockets
                    .entry(channel.clone())
                    .or_insert((ConnState::Stopped, 0));
                let goes_live = *state == ConnState::Live && socket.0 != ConnState::Live;
                if goes_live {
                    socket.1 += 1;
                }
                socket.0 = *state;
                if self.json {
                    say(out, &serde_json::to_string(event)?)?;
                } else {
                    let line = self.text.probe_state(
                        channel.as_deref(),
                        *state,
                        *transport,
                        *detail,
                        next_retry_at.as_deref(),
                    );
                    say(out, &line)?;
                }
                if goes_live {
                    // The frames that waited for this line, in the order they came.
                    for tapped in std::mem::take(&mut self.waiting) {
                        self.frame(out, tapped)?;
                    }
                }
                Ok(())
            }
            EngineEvent::Error { code, message, .. } if !FRAME_ERRORS.contains(code) => {
                if self.json {
                    return say(out, &serde_json::to_string(event)?);
                }
                say(
                    out,
                    &self.text.probe_error(code.as_str(), &one_line(message)),
                )
            }
            _ => Ok(()),
        }
    }

    /// A tapped frame: said now, unless its connection's `live` line is still to come
    /// (then it waits in `waiting`).
    fn frame(&mut self, out: &mut impl Write, tapped: Tapped) -> Result<()> {
        let lives = self.sockets.get(&tapped.channel).map_or(0, |s| s.1);
        if tapped.connection > lives {
            self.waiting.push(tapped);
            return Ok(());
        }
        self.say_frame(out, &tapped)
    }

    /// One frame, its outcomes and warnings.
    fn say_frame(&mut self, out: &mut impl Write, tapped: &Tapped) -> Result<()> {
        let warnings = self
            .report
            .observe(&self.profile, tapped, tapped.connection);
        if self.json {
            let mut line = serde_json::Map::new();
            line.insert("frame".into(), tapped.frame.clone().into());
            line.insert("account".into(), tapped.account.clone().into());
            if let Some(channel) = &tapped.channel {
                line.insert("channel".into(), channel.clone().into());
            }
            line.insert("became".into(), serde_json::to_value(&tapped.became)?);
            let warnings: Vec<serde_json::Value> =
                warnings.iter().map(|w| self.warning_json(w)).collect();
            line.insert("warnings".into(), warnings.into());
            return say(out, &serde_json::Value::Object(line).to_string());
        }
        let frame = clip(&one_line(&tapped.frame));
        match &tapped.channel {
            Some(channel) => say(out, &format!("[{}] {frame}", one_line(channel)))?,
            None => say(out, &frame)?,
        }
        for b in &tapped.became {
            let why = match b {
                Became::Ignored => self.ignored(&tapped.frame),
                _ => Ignored::Unknown,
            };
            say(
                out,
                &format!("  → {}", self.text.probe_became(&readable(b), &why)),
            )?;
        }
        for w in &warnings {
            say(
                out,
                &format!("  ⚠ {}", one_line(&self.text.probe_warning(w))),
            )?;
        }
        Ok(())
    }

    fn ignored(&self, frame: &str) -> Ignored {
        match reading::read(&self.profile, frame) {
            Some(r) => match (r.kind, r.taken) {
                (Some(kind), Taken::Own(rule)) if rule.action == FrameAction::Ignore => {
                    Ignored::ByRule(one_line(&kind))
                }
                (Some(kind), Taken::Nothing) => Ignored::NoRule(one_line(&kind)),
                _ => Ignored::Unknown,
            },
            None => Ignored::Unknown,
        }
    }

    /// A warning as `--json` writes it: its code and fields, and the message in the
    /// user's language.
    fn warning_json(&self, w: &Warning) -> serde_json::Value {
        let mut value = serde_json::to_value(w).unwrap_or_default();
        value["message"] = self.text.probe_warning(w).into();
        value
    }

    fn summary(&self, out: &mut impl Write) -> Result<()> {
        // How many times the sockets that carry frames went live: the channels' where the
        // profile has channels (the account's own line then sums them up), else the account's.
        let per_channel = !self.profile.channels.is_empty();
        let connections: u64 = self
            .sockets
            .iter()
            .filter(|(channel, _)| channel.is_some() == per_channel)
            .map(|(_, (_, n))| n)
            .sum();
        let counts = self.report.counts();
        let warnings = self.report.warnings();
        if self.json {
            let became: serde_json::Map<String, serde_json::Value> = counts
                .iter()
                .map(|(o, n)| (o.to_string(), (*n).into()))
                .collect();
            let warnings: Vec<serde_json::Value> = warnings
                .iter()
                .map(|(w, n)| {
                    let mut value = self.warning_json(w);
                    value["count"] = (*n).into();
                    value
                })
                .collect();
            let line = serde_json::json!({"summary": {
                "frames": self.report.frames,
                "connections": connections,
                "became": became,
                "warnings": warnings,
            }});
            return say(out, &line.to_string());
        }
        say(out, "")?;
        say(
            out,
            &self.text.probe_summary(self.report.frames, connections),
        )?;
        if !counts.is_empty() {
            let counted: Vec<String> = counts
                .iter()
                .map(|(o, n)| format!("{}: {n}", self.text.probe_outcome(o)))
                .collect();
            say(out, &format!("  {}", counted.join(" · ")))?;
        }
        if warnings.is_empty() {
            return say(out, &self.text.probe_no_warnings());
        }
        say(out, &self.text.probe_warnings_head())?;
        for (w, n) in warnings {
            say(
                out,
                &format!("  ⚠ {n}× {}", one_line(&self.text.probe_warning(w))),
            )?;
        }
        Ok(())
    }
}

/// An outcome with the server's texts made one short line each (a title could hold line
/// breaks or escape sequences).
fn readable(b: &Became) -> Became {
    let t = |s: &String| clip(&one_line(s));
    match b {
        Became::Notification {
            id,
            kind,
            title,
            body,
        } => Became::Notification {
            id: t(id),
            kind: t(kind),
            title: t(title),
            body: t(body),
        },
        Became::Twin { id, kind } => Became::Twin {
            id: t(id),
            kind: t(kind),
        },
        Became::Stream { channel, event } => Became::Stream {
            channel: t(channel),
            event: t(event),
        },
        Became::Control { event } => Became::Control { event: t(event) },
        Became::ReadAck { id } => Became::ReadAck { id: t(id) },
        Became::ServerError { message } => Became::ServerError {
            message: t(message),
        },
        Became::Error { code, message } => Became::Error {
            code: *code,
            message: t(message),
        },
        Became::Pong => Became::Pong,
        Became::Ignored => Became::Ignored,
    }
}

/// At most [`FRAME_CHARS`] characters, `…` where cut.
fn clip(text: &str) -> String {
    match text.char_indices().nth(FRAME_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aviso_engine::StateDetail;

    fn state(state: ConnState) -> EngineEvent {
        EngineEvent::State {
            account: "a".into(),
            channel: None,
            state,
            transport: None,
            detail: StateDetail::None,
            next_retry_at: None,
        }
    }

    fn tapped(frame: &str, connection: u64) -> Tapped {
        Tapped {
            account: "a".into(),
            channel: None,
            frame: frame.into(),
            became: Vec::new(),
            connection,
        }
    }

    /// Each line's state, or its frame.
    fn said(out: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(out)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["state"]
                    .as_str()
                    .or(v["frame"].as_str())
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn a_reconnects_frames_wait_for_its_live_line_when_the_reader_lags() {
        let src = Profile::preset_source("furniture").unwrap();
        let mut probe = Probe {
            text: Text(aviso_engine::policy::Lang::En),
            json: true,
            profile: Arc::new(Profile::parse("furniture", src).unwrap()),
            report: Report::default(),
            sockets: HashMap::new(),
            waiting: Vec::new(),
        };
        let (tap, mut frames) = mpsc::unbounded_channel();
        let mut out = Vec::new();
        probe
            .event(&mut out, &state(ConnState::Connecting), &mut frames)
            .unwrap();
        // The first connection's greeting is tapped before its live line is read.
        tap.send(tapped("hello 1", 1)).unwrap();
        probe
            .event(&mut out, &state(ConnState::Live), &mut frames)
            .unwrap();
        tap.send(tapped("event 1", 1)).unwrap();
        // The reader lags a whole reconnect: the close, and the next connection's greeting,
        // are in before it reads the close and the retry.
        tap.send(tapped("hello 2", 2)).unwrap();
        probe
            .event(&mut out, &state(ConnState::Backoff), &mut frames)
            .unwrap();
        probe
            .event(&mut out, &state(ConnState::Connecting), &mut frames)
            .unwrap();
        tap.send(tapped("event 2", 2)).unwrap();
        probe
            .event(&mut out, &state(ConnState::Live), &mut frames)
            .unwrap();
        assert_eq!(
            said(&out),
            [
                "connecting",
                "live",
                "hello 1",
                "event 1",
                "backoff",
                "connecting",
                "live",
                "hello 2",
                "event 2"
            ]
        );
        // Each frame counted on its own connection.
        assert_eq!(probe.sockets[&None].1, 2);
    }
}
