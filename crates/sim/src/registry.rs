//! The registries and side data around the routing: RPKI (ROAs, ASPAs) as rpki-client JSON,
//! RPSL dumps of several IRR sources, CAIDA as-rel and ppdc-ases, RIR delegated-extended
//! statistics, PeeringDB-shaped JSON and Spoofer-like results. Each writer returns how many
//! objects it wrote, for the manifest.

use crate::rng::Rng;
use crate::topology::{Rir, Tier, Topology};
use crate::{date_compact, iso_time, Config};
use routenorms_types::{Afi, Prefix};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// One ROA payload.
#[derive(Clone, Debug)]
pub struct Roa {
    pub prefix: Prefix,
    pub max_len: u8,
    pub asn: u32,
    pub ta: &'static str,
    /// Names a former holder's ASN, not today's origin: its routes are invalid.
    pub stale: bool,
}

/// The RPKI state of the simulated Internet.
#[derive(Clone, Debug, Default)]
pub struct RpkiPlan {
    pub roas: Vec<Roa>,
    /// Customer ASN → provider ASNs (sorted).
    pub aspas: BTreeMap<u32, Vec<u32>>,
    /// Customers whose ASPA misses one of their real providers.
    pub incomplete_aspas: Vec<u32>,
}

/// ROAs for RPKI adopters (share by registry), some allocation-wide with a non-minimal
/// maxLength, some stale; ASPAs for about 8 % of the ASes that have providers.
pub fn rpki_plan(cfg: &Config, topo: &Topology) -> RpkiPlan {
    let mut rng = Rng::stream(cfg.seed, "rpki");
    let mut plan = RpkiPlan::default();
    let n = topo.ases.len();
    for x in &topo.ases {
        if x.tier == Tier::RouteServer {
            continue;
        }
        let adopt = match (x.tier, x.rir) {
            (Tier::Tier1, _) => 0.9,
            (_, Rir::Ripe) => 0.7,
            (_, Rir::Lacnic) => 0.6,
            (_, Rir::Apnic) => 0.55,
            (_, Rir::Arin) => 0.45,
            (_, Rir::Afrinic) => 0.35,
        };
        if !rng.chance(adopt) {
            continue;
        }
        let ta = x.rir.ta();
        let start = plan.roas.len();
        for alloc in x.alloc4.iter().chain(&x.alloc6) {
            let inside: Vec<Prefix> =
                x.v4.iter()
                    .chain(&x.v6)
                    .copied()
                    .filter(|p| alloc.covers(p))
                    .collect();
            if inside.is_empty() {
                continue;
            }
            let style = rng.weighted(&[0.62, 0.33, 0.05]);
            let cap = if alloc.afi() == Afi::Ipv4 { 24 } else { 48 };
            match style {
                0 => {
                    for p in inside {
                        if rng.chance(0.97) {
                            plan.roas.push(Roa {
                                prefix: p,
                                max_len: p.len(),
                                asn: x.asn,
                                ta,
                                stale: false,
                            });
                        }
                    }
                }
                1 => plan.roas.push(Roa {
                    prefix: *alloc,
                    max_len: cap.max(alloc.len()),
                    asn: x.asn,
                    ta,
                    stale: false,
                }),
                _ => plan.roas.push(Roa {
                    prefix: *alloc,
                    max_len: alloc.len(),
                    asn: x.asn,
                    ta,
                    stale: false,
                }),
            }
        }
        if plan.roas.len() > start && rng.chance(0.03) {
            let k = start + rng.index(plan.roas.len() - start);
            let other = topo.ases[rng.index(n)].asn;
            if other != x.asn {
                plan.roas[k].asn = other;
                plan.roas[k].stale = true;
            }
        }
    }
    for x in &topo.ases {
        if x.providers.is_empty() || !rng.chance(0.08) {
            continue;
        }
        let mut provs: Vec<u32> = x.providers.iter().map(|&p| topo.asn(p)).collect();
        provs.sort_unstable();
        if provs.len() >= 2 && rng.chance(0.1) {
            provs.remove(rng.index(provs.len()));
            plan.incomplete_aspas.push(x.asn);
        }
        plan.aspas.insert(x.asn, provs);
    }
    plan.roas.sort_by_key(|r| (r.prefix, r.max_len, r.asn));
    plan.roas
        .dedup_by(|a, b| (a.prefix, a.max_len, a.asn) == (b.prefix, b.max_len, b.asn));
    plan.incomplete_aspas.sort_unstable();
    plan
}

/// rpki-client's JSON output (`roas` and `aspas` arrays with its metadata block).
pub fn write_vrps(w: &mut impl Write, cfg: &Config, plan: &RpkiPlan) -> io::Result<(u64, u64)> {
    let built = cfg.start + 3600;
    let expires = built + 8 * 3600;
    let mut s = String::new();
    writeln!(s, "{{\n\t\"metadata\": {{").ok();
    writeln!(s, "\t\t\"buildmachine\": \"routenorms-sim\",").ok();
    writeln!(s, "\t\t\"buildtime\": \"{}\",", iso_time(built)).ok();
    writeln!(s, "\t\t\"roas\": {},", plan.roas.len()).ok();
    writeln!(s, "\t\t\"aspas\": {},", plan.aspas.len()).ok();
    writeln!(s, "\t\t\"vrps\": {},", plan.roas.len()).ok();
    writeln!(s, "\t\t\"uniquevrps\": {},", plan.roas.len()).ok();
    writeln!(s, "\t\t\"vaps\": {}", plan.aspas.len()).ok();
    writeln!(s, "\t}},\n\t\"roas\": [").ok();
    w.write_all(s.as_bytes())?;
    for (i, r) in plan.roas.iter().enumerate() {
        let sep = if i + 1 == plan.roas.len() { "" } else { "," };
        writeln!(
            w,
            "\t\t{{ \"asn\": {}, \"prefix\": \"{}\", \"maxLength\": {}, \"ta\": \"{}\", \"expires\": {} }}{sep}",
            r.asn, r.prefix, r.max_len, r.ta, expires
        )?;
    }
    writeln!(w, "\t],\n\t\"aspas\": [")?;
    for (i, (c, provs)) in plan.aspas.iter().enumerate() {
        let sep = if i + 1 == plan.aspas.len() { "" } else { "," };
        let list: Vec<String> = provs.iter().map(|p| p.to_string()).collect();
        writeln!(
            w,
            "\t\t{{ \"customer_asid\": {c}, \"expires\": {expires}, \"providers\": [{}] }}{sep}",
            list.join(", ")
        )?;
    }
    writeln!(w, "\t]\n}}")?;
    Ok((plan.roas.len() as u64, plan.aspas.len() as u64))
}

/// Counts of what the IRR writer produced, and its deliberate flaws.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct IrrCounts {
    /// Objects per source.
    pub objects: BTreeMap<String, u64>,
    /// Route objects whose origin is not the prefix's origin in BGP.
    pub stale_routes: u64,
    /// Announced (prefix, origin) pairs with no route object in any source.
    pub missing_routes: u64,
}

const IRR_SOURCES: [&str; 6] = ["AFRINIC", "APNIC", "ARIN", "LACNIC", "RADB", "RIPE"];

/// RPSL dumps, one per source, as `(source, text)`: route/route6 with gaps and stale
/// objects, aut-num with import/export policy, as-set of each transit network's customers.
pub fn irr(cfg: &Config, topo: &Topology) -> (Vec<(String, String)>, IrrCounts) {
    let mut rng = Rng::stream(cfg.seed, "irr");
    let mut out: BTreeMap<&str, String> = IRR_SOURCES.iter().map(|s| (*s, String::new())).collect();
    let mut counts = IrrCounts::default();
    let n = topo.ases.len();
    let created = |x: &crate::topology::AsNode| iso_time(x.registered * 86_400);
    let changed = iso_time(cfg.start - 86_400 * 30);
    let obj =
        |out: &mut BTreeMap<&str, String>, src: &str, body: String, counts: &mut IrrCounts| {
            let s = out.get_mut(src).expect("known source");
            s.push_str(&body);
            writeln!(s, "source:         {src}\n").ok();
            *counts.objects.entry(src.to_string()).or_insert(0) += 1;
        };
    let has_set: Vec<bool> = topo
        .ases
        .iter()
        .map(|x| !x.customers.is_empty() && rng.chance(0.8))
        .collect();
    let set_name = |i: usize| format!("AS{}:AS-CUSTOMERS", topo.ases[i].asn);
    for (i, x) in topo.ases.iter().enumerate() {
        if x.tier == Tier::RouteServer {
            continue;
        }
        let (p_rir, p_radb, p_aut) = match x.rir {
            Rir::Ripe => (0.92, 0.1, 0.97),
            Rir::Apnic => (0.8, 0.1, 0.8),
            Rir::Afrinic => (0.7, 0.1, 0.8),
            Rir::Arin => (0.45, 0.35, 0.6),
            Rir::Lacnic => (0.35, 0.3, 0.5),
        };
        let src = x.rir.irr_source();
        let mnt = format!("MAINT-AS{}", x.asn);
        if rng.chance(p_aut) {
            let mut b = String::new();
            writeln!(b, "aut-num:        AS{}", x.asn).ok();
            writeln!(b, "as-name:        NET-AS{}", x.asn).ok();
            let announce = if has_set[i] {
                set_name(i)
            } else {
                format!("AS{}", x.asn)
            };
            for &p in x.providers.iter().take(20) {
                writeln!(b, "import:         from AS{} accept ANY", topo.asn(p)).ok();
                writeln!(
                    b,
                    "export:         to AS{} announce {announce}",
                    topo.asn(p)
                )
                .ok();
            }
            for &p in x.peers.iter().take(20) {
                let theirs = if has_set[p as usize] {
                    set_name(p as usize)
                } else {
                    format!("AS{}", topo.asn(p))
                };
                writeln!(b, "import:         from AS{} accept {theirs}", topo.asn(p)).ok();
                writeln!(
                    b,
                    "export:         to AS{} announce {announce}",
                    topo.asn(p)
                )
                .ok();
            }
            for &c in x.customers.iter().take(20) {
                let theirs = if has_set[c as usize] {
                    set_name(c as usize)
                } else {
                    format!("AS{}", topo.asn(c))
                };
                writeln!(b, "import:         from AS{} accept {theirs}", topo.asn(c)).ok();
                writeln!(b, "export:         to AS{} announce ANY", topo.asn(c)).ok();
            }
            writeln!(
                b,
                "mnt-by:         {mnt}\ncreated:        {}\nlast-modified:  {changed}",
                created(x)
            )
            .ok();
            obj(&mut out, src, b, &mut counts);
        }
        if has_set[i] {
            let mut members = vec![format!("AS{}", x.asn)];
            for &c in &x.customers {
                if rng.chance(0.08) {
                    continue; // a customer missing from the set: a gap
                }
                members.push(if has_set[c as usize] {
                    set_name(c as usize)
                } else {
                    format!("AS{}", topo.asn(c))
                });
            }
            let mut b = String::new();
            writeln!(b, "as-set:         {}", set_name(i)).ok();
            writeln!(b, "descr:          customers of AS{}", x.asn).ok();
            for chunk in members.chunks(8) {
                writeln!(b, "members:        {}", chunk.join(", ")).ok();
            }
            writeln!(
                b,
                "mnt-by:         {mnt}\ncreated:        {}\nlast-modified:  {changed}",
                created(x)
            )
            .ok();
            let s = if x.rir == Rir::Arin && rng.chance(0.5) {
                "RADB"
            } else {
                src
            };
            obj(&mut out, s, b, &mut counts);
        }
        let route = |p: &Prefix, origin: u32, when: String| {
            let key = if p.afi() == Afi::Ipv4 {
                "route:"
            } else {
                "route6:"
            };
            format!("{key:<16}{p}\ndescr:          AS{origin} prefix\norigin:         AS{origin}\nmnt-by:         {mnt}\ncreated:        {when}\nlast-modified:  {changed}\n")
        };
        for p in x.v4.iter().chain(&x.v6) {
            let in_rir = rng.chance(p_rir);
            let in_radb = rng.chance(p_radb);
            if in_rir {
                obj(&mut out, src, route(p, x.asn, created(x)), &mut counts);
            }
            if in_radb {
                obj(&mut out, "RADB", route(p, x.asn, created(x)), &mut counts);
            }
            if !in_rir && !in_radb {
                counts.missing_routes += 1;
            }
        }
        // Stale: a route object for a former origin, left behind in RADB.
        if !x.v4.is_empty() && rng.chance(0.04) {
            let p = *rng.pick(&x.v4);
            let former = topo.ases[rng.index(n)].asn;
            if former != x.asn {
                obj(
                    &mut out,
                    "RADB",
                    route(&p, former, iso_time(x.registered * 86_400)),
                    &mut counts,
                );
                counts.stale_routes += 1;
            }
        }
    }
    (
        out.into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        counts,
    )
}

/// CAIDA serial-1 as-rel text: `provider|customer|-1` and `peer|peer|0`.
pub fn as_rel(cfg: &Config, topo: &Topology) -> (String, u64) {
    let mut lines: Vec<(u32, u32, i8)> = Vec::new();
    for x in &topo.ases {
        for &c in &x.customers {
            lines.push((x.asn, topo.asn(c), -1));
        }
        for &p in &x.peers {
            let b = topo.asn(p);
            if x.asn < b {
                lines.push((x.asn, b, 0));
            }
        }
    }
    lines.sort_unstable();
    let mut s = String::new();
    let day = date_compact(cfg.start);
    writeln!(
        s,
        "# source:topology|BGP|{day}|routenorms-sim|seed {}",
        cfg.seed
    )
    .ok();
    let mut clique: Vec<u32> = topo
        .ases
        .iter()
        .filter(|x| x.tier == Tier::Tier1)
        .map(|x| x.asn)
        .collect();
    clique.sort_unstable();
    let cl: Vec<String> = clique.iter().map(|a| a.to_string()).collect();
    writeln!(s, "# inferred clique: {}", cl.join(" ")).ok();
    for (a, b, r) in &lines {
        writeln!(s, "{a}|{b}|{r}").ok();
    }
    (s, lines.len() as u64)
}

/// CAIDA ppdc-ases: each AS followed by its customer cone (itself included).
pub fn ppdc(topo: &Topology) -> (String, u64) {
    let mut rows: Vec<(u32, Vec<u32>)> = topo
        .ases
        .iter()
        .enumerate()
        .filter(|(_, x)| x.tier != Tier::RouteServer)
        .map(|(i, x)| {
            let mut cone: Vec<u32> = topo
                .customer_cone(i as u32)
                .iter()
                .map(|&c| topo.asn(c))
                .collect();
            cone.sort_unstable();
            (x.asn, cone)
        })
        .collect();
    rows.sort_unstable_by_key(|r| r.0);
    let mut s =
        String::from("# customer cones (provider-peer observed), generated by routenorms-sim\n");
    for (a, cone) in &rows {
        s.push_str(&a.to_string());
        for c in cone {
            s.push(' ');
            s.push_str(&c.to_string());
        }
        s.push('\n');
    }
    (s, rows.len() as u64)
}

fn opaque(rir: Rir, org: u32) -> String {
    match rir {
        Rir::Lacnic => format!("{}", 100_000 + org),
        _ => {
            let h = (org as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            format!(
                "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                h >> 32,
                (h >> 16) & 0xffff,
                0x4000 | (h & 0xfff),
                0x8000 | (org & 0x3fff),
                org
            )
        }
    }
}

/// RIR delegated-extended statistics, one file per registry: `(registry, text, records)`.
pub fn delegated(cfg: &Config, topo: &Topology) -> Vec<(&'static str, String, u64)> {
    let today = date_compact(cfg.start);
    Rir::ALL
        .iter()
        .map(|&rir| {
            let reg = rir.registry();
            let mut asn: Vec<(u32, String)> = Vec::new();
            let mut v4: Vec<(u128, String)> = Vec::new();
            let mut v6: Vec<(u128, String)> = Vec::new();
            for x in topo.ases.iter().filter(|x| x.rir == rir) {
                let d = date_compact(x.registered * 86_400);
                let op = opaque(rir, x.org);
                asn.push((
                    x.asn,
                    format!("{reg}|{}|asn|{}|1|{d}|allocated|{op}", x.country, x.asn),
                ));
                let status = if x.tier == Tier::Stub {
                    "assigned"
                } else {
                    "allocated"
                };
                for a in &x.alloc4 {
                    let count = 1u64 << (32 - a.len());
                    v4.push((
                        a.bits(),
                        format!(
                            "{reg}|{}|ipv4|{}|{count}|{d}|{status}|{op}",
                            x.country,
                            a.addr()
                        ),
                    ));
                }
                for a in &x.alloc6 {
                    let st = if a.len() >= 48 {
                        "assigned"
                    } else {
                        "allocated"
                    };
                    v6.push((
                        a.bits(),
                        format!(
                            "{reg}|{}|ipv6|{}|{}|{d}|{st}|{op}",
                            x.country,
                            a.addr(),
                            a.len()
                        ),
                    ));
                }
            }
            asn.sort();
            v4.sort();
            v6.sort();
            let total = asn.len() + v4.len() + v6.len();
            let mut s = String::new();
            writeln!(s, "2.3|{reg}|{today}|{total}|19830705|{today}|+0000").ok();
            writeln!(s, "{reg}|*|asn|*|{}|summary", asn.len()).ok();
            writeln!(s, "{reg}|*|ipv4|*|{}|summary", v4.len()).ok();
            writeln!(s, "{reg}|*|ipv6|*|{}|summary", v6.len()).ok();
            let lines = asn
                .iter()
                .map(|x| &x.1)
                .chain(v4.iter().map(|x| &x.1))
                .chain(v6.iter().map(|x| &x.1));
            for l in lines {
                s.push_str(l);
                s.push('\n');
            }
            (reg, s, total as u64)
        })
        .collect()
}

/// PeeringDB-shaped JSON: `net`, `org`, `poc`, `ix`, `netixlan` objects (`{"data": [...]}`).
pub fn peeringdb(cfg: &Config, topo: &Topology) -> Vec<(&'static str, serde_json::Value, u64)> {
    use serde_json::json;
    let mut rng = Rng::stream(cfg.seed, "peeringdb");
    let now = cfg.start;
    let mut nets = Vec::new();
    let mut orgs: BTreeMap<u32, serde_json::Value> = BTreeMap::new();
    let mut pocs = Vec::new();
    let mut net_id_of: BTreeMap<u32, u32> = BTreeMap::new();
    for (i, x) in topo.ases.iter().enumerate() {
        let share = match x.tier {
            Tier::Stub => 0.35,
            _ => 0.9,
        };
        if !rng.chance(share) {
            continue;
        }
        let id = nets.len() as u32 + 1;
        net_id_of.insert(i as u32, id);
        let created = iso_time(x.registered * 86_400 + 86_400 * 400);
        let stale = rng.chance(0.25);
        let updated = if stale {
            iso_time(now - 86_400 * (800 + rng.below(1500) as u32))
        } else {
            iso_time(now - 86_400 * rng.below(300) as u32)
        };
        let info_type = match x.tier {
            Tier::Tier1 | Tier::Transit => "NSP",
            Tier::RouteServer => "Route Server",
            Tier::Stub => [
                "Cable/DSL/ISP",
                "Content",
                "Enterprise",
                "Educational/Research",
            ][rng.index(4)],
        };
        let policy = ["Open", "Selective", "Restrictive"][rng.index(3)];
        nets.push(json!({
            "id": id, "org_id": x.org, "name": format!("NET-AS{}", x.asn), "aka": "",
            "asn": x.asn,
            "irr_as_set": if x.customers.is_empty() { String::new() } else { format!("AS{}:AS-CUSTOMERS", x.asn) },
            "info_type": info_type,
            "info_prefixes4": (x.v4.len() as u64 * (1 + rng.below(3))),
            "info_prefixes6": (x.v6.len() as u64 * (1 + rng.below(3))),
            "info_never_via_route_servers": false,
            "policy_general": policy,
            "created": created, "updated": updated, "status": "ok"
        }));
        orgs.entry(x.org).or_insert_with(|| {
            json!({"id": x.org, "name": format!("Org {} of {}", x.org, x.country), "country": x.country,
                   "created": iso_time(x.registered * 86_400), "updated": iso_time(now - 86_400 * 90), "status": "ok"})
        });
        // Contacts: none for some networks (a gap), stale for others.
        let k = rng.weighted(&[0.2, 0.35, 0.3, 0.15]);
        for (j, role) in ["NOC", "Abuse", "Technical"].iter().take(k).enumerate() {
            let pid = pocs.len() as u32 + 1;
            pocs.push(json!({
                "id": pid, "net_id": id, "role": role,
                "visible": if rng.chance(0.7) { "Public" } else { "Users" },
                "name": format!("{role} team"), "phone": "",
                "email": format!("{}@as{}.net.example", role.to_ascii_lowercase(), x.asn),
                "url": "", "created": created,
                "updated": if stale || j == 2 { iso_time(now - 86_400 * 1200) } else { iso_time(now - 86_400 * 60) },
                "status": "ok"
            }));
        }
    }
    let mut ixs = Vec::new();
    let mut netixlans = Vec::new();
    for ixp in &topo.ixps {
        ixs.push(json!({"id": ixp.id, "name": ixp.name, "country": ixp.country,
                        "route_server_asn": topo.asn(ixp.route_server),
                        "prefix4": ixp.lan4.to_string(), "prefix6": ixp.lan6.to_string(), "status": "ok"}));
        for (k, &m) in ixp.members.iter().enumerate() {
            let Some(&net_id) = net_id_of.get(&m) else {
                continue;
            };
            let a4 = match ixp.lan4.addr() {
                std::net::IpAddr::V4(a) => std::net::Ipv4Addr::from(u32::from(a) + 2 + k as u32),
                _ => unreachable!("IPv4 LAN"),
            };
            let a6 = match ixp.lan6.addr() {
                std::net::IpAddr::V6(a) => std::net::Ipv6Addr::from(u128::from(a) + 2 + k as u128),
                _ => unreachable!("IPv6 LAN"),
            };
            netixlans.push(json!({"id": netixlans.len() + 1, "net_id": net_id, "ix_id": ixp.id,
                                  "asn": topo.asn(m), "ipaddr4": a4.to_string(), "ipaddr6": a6.to_string(),
                                  "is_rs_peer": true, "speed": 10_000, "status": "ok"}));
        }
    }
    let n = |v: &Vec<serde_json::Value>| v.len() as u64;
    let org_list: Vec<serde_json::Value> = orgs.into_values().collect();
    vec![
        ("net", json!({"data": nets}), n(&nets)),
        ("org", json!({"data": org_list}), n(&org_list)),
        ("poc", json!({"data": pocs}), n(&pocs)),
        ("ix", json!({"data": ixs}), n(&ixs)),
        ("netixlan", json!({"data": netixlans}), n(&netixlans)),
    ]
}

/// Spoofer-like test sessions: for about 15 % of the ASes, 1–3 sessions each whose outcome
/// follows the AS's (ground-truth) source address validation. Returns the JSON and, for the
/// ground truth, each tested AS's SAV state.
pub fn spoofer(cfg: &Config, topo: &Topology) -> (serde_json::Value, u64, BTreeMap<u32, bool>) {
    use serde_json::json;
    let mut rng = Rng::stream(cfg.seed, "spoofer");
    let mut sessions = Vec::new();
    let mut truth = BTreeMap::new();
    for x in &topo.ases {
        if x.tier == Tier::RouteServer || x.v4.is_empty() || !rng.chance(0.15) {
            continue;
        }
        truth.insert(x.asn, x.sav);
        for _ in 0..rng.range(1, 3) {
            let p = *rng.pick(&x.v4);
            let client = Prefix::from_bits(Afi::Ipv4, p.bits(), 24.max(p.len())).expect("valid");
            let outcome = if rng.chance(0.05) {
                "rewritten"
            } else if x.sav {
                "blocked"
            } else {
                "received"
            };
            sessions.push(json!({
                "session": sessions.len() + 1,
                "timestamp": iso_time(cfg.start - rng.below(86_400 * 180) as u32),
                "asn4": x.asn, "country": x.country.to_ascii_lowercase(),
                "client4": client.to_string(),
                "nat4": rng.chance(0.6),
                "routedspoof4": outcome,
                "privatespoof4": if x.sav { "blocked" } else { "received" },
            }));
        }
    }
    let n = sessions.len() as u64;
    (json!({"data": sessions}), n, truth)
}
