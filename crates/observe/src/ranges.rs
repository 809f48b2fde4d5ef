//! Address and ASN ranges: a map painted layer by layer (later paint wins on overlap), then
//! frozen into a sorted vector answered by binary search; and the split of a range into the
//! fewest CIDR blocks.

use std::collections::BTreeMap;

/// A map from disjoint inclusive `u128` ranges to values, built by painting.
#[derive(Debug, Clone)]
pub(crate) struct RangePainter<V> {
    /// start → (end inclusive, value)
    map: BTreeMap<u128, (u128, V)>,
}

impl<V: Clone> RangePainter<V> {
    pub(crate) fn new() -> Self {
        RangePainter {
            map: BTreeMap::new(),
        }
    }

    /// Splits the range containing `at` (if any) so that a range starts at `at`.
    fn split_before(&mut self, at: u128) {
        let Some((&s, (e, v))) = self.map.range(..at).next_back() else {
            return;
        };
        if *e >= at {
            let (e, v) = (*e, v.clone());
            self.map.insert(s, (at - 1, v.clone()));
            self.map.insert(at, (e, v));
        }
    }

    /// Sets `[start, end]` to `value`, replacing whatever was there.
    pub(crate) fn paint(&mut self, start: u128, end: u128, value: V) {
        debug_assert!(start <= end);
        self.split_before(start);
        if end < u128::MAX {
            self.split_before(end + 1);
        }
        let inside: Vec<u128> = self.map.range(start..=end).map(|(&s, _)| s).collect();
        for s in inside {
            self.map.remove(&s);
        }
        self.map.insert(start, (end, value));
    }

    pub(crate) fn freeze(self) -> RangeTable<V> {
        RangeTable {
            ranges: self.map.into_iter().map(|(s, (e, v))| (s, e, v)).collect(),
        }
    }
}

/// Disjoint inclusive ranges, sorted, with values.
#[derive(Debug, Clone)]
pub(crate) struct RangeTable<V> {
    ranges: Vec<(u128, u128, V)>,
}

impl<V> Default for RangeTable<V> {
    fn default() -> Self {
        RangeTable { ranges: Vec::new() }
    }
}

impl<V> RangeTable<V> {
    /// The range containing `x`.
    pub(crate) fn get(&self, x: u128) -> Option<&(u128, u128, V)> {
        let i = self.ranges.partition_point(|r| r.0 <= x);
        let r = self.ranges.get(i.checked_sub(1)?)?;
        (r.1 >= x).then_some(r)
    }

    /// The ranges overlapping `[start, end]`, in order.
    pub(crate) fn overlapping(&self, start: u128, end: u128) -> &[(u128, u128, V)] {
        let first = self.ranges.partition_point(|r| r.1 < start);
        let last = self.ranges.partition_point(|r| r.0 <= end);
        &self.ranges[first..last.max(first)]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &(u128, u128, V)> {
        self.ranges.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }
}

/// Merges touching or overlapping inclusive ranges (input sorted by start).
pub(crate) fn merge(ranges: impl IntoIterator<Item = (u128, u128)>) -> Vec<(u128, u128)> {
    let mut out: Vec<(u128, u128)> = Vec::new();
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if last.1 == u128::MAX || s <= last.1 + 1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// True when `[start, end]` lies inside one of `merged` (sorted, disjoint, non-touching).
pub(crate) fn covered(merged: &[(u128, u128)], start: u128, end: u128) -> bool {
    let i = merged.partition_point(|r| r.0 <= start);
    i > 0 && merged[i - 1].1 >= end
}

/// The fewest CIDR blocks covering exactly `[start, end]` in a `width`-bit space, as
/// `(start, prefix length)`. RIR stats give IPv4 blocks as host counts that need not be
/// powers of two (e.g. 768 addresses = a /23 and a /24).
pub fn range_to_cidrs(start: u128, end: u128, width: u8) -> Vec<(u128, u8)> {
    let mut out = Vec::new();
    let mut s = start;
    loop {
        // The largest block aligned at `s` that does not run past `end`.
        let align = if s == 0 {
            width as u32
        } else {
            s.trailing_zeros().min(width as u32)
        };
        let span = end - s; // addresses left, minus one
        let fits = if span == u128::MAX {
            128
        } else {
            127 - (span + 1).leading_zeros()
        };
        let bits = align.min(fits);
        out.push((s, (width as u32 - bits) as u8));
        let last = if bits == 128 {
            u128::MAX
        } else {
            s + ((1u128 << bits) - 1)
        };
        if last >= end {
            return out;
        }
        s = last + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_paint_wins_and_splits_what_it_overlaps() {
        let mut p = RangePainter::new();
        p.paint(0, 99, 'a');
        p.paint(10, 19, 'b');
        p.paint(15, 200, 'c');
        let t = p.freeze();
        let got: Vec<_> = t.iter().cloned().collect();
        assert_eq!(got, vec![(0, 9, 'a'), (10, 14, 'b'), (15, 200, 'c')]);
        assert_eq!(t.get(12).map(|r| r.2), Some('b'));
        assert_eq!(t.get(201), None);
        assert_eq!(t.overlapping(5, 16).len(), 3);
        assert_eq!(t.overlapping(300, 400).len(), 0);
    }

    #[test]
    fn painting_the_top_of_the_space_does_not_overflow() {
        let mut p = RangePainter::new();
        p.paint(0, u128::MAX, 1);
        p.paint(u128::MAX - 5, u128::MAX, 2);
        let t = p.freeze();
        assert_eq!(t.get(u128::MAX).map(|r| r.2), Some(2));
        assert_eq!(t.get(0).map(|r| r.2), Some(1));
        assert_eq!(
            merge([(0, 5), (6, 9), (20, 30), (25, 40)]),
            vec![(0, 9), (20, 40)]
        );
    }

    #[test]
    fn host_counts_that_are_not_powers_of_two_split_into_cidrs() {
        // 10.0.0.0 + 768 addresses = 10.0.0.0/23 + 10.0.2.0/24.
        let s = 0x0a00_0000u128;
        assert_eq!(range_to_cidrs(s, s + 767, 32), vec![(s, 23), (s + 512, 24)]);
        // Unaligned start: 10.0.1.0 - 10.0.4.255 = /24, /23, /24.
        assert_eq!(
            range_to_cidrs(s + 256, s + 1279, 32),
            vec![(s + 256, 24), (s + 512, 23), (s + 1024, 24)]
        );
        assert_eq!(range_to_cidrs(0, u32::MAX as u128, 32), vec![(0, 0)]);
        assert_eq!(range_to_cidrs(0, u128::MAX, 128), vec![(0, 0)]);
        assert_eq!(range_to_cidrs(7, 7, 32), vec![(7, 32)]);
    }
}
