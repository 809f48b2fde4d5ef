//! The AS graph: a clique of tier-1s, transit providers attached by preferential attachment,
//! stubs, IXPs whose route servers make multilateral peerings; ASNs, holders (RIR, country,
//! organisation, registration date) and the IPv4/IPv6 address plan with each AS's prefixes.
//!
//! Nodes are indices (`u32`) into [`Topology::ases`]; providers always have a lower index than
//! their customers, so index order is a topological order of the provider→customer graph.

use crate::rng::Rng;
use crate::{Config, SimError};
use routenorms_types::{Afi, Prefix};
use std::collections::HashSet;

/// Days from 1970-01-01 to 1988-01-01 and to 2023-12-01 (registration date range).
const FIRST_DAY: u32 = 6_574;
const LAST_DAY: u32 = 19_692;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    Tier1,
    Transit,
    Stub,
    /// The route server of an IXP: holds an ASN, never appears in AS paths.
    RouteServer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rir {
    Afrinic,
    Apnic,
    Arin,
    Lacnic,
    Ripe,
}

impl Rir {
    pub const ALL: [Rir; 5] = [Rir::Afrinic, Rir::Apnic, Rir::Arin, Rir::Lacnic, Rir::Ripe];
    const WEIGHTS: [f64; 5] = [0.04, 0.18, 0.26, 0.14, 0.38];

    /// The registry's name as in its delegated statistics files.
    pub fn registry(self) -> &'static str {
        match self {
            Rir::Afrinic => "afrinic",
            Rir::Apnic => "apnic",
            Rir::Arin => "arin",
            Rir::Lacnic => "lacnic",
            Rir::Ripe => "ripencc",
        }
    }

    /// The IRR source name of its routing registry.
    pub fn irr_source(self) -> &'static str {
        match self {
            Rir::Afrinic => "AFRINIC",
            Rir::Apnic => "APNIC",
            Rir::Arin => "ARIN",
            Rir::Lacnic => "LACNIC",
            Rir::Ripe => "RIPE",
        }
    }

    /// The RPKI trust anchor name (as rpki-client writes it).
    pub fn ta(self) -> &'static str {
        match self {
            Rir::Afrinic => "afrinic",
            Rir::Apnic => "apnic",
            Rir::Arin => "arin",
            Rir::Lacnic => "lacnic",
            Rir::Ripe => "ripe",
        }
    }

    fn countries(self) -> &'static [(&'static str, f64)] {
        match self {
            Rir::Afrinic => &[
                ("ZA", 4.0),
                ("NG", 2.0),
                ("KE", 1.5),
                ("EG", 1.0),
                ("GH", 0.7),
                ("TZ", 0.6),
                ("MA", 0.5),
            ],
            Rir::Apnic => &[
                ("CN", 3.0),
                ("IN", 3.0),
                ("AU", 2.5),
                ("JP", 2.0),
                ("ID", 2.0),
                ("BD", 1.2),
                ("KR", 1.0),
                ("HK", 1.0),
                ("VN", 0.8),
                ("SG", 0.8),
                ("NZ", 0.6),
                ("TW", 0.5),
            ],
            Rir::Arin => &[("US", 8.5), ("CA", 1.2), ("PR", 0.1), ("JM", 0.1)],
            Rir::Lacnic => &[
                ("BR", 7.0),
                ("AR", 1.0),
                ("MX", 0.8),
                ("CL", 0.5),
                ("CO", 0.5),
                ("EC", 0.3),
                ("PE", 0.3),
                ("VE", 0.2),
            ],
            Rir::Ripe => &[
                ("RU", 2.5),
                ("DE", 2.0),
                ("GB", 1.8),
                ("UA", 1.3),
                ("PL", 1.3),
                ("NL", 1.0),
                ("FR", 0.9),
                ("IT", 0.9),
                ("ES", 0.6),
                ("SE", 0.5),
                ("CH", 0.5),
                ("TR", 0.5),
                ("IR", 0.5),
                ("CZ", 0.5),
            ],
        }
    }

    /// The IPv4 /8s the registry allocates from (after IANA's registry, simplified).
    fn v4_blocks(self) -> Vec<u8> {
        let r = |a: u8, b: u8| (a..=b).collect::<Vec<u8>>();
        match self {
            Rir::Afrinic => vec![41, 102, 105, 154, 196, 197],
            Rir::Apnic => [
                vec![1, 14, 27, 36, 39, 42, 43, 49],
                r(58, 61),
                vec![101, 103, 106],
                r(110, 126),
                vec![
                    133, 150, 153, 163, 171, 175, 180, 182, 183, 202, 203, 210, 211,
                ],
                r(218, 223),
            ]
            .concat(),
            Rir::Arin => [
                vec![3, 4],
                r(6, 9),
                r(11, 13),
                r(15, 24),
                vec![26],
                r(28, 30),
                r(32, 35),
                vec![38, 40, 44, 45, 47, 48, 50],
                r(52, 57),
                r(63, 76),
                r(96, 99),
                vec![104, 107, 108],
                r(128, 132),
                r(134, 140),
                r(142, 149),
                vec![152],
                r(155, 162),
                r(164, 170),
                vec![173, 174, 184, 199],
                r(204, 209),
                r(214, 216),
            ]
            .concat(),
            Rir::Lacnic => vec![177, 179, 181, 186, 187, 189, 190, 191, 200, 201],
            Rir::Ripe => [
                vec![2, 5, 25, 31, 37, 46, 51, 62],
                r(77, 95),
                vec![109, 141, 151, 176, 178, 185, 188],
                r(193, 195),
                vec![212, 213, 217],
            ]
            .concat(),
        }
    }

    /// IPv6: the registry's early /23 (or /22) and its /12.
    fn v6_blocks(self) -> [(u128, u8); 2] {
        let a = |s: &str| u128::from(s.parse::<std::net::Ipv6Addr>().expect("valid"));
        match self {
            Rir::Afrinic => [(a("2001:4200::"), 23), (a("2c00::"), 12)],
            Rir::Apnic => [(a("2001:200::"), 23), (a("2400::"), 12)],
            Rir::Arin => [(a("2001:1800::"), 23), (a("2600::"), 12)],
            Rir::Lacnic => [(a("2001:1200::"), 23), (a("2800::"), 12)],
            Rir::Ripe => [(a("2001:800::"), 22), (a("2a00::"), 12)],
        }
    }
}

/// One autonomous system and everything the simulator knows about it.
#[derive(Clone, Debug)]
pub struct AsNode {
    pub asn: u32,
    pub tier: Tier,
    pub rir: Rir,
    pub country: &'static str,
    /// Organisation id (some organisations hold several ASes).
    pub org: u32,
    /// Registration date, days since 1970-01-01.
    pub registered: u32,
    /// Node indices, sorted.
    pub providers: Vec<u32>,
    pub customers: Vec<u32>,
    pub peers: Vec<u32>,
    /// Extra copies of its own ASN it prepends to every announcement.
    pub prepend: u8,
    /// BGP roles (RFC 9234) configured on its sessions: it sets ONLY_TO_CUSTOMER.
    pub roles: bool,
    /// Source address validation deployed (what Spoofer-like tests see).
    pub sav: bool,
    /// Announces with ORIGIN INCOMPLETE (redistributed routes).
    pub incomplete: bool,
    /// Address blocks registered to it.
    pub alloc4: Vec<Prefix>,
    pub alloc6: Vec<Prefix>,
    /// Prefixes it announces, sorted.
    pub v4: Vec<Prefix>,
    pub v6: Vec<Prefix>,
}

/// An Internet exchange point with a route server.
#[derive(Clone, Debug)]
pub struct Ixp {
    pub id: u32,
    pub name: String,
    pub country: &'static str,
    /// The route server's node (tier [`Tier::RouteServer`]).
    pub route_server: u32,
    /// Member nodes, sorted.
    pub members: Vec<u32>,
    pub lan4: Prefix,
    pub lan6: Prefix,
}

/// The simulated Internet's structure.
#[derive(Clone, Debug)]
pub struct Topology {
    pub ases: Vec<AsNode>,
    pub ixps: Vec<Ixp>,
}

/// How `b` relates to `a`, seen from `a`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    Provider,
    Customer,
    Peer,
}

impl Topology {
    /// The relationship of `b` to `a` (e.g. `Rel::Provider` when `b` is `a`'s provider).
    pub fn rel(&self, a: u32, b: u32) -> Option<Rel> {
        let n = &self.ases[a as usize];
        if n.providers.binary_search(&b).is_ok() {
            Some(Rel::Provider)
        } else if n.customers.binary_search(&b).is_ok() {
            Some(Rel::Customer)
        } else if n.peers.binary_search(&b).is_ok() {
            Some(Rel::Peer)
        } else {
            None
        }
    }

    pub fn asn(&self, node: u32) -> u32 {
        self.ases[node as usize].asn
    }

    /// Every AS in the customer cone of `node` (itself included), sorted by node index.
    pub fn customer_cone(&self, node: u32) -> Vec<u32> {
        let mut seen = vec![node];
        let mut stack = vec![node];
        let mut set = HashSet::new();
        set.insert(node);
        while let Some(x) = stack.pop() {
            for &c in &self.ases[x as usize].customers {
                if set.insert(c) {
                    seen.push(c);
                    stack.push(c);
                }
            }
        }
        seen.sort_unstable();
        seen
    }
}

struct Links {
    edges: HashSet<(u32, u32)>,
    providers: Vec<Vec<u32>>,
    customers: Vec<Vec<u32>>,
    peers: Vec<Vec<u32>>,
}

impl Links {
    fn linked(&self, a: u32, b: u32) -> bool {
        self.edges.contains(&(a.min(b), a.max(b)))
    }
    fn p2c(&mut self, p: u32, c: u32) -> bool {
        if p == c || !self.edges.insert((p.min(c), p.max(c))) {
            return false;
        }
        self.providers[c as usize].push(p);
        self.customers[p as usize].push(c);
        true
    }
    fn p2p(&mut self, a: u32, b: u32) -> bool {
        if a == b || !self.edges.insert((a.min(b), a.max(b))) {
            return false;
        }
        self.peers[a as usize].push(b);
        self.peers[b as usize].push(a);
        true
    }
}

/// Builds the topology for `cfg`.
pub fn build(cfg: &Config) -> Result<Topology, SimError> {
    let mut rng = Rng::stream(cfg.seed, "topology");
    let n = cfg.ases;
    let n_ixp = (n / 250).clamp(1, 400);
    let n_net = n - n_ixp;
    let t1 = (4 + n_net / 5000).clamp(4, 17);
    let n_transit = ((n_net as f64) * 0.14) as usize;
    let first_stub = t1 + n_transit;
    let tier = |i: usize| {
        if i < t1 {
            Tier::Tier1
        } else if i < first_stub {
            Tier::Transit
        } else if i < n_net {
            Tier::Stub
        } else {
            Tier::RouteServer
        }
    };
    let mut links = Links {
        edges: HashSet::new(),
        providers: vec![Vec::new(); n],
        customers: vec![Vec::new(); n],
        peers: vec![Vec::new(); n],
    };
    // Tier-1 clique.
    for a in 0..t1 as u32 {
        for b in a + 1..t1 as u32 {
            links.p2p(a, b);
        }
    }
    // Preferential attachment: a provider appears once per customer (plus a start weight).
    let mut pool: Vec<u32> = Vec::new();
    for a in 0..t1 as u32 {
        pool.extend(std::iter::repeat_n(a, 6));
    }
    let choose = |links: &mut Links, pool: &mut Vec<u32>, c: u32, k: usize, rng: &mut Rng| {
        let mut got = 0;
        for _ in 0..k * 20 {
            if got == k {
                break;
            }
            let p = *rng.pick(pool);
            if links.p2c(p, c) {
                got += 1;
                pool.push(p);
            }
        }
    };
    for c in t1..first_stub {
        let k = 1 + rng.weighted(&[0.45, 0.4, 0.15]);
        choose(&mut links, &mut pool, c as u32, k, &mut rng);
        pool.push(c as u32);
    }
    for c in first_stub..n_net {
        let k = 1 + rng.weighted(&[0.55, 0.33, 0.09, 0.03]);
        choose(&mut links, &mut pool, c as u32, k, &mut rng);
    }
    // Bilateral peering between transit providers, heavy-tailed in count.
    let transit_pool: Vec<u32> = pool.iter().copied().filter(|&x| x as usize >= t1).collect();
    for x in t1..first_stub {
        let want = (rng.pareto(1.0, 1.3) as usize - 1) + links.customers[x].len() / 6;
        let want = want.min(300);
        let mut got = 0;
        for _ in 0..want * 4 {
            if got >= want || transit_pool.is_empty() {
                break;
            }
            let y = *rng.pick(&transit_pool);
            if links.linked(x as u32, y) {
                continue;
            }
            // No peering with a direct provider's provider chain is checked: real networks
            // do peer across cones occasionally; only direct links are excluded.
            if links.p2p(x as u32, y) {
                got += 1;
            }
        }
    }
    // IXPs with route servers: multilateral peering among the members that use them.
    let mut ixps = Vec::new();
    let cap = (n_net / 8).clamp(5, 150);
    for i in 0..n_ixp {
        let size = (rng.pareto(4.0, 1.0) as usize).min(cap);
        let mut members = Vec::new();
        for _ in 0..size * 2 {
            if members.len() >= size {
                break;
            }
            let m = if rng.chance(0.5) {
                rng.range(t1 as u64, first_stub as u64 - 1) as u32
            } else {
                rng.range(first_stub as u64, n_net as u64 - 1) as u32
            };
            if !members.contains(&m) {
                members.push(m);
            }
        }
        members.sort_unstable();
        let uses_rs: Vec<u32> = members
            .iter()
            .copied()
            .filter(|_| rng.chance(0.85))
            .collect();
        for (k, &a) in uses_rs.iter().enumerate() {
            for &b in &uses_rs[k + 1..] {
                links.p2p(a, b);
            }
        }
        ixps.push(Ixp {
            id: i as u32 + 1,
            name: String::new(),
            country: "",
            route_server: (n_net + i) as u32,
            members,
            lan4: Prefix::from_bits(Afi::Ipv4, 0, 0).expect("valid"),
            lan6: Prefix::from_bits(Afi::Ipv6, 0, 0).expect("valid"),
        });
    }
    let mut ases: Vec<AsNode> = (0..n)
        .map(|i| {
            let mut providers = std::mem::take(&mut links.providers[i]);
            let mut customers = std::mem::take(&mut links.customers[i]);
            let mut peers = std::mem::take(&mut links.peers[i]);
            providers.sort_unstable();
            customers.sort_unstable();
            peers.sort_unstable();
            AsNode {
                asn: 0,
                tier: tier(i),
                rir: Rir::Ripe,
                country: "",
                org: 0,
                registered: 0,
                providers,
                customers,
                peers,
                prepend: 0,
                roles: false,
                sav: false,
                incomplete: false,
                alloc4: Vec::new(),
                alloc6: Vec::new(),
                v4: Vec::new(),
                v6: Vec::new(),
            }
        })
        .collect();
    assign_holders(&mut ases, &mut rng);
    assign_asns(&mut ases, &mut rng)?;
    for x in ases.iter_mut() {
        x.prepend = if rng.chance(0.08) {
            rng.range(1, 3) as u8
        } else {
            0
        };
        x.roles = rng.chance(if x.registered > 17_500 { 0.15 } else { 0.06 });
        x.sav = rng.chance(match x.tier {
            Tier::Stub => 0.75,
            _ => 0.6,
        });
        x.incomplete = rng.chance(0.03);
    }
    for ixp in &mut ixps {
        let rs = &ases[ixp.route_server as usize];
        ixp.country = rs.country;
        ixp.name = format!("{}-IX{}", rs.country, ixp.id);
    }
    address_plan(cfg, &mut ases, &mut ixps, &mut rng)?;
    Ok(Topology { ases, ixps })
}

fn assign_holders(ases: &mut [AsNode], rng: &mut Rng) {
    let mut org = 0u32;
    let mut last: Option<(Rir, &'static str, u32)> = None;
    for x in ases.iter_mut() {
        // Some organisations hold several ASes (the previous AS's holder again).
        if let (Some((rir, cc, o)), true) = (last, rng.chance(0.05)) {
            x.rir = rir;
            x.country = cc;
            x.org = o;
            continue;
        }
        let w: Vec<f64> = match x.tier {
            Tier::Tier1 => vec![0.0, 0.15, 0.5, 0.0, 0.35],
            _ => Rir::WEIGHTS.to_vec(),
        };
        x.rir = Rir::ALL[rng.weighted(&w)];
        let cs = x.rir.countries();
        let cw: Vec<f64> = cs.iter().map(|c| c.1).collect();
        x.country = cs[rng.weighted(&cw)].0;
        org += 1;
        x.org = org;
        last = Some((x.rir, x.country, org));
    }
}

/// ASNs by age: older networks (tier-1s, then transit) hold low 2-byte numbers, the newest
/// ~40 % hold 4-byte numbers from their registry's blocks.
fn assign_asns(ases: &mut [AsNode], rng: &mut Rng) -> Result<(), SimError> {
    let n = ases.len();
    let mut order: Vec<(f64, usize)> = ases
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let f = match x.tier {
                Tier::Tier1 => 0.03,
                Tier::Transit => 0.6,
                Tier::Stub => 1.0,
                Tier::RouteServer => 0.9,
            };
            (rng.unit() * f, i)
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let two_byte = ((n as f64 * 0.6) as usize).min(55_000);
    // Selection sampling (Knuth's algorithm S) of sorted 2-byte ASNs.
    let candidates: Vec<u32> = (1..=64_495u32).filter(|&a| a != 23_456).collect();
    let mut picked = Vec::with_capacity(two_byte);
    let mut need = two_byte;
    for (k, &a) in candidates.iter().enumerate() {
        if need == 0 {
            break;
        }
        let left = candidates.len() - k;
        if rng.below(left as u64) < need as u64 {
            picked.push(a);
            need -= 1;
        }
    }
    let next4 = |rir: Rir, rng: &mut Rng, state: &mut [u32; 5]| {
        let i = Rir::ALL.iter().position(|&r| r == rir).expect("known rir");
        let a = state[i];
        state[i] += 1 + rng.below(3) as u32;
        a
    };
    let mut state4 = [327_680u32, 131_072, 393_216, 262_144, 196_608];
    for (rank, &(_, i)) in order.iter().enumerate() {
        let x = &mut ases[i];
        x.asn = if rank < picked.len() {
            picked[rank]
        } else {
            next4(x.rir, rng, &mut state4)
        };
        let frac = rank as f64 / n as f64;
        x.registered = FIRST_DAY + ((LAST_DAY - FIRST_DAY) as f64 * frac.powf(0.9)) as u32;
    }
    Ok(())
}

/// A bump allocator over a list of blocks, aligned to each request's size.
struct Bump {
    blocks: Vec<(u128, u128)>, // (start, end exclusive)
    at: usize,
    ptr: u128,
}

impl Bump {
    fn new(blocks: Vec<(u128, u128)>) -> Bump {
        let ptr = blocks.first().map_or(0, |b| b.0);
        Bump { blocks, at: 0, ptr }
    }
    fn alloc(&mut self, size: u128, gap: bool) -> Option<u128> {
        while self.at < self.blocks.len() {
            let start = self.ptr.div_ceil(size) * size + if gap { size } else { 0 };
            if start + size <= self.blocks[self.at].1 {
                self.ptr = start + size;
                return Some(start);
            }
            self.at += 1;
            if let Some(b) = self.blocks.get(self.at) {
                self.ptr = b.0;
            }
        }
        None
    }
}

const V4_LENGTHS: [(u8, f64); 9] = [
    (24, 0.60),
    (23, 0.10),
    (22, 0.13),
    (21, 0.05),
    (20, 0.04),
    (19, 0.02),
    (18, 0.01),
    (17, 0.005),
    (16, 0.005),
];

fn address_plan(
    cfg: &Config,
    ases: &mut [AsNode],
    ixps: &mut [Ixp],
    rng: &mut Rng,
) -> Result<(), SimError> {
    let nets: Vec<usize> = (0..ases.len())
        .filter(|&i| ases[i].tier != Tier::RouteServer)
        .collect();
    // Heavy-tailed prefix counts per AS.
    let weight = |t: Tier, rng: &mut Rng| {
        rng.pareto(1.0, 1.1)
            * match t {
                Tier::Tier1 => 20.0,
                Tier::Transit => 3.0,
                _ => 1.0,
            }
    };
    let counts = |target: usize, who: &[usize], ases: &[AsNode], rng: &mut Rng| {
        let w: Vec<f64> = who.iter().map(|&i| weight(ases[i].tier, rng)).collect();
        let extra = target.saturating_sub(who.len()) as f64;
        let cap = ((target / 100).max(2) as f64).max(extra / who.len().max(1) as f64 * 4.0);
        // Scale so that the capped shares still add up to the target (bisection).
        let sum = |f: f64| w.iter().map(|wi| (wi * f).min(cap)).sum::<f64>();
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        while sum(hi) < extra && hi < 1e12 {
            hi *= 2.0;
        }
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            if sum(mid) < extra {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        w.iter()
            .map(|wi| {
                let x = (wi * hi).min(cap);
                1 + x as usize + (rng.unit() < x.fract()) as usize
            })
            .collect::<Vec<usize>>()
    };
    let c4 = counts(cfg.prefixes_v4, &nets, ases, rng);
    // IPv4: blocks of up to 32 same-length prefixes, each block one allocation, allocated in random
    // order so an AS's blocks are scattered over its registry's space.
    let mut requests: Vec<(usize, Vec<u8>)> = Vec::new();
    let lw: Vec<f64> = V4_LENGTHS.iter().map(|l| l.1).collect();
    for (k, &i) in nets.iter().enumerate() {
        let mut lens: Vec<u8> = (0..c4[k])
            .map(|_| {
                if ases[i].tier == Tier::Stub && c4[k] == 1 && rng.chance(0.5) {
                    24
                } else {
                    V4_LENGTHS[rng.weighted(&lw)].0
                }
            })
            .collect();
        lens.sort_unstable();
        // Blocks of 2^k same-length prefixes (k <= 5): allocations with no waste.
        let mut k = 0;
        while k < lens.len() {
            let l = lens[k];
            let mut same = lens[k..].iter().take_while(|&&x| x == l).count();
            k += same;
            while same > 0 {
                let block = 1usize << (usize::BITS - 1 - same.leading_zeros()).min(5);
                requests.push((i, vec![l; block]));
                same -= block;
            }
        }
    }
    rng.shuffle(&mut requests);
    let mut bumps4: Vec<Bump> = Rir::ALL
        .iter()
        .map(|r| {
            Bump::new(
                r.v4_blocks()
                    .into_iter()
                    .map(|b| ((b as u128) << 24, ((b as u128) + 1) << 24))
                    .collect(),
            )
        })
        .collect();
    let used: HashSet<u8> = Rir::ALL.iter().flat_map(|r| r.v4_blocks()).collect();
    let bogon8 = [0u8, 10, 100, 127, 172, 192, 198];
    let spare: Vec<(u128, u128)> = (1..=223u8)
        .filter(|b| !used.contains(b) && !bogon8.contains(b))
        .map(|b| ((b as u128) << 24, ((b as u128) + 1) << 24))
        .collect();
    let mut spare = Bump::new(spare);
    for (i, lens) in requests {
        let total: u128 = lens.iter().map(|&l| 1u128 << (32 - l)).sum();
        let alloc_len = 32 - (128 - (total - 1).leading_zeros()) as u8;
        let size = 1u128 << (32 - alloc_len);
        let r = Rir::ALL
            .iter()
            .position(|&r| r == ases[i].rir)
            .expect("rir");
        let gap = rng.chance(0.1);
        // A registry that runs out borrows from the unlisted /8s, then from the others
        // (as transfers between regions do).
        let base = bumps4[r]
            .alloc(size, gap)
            .or_else(|| spare.alloc(size, false))
            .or_else(|| bumps4.iter_mut().find_map(|b| b.alloc(size, false)))
            .ok_or(SimError::Config(
                "IPv4 address space exhausted: fewer --prefixes per AS, please",
            ))?;
        let alloc = Prefix::from_bits(Afi::Ipv4, base, alloc_len).expect("valid");
        ases[i].alloc4.push(alloc);
        let mut at = base;
        for &l in &lens {
            ases[i]
                .v4
                .push(Prefix::from_bits(Afi::Ipv4, at, l).expect("valid"));
            at += 1u128 << (32 - l);
        }
        // Some networks announce the covering allocation as well as its parts.
        if lens.len() >= 4 && rng.chance(0.3) && !ases[i].v4.contains(&alloc) {
            ases[i].v4.push(alloc);
        }
    }
    // IPv6: most transit and a minority of stubs; one allocation each.
    let v6_share = |t: Tier| if t == Tier::Stub { 0.4 } else { 0.9 };
    let mut with6: Vec<usize> = nets
        .iter()
        .copied()
        .filter(|&i| rng.chance(v6_share(ases[i].tier)))
        .collect();
    with6.truncate(cfg.prefixes_v6.max(1));
    let c6 = counts(cfg.prefixes_v6, &with6, ases, rng);
    let mut bumps6: Vec<(Bump, Bump)> = Rir::ALL
        .iter()
        .map(|r| {
            let [(early, el), (big, bl)] = r.v6_blocks();
            let lir = Bump::new(vec![
                (early, early + (1u128 << (128 - el))),
                (big, big + (1u128 << (128 - bl)) / 2),
            ]);
            // Provider-independent /48s from the top half of the /12.
            let pi_start = big + (1u128 << (128 - bl)) / 2;
            let pi = Bump::new(vec![(pi_start, big + (1u128 << (128 - bl)))]);
            (lir, pi)
        })
        .collect();
    let sub_lens: [(u8, f64); 4] = [(36, 0.1), (40, 0.2), (44, 0.2), (48, 0.5)];
    let sw: Vec<f64> = sub_lens.iter().map(|l| l.1).collect();
    for (k, &i) in with6.iter().enumerate() {
        let r = Rir::ALL
            .iter()
            .position(|&r| r == ases[i].rir)
            .expect("rir");
        let pi = ases[i].tier == Tier::Stub && c6[k] == 1 && rng.chance(0.5);
        let mut alloc_len: u8 = if pi {
            48
        } else if ases[i].rir == Rir::Ripe && rng.chance(0.3) {
            29
        } else {
            32
        };
        let mut lens: Vec<u8> = (1..c6[k])
            .map(|_| sub_lens[rng.weighted(&sw)].0.max(alloc_len + 1))
            .collect();
        lens.sort_unstable();
        // Large networks get a larger allocation (as the RIRs size them by need): the
        // smallest one that holds all the more-specifics, so every requested prefix is made.
        let need: u128 = lens.iter().map(|&l| 1u128 << (128 - l)).sum();
        while (1u128 << (128 - alloc_len)) < need {
            alloc_len -= 1;
        }
        let size = 1u128 << (128 - alloc_len);
        let bump = if pi {
            &mut bumps6[r].1
        } else {
            &mut bumps6[r].0
        };
        let base = bump
            .alloc(size, false)
            .ok_or(SimError::Config("IPv6 address space exhausted"))?;
        let alloc = Prefix::from_bits(Afi::Ipv6, base, alloc_len).expect("valid");
        ases[i].alloc6.push(alloc);
        ases[i].v6.push(alloc);
        // Largest first, each aligned to its size: with sizes that are powers of two and add
        // up to at most the allocation's, this packing leaves no hole and always fits.
        let mut at = base;
        for l in lens {
            let step = 1u128 << (128 - l);
            debug_assert_eq!(at % step, 0);
            debug_assert!(at + step <= base + size);
            ases[i]
                .v6
                .push(Prefix::from_bits(Afi::Ipv6, at, l).expect("valid"));
            at += step;
        }
    }
    for x in ases.iter_mut() {
        x.v4.sort_unstable();
        x.v4.dedup();
        x.v6.sort_unstable();
        x.v6.dedup();
    }
    // IXP peering LANs: from the exchange's registry, as the RIRs assign them.
    for ixp in ixps.iter_mut() {
        let rs = ixp.route_server as usize;
        let r = Rir::ALL
            .iter()
            .position(|&r| r == ases[rs].rir)
            .expect("rir");
        let b4 = bumps4[r]
            .alloc(1 << 8, false)
            .or_else(|| spare.alloc(1 << 8, false))
            .or_else(|| bumps4.iter_mut().find_map(|b| b.alloc(1 << 8, false)))
            .ok_or(SimError::Config("IPv4 address space exhausted"))?;
        ixp.lan4 = Prefix::from_bits(Afi::Ipv4, b4, 24).expect("valid");
        ases[rs].alloc4.push(ixp.lan4);
        let b6 = bumps6[r]
            .1
            .alloc(1 << 80, false)
            .ok_or(SimError::Config("IPv6 address space exhausted"))?;
        ixp.lan6 = Prefix::from_bits(Afi::Ipv6, b6, 48).expect("valid");
        ases[rs].alloc6.push(ixp.lan6);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Scale;

    fn small() -> Topology {
        build(&Config::new(Scale::Small, 11)).unwrap()
    }

    #[test]
    fn provider_links_point_to_lower_indices_so_the_graph_is_acyclic() {
        let t = small();
        for (i, x) in t.ases.iter().enumerate() {
            assert!(x.providers.iter().all(|&p| (p as usize) < i));
            if x.tier != Tier::Tier1 && x.tier != Tier::RouteServer {
                assert!(!x.providers.is_empty(), "AS{} has no provider", x.asn);
            }
        }
    }

    #[test]
    fn asns_are_unique_and_both_two_and_four_byte_ones_occur() {
        let t = small();
        let mut asns: Vec<u32> = t.ases.iter().map(|x| x.asn).collect();
        asns.sort_unstable();
        let before = asns.len();
        asns.dedup();
        assert_eq!(asns.len(), before);
        assert!(asns.iter().any(|&a| a < 65_536));
        assert!(asns.iter().any(|&a| a > 65_535));
        assert!(!asns.contains(&23_456) && !asns.contains(&0));
    }

    #[test]
    fn announced_prefixes_lie_in_the_holders_allocations_and_never_overlap_across_ases() {
        let t = small();
        let mut all: Vec<(Prefix, u32)> = Vec::new();
        for x in &t.ases {
            for p in x.v4.iter().chain(&x.v6) {
                assert!(x.alloc4.iter().chain(&x.alloc6).any(|a| a.covers(p)));
                all.push((*p, x.asn));
            }
        }
        all.sort();
        for w in all.windows(2) {
            if w[0].0.covers(&w[1].0) {
                assert_eq!(w[0].1, w[1].1, "{} and {}", w[0].0, w[1].0);
            }
        }
        let n4: usize = t.ases.iter().map(|x| x.v4.len()).sum();
        assert!((8_000..14_000).contains(&n4), "{n4} IPv4 prefixes");
    }

    /// `--prefixes6` promises an approximate count: every requested more-specific fits its
    /// holder's allocation (large networks get larger allocations), also when some ASes hold
    /// hundreds of IPv6 prefixes (30,000 over 1,000 ASes: a fixed /32 or /29 per AS made only
    /// ~20,000), so the plan makes the request within a few percent.
    #[test]
    fn the_ipv6_plan_makes_about_as_many_prefixes_as_requested() {
        for requested in [2_000usize, 30_000] {
            let mut cfg = Config::new(Scale::Small, 3);
            cfg.prefixes_v6 = requested;
            let t = build(&cfg).unwrap();
            let made: usize = t.ases.iter().map(|x| x.v6.len()).sum();
            let off = made.abs_diff(requested) as f64 / requested as f64;
            assert!(off < 0.03, "{made} IPv6 prefixes for {requested} requested");
        }
    }

    #[test]
    fn registries_allocate_from_disjoint_slash_8s_outside_bogon_space() {
        let mut all: Vec<u8> = Rir::ALL.iter().flat_map(|r| r.v4_blocks()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a /8 is listed for two registries");
        for b in [0u8, 10, 100, 127, 172, 192, 198] {
            assert!(!all.contains(&b), "{b}/8");
        }
        assert!(all.iter().all(|&b| b < 224));
    }

    #[test]
    fn degrees_are_heavy_tailed() {
        let t = small();
        let mut deg: Vec<usize> = t.ases.iter().map(|x| x.customers.len()).collect();
        deg.sort_unstable();
        let max = *deg.last().unwrap();
        let median = deg[deg.len() / 2];
        assert!(max > 40 * (median + 1), "max {max} median {median}");
    }
}
