//! A `routenorms serve` process for tests, the stores it serves (demo or real data), and a
//! plain HTTP/1.1 client for it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
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

/// A demo store (`routenorms demo --seed 3`) in `dir`: the store's path and its VRP file.
pub fn demo_store(dir: &Path) -> (String, PathBuf) {
    let _ = std::fs::remove_dir_all(dir);
    super::run_ok(&[
        "demo",
        "--seed",
        "3",
        "--out",
        dir.to_str().unwrap(),
        "--no-progress",
        "--no-serve",
    ]);
    let store = dir.join("routenorms.db").to_str().unwrap().to_string();
    (store, dir.join("rpki/vrps.json"))
}

/// The real-data VRP file that [`real_store`] observes with.
pub const REAL_VRPS: &str = "rpki/rpki-client-ripe-prepdev-20230504.json.gz";

/// A store filled by `routenorms observe` from the shared real data (`data`) in `dir`: a 2002
/// RIB and updates, the RIPE VRPs, IRR, AS relationships, RIR and PeeringDB files.
pub fn real_store(dir: &Path, data: &Path) -> String {
    let d = |p: &str| data.join(p).to_str().unwrap().to_string();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let store = dir.join("real.db").to_str().unwrap().to_string();
    super::run_ok(&[
        "observe",
        "--no-progress",
        "--store",
        &store,
        "--mrt",
        &d("mrt/bgpdump/bview.20020722.2337.gz"),
        "--updates",
        &d("mrt/bgpdump/updates.20020722.2238.gz"),
        "--vrps",
        &d(REAL_VRPS),
        "--irr",
        &d("irr/ripe-aut-num-AS3257.rpsl"),
        "--asrel",
        &d("asrel/20180101.as-rel.txt"),
        "--rir",
        &d("rir/delegated-afrinic-extended-latest"),
        &d("rir/delegated-lacnic-extended-latest"),
        "--peeringdb",
        &d("peeringdb/prod-anon-net-page-1.json"),
        &d("peeringdb/prod-anon-org-page-1.json"),
        &d("peeringdb/prod-anon-poc-page-1.json"),
    ]);
    store
}
