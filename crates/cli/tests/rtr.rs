//! `routenorms rtr serve` and `routenorms rtr dump`, the real binary, against RTRlib's
//! `rtrclient` and `rpki-rov` (Debian `rtr-tools`): an independent router implementation must
//! receive exactly the set served, in protocol versions 1 and 0, and the incremental update
//! after the file changes; and `rtr dump` must print the served set in a form our loader
//! reads back.

mod common;

use routenorms_rpki::rtr::FileSource;
use routenorms_rpki::{load_path, RovState, VrpSet};
use routenorms_testsupport::{data_dir, tool};
use routenorms_types::{Asn, Prefix};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

type VrpKey = (Prefix, u8, Asn);

const SMALL: &str = "\
asn,prefix,max_length
AS64496,192.0.2.0/24,24
AS64496,192.0.2.0/24,24
AS64497,198.51.100.0/22,24
AS0,203.0.113.0/24,24
AS4200000000,2001:db8::/32,48
AS64499,2001:db8:ff00::/40,40
";

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("routenorms-cli-rtr-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A child process killed (by its own handle) when the test ends, with its stderr lines
/// forwarded to a channel.
struct Proc {
    child: Child,
    stderr: Receiver<String>,
}

impl Proc {
    fn spawn(cmd: &mut Command) -> Proc {
        let mut child = cmd.stderr(Stdio::piped()).spawn().expect("spawn");
        let err = child.stderr.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc { child, stderr: rx }
    }

    /// Waits for a stderr line containing `needle`; returns every line read up to it, that
    /// one last.
    fn wait_stderr(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let mut read = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(l) => {
                    read.push_str(&l);
                    read.push('\n');
                    if l.contains(needle) {
                        return read;
                    }
                }
                Err(_) => panic!("no stderr line with {needle:?} in:\n{read}"),
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `routenorms rtr serve` on an ephemeral loopback port; its port.
fn serve(vrps: &Path, extra: &[&str]) -> (Proc, u16) {
    let p = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routenorms"))
            .args(["rtr", "serve", "--listen", "127.0.0.1:0", "--vrps"])
            .arg(vrps)
            .args(extra)
            .stdout(Stdio::null()),
    );
    let read = p.wait_stderr("listening on");
    let line = read.lines().last().unwrap();
    let port = line.rsplit(':').next().unwrap().trim().parse().unwrap();
    (p, port)
}

/// The set the server must send: what our loader reads, as RTR keys.
fn served(vrps: &Path) -> BTreeSet<VrpKey> {
    let source = FileSource {
        vrps: vrps.to_path_buf(),
        aspa: None,
        slurm: None,
    };
    source
        .load()
        .unwrap()
        .payload
        .vrps()
        .iter()
        .map(|v| v.key())
        .collect()
}

/// Parses rtrclient's csv export: `prefix, length, maxlen, origin` lines. RTRlib 0.8 prints
/// the origin as a signed 32-bit number, so ASNs above 2^31 appear negative
/// (4200000000 as -94967296): read back modulo 2^32.
fn rtrclient_csv(path: &Path) -> Vec<VrpKey> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            assert_eq!(f.len(), 4, "{l}");
            (
                format!("{}/{}", f[0], f[1]).parse().unwrap(),
                f[2].parse().unwrap(),
                Asn(f[3].parse::<i64>().unwrap().rem_euclid(1 << 32) as u32),
            )
        })
        .collect()
}

/// rtrclient's log of the protocol version it ended up with: it starts at 1 and logs a
/// downgrade when the cache answers "Unsupported Protocol Version" in version 0; version 1
/// End of Data carries timing, which it logs.
fn check_rtrclient_version(log: &str, version: u8) {
    match version {
        0 => assert!(log.contains("Downgrading from 1 to version 0"), "{log}"),
        _ => {
            assert!(!log.contains("Downgrading"), "{log}");
            assert!(log.contains("New interval values"), "{log}");
        }
    }
}

fn rtrclient_export(rtrclient: &Path, port: u16, dir: &Path) -> (Vec<VrpKey>, String) {
    let out = dir.join(format!("rtrclient-{port}.csv"));
    let run = Command::new(rtrclient)
        .args(["-e", "-o"])
        .arg(&out)
        .args(["-t", "csv", "tcp", "127.0.0.1", &port.to_string()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    (
        rtrclient_csv(&out),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

/// RTRlib's rtrclient, speaking version 1 (its highest) and version 0 (after our server,
/// limited to version 0, tells it to downgrade), receives exactly the VRPs served — same
/// count, same (prefix, maxLength, ASN) triples — for a hand-written file (duplicates, AS0,
/// 4-byte ASN, IPv6) and for the DN42 export of 2021-05-31 (with its defective entries).
#[test]
fn rtrclient_receives_exactly_the_served_set_in_versions_1_and_0() {
    let Some(rtrclient) = tool("rtrclient") else {
        return;
    };
    let dir = temp_dir("export");
    let small = dir.join("small.csv");
    replace(&small, SMALL);
    let mut files = vec![small];
    if let Some(data) = data_dir() {
        files.push(data.join("rpki/dn42-export-20210531.json"));
    }
    for file in &files {
        let expected = served(file);
        for version in [1u8, 0] {
            let (_server, port) = serve(file, &["--max-version", &version.to_string()]);
            let (got, log) = rtrclient_export(&rtrclient, port, &dir);
            check_rtrclient_version(&log, version);
            assert_eq!(got.len(), expected.len(), "{} v{version}", file.display());
            let got: BTreeSet<VrpKey> = got.into_iter().collect();
            assert_eq!(got, expected, "{} v{version}", file.display());
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// rtrclient left running (`-p` prints each VRP added or removed) gets the incremental
/// update — a Serial Notify, then a Serial Query, not a new Reset Query — within a few
/// seconds of the VRP file being replaced, with exactly the VRPs added and removed, in
/// versions 1 and 0.
#[test]
fn rtrclient_receives_the_incremental_update_after_the_file_changes() {
    let (Some(rtrclient), Some(stdbuf)) = (tool("rtrclient"), tool("stdbuf")) else {
        return;
    };
    let dir = temp_dir("update");
    for version in [1u8, 0] {
        let file = dir.join(format!("v{version}.csv"));
        replace(
            &file,
            "asn,prefix,max_length\n64496,192.0.2.0/24,24\n64497,2001:db8::/32,48\n",
        );
        let (_server, port) = serve(
            &file,
            &["--refresh", "0.1", "--max-version", &version.to_string()],
        );
        // rtrclient writes through stdio: line-buffer it so lines arrive as printed.
        let mut client = Proc::spawn(
            Command::new(&stdbuf)
                .arg("-oL")
                .arg(&rtrclient)
                .args(["-p", "tcp", "127.0.0.1", &port.to_string()])
                .stdout(Stdio::piped()),
        );
        let (tx, lines) = channel();
        let out = client.child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        let mut seen = BTreeSet::new();
        let mut expect = |want: &[&str]| {
            let deadline = Instant::now() + WAIT;
            while !want.iter().all(|w| seen.contains(*w)) {
                let left = deadline.saturating_duration_since(Instant::now());
                let l = lines
                    .recv_timeout(left)
                    .unwrap_or_else(|_| panic!("v{version}: missing {want:?}, saw {seen:?}"));
                // `+ 192.0.2.0    24 -  24    64496` → `+ 192.0.2.0 24 24 64496`
                let words: Vec<&str> = l.split_whitespace().filter(|w| *w != "-").collect();
                let sign = if l.starts_with('-') { "-" } else { "+" };
                if matches!(words.first(), Some(&"+") | Some(&"-")) {
                    seen.insert(format!("{sign} {}", words[1..].join(" ")));
                } else if l.starts_with('-') {
                    seen.insert(format!("- {}", words.join(" ")));
                }
            }
        };
        expect(&["+ 192.0.2.0 24 24 64496", "+ 2001:db8:: 32 48 64497"]);
        check_rtrclient_version(&client.wait_stderr("Sync successful"), version);
        replace(
            &file,
            "asn,prefix,max_length\n64496,192.0.2.0/24,24\n64498,198.51.100.0/24,24\n",
        );
        expect(&["+ 198.51.100.0 24 24 64498", "- 2001:db8:: 32 48 64497"]);
        let log = client.wait_stderr("Sync successful");
        assert!(log.contains("received 2 Prefix PDUs"), "v{version}: {log}");
        assert_eq!(seen.len(), 4, "v{version}: exactly the delta: {seen:?}");
        // The update came by Serial Notify and Serial Query, not by a new Reset Query.
        assert!(log.contains("Serial Notify received"), "v{version}: {log}");
        assert!(log.contains("sending serial query"), "v{version}: {log}");
        assert!(!log.contains("Sending reset query"), "v{version}: {log}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `rtr dump` prints the served set: CSV our loader reads back to the same VRPs, and JSON
/// with the session, serial and every VRP; proposing version 2 to a cache limited to 0 ends
/// in version 0.
#[test]
fn rtr_dump_prints_the_served_set_and_its_csv_loads_back() {
    let dir = temp_dir("dump");
    let file = dir.join("vrps.csv");
    replace(&file, SMALL);
    let (_server, port) = serve(&file, &[]);
    let addr = format!("127.0.0.1:{port}");
    let (csv, err) = common::run_ok(&["rtr", "dump", &addr, "--format", "csv"]);
    assert!(err.contains("5 VRPs and 0 ASPAs"), "{err}");
    assert!(err.contains("RTR version 2"), "{err}");
    let back = dir.join("back.csv");
    std::fs::write(&back, &csv).unwrap();
    let reloaded: BTreeSet<VrpKey> = load_path(&back)
        .unwrap()
        .vrps
        .iter()
        .map(|v| v.key())
        .collect();
    assert_eq!(reloaded, served(&file));

    let (json, _) = common::run_ok(&["rtr", "dump", &addr, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["vrps"].as_array().unwrap().len(), 5);
    assert_eq!(doc["vrps"][0]["prefix"], "192.0.2.0/24");
    assert_eq!(doc["vrps"][0]["max_len"], 24);
    assert_eq!(doc["vrps"][0]["asn"], 64496);
    assert_eq!(doc["serial"], 0);

    let (_v0, port0) = serve(&file, &["--max-version", "0"]);
    let (_, err) = common::run_ok(&["rtr", "dump", &format!("127.0.0.1:{port0}")]);
    assert!(err.contains("RTR version 0"), "{err}");

    let out = common::routenorms(&["rtr", "dump", "127.0.0.1:1", "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(1), "no cache there");
    let _ = std::fs::remove_dir_all(dir);
}

/// RTRlib's `rpki-rov`, fed by our server, gives the same RFC 6811 verdicts as our own
/// validator on routes that exercise each rule (valid, invalid length, invalid AS, AS0,
/// not found, IPv6).
#[test]
fn rpki_rov_over_our_server_agrees_with_our_validator() {
    let Some(rpki_rov) = tool("rpki-rov") else {
        return;
    };
    let dir = temp_dir("rov");
    let file = dir.join("vrps.csv");
    replace(&file, SMALL);
    let (_server, port) = serve(&file, &[]);
    let routes = [
        ("192.0.2.0/24", 64496),
        ("192.0.2.0/25", 64496),
        ("192.0.2.0/24", 64497),
        ("198.51.100.0/24", 64497),
        ("198.51.100.0/25", 64497),
        ("203.0.113.0/24", 0),
        ("203.0.113.0/24", 64500),
        ("10.0.0.0/8", 64496),
        ("2001:db8:1::/48", 4200000000),
        ("2001:db8:1::/49", 4200000000),
        ("2001:db8:ff00::/40", 64496),
    ];
    let input: String = routes
        .iter()
        .map(|(p, a)| format!("{} {a}\n", p.replace('/', " ")))
        .collect();
    let mut child = Command::new(rpki_rov)
        .args(["127.0.0.1", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // rpki-rov syncs first and then reads stdin; give it the routes and end of input.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // `PREFIX LEN ASN|covering ROAs|state`, state 0 valid, 1 not found, 2 invalid.
    let theirs: Vec<&str> = text
        .lines()
        .filter(|l| l.contains('|'))
        .map(|l| l.rsplit('|').next().unwrap())
        .collect();
    assert_eq!(theirs.len(), routes.len(), "{text}");
    let set = VrpSet::new(load_path(&file).unwrap().vrps);
    for ((p, a), t) in routes.iter().zip(theirs) {
        let ours = match set.validate_state(p.parse().unwrap(), Some(Asn(*a))).0 {
            RovState::Valid => "0",
            RovState::NotFound => "1",
            RovState::Invalid => "2",
        };
        assert_eq!(ours, t, "{p} AS{a}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A program on PATH, or `None` (with a note): for optional peers that CI does not install.
fn optional_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        eprintln!("skipping: {name} not installed (optional peer)");
    }
    found
}

/// The ROA tables of a running BIRD, as RTR keys (`birdc show route table r4` lines
/// `192.0.2.0/24-24 AS64496  [rtr1 ...] * (100)`).
fn bird_roas(birdc: &Path, socket: &Path) -> BTreeSet<VrpKey> {
    let mut out = BTreeSet::new();
    for table in ["r4", "r6"] {
        let o = Command::new(birdc)
            .arg("-s")
            .arg(socket)
            .args(["show", "route", "table", table])
            .output()
            .unwrap();
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            let mut words = line.split_whitespace();
            let (Some(roa), Some(asn)) = (words.next(), words.next()) else {
                continue;
            };
            let (Some((prefix, max)), Some(asn)) = (roa.rsplit_once('-'), asn.strip_prefix("AS"))
            else {
                continue;
            };
            if let (Ok(p), Ok(m), Ok(a)) = (prefix.parse(), max.parse(), asn.parse()) {
                out.insert((p, m, Asn(a)));
            }
        }
    }
    out
}

/// BIRD 2 (a real router's RTR client, protocol rpki; optional: CI does not install it) fed
/// by `rtr serve` holds exactly the served set in its ROA tables, for the DN42 export and a
/// hand-written file, and follows the file when it changes.
#[test]
fn bird_holds_exactly_the_served_set_and_follows_updates() {
    let (Some(bird), Some(birdc)) = (optional_tool("bird"), optional_tool("birdc")) else {
        return;
    };
    let dir = temp_dir("bird");
    let file = dir.join("vrps.csv");
    let first = match data_dir() {
        Some(d) => std::fs::read_to_string(d.join("rpki/dn42-export-20210531.json")).unwrap(),
        None => SMALL.to_owned(),
    };
    replace(&file, &first);
    let (_server, port) = serve(&file, &["--refresh", "0.1"]);
    let conf = dir.join("bird.conf");
    std::fs::write(
        &conf,
        format!(
            "router id 192.0.2.254;\nroa4 table r4;\nroa6 table r6;\nprotocol device {{ }}\n\
             protocol rpki rtr1 {{\n  roa4 {{ table r4; }};\n  roa6 {{ table r6; }};\n  \
             remote 127.0.0.1 port {port};\n  retry keep 5;\n  refresh keep 30;\n  expire 600;\n}}\n"
        ),
    )
    .unwrap();
    let socket = dir.join("bird.sock");
    let _bird = Proc::spawn(
        Command::new(&bird)
            .arg("-c")
            .arg(&conf)
            .arg("-s")
            .arg(&socket)
            .arg("-f")
            .stdout(Stdio::null()),
    );
    let wait_for = |want: &BTreeSet<VrpKey>| {
        let deadline = Instant::now() + WAIT;
        loop {
            let got = bird_roas(&birdc, &socket);
            if &got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "BIRD holds {} ROAs, {} served",
                got.len(),
                want.len()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    wait_for(&served(&file));
    replace(&file, SMALL);
    wait_for(&served(&file));
    let _ = std::fs::remove_dir_all(dir);
}

/// The set `rtr dump` fetches from `addr` with protocol `version`, through our own loader.
fn dump_set(addr: &str, version: &str, dir: &Path) -> BTreeSet<VrpKey> {
    let (csv, err) = common::run_ok(&["rtr", "dump", addr, "--version", version]);
    assert!(err.contains(&format!("RTR version {version}")), "{err}");
    let file = dir.join(format!("dump-{version}.csv"));
    std::fs::write(&file, csv).unwrap();
    load_path(&file)
        .unwrap()
        .vrps
        .iter()
        .map(|v| v.key())
        .collect()
}

/// A second, independent RTR cache: StayRTR (Debian `stayrtr`, Go) serving the same JSON file
/// as our server. `rtr dump` must fetch the same set from both, in versions 0 and 1 — which
/// proves our client against another server and our server's set against another
/// implementation's reading of the file (including the DN42 file's defective entries, which
/// both skip).
#[test]
fn rtr_dump_gets_the_same_set_from_stayrtr_and_from_our_server() {
    let Some(stayrtr) = tool("stayrtr") else {
        return;
    };
    let Some(data) = data_dir() else { return };
    let dir = temp_dir("stayrtr");
    let small = dir.join("small.json");
    replace(
        &small,
        r#"{"roas": [
  {"prefix": "192.0.2.0/24", "maxLength": 24, "asn": "AS64496"},
  {"prefix": "198.51.100.0/22", "maxLength": 24, "asn": 64497},
  {"prefix": "2001:db8::/32", "maxLength": 48, "asn": "AS4200000000"}
]}"#,
    );
    for file in [small, data.join("rpki/dn42-export.json")] {
        let free = |_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let (port, metrics) = (free(0), free(1));
        let _theirs = Proc::spawn(
            Command::new(&stayrtr)
                .arg("-cache")
                .arg(&file)
                .args(["-checktime=false", "-protocol", "1", "-bind"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("-metrics.addr")
                .arg(format!("127.0.0.1:{metrics}"))
                .stdout(Stdio::null()),
        );
        let theirs = format!("127.0.0.1:{port}");
        // StayRTR answers "No data available" until its first load; wait for the set.
        let deadline = Instant::now() + WAIT;
        while !common::routenorms(&["rtr", "dump", &theirs, "--version", "1"])
            .status
            .success()
        {
            assert!(Instant::now() < deadline, "stayrtr never served {file:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let (_ours, our_port) = serve(&file, &[]);
        let ours = format!("127.0.0.1:{our_port}");
        let expected = served(&file);
        assert!(!expected.is_empty());
        for version in ["1", "0"] {
            assert_eq!(
                dump_set(&theirs, version, &dir),
                expected,
                "stayrtr v{version} {file:?}"
            );
            assert_eq!(
                dump_set(&ours, version, &dir),
                expected,
                "ours v{version} {file:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
