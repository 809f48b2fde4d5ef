//! `routenorms irr ...`, the real binary: the whois endpoint against Debian's `bgpq4` (an
//! independent IRRd client), filter output byte for byte as bgpq4 prints it, IRR status of
//! real DN42 routes cross-checked against RPKI built from the same registry, and the
//! server's behaviour with hostile clients.

mod common;

use common::{routenorms, run_ok};
use routenorms_irr::load::LoadOptions;
use routenorms_irr::{Class, IrrDb, DEFAULT_MAX_DEPTH};
use routenorms_testsupport::{data_dir, tool};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("routenorms-cli-irr-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `routenorms irr serve` on an ephemeral loopback port, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    _stderr: Receiver<String>,
}

impl Server {
    fn start(files: &[&Path], extra: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_routenorms"));
        cmd.args(["irr", "serve", "--listen", "127.0.0.1:0"])
            .args(extra);
        for f in files {
            cmd.arg("--irr").arg(f);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let err = child.stderr.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let addr = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("server did not start");
            if let Some(rest) = line.strip_prefix("routenorms: whois listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        Server {
            child,
            addr,
            _stderr: rx,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bgpq4(bin: &Path, server: &Server, args: &[&str]) -> String {
    // -p: DN42 uses private AS numbers, which bgpq4 refuses without it.
    let out = Command::new(bin)
        .args(["-p", "-h", &server.addr])
        .args(args)
        .output()
        .expect("run bgpq4");
    assert!(
        out.status.success(),
        "bgpq4 {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The prefixes of a bgpq4-style JSON filter.
fn json_prefixes(text: &str, name: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(text).expect(text);
    v[name]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e["prefix"].as_str().unwrap(),
                e["exact"],
                e["greater-equal"],
                e["less-equal"]
            )
        })
        .collect()
}

/// Objects drawn from the registry: the as-sets that nest other sets (recursive), the
/// largest flat as-sets and the ASNs with the most route objects.
fn objects_from(dump: &Path) -> Vec<String> {
    let mut db = IrrDb::new();
    db.load_path(dump, &LoadOptions::default()).unwrap();
    db.finish();
    let v = db.view(&["DN42".into()]).unwrap();
    let mut nested: Vec<(usize, usize, String)> = Vec::new();
    for s in db.sets() {
        if s.class != Class::AsSet || db.source_name(s.source) != "DN42" {
            continue;
        }
        let e = v.expand(&s.set.name, DEFAULT_MAX_DEPTH).unwrap();
        nested.push((e.depth, e.asns.len(), s.set.name.clone()));
    }
    nested.sort_by(|a, b| b.cmp(a));
    let deepest = nested[0].clone();
    assert!(
        deepest.0 >= 2,
        "no recursive as-set in the data: {deepest:?}"
    );
    let mut out: Vec<String> = nested
        .iter()
        .filter(|(d, n, _)| *d >= 2 && *n > 0)
        .take(4)
        .map(|x| x.2.clone())
        .collect();
    let mut flat: Vec<&(usize, usize, String)> = nested.iter().filter(|x| x.0 == 1).collect();
    flat.sort_by_key(|x| std::cmp::Reverse(x.1));
    out.extend(flat.iter().take(2).map(|x| x.2.clone()));
    let mut per_asn: std::collections::BTreeMap<u32, usize> = Default::default();
    for a in db.aut_nums() {
        per_asn.insert(a.asn.0, v.routes_of(a.asn, None).count());
    }
    let mut asns: Vec<(usize, u32)> = per_asn.into_iter().map(|(a, n)| (n, a)).collect();
    asns.sort_by(|a, b| b.cmp(a));
    out.extend(asns.iter().take(3).map(|(_, a)| format!("AS{a}")));
    out
}

/// Proves the whois endpoint answers bgpq4's real queries (`!!`, `!n`, `!s`, `!i...,1`,
/// `!g`, `!6`) so that bgpq4 builds, for as-sets (recursive ones included) and ASNs from the
/// real DN42 registry, exactly the filter `routenorms irr filter` builds: same prefixes,
/// IPv4 and IPv6, plain and aggregated (-A) — compared entry by entry and byte for byte.
#[test]
fn bgpq4_through_our_whois_server_builds_exactly_our_filters() {
    let (Some(data), Some(bgpq4_bin)) = (data_dir(), tool("bgpq4")) else {
        return;
    };
    let dump = data.join("irr/dn42-registry.rpsl");
    let server = Server::start(&[&dump], &[]);
    let objects = objects_from(&dump);
    assert!(objects.len() >= 6, "{objects:?}");
    let mut nonempty = 0;
    for obj in &objects {
        for variant in [&["-4"][..], &["-6"], &["-4", "-A"], &["-6", "-A"]] {
            let mut args: Vec<&str> = vec!["-S", "DN42", "-j", "-l", "NAME"];
            args.extend_from_slice(variant);
            args.push(obj);
            let theirs = bgpq4(&bgpq4_bin, &server, &args);
            let dump_s = dump.to_str().unwrap();
            let mut ours_args = vec![
                "irr", "filter", obj, "--irr", dump_s, "-S", "DN42", "--format", "json", "-l",
                "NAME",
            ];
            ours_args.extend_from_slice(variant);
            let (ours, _) = run_ok(&ours_args);
            let (a, b) = (json_prefixes(&ours, "NAME"), json_prefixes(&theirs, "NAME"));
            assert_eq!(a, b, "{obj} {variant:?}");
            assert_eq!(ours, theirs, "{obj} {variant:?}");
            nonempty += usize::from(!a.is_empty());
        }
    }
    assert!(
        nonempty >= objects.len(),
        "too few non-empty filters: {nonempty}"
    );
}

/// Proves the RPKI-aware paths agree with each other through a real client: bgpq4 asking
/// `routenorms irr serve --vrps` (RPKI-invalid route objects left out, VRPs served as the
/// pseudo-source RPKI, `-S RPKI,DN42`) gets exactly the prefixes `irr filter --vrps -S
/// RPKI,DN42` lists, on the 2022-01-28 registry and the ROAs exported from it.
#[test]
fn bgpq4_against_an_rpki_aware_server_matches_filter_with_vrps() {
    let (Some(data), Some(bgpq4_bin)) = (data_dir(), tool("bgpq4")) else {
        return;
    };
    let reg = data.join("irr/dn42-registry-20220128.rpsl");
    let vrps = data.join("rpki/dn42-export.json");
    let vrps_s = vrps.to_str().unwrap();
    let server = Server::start(&[&reg], &["--vrps", vrps_s]);
    let reg_s = reg.to_str().unwrap();
    let mut nonempty = 0;
    for obj in objects_from(&reg).iter().take(6) {
        for fam in ["-4", "-6"] {
            let theirs = bgpq4(
                &bgpq4_bin,
                &server,
                &["-S", "RPKI,DN42", "-j", "-l", "N", fam, obj],
            );
            let (ours, _) = run_ok(&[
                "irr",
                "filter",
                obj,
                "--irr",
                reg_s,
                "--vrps",
                vrps_s,
                "-S",
                "RPKI,DN42",
                fam,
                "--format",
                "json",
                "-l",
                "N",
            ]);
            let a = json_prefixes(&ours, "N");
            assert_eq!(a, json_prefixes(&theirs, "N"), "{obj} {fam}");
            nonempty += usize::from(!a.is_empty());
            // Every entry says where it came from and what RPKI says.
            let v: serde_json::Value = serde_json::from_str(&ours).unwrap();
            for e in v["N"].as_array().unwrap() {
                assert!(
                    e["sources"].as_array().is_some_and(|s| !s.is_empty()),
                    "{e}"
                );
                assert_eq!(e["rpki"], "valid", "{e}");
            }
        }
    }
    assert!(nonempty >= 6, "{nonempty}");
}

/// Proves every output syntax is byte for byte what bgpq4 prints for the same object
/// (cisco, cisco-xr -X, juniper -J, bird -b, openbgpd -B, json -j), with and without
/// aggregation and more-specific ranges (-R), and for an object with no routes.
#[test]
fn every_filter_syntax_matches_bgpq4_byte_for_byte() {
    let (Some(data), Some(bgpq4_bin)) = (data_dir(), tool("bgpq4")) else {
        return;
    };
    let dump = data.join("irr/dn42-registry.rpsl");
    let server = Server::start(&[&dump], &[]);
    let dump_s = dump.to_str().unwrap();
    let deepest = objects_from(&dump).remove(0);
    let formats = [
        ("cisco", None),
        ("cisco-xr", Some("-X")),
        ("juniper", Some("-J")),
        ("bird", Some("-b")),
        ("openbgpd", Some("-B")),
        ("json", Some("-j")),
    ];
    for obj in [deepest.as_str(), "AS-NO-SUCH-SET"] {
        for (fmt, flag) in formats {
            for (fam, extra_ours, extra_theirs) in [
                ("-4", vec![], vec![]),
                ("-6", vec![], vec![]),
                ("-4", vec!["-A"], vec!["-A"]),
                ("-4", vec!["--max-length", "24"], vec!["-R", "24"]),
            ] {
                if fmt == "juniper" && !extra_ours.is_empty() {
                    continue; // bgpq4 refuses these for Juniper prefix-lists; so do we
                }
                let mut theirs_args = vec!["-S", "DN42", fam, "-l", "F1"];
                theirs_args.extend(flag);
                theirs_args.extend(&extra_theirs);
                theirs_args.push(obj);
                let theirs = bgpq4(&bgpq4_bin, &server, &theirs_args);
                let mut ours_args = vec![
                    "irr", "filter", obj, "--irr", dump_s, "-S", "DN42", fam, "--format", fmt,
                    "-l", "F1",
                ];
                ours_args.extend(&extra_ours);
                let out = routenorms(&ours_args);
                let ours = String::from_utf8(out.stdout).unwrap();
                assert_eq!(ours, theirs, "{obj} {fmt} {fam} {extra_ours:?}");
            }
        }
    }
}

/// Proves the IRR status of every distinct route of the DN42 RIBs is consistent with RPKI
/// built from the same registry (the ROA export of 2022-01-28 is that registry's route
/// objects): a route RPKI calls valid has a route object with its origin (match, covered
/// or misplaced); one RPKI does not know has no route object; and every status appears.
#[test]
fn dn42_routes_irr_status_agrees_with_roas_from_the_same_registry() {
    let Some(data) = data_dir() else { return };
    let reg = data.join("irr/dn42-registry-20220128.rpsl");
    let vrps = data.join("rpki/dn42-export.json");
    let m4 = data.join("mrt/dn42/master4_2021-05-31.mrt.bz2");
    let m6 = data.join("mrt/dn42/master6_2021-05-31.mrt.bz2");
    let (out, err) = run_ok(&[
        "irr",
        "check",
        "--irr",
        reg.to_str().unwrap(),
        "--vrps",
        vrps.to_str().unwrap(),
        "--mrt",
        m4.to_str().unwrap(),
        m6.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("prefix,origin,status,registered,holder,rpki,agreement")
    );
    let mut n = 0;
    let mut seen = std::collections::BTreeSet::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 7, "{l}");
        let (status, rpki) = (f[2], f[5]);
        seen.insert(status.to_owned());
        match rpki {
            "valid" => assert!(matches!(status, "match" | "covered" | "misplaced"), "{l}"),
            "not-found" => assert_eq!(status, "not-registered", "{l}"),
            "invalid" => assert!(status != "not-registered", "{l}"),
            _ => panic!("{l}"),
        }
        n += 1;
    }
    // 590 IPv4 + 571 IPv6 prefixes; 1,180 distinct (prefix, origin) pairs (PROVENANCE).
    assert_eq!(n, 1180, "{err}");
    for s in ["match", "covered", "mismatch", "not-registered"] {
        assert!(seen.contains(s), "no {s} route: {seen:?}");
    }
    assert!(err.contains("routenorms: 1180 routes:"), "{err}");
}

const HAND_MADE: &str = "\
route: 192.0.2.0/24\norigin: AS64500\nsource: RIPE\n\n\
route: 198.51.0.0/16\norigin: AS64501\nsource: RIPE\n\n\
route: 203.0.113.0/24\norigin: AS64502\norigin: AS64503\nsource: RADB\n\n\
inetnum: 100.64.0.0 - 100.64.255.255\nsource: ARIN\n\n\
route: 100.64.0.0/16\norigin: AS64504\nsource: RIPE\n\n\
this line is damaged\n\n\
as-set: AS-LOOP\nmembers: AS64500, AS-LOOP2\nsource: RIPE\n\n\
as-set: AS-LOOP2\nmembers: AS-LOOP, AS64501, AS-MISSING\nsource: RIPE\n";

/// Pins each IRR status category end to end (route list in, CSV out) and the exit code
/// for a registry with a damaged object (2, with the object reported by line).
#[test]
fn irr_check_reports_every_status_category() {
    let dir = temp_dir("check");
    let reg = dir.join("reg.rpsl");
    let routes = dir.join("routes.txt");
    std::fs::write(&reg, HAND_MADE).unwrap();
    std::fs::write(
        &routes,
        "192.0.2.0/24 AS64500\n198.51.100.0/24 64501\n203.0.113.0/24 AS64999\n10.0.0.0/8 AS1\n100.64.0.0/16 AS64504\n",
    )
    .unwrap();
    let out = routenorms(&[
        "irr",
        "check",
        "--irr",
        reg.to_str().unwrap(),
        "--routes",
        routes.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reg.rpsl:21: line is not `attribute: value`"),
        "{err}"
    );
    common::golden("irr_check.csv", &String::from_utf8(out.stdout).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Pins the set hygiene report: depth, the cycle, the unresolvable member.
#[test]
fn irr_sets_reports_depth_cycles_and_unresolved_members() {
    let dir = temp_dir("sets");
    let reg = dir.join("reg.rpsl");
    std::fs::write(&reg, HAND_MADE).unwrap();
    let out = routenorms(&[
        "irr",
        "sets",
        "--irr",
        reg.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    common::golden("irr_sets.csv", &String::from_utf8(out.stdout).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Proves every file of the shared IRR data loads with no damaged object, and that the
/// printed per-class counts are those of an independent count of object-opening lines.
#[test]
fn irr_stats_loads_every_shared_irr_file() {
    let Some(data) = data_dir() else { return };
    for f in routenorms_testsupport::files_below(&data.join("irr")) {
        let (out, _) = run_ok(&[
            "irr",
            "stats",
            "--irr",
            f.to_str().unwrap(),
            "--format",
            "csv",
        ]);
        assert!(out.contains(",damaged,0\n"), "{}: {out}", f.display());
        let name = f.file_name().unwrap().to_str().unwrap();
        if name.ends_with(".rpsl") {
            let text = std::fs::read(&f).unwrap();
            let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
            let mut prev_blank = true;
            for line in text.split(|&b| b == b'\n') {
                if prev_blank {
                    if let Some(i) = line.iter().position(|&b| b == b':') {
                        *counts
                            .entry(String::from_utf8_lossy(&line[..i]).to_lowercase())
                            .or_default() += 1;
                    }
                }
                prev_blank = line.iter().all(u8::is_ascii_whitespace);
            }
            for (class, n) in counts {
                assert!(
                    out.contains(&format!(",{class},{n}\n")),
                    "{name}: {class} {n}: {out}"
                );
            }
        }
    }
}

/// Proves the server bounds what a client can cost: a megabyte query line is refused with
/// an error and the connection closed; a client that sends queries and never reads is
/// dropped; other clients are served throughout.
#[test]
fn whois_server_refuses_long_lines_and_drops_clients_that_do_not_read() {
    let dir = temp_dir("serve");
    let reg = dir.join("reg.rpsl");
    let mut text = String::from(HAND_MADE);
    for i in 0..2000 {
        text.push_str(&format!(
            "\nroute: 10.{}.{}.0/24\norigin: AS64600\nsource: RIPE\n",
            i / 256,
            i % 256
        ));
    }
    std::fs::write(&reg, text).unwrap();
    let server = Server::start(&[&reg], &["--timeout", "2"]);

    let mut c = TcpStream::connect(&server.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = c.write_all(&vec![b'a'; 1 << 20]);
    let mut answer = Vec::new();
    let _ = c.read_to_end(&mut answer);
    assert!(answer.starts_with(b"F query too long\n"), "{answer:?}");

    // Never reads: fills the socket buffers with answers until the server gives up.
    let mut hog = TcpStream::connect(&server.addr).unwrap();
    hog.write_all(b"!!\n").unwrap();
    let q = b"!gAS64600\n".repeat(2000);
    hog.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = hog.write_all(&q);

    let ask = |q: &str| -> String {
        let mut c = TcpStream::connect(&server.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(q.as_bytes()).unwrap();
        let mut s = String::new();
        let _ = c.read_to_string(&mut s);
        s
    };
    assert_eq!(ask("!gAS64500\n"), "A13\n192.0.2.0/24\nC\n");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(ask("!iAS-LOOP,1\n"), "A16\nAS64500 AS64501\nC\n");
    // The hog was dropped: what it can still read is far less than the answers it asked for.
    let one = ask("!gAS64600\n").len();
    hog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut sink = Vec::new();
    let _ = hog.read_to_end(&mut sink);
    assert!(
        sink.len() < 2000 * one / 2,
        "{} of {}",
        sink.len(),
        2000 * one
    );
    assert_eq!(
        ask("-i origin AS64500\n").lines().next(),
        Some("route:          192.0.2.0/24")
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
