//! The RTR cache server against our client and against hand-made bytes, in-process on
//! loopback: what every version receives, incremental updates after a file changes, the
//! window, version negotiation, Error Reports for bad PDUs, and that neither a bad nor a
//! stalled router keeps the others from being served.

use routenorms_rpki::rtr::{
    Cache, CacheConfig, Client, ErrorCode, FileSource, Pdu, Refresh, RtrPayload, ServerConfig,
    ServerHandle, Version, WatchEvent,
};
use routenorms_rpki::{Aspa, Vrp};
use routenorms_testsupport::data_dir;
use routenorms_types::Asn;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

fn vrp(p: &str, max: u8, asn: u32) -> Vrp {
    Vrp::new(p.parse().unwrap(), max, Asn(asn)).unwrap()
}

fn aspa(c: u32, p: &[u32]) -> Aspa {
    Aspa::new(Asn(c), p.iter().map(|&x| Asn(x)).collect())
}

fn sample() -> RtrPayload {
    RtrPayload::new(
        vec![
            vrp("192.0.2.0/24", 24, 64496),
            vrp("198.51.100.0/22", 24, 64497),
            vrp("203.0.113.0/24", 24, 0),
            vrp("2001:db8::/32", 48, 64498),
        ],
        vec![aspa(64496, &[64500, 64501]), aspa(64497, &[0])],
    )
}

fn start(payload: RtrPayload, config: ServerConfig, window: usize) -> ServerHandle {
    let cache = Arc::new(Cache::new(
        payload,
        CacheConfig {
            window,
            ..CacheConfig::default()
        },
    ));
    ServerHandle::start("127.0.0.1:0".parse().unwrap(), cache, config, 2).unwrap()
}

fn without_aspas(p: &RtrPayload) -> RtrPayload {
    RtrPayload::new(p.vrps().to_vec(), [])
}

const VERSIONS: [Version; 3] = [Version::V0, Version::V1, Version::V2];

/// A Reset Query in each version gets every VRP, and in version 2 every ASPA too; End of
/// Data carries the timing from version 1 on.
#[test]
fn every_version_receives_the_whole_set() {
    let server = start(sample(), ServerConfig::default(), 10);
    for v in VERSIONS {
        let c = Client::fetch(server.local_addr(), v, T).unwrap();
        assert_eq!(c.version(), v);
        let expected = if v == Version::V2 {
            sample()
        } else {
            without_aspas(&sample())
        };
        assert_eq!(c.payload(), expected, "version {v}");
        assert_eq!(c.serial(), Some(0));
        assert_eq!(c.session_id(), Some(server.cache().current().session_id()));
        assert_eq!(c.intervals().is_some(), v != Version::V0);
    }
}

/// The DN42 export served and fetched back is the set the loader gives, VRP for VRP.
#[test]
fn real_dn42_set_round_trips() {
    let Some(data) = data_dir() else { return };
    let source = FileSource {
        vrps: data.join("rpki/dn42-export-20210531.json"),
        aspa: None,
        slurm: Some(data.join("rpki/dn42-slurm.json")),
    };
    let (loaded, _) = source.load_initial().unwrap();
    assert!(loaded.payload.vrps().len() > 2_000);
    let server = start(loaded.payload.clone(), ServerConfig::default(), 10);
    for v in VERSIONS {
        let c = Client::fetch(server.local_addr(), v, T).unwrap();
        assert_eq!(c.payload(), loaded.payload, "version {v}");
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("routenorms-rtr-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Replaces a file atomically, as the watcher asks of writers.
fn replace(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// After the VRP file is rewritten, every router gets a Serial Notify for the next serial,
/// and its Serial Query gets exactly the VRPs added and removed (and, in version 2, the ASPA
/// changes) — afterwards it holds exactly the new set.
#[test]
fn file_change_notifies_and_serial_query_gets_exactly_the_delta() {
    let dir = temp_dir("delta");
    let vrps = dir.join("vrps.csv");
    let aspas = dir.join("aspa.json");
    replace(
        &vrps,
        "asn,prefix,max_length\n64496,192.0.2.0/24,24\n64497,2001:db8::/32,48\n64498,10.0.0.0/8,8\n",
    );
    replace(
        &aspas,
        r#"{"roas": [], "aspas": [{"customer_asid": 64496, "providers": [64500]}]}"#,
    );
    let source = FileSource {
        vrps: vrps.clone(),
        aspa: Some(aspas.clone()),
        slurm: None,
    };
    let (loaded, fp) = source.load_initial().unwrap();
    assert_eq!(loaded.payload.aspas().len(), 1, "the ASPA file loads");
    let server = start(loaded.payload, ServerConfig::default(), 10);
    let (tx, events) = std::sync::mpsc::channel();
    let _watcher = source
        .watch(
            server.cache().clone(),
            Duration::from_millis(20),
            fp,
            move |e| {
                let _ = tx.send(e);
            },
        )
        .unwrap();
    let mut clients: Vec<Client> = VERSIONS
        .iter()
        .map(|&v| Client::fetch(server.local_addr(), v, T).unwrap())
        .collect();

    replace(
        &vrps,
        "asn,prefix,max_length\n64496,192.0.2.0/24,24\n64499,198.51.100.0/24,24\n64500,2001:db8:1::/48,48\n",
    );
    replace(
        &aspas,
        r#"{"roas": [], "aspas": [{"customer_asid": 64496, "providers": [64500, 64501]}]}"#,
    );
    let mut serial = 0;
    while serial == 0 {
        match events.recv_timeout(T).expect("a reload") {
            WatchEvent::Updated(s, _) => serial = s.serial,
            WatchEvent::Failed(e) => panic!("{e}"),
            WatchEvent::Unchanged => {}
        }
    }
    // Both files may be seen in one poll or in two: wait until the served set is final.
    let deadline = Instant::now() + T;
    while server.cache().current().payload().aspas()[0]
        .providers
        .len()
        != 2
    {
        assert!(Instant::now() < deadline, "the ASPA change is picked up");
        std::thread::sleep(Duration::from_millis(20));
    }
    let final_serial = server.cache().current().serial();
    let expected = server.cache().current().payload().clone();
    for c in &mut clients {
        let v = c.version();
        assert_eq!(
            c.wait_notify(T).unwrap(),
            Some(serial),
            "notify, version {v}"
        );
        let mut announced = 0;
        let mut withdrawn = 0;
        while c.serial() != Some(final_serial) {
            match c.refresh().unwrap() {
                Refresh::Delta {
                    announced: a,
                    withdrawn: w,
                } => {
                    announced += a;
                    withdrawn += w;
                }
                Refresh::Reset => panic!("serial {serial} is in the window"),
            }
        }
        // Two VRPs in, two out; version 2 also gets the ASPA re-announced with its new
        // provider set.
        let aspa_pdus = usize::from(v == Version::V2);
        assert_eq!((announced, withdrawn), (2 + aspa_pdus, 2), "version {v}");
        let want = if v == Version::V2 {
            expected.clone()
        } else {
            without_aspas(&expected)
        };
        assert_eq!(c.payload(), want, "version {v}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A router further behind than the window gets Cache Reset, and then the whole set.
#[test]
fn serial_outside_the_window_gets_cache_reset() {
    let server = start(sample(), ServerConfig::default(), 2);
    let mut c = Client::fetch(server.local_addr(), Version::V1, T).unwrap();
    let mut vrps = sample().vrps().to_vec();
    for i in 0..3u32 {
        vrps.push(vrp(&format!("10.{i}.0.0/16"), 16, 65000 + i));
        server
            .cache()
            .update(RtrPayload::new(vrps.clone(), []))
            .unwrap();
    }
    assert_eq!(server.cache().current().window(), vec![3, 2, 1]);
    assert_eq!(c.refresh().unwrap(), Refresh::Reset);
    assert_eq!(c.serial(), Some(3));
    assert_eq!(c.payload(), RtrPayload::new(vrps.clone(), []));
    // One behind: in the window.
    vrps.pop();
    server
        .cache()
        .update(RtrPayload::new(vrps.clone(), []))
        .unwrap();
    assert_eq!(
        c.refresh().unwrap(),
        Refresh::Delta {
            announced: 0,
            withdrawn: 1
        }
    );
}

fn raw(server: &ServerHandle) -> TcpStream {
    let s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    s
}

/// Reads PDUs until the server closes the connection.
fn read_to_close(s: &mut TcpStream) -> Vec<Pdu> {
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while let Some((pdu, n)) = Pdu::decode(rest).unwrap() {
        out.push(pdu);
        rest = &rest[n..];
    }
    assert!(rest.is_empty(), "trailing bytes");
    out
}

fn error_code(p: &Pdu) -> (Version, u16) {
    match p {
        Pdu::ErrorReport { version, code, .. } => (*version, *code),
        other => panic!("expected an Error Report, got {other:?}"),
    }
}

/// Bytes that are no PDU get an Error Report with the matching code, the offending bytes
/// echoed, and the connection is closed; meanwhile and afterwards other routers are served.
#[test]
fn bad_pdus_get_an_error_report_and_others_are_still_served() {
    let server = start(sample(), ServerConfig::default(), 10);
    let cases: [(&[u8], ErrorCode); 5] = [
        // Version 7.
        (
            &[7, 2, 0, 0, 0, 0, 0, 8],
            ErrorCode::UnsupportedProtocolVersion,
        ),
        // Type 99.
        (&[1, 99, 0, 0, 0, 0, 0, 8], ErrorCode::UnsupportedPduType),
        // A Reset Query claiming 12 bytes.
        (&[1, 2, 0, 0, 0, 0, 0, 12], ErrorCode::CorruptData),
        // An Error Report claiming 1 GB: rejected from the header alone.
        (&[1, 10, 0, 0, 0x40, 0, 0, 0], ErrorCode::CorruptData),
        // A prefix PDU: routers do not send those.
        (
            &[
                1, 4, 0, 0, 0, 0, 0, 20, 1, 24, 24, 0, 192, 0, 2, 0, 0, 0, 0, 1,
            ],
            ErrorCode::InvalidRequest,
        ),
    ];
    for (bytes, code) in cases {
        let mut s = raw(&server);
        let other = Client::connect(server.local_addr(), Version::V1, T).unwrap();
        s.write_all(bytes).unwrap();
        let pdus = read_to_close(&mut s);
        // An Error Report PDU (type 10) is never answered with one.
        if bytes[1] == 10 {
            assert!(pdus.is_empty(), "{pdus:?}");
        } else {
            assert_eq!(pdus.len(), 1, "{bytes:?}");
            assert_eq!(error_code(&pdus[0]).1, code.get(), "{bytes:?}");
            let Pdu::ErrorReport { pdu, .. } = &pdus[0] else {
                unreachable!()
            };
            assert_eq!(&pdu[..], &bytes[..pdu.len()]);
            assert!(!pdu.is_empty());
        }
        let mut other = other;
        other.reset().unwrap();
        assert_eq!(other.payload(), without_aspas(&sample()));
    }
    assert!(server.stats().errors.load(Ordering::Relaxed) >= 4);
}

/// RFC 8210 section 7: a router proposing a version above the cache's gets "Unsupported
/// Protocol Version" in the cache's version (and our client then downgrades); a version
/// change within a session gets "Unexpected Protocol Version"; Serial Notify goes only to
/// routers that have asked something, in their version.
#[test]
fn version_negotiation_follows_rfc_8210_section_7() {
    let config = ServerConfig {
        max_version: Version::V1,
        ..ServerConfig::default()
    };
    let server = start(sample(), config, 10);

    let mut s = raw(&server);
    s.write_all(
        &Pdu::ResetQuery {
            version: Version::V2,
        }
        .to_bytes(),
    )
    .unwrap();
    let pdus = read_to_close(&mut s);
    assert_eq!(
        error_code(&pdus[0]),
        (Version::V1, ErrorCode::UnsupportedProtocolVersion.get())
    );

    let c = Client::fetch(server.local_addr(), Version::V2, T).unwrap();
    assert_eq!(c.version(), Version::V1, "the client downgraded");
    assert_eq!(c.payload(), without_aspas(&sample()));

    let mut s = raw(&server);
    s.write_all(
        &Pdu::ResetQuery {
            version: Version::V1,
        }
        .to_bytes(),
    )
    .unwrap();
    let mut silent = raw(&server);
    std::thread::sleep(Duration::from_millis(100));
    s.write_all(
        &Pdu::SerialQuery {
            version: Version::V0,
            session_id: 0,
            serial: 0,
        }
        .to_bytes(),
    )
    .unwrap();
    let pdus = read_to_close(&mut s);
    assert!(matches!(
        pdus[0],
        Pdu::CacheResponse {
            version: Version::V1,
            ..
        }
    ));
    assert_eq!(
        error_code(pdus.last().unwrap()),
        (Version::V1, ErrorCode::UnexpectedProtocolVersion.get())
    );

    // A router that has not sent a query gets no Serial Notify.
    let mut v0 = Client::fetch(server.local_addr(), Version::V0, T).unwrap();
    server
        .cache()
        .update(RtrPayload::new(vec![vrp("10.0.0.0/8", 8, 1)], []))
        .unwrap();
    assert_eq!(v0.wait_notify(T).unwrap(), Some(1));
    silent
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut b = [0u8; 1];
    assert!(
        silent.read(&mut b).is_err(),
        "nothing before the first query"
    );
}

/// A router that sends queries and never reads fills its socket buffers; it is dropped after
/// the write timeout, and while it is stuck every other router is served at once.
#[test]
fn a_router_that_never_reads_does_not_stop_the_others() {
    let vrps: Vec<Vrp> = (0..100_000u32)
        .map(|i| vrp(&format!("10.{}.{}.0/24", i / 256 % 256, i % 256), 24, i + 1))
        .collect();
    let payload = RtrPayload::new(vrps, []);
    let config = ServerConfig {
        write_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let server = start(payload.clone(), config, 10);
    let mut stuck = raw(&server);
    let query = Pdu::ResetQuery {
        version: Version::V1,
    }
    .to_bytes();
    // 2 MB per answer: far more than loopback socket buffers hold.
    for _ in 0..20 {
        stuck.write_all(&query).unwrap();
    }
    let t = Instant::now();
    for _ in 0..3 {
        let c = Client::fetch(server.local_addr(), Version::V1, T).unwrap();
        assert_eq!(c.vrps().count(), 100_000);
    }
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let deadline = Instant::now() + T;
    while server.stats().stalled.load(Ordering::Relaxed) == 0 {
        assert!(Instant::now() < deadline, "the stalled router is dropped");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.stats().active.load(Ordering::Relaxed), 0);
}

/// A connection that never sends a query is closed after the first-query timeout, so silent
/// connections cannot hold every slot; a router that queried is not affected by it.
#[test]
fn a_connection_that_never_queries_is_closed() {
    let config = ServerConfig {
        first_query_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = start(sample(), config, 10);
    let mut silent = raw(&server);
    let t = Instant::now();
    assert!(
        read_to_close(&mut silent).is_empty(),
        "closed without any PDU"
    );
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    // The session counts itself once it has ended, after the socket closed: wait for it.
    let deadline = Instant::now() + T;
    while server.stats().idle.load(Ordering::Relaxed) == 0 {
        assert!(
            Instant::now() < deadline,
            "the silent connection is counted"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.stats().idle.load(Ordering::Relaxed), 1);
    let c = Client::fetch(server.local_addr(), Version::V1, T).unwrap();
    assert_eq!(c.vrps().count(), sample().vrps().len());
}

/// Beyond `max_connections` a new connection is closed at once, the routers already in are
/// still served, and a freed slot is usable again.
#[test]
fn connections_beyond_the_limit_are_closed_at_once() {
    let config = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let server = start(sample(), config, 10);
    let mut a = Client::fetch(server.local_addr(), Version::V1, T).unwrap();
    let b = Client::fetch(server.local_addr(), Version::V1, T).unwrap();
    let mut over = raw(&server);
    let mut rest = Vec::new();
    assert_eq!(
        over.read_to_end(&mut rest).unwrap(),
        0,
        "closed without a word"
    );
    assert_eq!(server.stats().refused.load(Ordering::Relaxed), 1);
    assert_eq!(
        a.refresh().unwrap(),
        Refresh::Delta {
            announced: 0,
            withdrawn: 0
        }
    );
    drop(b);
    let deadline = Instant::now() + T;
    while server.stats().active.load(Ordering::Relaxed) > 1 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    Client::fetch(server.local_addr(), Version::V2, T).unwrap();
}

/// RFC 8210 section 8.2: at most one Serial Notify per notify interval (60 s by default). A
/// first change is notified at once; changes within the interval are notified once, when it
/// has passed, with the newest serial; nothing more follows.
#[test]
fn serial_notifies_are_rate_limited_and_coalesced() {
    let config = ServerConfig {
        notify_interval: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let server = start(sample(), config, 10);
    let mut c = Client::fetch(server.local_addr(), Version::V1, T).unwrap();
    let update = |i: u32| {
        server
            .cache()
            .update(RtrPayload::new(
                vec![vrp(&format!("10.{i}.0.0/16"), 16, 1)],
                [],
            ))
            .unwrap()
    };
    let t = Instant::now();
    update(1);
    assert_eq!(c.wait_notify(T).unwrap(), Some(1));
    let first = Instant::now();
    assert!(first - t < Duration::from_millis(400), "{:?}", first - t);
    update(2);
    update(3);
    assert_eq!(c.wait_notify(T).unwrap(), Some(3), "one notify for both");
    assert!(
        first.elapsed() >= Duration::from_millis(400),
        "{:?}",
        first.elapsed()
    );
    assert_eq!(c.wait_notify(Duration::from_millis(800)).unwrap(), None);
    // From the sample's four VRPs to the one of serial 3.
    assert_eq!(
        c.refresh().unwrap(),
        Refresh::Delta {
            announced: 1,
            withdrawn: 4
        }
    );
}
