//! Ports for test servers, never picked by binding a port and releasing it for someone else
//! to bind (another process can take it in between). Our own servers bind port 0 and keep
//! their listener; the seed servers bind port 0 and say the port on a ready line
//! (`READY <port>`). For a process that can only be told a port (Redis, WebKitWebDriver),
//! and for an address where nothing listens, a [`ReservedPort`]:
//!
//! it binds `127.0.0.1:0` and keeps the socket bound without listening, so connecting there
//! is refused, and no other process can bind that port on `127.0.0.1` or on every address.
//! The process is then told to listen on [`ReservedPort::HOST`] (`127.0.0.2`, loopback too
//! on Linux and Windows) at the same port: an address no other process picks, at a port no
//! other test holds. (macOS has only `127.0.0.1` on its loopback by default: these tests
//! run on Linux, and under Wine.)
//!
//! A program that can only listen on `127.0.0.1` gets a [`ReservedPort::shared`] one: held
//! with `SO_REUSEADDR`, which lets a process that also sets it (GLib's sockets do) bind the
//! port while it is held and not listened on, and nobody else: a port-0 bind never picks a
//! held port, and a bind without `SO_REUSEADDR` is refused.

use std::net::{Ipv4Addr, SocketAddr};

/// A loopback port held for the test's lifetime (see the module's text).
pub struct ReservedPort {
    _socket: tokio::net::TcpSocket,
    port: u16,
}

impl ReservedPort {
    /// The address a process told this port listens on.
    pub const HOST: &'static str = "127.0.0.2";

    pub fn new() -> ReservedPort {
        ReservedPort::hold(false)
    }

    /// Held with `SO_REUSEADDR`, for a program told to listen on `127.0.0.1` at this port
    /// (see the module's text).
    pub fn shared() -> ReservedPort {
        ReservedPort::hold(true)
    }

    fn hold(reuse: bool) -> ReservedPort {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket.set_reuseaddr(reuse).expect("SO_REUSEADDR");
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("bind a loopback port");
        let port = socket.local_addr().expect("its address").port();
        ReservedPort {
            _socket: socket,
            port,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `scheme://127.0.0.1:port`: an address where nothing listens while this lives.
    pub fn refused_url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// `scheme://127.0.0.2:port`: where a process told [`ReservedPort::HOST`] and
    /// [`ReservedPort::port`] listens.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}:{}", Self::HOST, self.port)
    }
}

impl Default for ReservedPort {
    fn default() -> Self {
        ReservedPort::new()
    }
}

/// The TCP ports process `pid` listens on (its own sockets, not its children's), read from
/// `/proc`: for a program started on port 0 that does not say which port it got
/// (`tauri-driver --port 0`). Linux only.
#[cfg(target_os = "linux")]
pub fn listening_ports(pid: u32) -> Vec<u16> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let inodes: std::collections::BTreeSet<String> = fds
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(
                link.strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_string(),
            )
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // local_address, st (0A: LISTEN), inode.
            let (Some(local), Some(state), Some(inode)) = (cols.get(1), cols.get(3), cols.get(9))
            else {
                continue;
            };
            if *state != "0A" || !inodes.contains(*inode) {
                continue;
            }
            if let Some(port) = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok())
            {
                ports.push(port);
            }
        }
    }
    ports
}

/// The ports of `tauri-driver`, which takes them only as numbers and says neither: its own
/// is port 0 (it binds `127.0.0.1:0`; [`DriverPorts::wait_listening`] reads which port it
/// got), and WebKitWebDriver's, which it starts with the port it was told and reaches on
/// `127.0.0.1` (whatever `--native-host` says), a [`ReservedPort::shared`] one (GLib binds
/// with `SO_REUSEADDR`).
pub struct DriverPorts {
    native: ReservedPort,
}

impl DriverPorts {
    pub fn new() -> DriverPorts {
        DriverPorts {
            native: ReservedPort::shared(),
        }
    }

    /// `tauri-driver`'s arguments.
    pub fn args(&self) -> Vec<String> {
        [
            "--port",
            "0",
            "--native-port",
            &self.native.port().to_string(),
        ]
        .map(str::to_string)
        .to_vec()
    }

    /// The port `tauri-driver` (process `pid`) listens on, once it does; `None` after
    /// `timeout`. Linux (`/proc`).
    #[cfg(target_os = "linux")]
    pub fn wait_listening(pid: u32, timeout: std::time::Duration) -> Option<u16> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(port) = listening_ports(pid).into_iter().next() {
                return Some(port);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Default for DriverPorts {
    fn default() -> Self {
        DriverPorts::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserved_port_refuses_connections_and_cannot_be_taken() {
        let held = ReservedPort::new();
        let port = held.port();
        // Nothing listens: refused.
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        // Nobody else can bind it, on 127.0.0.1 or on every address (Linux: Wine emulates
        // Windows' address reuse rules over Linux sockets, not checked there).
        #[cfg(target_os = "linux")]
        {
            assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_err());
            assert!(std::net::TcpListener::bind(("0.0.0.0", port)).is_err());
        }
        // A process told HOST and the port can listen there.
        let there = std::net::TcpListener::bind((ReservedPort::HOST, port)).unwrap();
        assert!(std::net::TcpStream::connect((ReservedPort::HOST, port)).is_ok());
        drop(there);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_shared_port_is_taken_only_by_a_listener_that_shares_it() {
        let held = ReservedPort::shared();
        let port = held.port();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        // Without SO_REUSEADDR: refused.
        let plain = tokio::net::TcpSocket::new_v4().unwrap();
        assert!(plain
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .is_err());
        // With it, as GLib binds: listening there, reachable.
        let sharing = tokio::net::TcpSocket::new_v4().unwrap();
        sharing.set_reuseaddr(true).unwrap();
        sharing
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = sharing.listen(8).unwrap();
            let _client = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            listener.accept().await.unwrap();
        });
        // A port-0 bind never gets it while it is held.
        for _ in 0..200 {
            let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            assert_ne!(other.local_addr().unwrap().port(), port);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_ports_a_process_listens_on_are_read_from_proc() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(listening_ports(std::process::id()).contains(&port));
        drop(listener);
        assert!(!listening_ports(std::process::id()).contains(&port));
    }
}
