//! AS paths as a list of typed segments, so AS_SET origins stay representable.

use crate::Asn;
use std::fmt;

/// The four AS_PATH segment types (RFC 4271, RFC 5065).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    Set,
    Sequence,
    ConfedSequence,
    ConfedSet,
}

impl SegmentKind {
    /// From the wire code (1 = AS_SET, 2 = AS_SEQUENCE, 3 = AS_CONFED_SEQUENCE,
    /// 4 = AS_CONFED_SET).
    pub const fn from_code(code: u8) -> Option<SegmentKind> {
        match code {
            1 => Some(SegmentKind::Set),
            2 => Some(SegmentKind::Sequence),
            3 => Some(SegmentKind::ConfedSequence),
            4 => Some(SegmentKind::ConfedSet),
            _ => None,
        }
    }
}

/// One segment of an AS path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct AsPathSegment {
    pub kind: SegmentKind,
    pub asns: Vec<Asn>,
}

/// An AS path: segments in order, the neighbour first and the origin last.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct AsPath {
    pub segments: Vec<AsPathSegment>,
}

impl AsPath {
    /// A path of one AS_SEQUENCE.
    pub fn from_sequence(asns: impl IntoIterator<Item = u32>) -> AsPath {
        AsPath {
            segments: vec![AsPathSegment {
                kind: SegmentKind::Sequence,
                asns: asns.into_iter().map(Asn).collect(),
            }],
        }
    }

    /// The origin AS: the last ASN of a final AS_SEQUENCE. `None` when the path is empty or
    /// ends in a set (RFC 6811 section 2: such a route's origin is NONE) or a confederation
    /// segment.
    pub fn origin(&self) -> Option<Asn> {
        let last = self.segments.iter().rev().find(|s| !s.asns.is_empty())?;
        match last.kind {
            SegmentKind::Sequence => last.asns.last().copied(),
            _ => None,
        }
    }

    /// The neighbouring AS (first ASN of the path), if the path starts with a sequence.
    pub fn first(&self) -> Option<Asn> {
        let first = self.segments.iter().find(|s| !s.asns.is_empty())?;
        match first.kind {
            SegmentKind::Sequence => first.asns.first().copied(),
            _ => None,
        }
    }

    /// Path length as BGP counts it for best-path selection (RFC 4271 9.1.2.2: a set counts
    /// one, confederation segments count zero).
    pub fn route_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentKind::Sequence => s.asns.len(),
                SegmentKind::Set => 1,
                _ => 0,
            })
            .sum()
    }

    /// True when the path has no ASNs at all (an iBGP-originated route).
    pub fn is_empty(&self) -> bool {
        self.segments.iter().all(|s| s.asns.is_empty())
    }
}

impl fmt::Display for AsPath {
    /// The conventional text: sequences space-separated, `{a,b}` for sets, `(a b)` for
    /// confederation sequences and `[a,b]` for confederation sets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.segments {
            let (open, sep, close) = match seg.kind {
                SegmentKind::Sequence => ("", " ", ""),
                SegmentKind::Set => ("{", ",", "}"),
                SegmentKind::ConfedSequence => ("(", " ", ")"),
                SegmentKind::ConfedSet => ("[", ",", "]"),
            };
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(open)?;
            for (i, a) in seg.asns.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{a}")?;
            }
            f.write_str(close)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(kind: SegmentKind, asns: &[u32]) -> AsPathSegment {
        AsPathSegment {
            kind,
            asns: asns.iter().copied().map(Asn).collect(),
        }
    }

    #[test]
    fn origin_is_last_asn_of_a_final_sequence() {
        assert_eq!(AsPath::from_sequence([1, 2, 3]).origin(), Some(Asn(3)));
        assert_eq!(AsPath::default().origin(), None);
    }

    #[test]
    fn origin_of_a_path_ending_in_a_set_is_none() {
        let p = AsPath {
            segments: vec![
                seg(SegmentKind::Sequence, &[1, 2]),
                seg(SegmentKind::Set, &[3, 4]),
            ],
        };
        assert_eq!(p.origin(), None);
        assert_eq!(p.route_len(), 3);
    }

    #[test]
    fn display_uses_conventional_segment_delimiters() {
        let p = AsPath {
            segments: vec![
                seg(SegmentKind::ConfedSequence, &[64512, 64513]),
                seg(SegmentKind::Sequence, &[1, 2]),
                seg(SegmentKind::Set, &[3, 4]),
                seg(SegmentKind::ConfedSet, &[5, 6]),
            ],
        };
        assert_eq!(p.to_string(), "(64512 64513) 1 2 {3,4} [5,6]");
    }
}
