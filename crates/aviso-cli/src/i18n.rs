//! Every message `aviso-cli` prints for a person, in Spanish and English: one method per
//! message, chosen by the user's language (`LC_ALL`, `LC_MESSAGES`, `LANG`; see
//! [`Lang::from_env`]). The JSON lines are an interface, not messages: their keys and codes
//! never change with the language. Logs (`AVISO_LOG`) stay English, as does clap's help.
//!
//! Errors the CLI prints at exit go through [`Text::error`]: the engine errors a user meets
//! at the command line (accounts, profiles, login, the keyring) are said here in the user's
//! language; the rest (the local database, TLS setup, the engine's REST errors) keep the
//! engine's English text.

use std::error::Error as StdError;

use aviso_engine::accounts::RenameError;
use aviso_engine::auth::AuthError;
use aviso_engine::config::ConfigError;
use aviso_engine::credentials::CredentialError;
use aviso_engine::frame::Became;
use aviso_engine::outbox::FlushError;
use aviso_engine::policy::Lang;
use aviso_engine::profile::ProfileError;
use aviso_engine::template::is_template;
use aviso_engine::{ConnState, TransportKind};

use crate::probe::report::{Part, Warning};
use crate::probe::suggest::Why;
use crate::probe::Ignored;

/// The messages, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text(pub Lang);

/// One message in both languages; only the one in use is formatted.
macro_rules! say {
    ($self:expr, es: $($es:expr),+ ; en: $($en:expr),+ $(;)?) => {
        match $self.0 {
            Lang::Es => format!($($es),+),
            Lang::En => format!($($en),+),
        }
    };
}

impl Text {
    pub fn from_env() -> Text {
        Text(Lang::from_env())
    }

    pub fn lang(self) -> Lang {
        self.0
    }

    // Arguments and accounts.

    pub fn param_not_key_value(self, param: &str) -> String {
        say!(self,
            es: "--param espera CLAVE=VALOR y recibió `{param}`";
            en: "--param takes KEY=VALUE, got `{param}`")
    }

    pub fn profile_needs_server(self) -> String {
        say!(self,
            es: "--profile necesita --server (o `watch --demo`)";
            en: "--profile needs --server (or `watch --demo`)")
    }

    pub fn no_account_configured(self) -> String {
        say!(self,
            es: "no hay ninguna cuenta configurada: ejecuta `aviso-cli login --server URL --username USUARIO` o usa --server";
            en: "no account configured: run `aviso-cli login --server URL --username U` or pass --server")
    }

    pub fn several_accounts(self) -> String {
        say!(self,
            es: "hay varias cuentas configuradas: elige una con --account NOMBRE";
            en: "several accounts are configured: choose one with --account NAME")
    }

    /// No configured account of that name (the engine's `ConfigError::UnknownAccount`).
    pub fn unknown_account(self, name: &str) -> String {
        say!(self,
            es: "no hay ninguna cuenta `{name}` (mira `aviso-cli login`)";
            en: "no account named `{name}` (see `aviso-cli login`)")
    }

    /// `unread`/`list --account NAME`: neither configured nor anything of it stored.
    pub fn unknown_stored_account(self, name: &str) -> String {
        say!(self,
            es: "no hay ninguna cuenta `{name}`: no está configurada ni tiene notificaciones guardadas (mira `aviso-cli list`)";
            en: "no account named `{name}`: it is not configured and has no stored notifications (see `aviso-cli list`)")
    }

    pub fn cannot_create(self, path: &str) -> String {
        say!(self, es: "no se puede crear {path}"; en: "cannot create {path}")
    }

    // list, search.

    pub fn nothing_stored(self, unread_only: bool) -> String {
        match (self.0, unread_only) {
            (Lang::Es, false) => "No hay notificaciones guardadas".into(),
            (Lang::Es, true) => "No hay notificaciones sin leer".into(),
            (Lang::En, false) => "No notifications stored".into(),
            (Lang::En, true) => "No unread notifications".into(),
        }
    }

    pub fn no_results(self, query: &str) -> String {
        say!(self, es: "Sin resultados para «{query}»"; en: "No results for “{query}”")
    }

    pub fn query_has_no_words(self) -> String {
        say!(self,
            es: "La búsqueda no tiene palabras: escribe letras o números";
            en: "The query has no words: type letters or digits")
    }

    // profile show.

    pub fn unknown_profile(self, name: &str) -> String {
        say!(self,
            es: "no hay ningún perfil `{name}` (mira `aviso-cli profiles`)";
            en: "unknown profile `{name}` (see `aviso-cli profiles`)")
    }

    /// The first line of a profile file shown resolved (a TOML comment).
    pub fn resolved_profile(self, path: &str, extends: Option<&str>) -> String {
        match extends {
            Some(base) => say!(self,
                es: "# {path}, con `extends = \"{base}\"` ya aplicado";
                en: "# {path}, with `extends = \"{base}\"` applied"),
            None => say!(self, es: "# {path}"; en: "# {path}"),
        }
    }

    pub fn cannot_print_profile(self) -> String {
        say!(self,
            es: "no se puede escribir el perfil como TOML";
            en: "cannot print the profile as TOML")
    }

    // mark-read.

    pub fn marked_queued_not_sent(self, changed: u64, why: &str) -> String {
        say!(self,
            es: "{changed} marcada(s) como leída(s) aquí; en cola, sin enviar aún: {why}";
            en: "marked {changed} read locally; queued, not sent yet: {why}")
    }

    pub fn marked_queued(self, changed: u64, pending: usize) -> String {
        say!(self,
            es: "{changed} marcada(s) como leída(s) aquí; {pending} operación(es) en cola hasta que el servidor responda";
            en: "marked {changed} read locally; {pending} operation(s) queued until the server can be reached")
    }

    pub fn marked_here_only(self, changed: u64) -> String {
        say!(self,
            es: "{changed} marcada(s) como leída(s) aquí (el perfil no tiene cómo decírselo al servidor)";
            en: "marked {changed} read here (the profile has no way to tell the server)")
    }

    pub fn marked_confirmed(self, confirmed: u64) -> String {
        say!(self,
            es: "{confirmed} marcada(s) como leída(s); el servidor lo confirmó";
            en: "marked {confirmed} read; the server confirmed")
    }

    pub fn server_does_not_know(self, id: &str) -> String {
        say!(self,
            es: "el servidor no conoce la notificación {id} (HTTP 404): no se marcó allí";
            en: "the server does not know notification {id} (HTTP 404): not marked there")
    }

    pub fn server_refused_mark(self, id: &str) -> String {
        say!(self,
            es: "el servidor no dejó marcar {id} como leída (HTTP 403): este usuario puede no tener permiso";
            en: "the server refused to mark {id} read (HTTP 403): this user may not be allowed to")
    }

    // login, logout.

    pub fn password_prompt(self) -> String {
        say!(self, es: "Contraseña: "; en: "Password: ")
    }

    pub fn empty_password(self) -> String {
        say!(self, es: "la contraseña está vacía"; en: "empty password")
    }

    pub fn logged_in(self, username: &str, origin: &str, account: &str) -> String {
        say!(self,
            es: "sesión iniciada como {username} en {origin}; tokens guardados en el llavero del sistema; cuenta `{account}`";
            en: "logged in as {username} on {origin}; tokens stored in the keyring; account `{account}`")
    }

    pub fn logged_out(self, account: &str) -> String {
        say!(self,
            es: "sesión cerrada en `{account}`; sus tokens se quitaron del llavero del sistema";
            en: "logged out of `{account}`; its tokens were removed from the keyring")
    }

    pub fn renamed(self, from: &str, to: &str) -> String {
        say!(self,
            es: "`{from}` se llama ahora `{to}`; su historial, sus marcas de leído y sus tokens siguen con ella";
            en: "`{from}` is now `{to}`; its history, read marks and tokens went with it")
    }

    // The demo backend.

    pub fn demo_watching(self, url: &str) -> String {
        say!(self,
            es: "aviso-cli: servidor de demostración en {url} (usuario admin/admin)";
            en: "aviso-cli: demo backend on {url} (users admin/admin)")
    }

    pub fn cannot_reset(self, path: &str) -> String {
        say!(self, es: "no se puede vaciar {path}"; en: "cannot reset {path}")
    }

    pub fn cannot_listen(self, addr: &str) -> String {
        say!(self, es: "no se puede escuchar en {addr}"; en: "cannot listen on {addr}")
    }

    pub fn demo_server(self, addr: &str, ws: &str, sse: &str) -> String {
        say!(self,
            es: "Servidor de demostración de Aviso en http://{addr} (usuarios admin/admin y cliente/cliente; WebSocket {ws}, SSE {sse})";
            en: "Aviso demo backend on http://{addr} (users admin/admin, cliente/cliente; WebSocket {ws}, SSE {sse})")
    }

    // rules check.

    pub fn file_does_not_exist(self, path: &str) -> String {
        say!(self,
            es: "no se puede leer {path}: el archivo no existe";
            en: "cannot read {path}: the file does not exist")
    }

    pub fn not_toml(self, path: &str) -> String {
        say!(self, es: "{path} no es TOML válido"; en: "{path} is not valid TOML")
    }

    pub fn rules_ok(self, path: &str, rules: usize, quiet: usize, silence: usize) -> String {
        say!(self,
            es: "{path}: correcto ({rules} reglas, {quiet} franjas de silencio, {silence} alarmas de silencio)";
            en: "{path}: ok ({rules} rules, {quiet} quiet-hours windows, {silence} silence alarms)")
    }

    pub fn rules_errors(self, count: usize, path: &str) -> String {
        say!(self, es: "{count} error(es) en {path}"; en: "{count} error(s) in {path}")
    }

    // snooze.

    pub fn no_stored_notification(self, id: &str) -> String {
        say!(self,
            es: "no hay ninguna notificación `{id}` guardada (mira `aviso-cli list`)";
            en: "no notification `{id}` in the local store (see `aviso-cli list`)")
    }

    pub fn several_have(self, id: &str, accounts: &str) -> String {
        say!(self,
            es: "varias cuentas tienen una notificación `{id}` ({accounts}): elige una con --account";
            en: "several accounts have a notification `{id}` ({accounts}): choose one with --account")
    }

    pub fn not_a_future_time(self, when: &str) -> String {
        say!(self,
            es: "`{when}` no es un momento futuro: usa una duración (1h, 30m), una hora (9:00), «mañana 9:00» o una fecha (2026-12-08 09:00)";
            en: "`{when}` is not a time in the future: use a duration (1h, 30m), a time (9:00), \"tomorrow 9:00\" or a date (2026-12-08 09:00)")
    }

    pub fn cannot_snooze(self, id: &str, account: &str) -> String {
        say!(self,
            es: "la notificación `{id}` de `{account}` no existe o ya está leída";
            en: "notification `{id}` of `{account}` does not exist or is already read")
    }

    pub fn snoozed_until(self, account: &str, id: &str, until: &str) -> String {
        say!(self,
            es: "{account}#{id} pospuesta hasta {until}";
            en: "{account}#{id} snoozed until {until}")
    }

    // probe.

    pub fn probe_header(self, account: &str, server: &str, profile: &str, seconds: u64) -> String {
        say!(self,
            es: "Sondeando `{account}` ({server}) con el perfil `{profile}` durante {seconds} s (Ctrl-C termina antes); las notificaciones van a un almacén temporal, no al tuyo. Cada trama que llega y, debajo, en qué se convirtió:";
            en: "Probing `{account}` ({server}) with profile `{profile}` for {seconds} s (Ctrl-C ends sooner); notifications go to a temporary store, not yours. Each frame that arrives and, below it, what it became:")
    }

    /// A connection state in words.
    pub fn state_word(self, state: ConnState) -> &'static str {
        match (self.0, state) {
            (Lang::Es, ConnState::Connecting) => "conectando",
            (Lang::Es, ConnState::Live) => "conectado",
            (Lang::Es, ConnState::Polling) => "consultando por REST",
            (Lang::Es, ConnState::Backoff) => "esperando para reconectar",
            (Lang::Es, ConnState::NeedsLogin) => "necesita iniciar sesión",
            (Lang::Es, ConnState::Stopped) => "detenido",
            (Lang::En, ConnState::Connecting) => "connecting",
            (Lang::En, ConnState::Live) => "live",
            (Lang::En, ConnState::Polling) => "polling over REST",
            (Lang::En, ConnState::Backoff) => "waiting to reconnect",
            (Lang::En, ConnState::NeedsLogin) => "needs login",
            (Lang::En, ConnState::Stopped) => "stopped",
        }
    }

    // `status`: one account's connection health, a label and its value per line.

    pub fn status_not_running(self, last: Option<&str>) -> String {
        match last {
            Some(at) => say!(self,
                es: "Aviso no está en marcha para esta cuenta (último dato: {at})";
                en: "Aviso is not running for this account (last seen: {at})"),
            None => say!(self,
                es: "Aviso no está en marcha para esta cuenta";
                en: "Aviso is not running for this account"),
        }
    }

    pub fn status_labels(self) -> StatusLabels {
        match self.0 {
            Lang::Es => StatusLabels {
                state: "estado",
                since: "desde",
                reason: "motivo",
                last_event: "último evento",
                rtt: "latencia (ping)",
                reconnects: "reconexiones hoy",
                next_retry: "próximo intento",
                catch_up: "última recuperación",
                queued: "marcas pendientes",
                unread: "no leídas",
                token: "el token vence",
                store: "almacén local",
                none: "—",
                new_one: "nueva",
                new_items: "nuevas",
                failed: "falló",
            },
            Lang::En => StatusLabels {
                state: "state",
                since: "since",
                reason: "reason",
                last_event: "last event",
                rtt: "round trip (ping)",
                reconnects: "reconnects today",
                next_retry: "next attempt",
                catch_up: "last catch-up",
                queued: "queued mark-reads",
                unread: "unread",
                token: "token expires",
                store: "local store",
                none: "—",
                new_one: "new",
                new_items: "new",
                failed: "failed",
            },
        }
    }

    /// A connection's state change (a socket's, where the profile has channels).
    pub fn probe_state(
        self,
        channel: Option<&str>,
        state: ConnState,
        transport: Option<TransportKind>,
        detail: aviso_engine::StateDetail,
        next_retry_at: Option<&str>,
    ) -> String {
        let state = self.state_word(state);
        let mut line = match channel {
            Some(c) => {
                say!(self, es: "· estado de `{c}`: {state}"; en: "· state of `{c}`: {state}")
            }
            None => say!(self, es: "· estado: {state}"; en: "· state: {state}"),
        };
        if let Some(t) = transport {
            line.push_str(&format!(" ({})", transport_name(t)));
        }
        if !detail.is_none() {
            line.push_str(&say!(self, es: " — motivo: {detail}"; en: " — reason: {detail}"));
        }
        if let Some(at) = next_retry_at {
            line.push_str(
                &say!(self, es: " — siguiente intento: {at}"; en: " — next attempt: {at}"),
            );
        }
        line
    }

    /// An engine error not about one frame (those are shown beside their frame).
    pub fn probe_error(self, code: &str, message: &str) -> String {
        say!(self, es: "! error {code}: {message}"; en: "! error {code}: {message}")
    }

    /// What a frame became.
    pub fn probe_became(self, b: &Became, ignored: &Ignored) -> String {
        match b {
            Became::Notification {
                kind, title, body, ..
            } => {
                let mut line = say!(self,
                    es: "notificación `{kind}`: «{title}»";
                    en: "notification `{kind}`: “{title}”");
                if !body.is_empty() {
                    line.push_str(&format!(" — {body}"));
                }
                line
            }
            Became::Twin { id, kind } => say!(self,
                es: "gemela de {id} ({kind}), que ya se mostró: no se muestra otra vez";
                en: "twin of {id} ({kind}), already shown: not shown again"),
            Became::Stream { channel, event } => say!(self,
                es: "valor en vivo del canal `{channel}` ({event})";
                en: "stream value of channel `{channel}` ({event})"),
            Became::Control { event } => say!(self,
                es: "trama de control (saludo o acuse): {event}";
                en: "control frame (greeting or ack): {event}"),
            Became::ReadAck { id } => say!(self,
                es: "acuse de lectura de {id}";
                en: "read ack for {id}"),
            Became::Pong => say!(self, es: "pong"; en: "pong"),
            Became::ServerError { message } => say!(self,
                es: "error del servidor: {message}";
                en: "server error: {message}"),
            Became::Ignored => match ignored {
                Ignored::NoRule(kind) => say!(self,
                    es: "ignorada: ninguna regla para el tipo `{kind}`";
                    en: "ignored: no rule for type `{kind}`"),
                Ignored::ByRule(kind) => say!(self,
                    es: "ignorada por su regla (`{kind}`: action = \"ignore\")";
                    en: "ignored by its rule (`{kind}`: action = \"ignore\")"),
                Ignored::Unknown => say!(self, es: "ignorada"; en: "ignored"),
            },
            Became::Error { code, message } => say!(self,
                es: "error {code}: {message}";
                en: "error {code}: {message}"),
        }
    }

    /// An outcome's name in the summary (`notification`, `twin`… as `--json` writes them).
    pub fn probe_outcome(self, outcome: &str) -> String {
        let (es, en) = match outcome {
            "notification" => ("notificación", "notification"),
            "twin" => ("gemela", "twin"),
            "stream" => ("valor en vivo", "stream value"),
            "control" => ("control", "control"),
            "read_ack" => ("acuse de lectura", "read ack"),
            "pong" => ("pong", "pong"),
            "server_error" => ("error del servidor", "server error"),
            "ignored" => ("ignorada", "ignored"),
            "error" => ("error", "error"),
            other => (other, other),
        };
        say!(self, es: "{es}"; en: "{en}")
    }

    pub fn probe_warning(self, w: &Warning) -> String {
        let part = |part: &Part| match (self.0, part) {
            (Lang::Es, Part::Title) => "el título",
            (Lang::Es, Part::Body) => "el cuerpo",
            (Lang::En, Part::Title) => "title",
            (Lang::En, Part::Body) => "body",
        };
        match w {
            Warning::FellBack {
                kind,
                part: which,
                template,
                missing,
            } => {
                let fallback = match which {
                    Part::Title => say!(self, es: "el tipo en palabras"; en: "the kind in words"),
                    Part::Body => say!(self,
                        es: "los campos simples del contenido";
                        en: "the payload's plain fields"),
                };
                let p = part(which);
                let why = if missing.is_empty() {
                    say!(self,
                        es: "la plantilla `{template}`, rellena, no tiene letras ni cifras";
                        en: "template `{template}`, filled, has no letters or digits")
                } else if !is_template(template) {
                    say!(self,
                        es: "el campo `{template}` no está en esta trama";
                        en: "field `{template}` is not in this frame")
                } else {
                    let list = missing
                        .iter()
                        .map(|m| format!("{{{m}}}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    say!(self,
                        es: "a la plantilla `{template}` le faltan {list} en esta trama";
                        en: "template `{template}` is missing {list} in this frame")
                };
                say!(self,
                    es: "`{kind}`: {p} no se pudo rellenar y se mostró {fallback}: {why}";
                    en: "`{kind}`: the {p} fell back to {fallback}: {why}")
            }
            Warning::JsonDump { kind, part: which } => {
                let p = part(which);
                say!(self,
                    es: "`{kind}`: {p} parece JSON (empieza por `{{` o `[`)";
                    en: "`{kind}`: the {p} looks like JSON (it starts with `{{` or `[`)")
            }
            Warning::NoRule { kind, other: true } => say!(self,
                es: "`{kind}`: no tiene regla propia; lo tomó [frames.other]";
                en: "`{kind}`: no rule of its own; [frames.other] took it"),
            Warning::NoRule { kind, other: false } => say!(self,
                es: "`{kind}`: ninguna regla toma este tipo: se ignora";
                en: "`{kind}`: no rule takes this type: ignored"),
            Warning::IdChanges { kind } => say!(self,
                es: "`{kind}`: la misma notificación llegó en dos conexiones con ids distintos: si es un solo evento, su id cambia con cada reconexión y se mostrará otra vez cada vez";
                en: "`{kind}`: the same notification came on two connections with different ids: if it is one event, its id changes on every reconnect and it is shown again each time"),
        }
    }

    pub fn probe_summary(self, frames: u64, connections: u64) -> String {
        say!(self,
            es: "Resumen: {frames} trama(s) en {connections} conexión(es)";
            en: "Summary: {frames} frame(s) over {connections} connection(s)")
    }

    pub fn probe_no_warnings(self) -> String {
        say!(self, es: "Sin avisos."; en: "No warnings.")
    }

    pub fn probe_warnings_head(self) -> String {
        say!(self,
            es: "Avisos (cada uno una vez, con cuántas tramas lo tuvieron):";
            en: "Warnings (each once, with how many frames had it):")
    }

    // probe --suggest: comments in the suggested profile.

    /// The suggestion's first lines (each becomes a TOML comment).
    pub fn suggest_header(self, account: &str, frames: u64) -> String {
        say!(self,
            es: "Perfil sugerido por `aviso-cli probe` a partir de {frames} trama(s) de `{account}`.\nRevísalo y pruébalo con `aviso-cli probe --profile ESTE_ARCHIVO …`; después, `aviso-cli watch --profile ESTE_ARCHIVO …`.\nUn título o cuerpo sin ningún {{campo}} se lee como una ruta: un texto fijo necesita al menos un {{campo}}.";
            en: "Profile suggested by `aviso-cli probe` from {frames} frame(s) of `{account}`.\nReview it and try it with `aviso-cli probe --profile THIS_FILE …`; then `aviso-cli watch --profile THIS_FILE …`.\nA title or body without any {{field}} is read as a path: a fixed text needs at least one {{field}}.")
    }

    pub fn suggest_from_file(self, path: &str) -> String {
        say!(self,
            es: "Copia de {path} (sin sus comentarios), con las reglas de abajo:";
            en: "A copy of {path} (without its comments), with the rules below:")
    }

    pub fn suggest_nothing(self) -> String {
        say!(self,
            es: "Ninguna regla que añadir ni cambiar: cada tipo visto tenía la suya y sus títulos se rellenaron.";
            en: "No rule to add or change: every type seen had its own and its titles were filled.")
    }

    pub fn suggest_why(self, kind: &str, why: &Why) -> String {
        match why {
            Why::TitleFellBack { template, missing } if missing.is_empty() => say!(self,
                es: "`{kind}`: su título `{template}`, relleno, no tenía letras ni cifras";
                en: "`{kind}`: its title `{template}`, filled, had no letters or digits"),
            Why::TitleFellBack { template, missing } => {
                let list = missing
                    .iter()
                    .map(|m| format!("{{{m}}}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                say!(self,
                    es: "`{kind}`: su título `{template}` no se pudo rellenar (faltaban {list})";
                    en: "`{kind}`: its title `{template}` could not be filled ({list} missing)")
            }
            Why::Other => say!(self,
                es: "`{kind}`: no tenía regla propia (lo tomaba [frames.other])";
                en: "`{kind}`: had no rule of its own ([frames.other] took it)"),
            Why::Ignored => say!(self,
                es: "`{kind}`: ninguna regla lo tomaba (se ignoraba)";
                en: "`{kind}`: no rule took it (it was ignored)"),
        }
    }

    pub fn bad_suggestion(self) -> String {
        say!(self,
            es: "el perfil sugerido no carga (es un fallo de aviso-cli: avísanos, por favor)";
            en: "the suggested profile does not load (a bug in aviso-cli: please report it)")
    }

    // Errors at exit.

    /// An error as printed at exit: its causes joined by `: `, each said once (a cause
    /// whose text an earlier one already includes, as an I/O error quoted by the error
    /// around it, is left out), the engine errors this module knows in the user's language.
    pub fn error(self, e: &anyhow::Error) -> String {
        let mut said = String::new();
        let mut parts: Vec<String> = Vec::new();
        for cause in e.chain() {
            let own = cause.to_string();
            if own.is_empty() || said.contains(&own) {
                continue;
            }
            said.push_str(&own);
            said.push('\n');
            parts.push(self.engine_error(cause).unwrap_or(own));
        }
        parts.join(": ")
    }

    /// An engine error in the user's language, when it is one of those said here.
    pub fn engine_error(self, e: &(dyn StdError + 'static)) -> Option<String> {
        if let Some(e) = e.downcast_ref::<ConfigError>() {
            return self.config_error(e);
        }
        if let Some(e) = e.downcast_ref::<ProfileError>() {
            return Some(self.profile_error(e));
        }
        if let Some(e) = e.downcast_ref::<AuthError>() {
            return self.auth_error(e);
        }
        if let Some(e) = e.downcast_ref::<CredentialError>() {
            return self.credential_error(e);
        }
        if let Some(e) = e.downcast_ref::<RenameError>() {
            return Some(match e {
                RenameError::InvalidName(name, _) => say!(self,
                    es: "`{name}` no puede ser el nombre de una cuenta: escribe entre 1 y 64 caracteres, sin saltos de línea";
                    en: "{e}"),
                RenameError::UnknownAccount(name) => self.unknown_account(name),
                RenameError::NameTaken(name) => say!(self,
                    es: "ya hay una cuenta llamada `{name}`: elige otro nombre";
                    en: "{e}"),
                RenameError::Config(e) => self.config_error(e)?,
                RenameError::Credentials(e) => self.credential_error(e)?,
                RenameError::Store(_) => return None,
            });
        }
        if let Some(e) = e.downcast_ref::<FlushError>() {
            return match e {
                FlushError::Auth(e) => self.auth_error(e),
                FlushError::FreshTokenRefused => Some(say!(self,
                    es: "el servidor rechazó un token recién emitido (HTTP 401); inicia sesión de nuevo";
                    en: "{e}")),
                FlushError::Store(_) => None,
            };
        }
        None
    }

    fn config_error(self, e: &ConfigError) -> Option<String> {
        Some(match e {
            ConfigError::Read { path, message } => {
                say!(self, es: "no se puede leer {path}: {message}"; en: "{e}")
            }
            ConfigError::Write { path, message } => {
                say!(self, es: "no se puede escribir {path}: {message}"; en: "{e}")
            }
            ConfigError::BadServer(server) => say!(self,
                es: "la URL del servidor `{server}` no es válida: usa http(s)://servidor[:puerto]";
                en: "{e}"),
            ConfigError::UnknownAccount(name) => self.unknown_account(name),
            ConfigError::Profile(e) => self.profile_error(e),
        })
    }

    fn profile_error(self, e: &ProfileError) -> String {
        match e {
            ProfileError::Unknown(name) => self.unknown_profile(name),
            ProfileError::Read { path, source } => say!(self,
                es: "no se puede leer el archivo de perfil {path}: {source}";
                en: "{e}"),
            ProfileError::Invalid { name, message } => say!(self,
                es: "el perfil {name} no es válido: {message}";
                en: "{e}"),
            ProfileError::MissingParam { profile, param } => say!(self,
                es: "el perfil `{profile}` necesita el parámetro `{param}`: pasa --param {param}=VALOR o ponlo en [accounts.params] de la cuenta";
                en: "{e}"),
        }
    }

    fn auth_error(self, e: &AuthError) -> Option<String> {
        Some(match e {
            AuthError::WrongCredentials => {
                say!(self, es: "usuario o contraseña incorrectos"; en: "{e}")
            }
            AuthError::Rejected => say!(self,
                es: "el servidor rechazó el token de renovación; inicia sesión de nuevo";
                en: "{e}"),
            AuthError::Unreachable { server, message } => say!(self,
                es: "no se puede conectar con {server}: {message}";
                en: "{e}"),
            AuthError::Server { status } => say!(self,
                es: "el servidor respondió {status} al pedir el token";
                en: "{e}"),
            AuthError::BadAnswer(field) => say!(self,
                es: "la respuesta del token no tiene el campo `{field}`";
                en: "{e}"),
            AuthError::NoToken => say!(self,
                es: "no has iniciado sesión: no hay ningún token guardado para esta cuenta";
                en: "{e}"),
            AuthError::NoRefreshToken => say!(self,
                es: "el servidor rechazó el token de acceso y no hay token de renovación para renovarlo; inicia sesión de nuevo";
                en: "{e}"),
            AuthError::NotSent => say!(self,
                es: "el servidor rechazó la conexión y este perfil no envía ningún token (auth.mode = \"none\"); si el servidor pide iniciar sesión, usa un perfil con una sección [auth] (docs/profiles.md)";
                en: "{e}"),
            AuthError::Credentials(e) => return self.credential_error(e),
        })
    }

    fn credential_error(self, e: &CredentialError) -> Option<String> {
        Some(match e {
            CredentialError::NoSessionBus => say!(self,
                es: "no hay bus de sesión D-Bus, así que no hay Secret Service: ejecuta Aviso dentro de una sesión de escritorio (o con `dbus-run-session`), o define AVISO_TOKEN para usarlo sin escritorio";
                en: "{e}"),
            CredentialError::NoSecretService => say!(self,
                es: "no hay ningún Secret Service en el bus de sesión: instala e inicia gnome-keyring (o KeePassXC con la integración de Secret Service), o define AVISO_TOKEN para usarlo sin escritorio";
                en: "{e}"),
            CredentialError::Locked => say!(self,
                es: "el llavero del sistema está bloqueado: desbloquéalo (por ejemplo, iniciando sesión en el escritorio) y vuelve a intentarlo";
                en: "{e}"),
            CredentialError::Other(message) => {
                say!(self, es: "error del llavero del sistema: {message}"; en: "{e}")
            }
        })
    }
}

/// The labels of `aviso-cli status`, in one language.
pub struct StatusLabels {
    pub state: &'static str,
    pub since: &'static str,
    pub reason: &'static str,
    pub last_event: &'static str,
    pub rtt: &'static str,
    pub reconnects: &'static str,
    pub next_retry: &'static str,
    pub catch_up: &'static str,
    pub queued: &'static str,
    pub unread: &'static str,
    pub token: &'static str,
    pub store: &'static str,
    pub none: &'static str,
    pub new_one: &'static str,
    pub new_items: &'static str,
    pub failed: &'static str,
}

/// A transport's name (the same in both languages).
pub fn transport_name(t: TransportKind) -> &'static str {
    match t {
        TransportKind::Websocket => "WebSocket",
        TransportKind::Socketio => "Socket.IO",
        TransportKind::Sse => "SSE",
        TransportKind::Polling => "REST",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_its_parent_already_quotes_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file (os error 2)");
        let e = anyhow::Error::from(ProfileError::Read {
            path: "./x.toml".into(),
            source: io,
        });
        assert_eq!(
            Text(Lang::En).error(&e),
            "cannot read profile file ./x.toml: No such file (os error 2)"
        );
        assert_eq!(
            Text(Lang::Es).error(&e),
            "no se puede leer el archivo de perfil ./x.toml: No such file (os error 2)"
        );
        // Context that adds words keeps its cause.
        let e = anyhow::anyhow!("disk on fire").context("cannot create /x");
        assert_eq!(Text(Lang::En).error(&e), "cannot create /x: disk on fire");
    }
}
