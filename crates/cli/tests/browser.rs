//! The dashboard in a real browser: Debian's `chromium`, headless, driven over the Chrome
//! DevTools protocol, renders the pages that `routenorms serve` makes from a store filled by
//! `routenorms observe` on the real data in `../shared/data`. Like a person it opens the
//! overview, types an ASN into the search box and presses Enter; the form's query goes to
//! `/search`, whose redirect the browser follows to the report card. On both pages it checks
//! in the live DOM that the charts are drawn (SVGs laid out with bars of non-zero width) and
//! that the figures equal the API's. Screenshots are written to `target/test-artifacts/`.
//!
//! Every wait is bounded; chromium is killed and its profile removed when the test ends,
//! whether it passes or not.

mod common;

use common::server::{busy_asn, get_json, page_field, real_store, shown, Server};
use routenorms_testsupport::{data_dir, tool};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// The longest any one step (start, command, page load) may take.
const STEP: Duration = Duration::from_secs(30);

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The chromium process and its profile directory: killed and removed when dropped.
struct Process {
    child: Child,
    profile: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One page of a headless chromium, over the browser's DevTools websocket (a flat session
/// attached to the page target).
struct Browser {
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    // Dropped after the socket: the process goes last.
    _process: Process,
}

impl Browser {
    fn start(exe: &Path, profile: PathBuf) -> Browser {
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let child = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--window-size=1200,1600",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let mut process = Process { child, profile };
        // Chromium says where its DevTools listen on stderr; the reader keeps draining it
        // so chromium never blocks on a full pipe.
        let stderr = process.child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + STEP;
        let mut said = Vec::new();
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => match line.split_once("DevTools listening on ") {
                    Some((_, url)) => break url.trim().to_string(),
                    None => said.push(line),
                },
                Err(_) => panic!(
                    "chromium did not open its DevTools port in {STEP:?}:\n{}",
                    said.join("\n")
                ),
            }
        };
        let host = url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("not a ws:// address: {url}"));
        let stream = TcpStream::connect(host).expect("connect to chromium's DevTools");
        stream.set_read_timeout(Some(STEP)).unwrap();
        stream.set_write_timeout(Some(STEP)).unwrap();
        let (ws, _) = tungstenite::client(url.as_str(), stream).expect("DevTools handshake");
        // From here on reads return every 200 ms, so each wait can check its deadline.
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut b = Browser {
            ws,
            session: String::new(),
            next_id: 0,
            _process: process,
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().unwrap().to_string();
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b
    }

    /// Sends a command (to the page once attached) and waits for its answer; events that
    /// arrive meanwhile are skipped. `Err` is the protocol's error object.
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = self.session.clone().into();
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        let deadline = Instant::now() + STEP;
        loop {
            assert!(Instant::now() < deadline, "{method}: no answer in {STEP:?}");
            let text = match self.ws.read() {
                Ok(Message::Text(t)) => t,
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                Err(e) => panic!("{method}: {e}"),
            };
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            if v["id"] == id {
                return match v.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(v["result"].clone()),
                };
            }
        }
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Evaluates `js` in the page; `Err` while the page is between documents, or if it throws.
    fn try_eval(&mut self, js: &str) -> Result<Value, Value> {
        let r = self.try_call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true}),
        )?;
        match r.get("exceptionDetails") {
            Some(e) => Err(e.clone()),
            None => Ok(r["result"]["value"].clone()),
        }
    }

    fn eval(&mut self, js: &str) -> Value {
        self.try_eval(js)
            .unwrap_or_else(|e| panic!("evaluating {js}: {e}"))
    }

    /// Waits until `js` is true in the page.
    fn wait_for(&mut self, js: &str, what: &str) {
        let deadline = Instant::now() + STEP;
        while Instant::now() < deadline {
            if self.try_eval(js) == Ok(Value::Bool(true)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let at = self.try_eval("location.href");
        panic!("{what}: not within {STEP:?} (at {at:?})");
    }

    /// Opens `url` and waits until it has loaded.
    fn open(&mut self, url: &str) {
        let r = self.call("Page.navigate", json!({"url": url}));
        if let Some(e) = r.get("errorText") {
            panic!("opening {url}: {e}");
        }
        let js = format!(
            "location.href === {} && document.readyState === 'complete'",
            json!(url)
        );
        self.wait_for(&js, &format!("loading {url}"));
    }

    /// The document as the browser built it.
    fn dom(&mut self) -> String {
        self.eval("document.documentElement.outerHTML")
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The text of every element carrying `data-field`, by field name.
    fn fields(&mut self) -> Value {
        self.eval(
            "Object.fromEntries([...document.querySelectorAll('[data-field]')]\
             .map(e => [e.dataset.field, e.textContent]))",
        )
    }

    /// The charts as laid out: for each SVG, its rendered size and its bars of non-zero
    /// rendered width.
    fn charts(&mut self) -> Vec<(f64, f64, u64)> {
        let v = self.eval(
            "[...document.querySelectorAll('svg')].map(s => { const r = s.getBoundingClientRect(); \
             return [r.width, r.height, [...s.querySelectorAll('rect')]\
             .filter(b => b.getBBox().width > 0).length]; })",
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c[0].as_f64().unwrap(),
                    c[1].as_f64().unwrap(),
                    c[2].as_u64().unwrap(),
                )
            })
            .collect()
    }

    /// A PNG of the viewport, written to `path`.
    fn screenshot(&mut self, path: &Path) {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64(r["data"].as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        std::fs::write(path, png).unwrap();
    }
}

/// Decodes standard base64 (what the protocol sends binary data as).
fn base64(s: &str) -> Vec<u8> {
    let digit = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 26,
            b'0'..=b'9' => (c - b'0') as u32 + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    };
    let digits: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | digit(c) << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// Bars of a chart with a width above zero (`<rect ... width="N"` with N > 0).
fn drawn_bars(dom: &str) -> usize {
    dom.split("<rect")
        .skip(1)
        .filter(|r| {
            r.split("width=\"")
                .nth(1)
                .and_then(|w| w.split('"').next())
                .and_then(|w| w.parse::<f64>().ok())
                .is_some_and(|w| w > 0.0)
        })
        .count()
}

/// At least `bars` bars drawn in laid-out (non-empty) SVGs.
fn assert_charts(charts: &[(f64, f64, u64)], bars: u64, page: &str) {
    assert!(
        charts.iter().all(|&(w, h, _)| w > 0.0 && h > 0.0),
        "{page}: an empty chart: {charts:?}"
    );
    let drawn: u64 = charts.iter().map(|c| c.2).sum();
    assert!(drawn >= bars, "{page}: {drawn} bars drawn: {charts:?}");
}

#[test]
fn base64_decodes_padded_and_unpadded_tails() {
    assert_eq!(base64("aGVsbG8="), b"hello");
    assert_eq!(base64("aGVsbG8h"), b"hello!");
    assert_eq!(base64("aGk="), b"hi");
    assert_eq!(base64(""), b"");
}

#[test]
fn chromium_searches_from_the_overview_to_the_report_card_and_shows_the_apis_numbers() {
    let Some(data) = data_dir() else { return };
    let Some(exe) = tool("chromium") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("routenorms-browser-{}", std::process::id()));
    let store = real_store(&dir, &data);
    let srv = Server::start(&store, None);
    let shots = artifacts();
    let mut b = Browser::start(&exe, dir.join("chromium-profile"));

    // The overview.
    b.open(&srv.url("/"));
    let home = b.dom();
    assert!(home.contains("State of routing security"), "{home}");
    assert!(
        drawn_bars(&home) >= 6,
        "overview charts: {}",
        drawn_bars(&home)
    );
    assert_charts(&b.charts(), 6, "overview");
    let g = get_json(&srv, "/api/v1/global");
    let fields = b.fields();
    for f in [
        "rpki.valid",
        "rpki.invalid",
        "rpki.not_found",
        "asns_seen",
        "asns_scored",
    ] {
        let mut v = &g;
        for part in f.split('.') {
            v = &v[part];
        }
        assert_eq!(page_field(&home, f), shown(v), "overview {f}");
        assert_eq!(fields[f], shown(v), "overview {f} (live DOM)");
    }
    b.screenshot(&shots.join("browser-overview.png"));

    // Type the ASN into the search box and press Enter: the form goes to /search, which
    // redirects to the report card.
    let asn = busy_asn(&srv);
    let typed = format!("AS{asn}");
    b.eval("document.querySelector('form[role=search] input[name=q]').focus()");
    b.call("Input.insertText", json!({"text": typed}));
    assert_eq!(
        b.eval("document.activeElement.value"),
        json!(typed),
        "the search box holds what was typed"
    );
    for kind in ["keyDown", "keyUp"] {
        b.call(
            "Input.dispatchKeyEvent",
            json!({"type": kind, "key": "Enter", "code": "Enter",
                   "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13, "text": "\r"}),
        );
    }
    b.wait_for(
        &format!("location.pathname === '/asn/{asn}' && document.readyState === 'complete'"),
        "the search reaching the report card",
    );
    // It came through the search form's redirect, not straight to the card.
    assert_eq!(
        b.eval("performance.getEntriesByType('navigation')[0].redirectCount"),
        json!(1),
        "one redirect, from /search"
    );
    let card_dom = b.dom();
    assert!(
        card_dom.contains(&format!("<h1>AS{asn}</h1>")),
        "search did not reach the card"
    );
    assert!(drawn_bars(&card_dom) >= 1, "card chart");
    assert!(card_dom.contains("<svg"), "card chart");
    assert_charts(&b.charts(), 1, "report card");
    let card = get_json(&srv, &format!("/api/v1/asn/{asn}"));
    let fields = b.fields();
    let check = |f: String, v: &Value| {
        assert_eq!(page_field(&card_dom, &f), shown(v), "card {f}");
        assert_eq!(fields[&f], shown(v), "card {f} (live DOM)");
    };
    for k in ["filtering", "anti_spoofing", "coordination", "validation"] {
        check(format!("actions.{k}.score"), &card["actions"][k]["score"]);
        check(format!("actions.{k}.label"), &card["actions"][k]["label"]);
    }
    for m in ["M1", "M2", "M3", "M4", "M6", "M7IRR", "M7RPKI"] {
        check(format!("metrics.{m}.value"), &card["metrics"][m]["value"]);
    }
    b.screenshot(&shots.join("browser-asn.png"));
    for shot in ["browser-overview.png", "browser-asn.png"] {
        let len = std::fs::metadata(shots.join(shot)).map_or(0, |m| m.len());
        assert!(len > 10_000, "{shot}: {len} bytes");
    }
    drop(b);
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}
