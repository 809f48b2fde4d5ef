//! A `routenorms serve` process for tests, and a plain HTTP/1.1 client for it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running server, stopped (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    pub store: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Serves `store` on a free loopback port.
    pub fn start(store: &str, vrps: Option<&Path>) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_routenorms"));
        cmd.args([
            "serve",
            "--store",
            store,
            "--listen",
            "127.0.0.1:0",
            "--threads",
            "2",
        ]);
        if let Some(v) = vrps {
            cmd.arg("--vrps").arg(v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start routenorms serve");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        // Keep draining, so the server's last words never meet a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server {
            child,
            addr,
            store: store.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// GET `path`; returns the status and the body.
pub fn get(srv: &Server, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(&srv.addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    (status, body.to_string())
}

pub fn get_json(srv: &Server, path: &str) -> Value {
    let (status, body) = get(srv, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"))
}

/// An ASN with a card and incidents: the culprit of the heaviest incident.
pub fn busy_asn(srv: &Server) -> u64 {
    get_json(srv, "/api/v1/global")["top_incidents"][0]["culprit"]
        .as_u64()
        .unwrap()
}

/// The text of the element carrying `data-field="NAME"` on a page.
pub fn page_field(html: &str, name: &str) -> String {
    let key = format!("data-field=\"{name}\">");
    let at = html.find(&key).unwrap_or_else(|| panic!("no field {name}")) + key.len();
    html[at..].split('<').next().unwrap().to_string()
}

/// An API value as the dashboard prints it (one decimal for fractions, `–` for none).
pub fn shown(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}
