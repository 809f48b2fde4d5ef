//! Gao–Rexford route propagation for one destination at a time.
//!
//! A destination is announced by one or more [`Seed`]s (the origin, and for incidents a
//! hijacker or leaker with its own starting path). Routes spread in three phases, which is
//! exactly the valley-free, customer > peer > provider, shortest-path outcome:
//! 1. customer routes climb from the seeds to providers, shortest first (bucket queue);
//! 2. every AS with a customer route offers it to its peers (one lateral hop);
//! 3. every AS with any route offers it to its customers, walking down in topological order.
//!
//! Ties break on the lowest neighbour ASN. Only the routes at "target" ASes (the collector
//! peers) are needed, so phases 2 and 3 run only over the targets' provider ancestry (`U`,
//! closed upwards): a few thousand ASes instead of the whole graph.

use crate::topology::{Tier, Topology};

pub const NONE: u32 = u32::MAX;

/// Route classes, in order of preference.
pub const FROM_PROVIDER: u8 = 1;
pub const FROM_PEER: u8 = 2;
pub const FROM_CUSTOMER: u8 = 3;
pub const SEED: u8 = 4;

/// Where a route starts: a node announcing a path of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    pub node: u32,
    /// The AS path as the node sends it (first the node's own ASN, with any prepends).
    pub path: Vec<u32>,
    pub to_providers: bool,
    pub to_peers: bool,
    pub to_customers: bool,
    /// Nodes that must not accept routes from this seed (they are on its path already).
    pub blocked: Vec<u32>,
}

impl Seed {
    /// A normal origination by `node` (with its prepending) to every neighbour.
    pub fn origin(topo: &Topology, node: u32) -> Seed {
        let x = &topo.ases[node as usize];
        Seed {
            node,
            path: vec![x.asn; 1 + x.prepend as usize],
            to_providers: true,
            to_peers: true,
            to_customers: true,
            blocked: Vec::new(),
        }
    }
}

/// The propagation engine for a fixed set of target nodes.
#[derive(Debug)]
pub struct Engine<'t> {
    pub topo: &'t Topology,
    /// `U` in index (topological) order.
    upset: Vec<u32>,
    /// For each node, its peers that lie in `U`.
    peers_in_u: Vec<Vec<u32>>,
}

/// Per-thread state of one propagation run.
#[derive(Debug)]
pub struct Workspace {
    pub class: Vec<u8>,
    pub len: Vec<u32>,
    /// The neighbour the route was learned from ([`NONE`] at a seed).
    pub next: Vec<u32>,
    pub seed: Vec<u16>,
    touched: Vec<u32>,
    buckets: Vec<Vec<u32>>,
}

impl Workspace {
    pub fn new(n: usize) -> Workspace {
        Workspace {
            class: vec![0; n],
            len: vec![0; n],
            next: vec![NONE; n],
            seed: vec![0; n],
            touched: Vec::new(),
            buckets: Vec::new(),
        }
    }

    fn reset(&mut self) {
        for &x in &self.touched {
            self.class[x as usize] = 0;
            self.next[x as usize] = NONE;
        }
        self.touched.clear();
        for b in &mut self.buckets {
            b.clear();
        }
    }
}

/// A route as a target holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub class: u8,
    /// AS path from the target to the origin (prepends included).
    pub path: Vec<u32>,
    /// ONLY_TO_CUSTOMER (RFC 9234) value, when an AS with roles sent it down or sideways.
    pub otc: Option<u32>,
    /// Which seed the route came from.
    pub seed: u16,
}

impl<'t> Engine<'t> {
    /// An engine computing routes exactly for `targets` (and their provider ancestry).
    pub fn new(topo: &'t Topology, targets: &[u32]) -> Engine<'t> {
        let n = topo.ases.len();
        let mut in_u = vec![false; n];
        let mut stack: Vec<u32> = targets.to_vec();
        while let Some(x) = stack.pop() {
            if in_u[x as usize] {
                continue;
            }
            in_u[x as usize] = true;
            stack.extend(&topo.ases[x as usize].providers);
        }
        let upset: Vec<u32> = (0..n as u32).filter(|&x| in_u[x as usize]).collect();
        let peers_in_u = topo
            .ases
            .iter()
            .map(|a| {
                a.peers
                    .iter()
                    .copied()
                    .filter(|&p| in_u[p as usize])
                    .collect()
            })
            .collect();
        Engine {
            topo,
            upset,
            peers_in_u,
        }
    }

    /// An engine computing routes at every node (for incident set-up; slower).
    pub fn full(topo: &'t Topology) -> Engine<'t> {
        let all: Vec<u32> = (0..topo.ases.len() as u32)
            .filter(|&x| topo.ases[x as usize].tier != Tier::RouteServer)
            .collect();
        Engine::new(topo, &all)
    }

    fn asn(&self, x: u32) -> u32 {
        self.topo.ases[x as usize].asn
    }

    /// True when a candidate (len, via) beats the node's current route of the same class.
    fn better(&self, ws: &Workspace, node: u32, len: u32, via: u32) -> bool {
        let cur = ws.next[node as usize];
        len < ws.len[node as usize]
            || (len == ws.len[node as usize] && cur != NONE && self.asn(via) < self.asn(cur))
    }

    /// Propagates the seeds; the result stays in `ws` until the next run.
    pub fn run(&self, ws: &mut Workspace, seeds: &[Seed]) {
        ws.reset();
        let blocked = |s: u16, node: u32| seeds[s as usize].blocked.contains(&node);
        for (i, s) in seeds.iter().enumerate() {
            let x = s.node as usize;
            if ws.class[x] == SEED {
                continue; // the first seed at a node wins
            }
            ws.class[x] = SEED;
            ws.len[x] = s.path.len() as u32;
            ws.next[x] = NONE;
            ws.seed[x] = i as u16;
            ws.touched.push(s.node);
            if s.to_providers {
                let l = s.path.len();
                if ws.buckets.len() <= l {
                    ws.buckets.resize(l + 1, Vec::new());
                }
                ws.buckets[l].push(s.node);
            }
        }
        // Phase 1: customer routes climb, shortest first.
        let mut l = 0;
        while l < ws.buckets.len() {
            let mut layer = std::mem::take(&mut ws.buckets[l]);
            layer.sort_unstable();
            layer.dedup();
            for &x in &layer {
                let xi = x as usize;
                if ws.len[xi] != l as u32 || ws.class[xi] < FROM_CUSTOMER {
                    continue;
                }
                let s = ws.seed[xi];
                if ws.class[xi] == SEED && !seeds[s as usize].to_providers {
                    continue;
                }
                for &p in &self.topo.ases[xi].providers {
                    let pi = p as usize;
                    if ws.class[pi] == SEED || blocked(s, p) {
                        continue;
                    }
                    let cand = l as u32 + 1;
                    if ws.class[pi] == FROM_CUSTOMER && !self.better(ws, p, cand, x) {
                        continue;
                    }
                    if ws.class[pi] == 0 {
                        ws.touched.push(p);
                    }
                    ws.class[pi] = FROM_CUSTOMER;
                    ws.len[pi] = cand;
                    ws.next[pi] = x;
                    ws.seed[pi] = s;
                    if ws.buckets.len() <= cand as usize {
                        ws.buckets.resize(cand as usize + 1, Vec::new());
                    }
                    ws.buckets[cand as usize].push(p);
                }
            }
            layer.clear();
            ws.buckets[l] = layer;
            l += 1;
        }
        // Phase 2: one lateral hop to peers in U.
        let exporters = ws.touched.len();
        for k in 0..exporters {
            let x = ws.touched[k];
            let xi = x as usize;
            let s = ws.seed[xi];
            if ws.class[xi] == SEED && !seeds[s as usize].to_peers {
                continue;
            }
            if ws.class[xi] < FROM_CUSTOMER {
                continue;
            }
            for &y in &self.peers_in_u[xi] {
                let yi = y as usize;
                if ws.class[yi] >= FROM_CUSTOMER || blocked(s, y) {
                    continue;
                }
                let cand = ws.len[xi] + 1;
                if ws.class[yi] == FROM_PEER && !self.better(ws, y, cand, x) {
                    continue;
                }
                if ws.class[yi] == 0 {
                    ws.touched.push(y);
                }
                ws.class[yi] = FROM_PEER;
                ws.len[yi] = cand;
                ws.next[yi] = x;
                ws.seed[yi] = s;
            }
        }
        // Phase 3: down to customers, providers before customers.
        for &u in &self.upset {
            let ui = u as usize;
            if ws.class[ui] >= FROM_PEER {
                continue;
            }
            for &p in &self.topo.ases[ui].providers {
                let pi = p as usize;
                if ws.class[pi] == 0 {
                    continue;
                }
                let s = ws.seed[pi];
                if (ws.class[pi] == SEED && !seeds[s as usize].to_customers) || blocked(s, u) {
                    continue;
                }
                let cand = ws.len[pi] + 1;
                if ws.class[ui] == FROM_PROVIDER && !self.better(ws, u, cand, p) {
                    continue;
                }
                if ws.class[ui] == 0 {
                    ws.touched.push(u);
                }
                ws.class[ui] = FROM_PROVIDER;
                ws.len[ui] = cand;
                ws.next[ui] = p;
                ws.seed[ui] = s;
            }
        }
    }

    /// The route `node` holds after [`Engine::run`], if any.
    pub fn route(&self, ws: &Workspace, seeds: &[Seed], node: u32) -> Option<Route> {
        let class = ws.class[node as usize];
        if class == 0 {
            return None;
        }
        let mut chain = vec![node];
        let mut x = node;
        while ws.next[x as usize] != NONE {
            x = ws.next[x as usize];
            chain.push(x);
        }
        let seed = ws.seed[node as usize];
        let s = &seeds[seed as usize];
        // ONLY_TO_CUSTOMER: the sender of the first downward or lateral hop (from the origin's
        // side) where either end has roles configured.
        let mut otc = None;
        for w in chain.windows(2).rev() {
            let (receiver, sender) = (w[0], w[1]);
            let c = ws.class[receiver as usize];
            if (c == FROM_PROVIDER || c == FROM_PEER)
                && (self.topo.ases[sender as usize].roles
                    || self.topo.ases[receiver as usize].roles)
            {
                otc = Some(self.asn(sender));
                break;
            }
        }
        let mut path: Vec<u32> = chain[..chain.len() - 1]
            .iter()
            .map(|&c| self.asn(c))
            .collect();
        path.extend(&s.path);
        Some(Route {
            class,
            path,
            otc,
            seed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Scale};
    use crate::topology::{build, Rel};

    /// Valley-free: from the origin, zero or more customer→provider hops, at most one peer
    /// hop, then provider→customer hops only.
    fn valley_free(t: &Topology, nodes: &[u32]) -> bool {
        // nodes: from the holder down to the origin
        let mut descending = false;
        for w in nodes.windows(2).rev() {
            let (receiver, sender) = (w[0], w[1]);
            match t.rel(sender, receiver) {
                Some(Rel::Provider) if !descending => {}
                Some(Rel::Peer) if !descending => descending = true,
                Some(Rel::Customer) => descending = true,
                _ => return false,
            }
        }
        true
    }

    #[test]
    fn full_and_restricted_engines_agree_and_every_route_is_valley_free() {
        let t = build(&Config::new(Scale::Small, 5)).unwrap();
        let full = Engine::full(&t);
        let targets: Vec<u32> = (0..t.ases.len() as u32).step_by(37).collect();
        let part = Engine::new(&t, &targets);
        let mut w1 = Workspace::new(t.ases.len());
        let mut w2 = Workspace::new(t.ases.len());
        let by_asn: std::collections::HashMap<u32, u32> = t
            .ases
            .iter()
            .enumerate()
            .map(|(i, a)| (a.asn, i as u32))
            .collect();
        for origin in (0..t.ases.len() as u32).step_by(53) {
            if t.ases[origin as usize].tier == Tier::RouteServer {
                continue;
            }
            let seeds = [Seed::origin(&t, origin)];
            full.run(&mut w1, &seeds);
            part.run(&mut w2, &seeds);
            for &x in &targets {
                let a = full.route(&w1, &seeds, x);
                let b = part.route(&w2, &seeds, x);
                assert_eq!(a, b);
                if let Some(r) = a {
                    let mut nodes: Vec<u32> = r.path.iter().map(|a| by_asn[a]).collect();
                    nodes.dedup();
                    assert!(valley_free(&t, &nodes), "{:?}", r.path);
                    assert_eq!(*r.path.last().unwrap(), t.asn(origin));
                }
            }
        }
    }

    #[test]
    fn a_connected_origin_reaches_every_tier1() {
        let t = build(&Config::new(Scale::Small, 6)).unwrap();
        let e = Engine::full(&t);
        let mut ws = Workspace::new(t.ases.len());
        let origin = t.ases.len() as u32 - 10; // a stub
        let seeds = [Seed::origin(&t, origin)];
        e.run(&mut ws, &seeds);
        for (i, x) in t.ases.iter().enumerate() {
            if x.tier == Tier::Tier1 {
                assert!(e.route(&ws, &seeds, i as u32).is_some());
            }
        }
    }
}
