#![allow(dead_code)] // each test binary uses part of it
//! A real SMTP server for the tests: `smtp_server.py` (aiosmtpd) run as a process, with a
//! self-signed certificate made for it by `openssl`, and the messages it received.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// How the server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plain,
    StartTls,
    ImplicitTls,
}

/// A message as the server received it.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    pub mail_from: String,
    /// The envelope's recipients (those of `To` and the hidden copies).
    pub rcpt_tos: Vec<String>,
    /// The user that authenticated, if any.
    pub login: Option<String>,
    /// Whether TLS carried the message.
    pub tls: bool,
    pub from: String,
    pub to: String,
    pub bcc: Option<String>,
    pub subject: String,
    pub body: String,
}

/// The server process, stopped when dropped.
pub struct SmtpServer {
    pub port: u16,
    /// With TLS, the self-signed authority that signed its certificate: what a client
    /// trusts (`SMTP_CA_FILE`).
    pub certificate: Option<PathBuf>,
    dir: tempfile::TempDir,
    child: Child,
}

/// The interpreter that has Debian's `python3-aiosmtpd` (a `python3` earlier on the PATH,
/// pyenv's for one, may not).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

impl SmtpServer {
    /// Starts a server; with `credentials`, AUTH is required with them.
    pub fn start(mode: Mode, credentials: Option<(&str, &str)>) -> SmtpServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = dir.path().join("received");
        std::fs::create_dir(&out).expect("the messages' directory");
        // Beside this file: in `tests/`, or reached from a service's tests (`#[path]`).
        let script = ["smtp_server.py", "../../tests/smtp_server.py"]
            .iter()
            .map(|path| Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
            .find(|path| path.exists())
            .expect("tests/smtp_server.py");
        let mut command = Command::new(python());
        command.arg(&script).arg("--mode").arg(match mode {
            Mode::Plain => "plain",
            Mode::StartTls => "starttls",
            Mode::ImplicitTls => "tls",
        });
        let certificate = (mode != Mode::Plain).then(|| {
            let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            let authority = certificates(dir.path(), &cert, &key);
            command.arg("--cert").arg(&cert).arg("--key").arg(&key);
            authority
        });
        if let Some((user, password)) = credentials {
            command.args(["--user", user, "--password", password]);
        }
        let mut child = command
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} {}: {e}", python(), script.display()));
        let stdout = child.stdout.take().expect("its standard output");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("its first line");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "the SMTP server did not start ({line:?}): is python3-aiosmtpd installed (scripts/setup.sh)?"
                )
            });
        SmtpServer { port, certificate, dir, child }
    }

    /// The messages received so far, in the order they arrived.
    pub fn received(&self) -> Vec<Received> {
        let out = self.dir.path().join("received");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&out)
            .expect("the messages' directory")
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).expect("a message");
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            })
            .collect()
    }

    /// Waits until at least `count` messages arrived (panics after `within`); all of them.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                started.elapsed() < within,
                "{} messages received, {count} awaited: {received:#?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Closing its standard input stops it; killed if it lingers.
        drop(self.child.stdin.take());
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed authority (in `dir`, its path returned) and the server's certificate for
/// `localhost` and 127.0.0.1 signed by it (`cert`, `key`), valid one day: a server's
/// certificate cannot be its own authority (rustls refuses a CA certificate as a server's).
fn certificates(dir: &Path, cert: &Path, key: &Path) -> PathBuf {
    let (authority, authority_key) = (dir.join("ca.pem"), dir.join("ca.key"));
    let (request, extensions) = (dir.join("server.csr"), dir.join("server.ext"));
    std::fs::write(
        &extensions,
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("the extensions' file");
    let openssl = |args: &[&std::ffi::OsStr]| {
        let output =
            Command::new("openssl").args(args).output().expect("openssl runs (scripts/setup.sh installs it)");
        assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    let os = |text: &'static str| std::ffi::OsStr::new(text);
    openssl(&[
        os("req"),
        os("-x509"),
        os("-newkey"),
        os("rsa:2048"),
        os("-nodes"),
        os("-days"),
        os("1"),
        os("-subj"),
        os("/CN=BAN Sync test authority"),
        os("-keyout"),
        authority_key.as_os_str(),
        os("-out"),
        authority.as_os_str(),
    ]);
    openssl(&[
        os("req"),
        os("-newkey"),
        os("rsa:2048"),
        os("-nodes"),
        os("-subj"),
        os("/CN=localhost"),
        os("-keyout"),
        key.as_os_str(),
        os("-out"),
        request.as_os_str(),
    ]);
    openssl(&[
        os("x509"),
        os("-req"),
        os("-in"),
        request.as_os_str(),
        os("-days"),
        os("1"),
        os("-CA"),
        authority.as_os_str(),
        os("-CAkey"),
        authority_key.as_os_str(),
        os("-set_serial"),
        os("1"),
        os("-extfile"),
        extensions.as_os_str(),
        os("-out"),
        cert.as_os_str(),
    ]);
    authority
}
